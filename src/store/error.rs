//! Why the store could not do what was asked, in terms every backend shares.

/// Why the store could not do what was asked. Cloneable so one failed commit can answer many callers.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Too many writes are waiting; the caller should come back later.
    #[error("the store is busy: its write queue is full")]
    Full,
    /// The disk is full, read-only, or the writer (or the database server) is gone.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    #[error("not found")]
    NotFound,
    /// A statement failed for another reason (a bug or a damaged database, not a busy one).
    #[error("store error: {0}")]
    Sql(String),
}
