//! `cargo xtask bench`: the peer benchmark (govgate vs cedar-policy, regorus, cel). The
//! benchmark run ends with the `bench-report` table of medians, ratios and targets.

use std::process::{Command, ExitCode};

/// One line for the usage text.
pub const ABOUT: &str = "run the govgate-bench criterion benchmarks (govgate vs cedar-policy, \
                         regorus, cel) and print medians, ratios and targets";

/// Runs `cargo bench -p govgate-bench --bench peers [-- FILTER]`; `--markdown` makes the final
/// report Markdown (for BENCHMARKS.md).
pub fn run(args: &[String]) -> ExitCode {
    let markdown = args.iter().any(|a| a == "--markdown");
    let filter: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());

    let mut bench = Command::new(&cargo);
    bench.args(["bench", "-p", "govgate-bench", "--bench", "peers"]);
    if !filter.is_empty() {
        bench.arg("--");
        bench.args(filter);
    }
    if markdown {
        bench.env("GOVGATE_BENCH_MARKDOWN", "1");
    }
    eprintln!("xtask: running {bench:?}");
    match bench.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}
