//! Benchmarks (filled in by the benchmark work).

/// Runs the benchmarks.
pub fn run(_args: &[String]) -> Result<(), String> {
    Err("the benchmarks are not built yet".into())
}
