//! Reading a request body within a size limit and a time limit, while it streams.

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use std::fmt::Display;
use std::time::Duration;

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    TooLarge,
    TimedOut,
    Broken(String),
}

/// Reads the whole body, stopping as soon as it passes `limit` bytes: a large
/// upload is refused without being buffered. Any body type: hyper's on the socket, an in-memory
/// one in the fuzz targets.
pub async fn read_limited<B>(body: B, limit: u64, timeout: Duration) -> Result<Bytes, BodyError>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: Display,
{
    match tokio::time::timeout(timeout, collect(body, limit)).await {
        Ok(result) => result,
        Err(_) => Err(BodyError::TimedOut),
    }
}

async fn collect<B>(mut body: B, limit: u64) -> Result<Bytes, BodyError>
where
    B: hyper::body::Body<Data = Bytes> + Unpin,
    B::Error: Display,
{
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Broken(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if (buf.len() + data.len()) as u64 > limit {
                return Err(BodyError::TooLarge);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}
