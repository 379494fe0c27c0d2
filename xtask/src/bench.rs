//! `cargo xtask bench [FILTER] [--markdown]`: the peer benchmark, govgate vs cedar-policy,
//! regorus (OPA/Rego) and cel (the `govgate-bench` crate). The benchmark run itself ends with
//! the `bench-report` table of medians, ratios and targets; `--markdown` prints that table as
//! Markdown (for BENCHMARKS.md). FILTER is criterion's (a regular expression over ids such as
//! `B3_first_match/govgate_keyed/50_last`).

use std::process::Command;

use crate::tools::{repo_root, step};

/// Runs the benchmarks.
pub fn run(args: &[String]) -> Result<(), String> {
    let markdown = args.iter().any(|a| a == "--markdown");
    let filter: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());

    // Only this crate depends on the peers; `--bench peers` keeps cargo from also building
    // the library and binary as benchmark harnesses.
    let mut bench_args = vec!["bench", "-p", "govgate-bench", "--bench", "peers"];
    if !filter.is_empty() {
        bench_args.push("--");
        bench_args.extend(filter);
    }
    step("peer benchmarks: govgate vs cedar-policy, regorus, cel (criterion)");
    println!("$ {cargo} {}", bench_args.join(" "));
    let mut command = Command::new(&cargo);
    command.args(&bench_args).current_dir(repo_root()?);
    if markdown {
        command.env("GOVGATE_BENCH_MARKDOWN", "1");
    }
    let status = command
        .status()
        .map_err(|e| format!("cannot run `{cargo}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{cargo} {}` failed ({status})",
            bench_args.join(" ")
        ))
    }
}
