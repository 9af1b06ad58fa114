//! What one instance tells the others through a shared store.

/// A change made by another instance that this one must act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterNotice {
    /// An API listener was created, changed or deleted: build the API listeners again.
    /// Also sent after the listening connection was lost and is back, since a change may have
    /// gone unseen meanwhile.
    ListenersChanged,
    /// Deliveries were left for any instance to take: look for due deliveries now.
    DeliveriesDue,
}
