//! The benchmark's baseline: a minimal hyper 1 server that reads each request body and answers
//! 200 with a small JSON body, so hookgate's ingest can be stated as a ratio of what bare hyper
//! does on the same machine, under the same load, in the same run.
//!
//! With `--relay URL` it also POSTs every body on to URL (a pooled hyper client, keep-alive)
//! and answers only after that answer came back: the least HTTP work a gateway that delivers
//! each webhook must do, with no storage at all. Its rate bounds what any relay can reach on
//! this machine.
//!
//! `cargo run --release --example bench_baseline -- --listen 127.0.0.1:0 [--relay URL]`
//! prints `listening on ADDR` on stdout, then serves until killed.

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, Uri};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;

#[derive(Parser)]
struct Args {
    /// Address to listen on; port 0 picks a free one (printed on stdout).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Forward every body to this URL before answering.
    #[arg(long)]
    relay: Option<Uri>,
}

type Relay = Option<(Client<HttpConnector, Full<Bytes>>, Uri)>;

/// About the size of hookgate's `accepted` answer, so both servers write similar responses.
const ANSWER: &[u8] =
    br#"{"status":"accepted","eventId":"00000000-0000-0000-0000-000000000000","deliveries":1}"#;

async fn answer(
    relay: &Relay,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the whole body as hookgate does; a server that ignored it would flatter the baseline.
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if let Some((client, uri)) = relay {
        let out = Request::post(uri.clone())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(Full::new(body))
            .expect("request");
        if let Ok(resp) = client.request(out).await {
            let _ = resp.into_body().collect().await;
        }
    }
    let mut resp = Response::new(Full::new(Bytes::from_static(ANSWER)));
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    // The same runtime shape as `hookgate serve`: multi-threaded, one worker per core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let relay: Relay = args.relay.map(|uri| {
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(256)
            .build(http);
        (client, uri)
    });
    let relay = std::sync::Arc::new(relay);
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        println!("listening on {}", listener.local_addr()?);
        std::io::stdout().flush()?;
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            // hookgate sets TCP_NODELAY too; without it small answers wait for Nagle.
            let _ = stream.set_nodelay(true);
            let relay = relay.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let relay = relay.clone();
                    async move { answer(&relay, req).await }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}
