//! `cargo xtask run | test | bench | dist pkg`: the project's two commands and their helpers.
//!
//! Every step prints what it runs. With `CI=true`, a missing tool that cannot be installed
//! is a failure, never a skip.

mod bench;
mod pkg;
mod tools;
mod wasm_size;

use std::process::ExitCode;

use tools::{cargo, repo_root, run, step};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run_main(),
        Some("test") => test_all(),
        Some(_) if pkg::handles(&args) => pkg::run(&args),
        Some("bench") => bench::run(args.get(1..).unwrap_or(&[])),
        Some("dist") if args.get(1).map(String::as_str) == Some("pkg") => pkg::dist(),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  run        build govgate and show decisions on the bundled examples\n  test       every test: Rust, wasm build, clippy, policy tests, npm package\n  bench      peer benchmarks (criterion) and the npm package budgets\n  dist pkg   build the npm package into pkg/dist\n  test-pkg   only the npm package's tests\n  bench pkg  the npm package's budgets, beside cedar-wasm ([--markdown])\n  size pkg   what takes the space in the npm package's two wasm modules, full and scorer ([--top N])"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The main job. For now: build the CLI and show it deciding on the bundled examples.
fn run_main() -> Result<(), String> {
    let root = repo_root()?;
    step("building govgate (release)");
    cargo(&["build", "--release", "-p", "govgate-cli"])?;
    let govgate = root.join("target/release/govgate");
    let bin = govgate.to_string_lossy().to_string();
    step("a live-trading switch proposed by an agent (examples/actions/live-switch.json)");
    // Exit code 3 means "approval required": that is the point of the example, not a failure.
    run(
        &bin,
        &[
            "eval",
            "--policy",
            "examples/policies/agent-trading.yaml",
            "--input",
            "examples/actions/live-switch.json",
        ],
        &[0, 3],
    )?;
    step("model manifests checked like conftest (examples/manifests)");
    run(
        &bin,
        &[
            "check",
            "--policy",
            "examples/policies/model-deployment.yaml",
            "examples/manifests/valid-model.yaml",
            "examples/manifests/low-accuracy.yaml",
        ],
        &[0, 4],
    )?;
    step("the reference policies' own tests");
    run(&bin, &["test", "examples/policies"], &[0])?;
    Ok(())
}

/// Every test.
fn test_all() -> Result<(), String> {
    tools::ensure_wasm_target()?;
    type Stage = (&'static str, fn() -> Result<(), String>);
    let stages: [Stage; 5] = [
        ("unit, integration, property and CLI tests", || {
            cargo(&[
                "test",
                "--workspace",
                "--exclude",
                "govgate-bench",
                "--exclude",
                "govgate-wasm",
            ])
        }),
        (
            "rustfmt and clippy (core: no unwrap/expect/indexing/panic)",
            || {
                cargo(&["fmt", "--all", "--check"])?;
                cargo(&[
                    "clippy",
                    "--workspace",
                    "--exclude",
                    "govgate-bench",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ])
            },
        ),
        ("core compiles for wasm32-unknown-unknown", || {
            cargo(&[
                "build",
                "-p",
                "govgate-core",
                "--target",
                "wasm32-unknown-unknown",
            ])?;
            cargo(&[
                "build",
                "-p",
                "govgate-core",
                "--target",
                "wasm32-unknown-unknown",
                "--no-default-features",
            ])
        }),
        ("the reference policies' tests through the CLI", || {
            cargo(&[
                "run",
                "--quiet",
                "-p",
                "govgate-cli",
                "--",
                "test",
                "examples/policies",
            ])
        }),
        ("the npm package", pkg::test),
    ];
    let mut passed = 0;
    for (name, run) in stages {
        step(name);
        if let Err(e) = run() {
            println!("\nxtask: `{name}` failed: {e}");
            println!("stages: {passed} passed, 1 failed");
            return Err(format!("`{name}` failed"));
        }
        passed += 1;
    }
    println!("\nxtask: every test passed");
    println!("stages: {passed} passed, 0 failed");
    Ok(())
}
