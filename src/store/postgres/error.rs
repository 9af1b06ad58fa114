//! PostgreSQL errors in the terms every backend shares: a server that cannot be reached (or is
//! shutting down, out of connections, read-only) is `Unavailable`; anything else is `Sql`.

use crate::store::StoreError;
use deadpool_postgres::PoolError;

/// SQLSTATE classes and codes that mean "the server cannot take this now", not "this is wrong".
fn unavailable_code(code: &str) -> bool {
    // 08: connection exception; 53: insufficient resources; 57P0x: shutdown, cannot connect
    // now; 25006: read-only transaction (a standby); 58: system error (I/O).
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P")
        || code.starts_with("58")
        || code == "25006"
}

/// Maps a driver error.
pub fn pg_error(e: tokio_postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) if unavailable_code(db.code().code()) => StoreError::Unavailable(db.to_string()),
        Some(db) => StoreError::Sql(format!("{}: {}", db.code().code(), db.message())),
        // No answer from the server at all: the connection is closed, refused or timed out.
        None if e.is_closed() || is_io(&e) => {
            StoreError::Unavailable(format!("the database cannot be reached: {e}"))
        }
        None => StoreError::Sql(e.to_string()),
    }
}

/// Whether the error came from the socket (refused, reset, timed out) rather than from what
/// was sent.
fn is_io(e: &tokio_postgres::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.is::<std::io::Error>() {
            return true;
        }
        source = s.source();
    }
    // A connect timeout carries no source.
    e.to_string().contains("timeout")
}

/// Maps a pool error: every one of them means no connection could be had.
pub fn pool_error(e: PoolError) -> StoreError {
    match e {
        PoolError::Backend(e) => match pg_error(e) {
            StoreError::Sql(m) => StoreError::Unavailable(m),
            other => other,
        },
        other => StoreError::Unavailable(format!("the database cannot be reached: {other}")),
    }
}

/// Whether a failed batch is worth running again at once (two transactions waited on each
/// other, or a serialization failure): the work is the same and will go through.
pub fn is_retryable(e: &tokio_postgres::Error) -> bool {
    e.as_db_error()
        .is_some_and(|db| matches!(db.code().code(), "40P01" | "40001"))
}
