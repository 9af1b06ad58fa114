//! What a listener answers besides the JSON of SPEC section 3: provider handshakes and a custom
//! answer to events (SPEC section 12).

use http::{HeaderName, HeaderValue};

/// How a provider checks a listener URL before sending events to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Handshake {
    #[default]
    None,
    Slack,
    Meta,
    Zoom,
    MicrosoftGraph,
    Twitter,
    Dropbox,
}

impl Handshake {
    /// Every handshake, in the order the configuration lists them.
    pub const ALL: [Handshake; 7] = [
        Handshake::None,
        Handshake::Slack,
        Handshake::Meta,
        Handshake::Zoom,
        Handshake::MicrosoftGraph,
        Handshake::Twitter,
        Handshake::Dropbox,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Handshake::None => "none",
            Handshake::Slack => "slack",
            Handshake::Meta => "meta",
            Handshake::Zoom => "zoom",
            Handshake::MicrosoftGraph => "microsoft-graph",
            Handshake::Twitter => "twitter",
            Handshake::Dropbox => "dropbox",
        }
    }

    pub fn parse(name: &str) -> Option<Handshake> {
        Handshake::ALL.into_iter().find(|h| h.name() == name)
    }

    /// The handshake a provider's listeners answer unless they set one.
    pub fn preset_for(provider: &str) -> Handshake {
        match provider {
            "slack" => Handshake::Slack,
            _ => Handshake::None,
        }
    }

    /// Whether the provider sends it as a GET (the listener then takes GET besides POST).
    pub fn uses_get(self) -> bool {
        matches!(
            self,
            Handshake::Meta | Handshake::MicrosoftGraph | Handshake::Twitter | Handshake::Dropbox
        )
    }

    /// Whether its answer is computed with `handshake_secret`.
    pub fn needs_secret(self) -> bool {
        matches!(self, Handshake::Meta | Handshake::Zoom | Handshake::Twitter)
    }
}

/// A listener's own answer to accepted, filtered and duplicate events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomResponse {
    /// 2xx.
    pub status: u16,
    /// `text/plain` unless set.
    pub content_type: HeaderValue,
    pub body: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}
