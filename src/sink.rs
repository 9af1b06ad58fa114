//! `hookgate sink`: a receiver that prints deliveries (being written).
pub fn run(_args: crate::cli::SinkArgs) -> Result<(), String> {
    Err("sink is not built yet".into())
}
