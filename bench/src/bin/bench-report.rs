//! Prints the medians and ratios of the last `cargo bench -p govgate-bench` run.
//!
//! Usage: `bench-report [--markdown] [CRITERION_DIR]` (default: the workspace's
//! `target/criterion`, or `$CARGO_TARGET_DIR/criterion`).

use std::path::PathBuf;
use std::process::ExitCode;

use govgate_bench::report;

fn main() -> ExitCode {
    let mut markdown = false;
    let mut dir = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--markdown" => markdown = true,
            "-h" | "--help" => {
                println!("usage: bench-report [--markdown] [CRITERION_DIR]");
                return ExitCode::SUCCESS;
            }
            other => dir = Some(PathBuf::from(other)),
        }
    }
    let dir = dir.unwrap_or_else(report::default_dir);
    match report::collect(&dir) {
        Ok(estimates) if estimates.is_empty() => {
            eprintln!(
                "no criterion estimates under `{}`: run `cargo bench -p govgate-bench` first",
                dir.display()
            );
            ExitCode::FAILURE
        }
        Ok(estimates) => {
            print!("{}", report::render(&estimates, markdown));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
