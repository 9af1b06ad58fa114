//! `hookgate replay`: POST fixture files to a running gateway (being written).
pub fn run(_args: crate::cli::ReplayArgs) -> Result<(), String> {
    Err("replay is not built yet".into())
}
