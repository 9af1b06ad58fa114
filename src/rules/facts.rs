//! What a program knows of an event besides its body: the variables SPEC section 13 binds.

use jaq_json::Val;

/// The variables bound in every program, in the order `EventFacts::values` gives them.
pub const VARIABLES: [&str; 4] = ["$event_type", "$provider", "$account_id", "$headers"];

/// The event's type, provider, account and request headers (names in lower case; a name sent
/// more than once has its values joined with ", ").
#[derive(Debug, Clone, Default)]
pub struct EventFacts {
    pub event_type: Option<String>,
    pub provider: String,
    pub account_id: String,
    pub headers: Vec<(String, String)>,
}

impl EventFacts {
    /// The values of `VARIABLES`, in order.
    pub fn values(&self) -> Vec<Val> {
        let mut headers = jaq_json::Map::default();
        for (name, value) in &self.headers {
            let key = Val::from(name.to_ascii_lowercase());
            let joined = match headers.get(&key).and_then(text) {
                Some(before) => format!("{before}, {value}"),
                None => value.clone(),
            };
            headers.insert(key, Val::from(joined));
        }
        vec![
            self.event_type.clone().map_or(Val::Null, Val::from),
            Val::from(self.provider.clone()),
            Val::from(self.account_id.clone()),
            Val::obj(headers),
        ]
    }
}

fn text(v: &Val) -> Option<String> {
    match v {
        Val::TStr(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}
