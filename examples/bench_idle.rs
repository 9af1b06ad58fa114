//! Opens N keep-alive connections to a server, makes one request on each (so the server has set
//! up everything a used connection holds), then leaves them idle, for measuring what idle
//! connections cost in server memory.
//!
//! `cargo run --release --example bench_idle -- --addr 127.0.0.1:8080 --connections 5000 --hold 3`
//! prints `open N` once all are idle, holds them for `--hold` seconds, then prints
//! `RESULT {"opened":N,"failed":F,"still_open":M}` (M counts those the server had not closed).

use clap::Parser;
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    addr: SocketAddr,
    #[arg(long, default_value_t = 1000)]
    connections: usize,
    /// The request path; GET, so nothing is stored and only the connection's cost is measured.
    #[arg(long, default_value = "/healthz")]
    path: String,
    /// Seconds to hold the connections idle after `open N` is printed.
    #[arg(long, default_value_t = 3.0)]
    hold: f64,
}

/// Connects, sends one GET, reads the whole answer; the connection stays open for reuse.
async fn open(addr: SocketAddr, path: &str) -> std::io::Result<TcpStream> {
    let mut s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return Ok(s);
            }
        }
        if buf.len() > 1 << 20 {
            return Err(std::io::Error::other("answer too large"));
        }
    }
}

fn main() -> Result<(), String> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let mut streams = Vec::with_capacity(args.connections);
        let mut failed = 0usize;
        // In batches, so the server's accept queue is never the thing being measured.
        let mut left = args.connections;
        while left > 0 {
            let batch = left.min(200);
            left -= batch;
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..batch {
                let path = args.path.clone();
                let addr = args.addr;
                set.spawn(async move {
                    tokio::time::timeout(Duration::from_secs(10), open(addr, &path)).await
                });
            }
            while let Some(r) = set.join_next().await {
                match r {
                    Ok(Ok(Ok(s))) => streams.push(s),
                    _ => failed += 1,
                }
            }
        }
        println!("open {}", streams.len());
        std::io::stdout().flush().map_err(|e| e.to_string())?;
        tokio::time::sleep(Duration::from_secs_f64(args.hold)).await;
        // A read that finds end-of-file means the server closed the idle connection.
        let mut still_open = 0usize;
        let mut byte = [0u8; 1];
        for s in &streams {
            match s.try_read(&mut byte) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => still_open += 1,
                _ => {}
            }
        }
        println!(
            "RESULT {}",
            serde_json::json!({"opened": streams.len(), "failed": failed, "still_open": still_open})
        );
        Ok(())
    })
}
