//! The benchmark's baseline: a minimal hyper 1 server that reads each request body and answers
//! 200 with a small JSON body, so hookgate's ingest can be stated as a ratio of what bare hyper
//! does on the same machine, under the same load, in the same run.
//!
//! `cargo run --release --example bench_baseline -- --listen 127.0.0.1:0`
//! prints `listening on ADDR` on stdout, then serves until killed.

use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;

#[derive(Parser)]
struct Args {
    /// Address to listen on; port 0 picks a free one (printed on stdout).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
}

/// About the size of hookgate's `accepted` answer, so both servers write similar responses.
const ANSWER: &[u8] =
    br#"{"status":"accepted","eventId":"00000000-0000-0000-0000-000000000000","deliveries":1}"#;

async fn answer(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the whole body as hookgate does; a server that ignored it would flatter the baseline.
    let _ = req.into_body().collect().await;
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
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), hyper::service::service_fn(answer))
                    .await;
            });
        }
    })
}
