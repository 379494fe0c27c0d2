//! The npm package: build and test (filled in by the npm-package work).

/// Builds the npm package into pkg/dist.
pub fn dist() -> Result<(), String> {
    Err("the npm package is not built yet".into())
}

/// Tests the npm package; nothing to test until it exists.
pub fn test() -> Result<(), String> {
    Ok(())
}
