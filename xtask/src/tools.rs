//! Running commands and making sure the tools exist.

use std::path::PathBuf;
use std::process::Command;

/// Whether this is a CI run (`CI=true`): missing tools fail instead of being skipped.
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Prints a step header.
pub fn step(what: &str) {
    println!("\n==> {what}");
}

/// The workspace root (the parent of xtask/).
pub fn repo_root() -> Result<PathBuf, String> {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .map(PathBuf::from)
        .ok_or_else(|| "cannot find the workspace root".to_owned())
}

/// Runs `cargo ARGS` in the workspace root.
pub fn cargo(args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    run(&cargo, args, &[0])
}

/// Runs a program in the workspace root; any exit code outside `ok_codes` is an error.
pub fn run(program: &str, args: &[&str], ok_codes: &[i32]) -> Result<(), String> {
    let root = repo_root()?;
    println!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(&root)
        .status()
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    match status.code() {
        Some(code) if ok_codes.contains(&code) => Ok(()),
        Some(code) => Err(format!("`{program} {}` exited with {code}", args.join(" "))),
        None => Err(format!(
            "`{program} {}` was killed by a signal",
            args.join(" ")
        )),
    }
}

/// The first line a command prints to stdout, if it runs at all.
pub fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_owned()
    })
}

/// Installs the wasm32 target when missing.
pub fn ensure_wasm_target() -> Result<(), String> {
    let installed = output_of("rustup", &["target", "list", "--installed"]);
    let has = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-unknown-unknown"))
        .unwrap_or(false);
    if has {
        return Ok(());
    }
    if installed.is_none() && ci() {
        return Err("rustup is not available to install the wasm32-unknown-unknown target".into());
    }
    step("installing the wasm32-unknown-unknown target");
    run("rustup", &["target", "add", "wasm32-unknown-unknown"], &[0])
}
