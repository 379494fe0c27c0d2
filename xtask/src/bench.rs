//! `cargo xtask bench`: the peer benchmark (govgate vs cedar-policy, regorus, cel), then the
//! table of medians, ratios and targets.

use std::process::{Command, ExitCode};

/// One line for the usage text.
pub const ABOUT: &str =
    "run the govgate-bench criterion benchmarks, then print medians, ratios and targets";

/// Runs `cargo bench -p govgate-bench [-- FILTER]`, then the `bench-report` binary.
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
    if !status_ok(&mut bench) {
        return ExitCode::FAILURE;
    }

    // Same profile as `cargo bench`, so nothing the benchmarks built is compiled again.
    let mut report = Command::new(&cargo);
    report.args(["run", "--quiet", "--profile", "bench", "-p", "govgate-bench", "--bin", "bench-report"]);
    if markdown {
        report.args(["--", "--markdown"]);
    }
    if status_ok(&mut report) { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn status_ok(command: &mut Command) -> bool {
    eprintln!("xtask: running {command:?}");
    match command.status() {
        Ok(status) => status.success(),
        Err(e) => {
            eprintln!("xtask: cannot run cargo: {e}");
            false
        }
    }
}
