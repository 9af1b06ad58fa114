//! `hookgate preview` (SPEC section 13): what each receiver would get for each fixture — the
//! subscription, `events` and `filter` decide whether it is delivered, `format` and
//! `transform` what body it gets — without a running gateway or a store.

use super::cli::PreviewArgs;
use super::replay::{collect, display_name, fixture};
use super::AlreadyReported;
use crate::config::{self, Config, ListenerSpec};
use crate::delivery::request::{body_for, AttemptContext};
use crate::ingress::event::{locate, BodyFields, RequestView};
use crate::ingress::handler::storable_headers;
use crate::ingress::handshake;
use crate::rules::{self, EventFacts};
use crate::store::StoredEvent;
use anyhow::{anyhow, Context};
use bytes::Bytes;
use std::fmt::Write as _;
use std::path::Path;

pub fn run(args: PreviewArgs) -> anyhow::Result<()> {
    let path = config::default_path(args.config);
    let config = config::load(&path).map_err(|e| anyhow!("{e}"))?;
    if let Some(id) = &args.listener {
        if !config.listeners.iter().any(|l| &l.id == id) {
            return Err(anyhow!("no listener with id {id:?} in {}", path.display()));
        }
    }
    let files = collect(&args.fixtures)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let mut failed = 0;
    for file in &files {
        let name = display_name(file);
        match runtime.block_on(preview(&config, args.listener.as_deref(), file)) {
            Ok(text) => print!("{name}: {text}"),
            Err(e) => {
                failed += 1;
                println!("{name}: ERR {e:#}");
            }
        }
    }
    if failed > 0 {
        eprintln!(
            "{failed} of {} fixtures could not be previewed",
            files.len()
        );
        return Err(AlreadyReported.into());
    }
    Ok(())
}

/// The listener a fixture goes to: `--listener`, else its (provider, account).
fn listener_for<'c>(
    config: &'c Config,
    id: Option<&str>,
    fx: &fixture::Loaded,
) -> anyhow::Result<&'c ListenerSpec> {
    let found = config.listeners.iter().find(|l| match id {
        Some(id) => l.id == id,
        None => l.provider == fx.provider && l.account_id == fx.account_id,
    });
    found.map(|l| &**l).ok_or_else(|| {
        anyhow!(
            "no listener for provider {:?}, account {:?}",
            fx.provider,
            fx.account_id
        )
    })
}

/// The preview of one fixture: a head line, then one line per receiver and the body it gets.
async fn preview(config: &Config, id: Option<&str>, file: &Path) -> anyhow::Result<String> {
    let fx = fixture::load(file)?;
    let spec = listener_for(config, id, &fx)?;
    let provider = (config.providers.get(&spec.provider))
        .ok_or_else(|| anyhow!("unknown provider {:?}", spec.provider))?;
    let mut out = format!(
        "listener {} ({}/{})",
        spec.id, spec.provider, spec.account_id
    );
    if handshake::recognise_post(spec, fx.query.as_deref(), &fx.body).is_some() {
        out.push_str(": a handshake, answered and never delivered\n");
        return Ok(out);
    }
    let needs_json = provider.event_type.reads_body()
        || provider.event_id.as_ref().is_some_and(|l| l.reads_body());
    let locators = [&provider.event_type];
    let fields = BodyFields::read(&fx.body, &locators).ok();
    if needs_json && fields.is_none() {
        out.push_str(": refused 400 invalid_payload (the body is not JSON)\n");
        return Ok(out);
    }
    let view = RequestView {
        headers: &fx.headers,
        query: fx.query.as_deref(),
        body: fields.as_ref(),
    };
    let event_type = locate(&provider.event_type, &view);
    let shown = event_type.as_deref().unwrap_or("(none)");
    let _ = writeln!(out, ", event type {shown}");
    if !spec.subscribes(event_type.as_deref()) {
        out.push_str("  filtered: the listener does not subscribe to this event type\n");
        return Ok(out);
    }
    let mut event = StoredEvent::received_now(&spec.id, &spec.provider, &spec.account_id);
    event.event_type = event_type;
    event.headers = storable_headers(&fx.headers, spec);
    event.content_type = (fx.headers.get(http::header::CONTENT_TYPE))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    event.body = Bytes::from(fx.body);
    receivers(spec, &event, &mut out).await;
    Ok(out)
}

/// One entry per receiver: delivered or not (and why), and the body it would get.
async fn receivers(spec: &ListenerSpec, event: &StoredEvent, out: &mut String) {
    let facts = EventFacts {
        event_type: event.event_type.clone(),
        provider: event.provider.clone(),
        account_id: event.account_id.clone(),
        headers: event.headers.clone(),
    };
    let urls = rules::matching_urls(&spec.receivers, &event.body, facts.clone()).await;
    for receiver in &spec.receivers {
        let url = receiver.url.to_string();
        if !urls.contains(&url) {
            let why = if receiver.wants(event.event_type.as_deref()) {
                "its filter does not match"
            } else {
                "not in its events"
            };
            let _ = writeln!(out, "  {url}: not delivered ({why})");
            continue;
        }
        let transformed = match &receiver.transform {
            None => None,
            Some(program) => match rules::transform(program, &event.body, facts.clone()).await {
                Ok(body) => Some(body),
                Err(e) => {
                    let _ = writeln!(out, "  {url}: delivery fails: transform_failed: {e}");
                    continue;
                }
            },
        };
        let ctx = AttemptContext {
            receiver,
            listener: Some(spec),
            attempt: 1,
            now_unix: event.received_at / 1000,
            authorization: None,
            transformed,
        };
        let (body, content_type) = body_for(event, &ctx);
        let _ = writeln!(out, "  {url}: delivered ({content_type})");
        let _ = writeln!(out, "    {}", String::from_utf8_lossy(&body));
    }
}
