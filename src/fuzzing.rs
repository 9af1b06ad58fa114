//! Entry points for the fuzz targets (fuzz/): the listener endpoint below the HTTP server, and
//! the management API's reading of a listener body. Each runs the code the server runs.

use crate::admin::doc::ListenerDoc;
use crate::admin::error::ApiError;
use crate::admin::request::Problem;
use crate::admin::{listeners, render};
use crate::app::{App, Started};
use crate::config::{Config, ListenerSpec};
use crate::ingress::refusal::Refusal;
use crate::listeners::{ManagedBy, Meta};
use crate::store::Store;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

/// The gateway without sockets: a configuration in service over a SQLite store, with delivery
/// running, answering requests built in memory as the public address answers them.
pub struct Gateway {
    app: Arc<App>,
    max_header_bytes: usize,
    /// Kept so that delivery keeps running while the gateway lives.
    _started: Started,
}

impl Gateway {
    /// Puts `cfg` in service over the SQLite database at `store` (created if needed).
    pub async fn open(cfg: Config, store: &Path) -> anyhow::Result<Gateway> {
        let max_header_bytes = cfg.server.max_header_bytes;
        let store = Store::open(store, cfg.store.queue_capacity)?;
        let started = App::start(cfg, store, Vec::new()).await?;
        Ok(Gateway {
            app: started.app.clone(),
            max_header_bytes,
            _started: started,
        })
    }

    /// The public address's answer to `req` from `peer`, received at `clock()` (Unix
    /// milliseconds). A head over `max_header_bytes` is refused before routing, as the server
    /// refuses it.
    pub async fn answer<B>(
        &self,
        req: Request<B>,
        peer: SocketAddr,
        clock: fn() -> i64,
    ) -> Response<Bytes>
    where
        B: hyper::body::Body<Data = Bytes> + Unpin,
        B::Error: std::fmt::Display,
    {
        let response = if crate::server::head_size(&req) > self.max_header_bytes {
            Refusal::HeadersTooLarge.into_response()
        } else {
            crate::ingress::route_at(self.app.clone(), req, peer, clock).await
        };
        let (parts, body) = response.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(never) => match never {},
        };
        Response::from_parts(parts, body)
    }
}

/// A field of a listener body and what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

fn located(list: Vec<Problem>) -> Vec<FieldProblem> {
    (list.into_iter())
        .map(|p| FieldProblem {
            field: p.field,
            message: p.message,
        })
        .collect()
}

/// Why a listener body was refused: the management API's 400 code and the problems it lists.
#[derive(Debug)]
pub struct Refused {
    pub code: &'static str,
    pub problems: Vec<FieldProblem>,
}

/// A listener the management API accepted.
#[derive(Debug)]
pub struct Accepted {
    pub spec: ListenerSpec,
    doc: ListenerDoc,
}

/// Reads `body` as the management API reads a POST (`stored` is `None`) or a PUT of a listener
/// whose stored document is `stored`, and validates it under `config`.
pub fn read_listener(
    body: &[u8],
    id: &str,
    stored: Option<&Accepted>,
    config: &Config,
) -> Result<Accepted, Refused> {
    let problems = |code, list| Refused {
        code,
        problems: located(list),
    };
    match listeners::read(body, id, stored.map(|s| &s.doc), config) {
        Ok(spec) => Ok(Accepted {
            doc: ListenerDoc::from(&spec),
            spec,
        }),
        Err(ApiError::Invalid(list)) => Err(problems("invalid_request", list)),
        Err(ApiError::SecretRequired(list)) => Err(problems("secret_required", list)),
        Err(other) => Err(Refused {
            code: "unexpected",
            problems: vec![FieldProblem {
                field: String::new(),
                message: format!("{other:?}"),
            }],
        }),
    }
}

impl Accepted {
    /// The listener as a GET answers it, every secret masked.
    pub fn rendered(&self, public_url: &str) -> serde_json::Value {
        let meta = Meta {
            id: self.spec.id.clone(),
            managed_by: ManagedBy::Api,
            created_at: 0,
            updated_at: 0,
            deleted_at: None,
        };
        render::listener(&self.doc, &meta, public_url, &|_| false)
    }

    /// The listener rebuilt from the document the store keeps, as a restart rebuilds it.
    pub fn rebuilt(&self, config: &Config) -> Result<ListenerSpec, Refused> {
        let stored = serde_json::to_string(&self.doc).unwrap_or_default();
        let doc: ListenerDoc = serde_json::from_str(&stored).map_err(|e| Refused {
            code: "unreadable",
            problems: vec![FieldProblem {
                field: "(stored)".into(),
                message: e.to_string(),
            }],
        })?;
        crate::admin::validation::check(&self.spec.id, &doc, config).map_err(|list| Refused {
            code: "invalid_request",
            problems: located(list),
        })
    }

    /// The document the management API keeps and shows (masked) for this listener.
    pub fn document(&self) -> serde_json::Value {
        serde_json::to_value(&self.doc).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
