//! `govgate validate`: compile policies and parse test files, reporting every problem.

use std::path::{Path, PathBuf};

use govgate_core::CompiledPolicy;
use govgate_core::policy::load_test_suite;

use crate::args::ValidateArgs;
use crate::check::{is_policy_file, is_policy_name};
use crate::exit::{self, Failure};
use crate::io;
use crate::style::Style;
use crate::test::{is_test_file, policy_for};

/// The files a directory argument stands for: its policies and test files (not recursive).
fn files_in(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Failure::error(format!(
            "cannot read the directory `{}`: {e}",
            io::display(dir)
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && ((is_policy_name(p) && is_policy_file(p))
                    || (is_test_file(p) && !p.to_string_lossy().contains("/.")))
        })
        .collect();
    files.sort();
    Ok(files)
}

fn validate_one(path: &Path, style: Style) -> Result<String, Failure> {
    let name = io::display(path);
    let text = io::read_text(path)?;
    if is_test_file(path) {
        let suite = load_test_suite(&name, &text)?;
        let policy = policy_for(path, suite.policy.as_deref())
            .map_err(|why| Failure::error(format!("test file `{name}`: {why}")))?;
        return Ok(format!(
            "{} {name} (tests for {}: {} cases, {} invariants)\n",
            style.green("ok:"),
            io::display(&policy),
            suite.cases.len(),
            suite.invariants.len()
        ));
    }
    let policy = CompiledPolicy::compile_str(&name, &text)?;
    let tests = crate::io::document_of(&policy)
        .tests
        .as_ref()
        .map(|t| {
            format!(
                ", {} cases, {} invariants",
                t.cases.len(),
                t.invariants.len()
            )
        })
        .unwrap_or_default();
    Ok(format!(
        "{} {name} ({}, digest {}{tests})\n",
        style.green("ok:"),
        policy.name(),
        policy.digest().get(..12).unwrap_or(policy.digest())
    ))
}

pub fn run(args: &ValidateArgs, style: Style) -> Result<u8, Failure> {
    let mut files = Vec::new();
    let mut errors = 0usize;
    for p in &args.files {
        if p.is_dir() {
            match files_in(p) {
                Ok(mut f) if !f.is_empty() => files.append(&mut f),
                Ok(_) => {
                    io::eprint(&format!(
                        "error: no policy or test files in `{}`\n",
                        io::display(p)
                    ));
                    errors += 1;
                }
                Err(f) => {
                    io::eprint(&f.message);
                    errors += 1;
                }
            }
        } else {
            files.push(p.clone());
        }
    }
    for f in &files {
        match validate_one(f, style) {
            Ok(line) => io::print(&line),
            Err(failure) => {
                io::eprint(&failure.message);
                errors += 1;
            }
        }
    }
    if errors > 0 {
        let s = if errors == 1 { "" } else { "s" };
        io::eprint(&format!("\nerror: {errors} file{s} did not validate\n"));
        return Ok(exit::ERROR);
    }
    Ok(exit::OK)
}
