//! `govgate test`: run policy tests, like `opa test`.
//!
//! Finds policies carrying a `tests:` section and `*_test.*` files. A test file runs against
//! the policy its `policy:` field names (relative to the test file), else the file of the
//! same name without `_test` beside it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use govgate_core::CompiledPolicy;
use govgate_core::policy::document::TestSuiteSpec;
use govgate_core::policy::load_test_suite;
use govgate_core::policy::testing::TestReport;
use govgate_core::source;
use serde::Serialize;

use crate::args::{Format, TestArgs};
use crate::exit::{self, Failure};
use crate::io;
use crate::style::{Style, clean};

/// A file found on the command line or under a directory.
struct Found {
    path: PathBuf,
    /// Named on the command line (a problem with it is always an error), rather than found in
    /// a directory (where non-policy YAML is skipped).
    explicit: bool,
}

/// Whether a path is a test file by its name (`*_test.yaml`, ...).
pub fn is_test_file(path: &Path) -> bool {
    path.file_stem()
        .is_some_and(|s| s.to_string_lossy().ends_with("_test"))
}

fn walk(dir: &Path, out: &mut Vec<Found>, errors: &mut Vec<String>) {
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    io::data_files_in(dir, &mut files, &mut unreadable);
    out.extend(files.into_iter().map(|path| Found {
        path,
        explicit: false,
    }));
    for (d, e) in unreadable {
        errors.push(format!(
            "error: cannot read the directory `{}`: {e}\n",
            io::display(&d)
        ));
    }
}

/// The policy a test file is for: its `policy:` field (relative to the test file), else the
/// file of the same name without `_test` beside it.
pub fn policy_for(test_path: &Path, named: Option<&str>) -> Result<PathBuf, String> {
    let dir = test_path.parent().unwrap_or(Path::new(""));
    if let Some(named) = named {
        let p = dir.join(named);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!(
                "the policy `{}` named by `policy:` does not exist",
                io::display(&p)
            ))
        };
    }
    let stem = test_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base = stem.strip_suffix("_test").unwrap_or(&stem);
    let own_ext = test_path
        .extension()
        .map(|e| e.to_string_lossy().into_owned());
    let mut tried = Vec::new();
    for ext in own_ext.iter().map(String::as_str).chain(io::EXTENSIONS) {
        let p = dir.join(format!("{base}.{ext}"));
        if p.is_file() {
            return Ok(p);
        }
        let shown = io::display(&p);
        if !tried.contains(&shown) {
            tried.push(shown);
        }
    }
    Err(format!(
        "cannot find its policy (looked for {}); name it with `policy:` in the test file",
        tried.join(", ")
    ))
}

/// Whether source text is a policy document (a map with a `govgate` key).
pub fn looks_like_policy(name: &str, text: &str) -> bool {
    let format = io::format_of(name, text);
    match source::parse(name, text, format) {
        // Any document with a top-level `govgate` key: a file holding more than one is a
        // policy file with a mistake in it, reported when it is loaded.
        Ok(docs) => docs.iter().any(|d| d.value.get("govgate").is_some()),
        // A file that does not even parse is reported when it claims to be a policy: a
        // `govgate` key in any quoting, YAML (`govgate:`) or TOML (`govgate =`).
        Err(_) => text.lines().any(claims_policy),
    }
}

/// Whether a line starts with a `govgate` key: `govgate:`, `'govgate':`, `"govgate" =`, ...
fn claims_policy(line: &str) -> bool {
    let l = line.trim_start();
    let l = l.strip_prefix(['"', '\'']).unwrap_or(l);
    let Some(rest) = l.strip_prefix("govgate") else {
        return false;
    };
    let rest = rest.strip_prefix(['"', '\'']).unwrap_or(rest).trim_start();
    rest.starts_with(':') || rest.starts_with('=')
}

/// One suite run.
#[derive(Serialize)]
struct Suite {
    /// Where the tests are: the test file, or the policy itself.
    file: String,
    policy_file: String,
    passed: bool,
    report: TestReport,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    passed: usize,
    failed: usize,
    total: usize,
    suites: &'a [Suite],
    errors: &'a [String],
}

#[derive(Default)]
struct Policies {
    cache: HashMap<PathBuf, Option<CompiledPolicy>>,
}

impl Policies {
    /// Compiles a policy once; errors are reported the first time only.
    fn get(&mut self, path: &Path, errors: &mut Vec<String>) -> Option<CompiledPolicy> {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(p) = self.cache.get(&key) {
            return p.clone();
        }
        let compiled = match io::load_policy(path) {
            Ok(p) => Some(p),
            Err(f) => {
                errors.push(f.message);
                None
            }
        };
        self.cache.insert(key, compiled.clone());
        compiled
    }
}

pub fn run(args: &TestArgs, style: Style) -> Result<u8, Failure> {
    let mut errors: Vec<String> = Vec::new();
    let mut found = Vec::new();
    for p in &args.paths {
        if p.is_dir() {
            walk(p, &mut found, &mut errors);
        } else if p.is_file() {
            found.push(Found {
                path: p.clone(),
                explicit: true,
            });
        } else {
            errors.push(format!("error: `{}` does not exist\n", io::display(p)));
        }
    }

    let mut policies = Policies::default();
    let mut suites: Vec<Suite> = Vec::new();
    let mut run_suite = |file: String,
                         policy_file: &Path,
                         policy: &CompiledPolicy,
                         suite: &TestSuiteSpec,
                         errors: &mut Vec<String>| {
        match policy.run_tests(suite) {
            Ok(report) => suites.push(Suite {
                file,
                policy_file: io::display(policy_file),
                passed: report.passed(),
                report,
            }),
            Err(d) => errors.push(Failure::diagnostics(&d).message),
        }
    };
    for f in &found {
        let name = io::display(&f.path);
        if is_test_file(&f.path) {
            let text = match io::read_text(&f.path) {
                Ok(t) => t,
                Err(e) => {
                    errors.push(e.message);
                    continue;
                }
            };
            let suite = match load_test_suite(&name, &text) {
                Ok(s) => s,
                Err(d) => {
                    errors.push(Failure::diagnostics(&d).message);
                    continue;
                }
            };
            let policy_path = match policy_for(&f.path, suite.policy.as_deref()) {
                Ok(p) => p,
                Err(why) => {
                    errors.push(format!("error: test file `{name}`: {why}\n"));
                    continue;
                }
            };
            if let Some(policy) = policies.get(&policy_path, &mut errors) {
                run_suite(name, &policy_path, &policy, &suite, &mut errors);
            }
        } else {
            if !f.explicit {
                // Decoded leniently: a policy that is not quite UTF-8 is still found, and
                // loading it then says where the bad byte is.
                let Ok(bytes) = std::fs::read(&f.path) else {
                    continue;
                };
                if !looks_like_policy(&name, &String::from_utf8_lossy(&bytes)) {
                    continue;
                }
            }
            let Some(policy) = policies.get(&f.path, &mut errors) else {
                continue;
            };
            if let Some(suite) = crate::io::document_of(&policy).tests.clone() {
                run_suite(name, &f.path, &policy, &suite, &mut errors);
            }
        }
    }

    let total: usize = suites
        .iter()
        .map(|s| s.report.cases.len() + s.report.invariants.len())
        .sum();
    let passed: usize = suites
        .iter()
        .map(|s| {
            s.report.cases.iter().filter(|c| c.passed).count()
                + s.report
                    .invariants
                    .iter()
                    .filter(|i| i.violations.is_empty())
                    .count()
        })
        .sum();
    if suites.is_empty() && errors.is_empty() {
        let where_ = args
            .paths
            .iter()
            .map(|p| format!("`{}`", io::display(p)))
            .collect::<Vec<_>>()
            .join(", ");
        errors.push(format!(
            "error: no policy tests found in {where_}\n  = help: add a `tests:` section to a policy, or a `<policy>_test.yaml` file beside it\n"
        ));
    } else if total == 0 && errors.is_empty() {
        // Suites with no case and no invariant test nothing: like no tests at all, not a pass.
        let files = suites
            .iter()
            .map(|s| format!("`{}`", s.file))
            .collect::<Vec<_>>()
            .join(", ");
        errors.push(format!(
            "error: no test cases found: {files} hold no cases or invariants\n  = help: add a case under `cases:`\n"
        ));
    }

    match args.format {
        Format::Json => {
            let report = JsonReport {
                passed,
                failed: total - passed,
                total,
                suites: &suites,
                errors: &errors,
            };
            let json = serde_json::to_string_pretty(&report)
                .map_err(|e| Failure::error(format!("cannot write the report as JSON: {e}")))?;
            io::print(&format!("{json}\n"));
        }
        Format::Text => io::print(&text(
            &suites,
            args.verbose,
            passed,
            total,
            errors.len(),
            style,
        )),
    }
    for e in &errors {
        io::eprint(e);
    }

    Ok(if !errors.is_empty() {
        exit::ERROR
    } else if passed < total {
        exit::DENIED
    } else {
        exit::OK
    })
}

fn text(
    suites: &[Suite],
    verbose: bool,
    passed: usize,
    total: usize,
    errors: usize,
    style: Style,
) -> String {
    let mut out = String::new();
    for s in suites {
        let r = &s.report;
        let n = r.cases.len() + r.invariants.len();
        let ok = r.cases.iter().filter(|c| c.passed).count()
            + r.invariants
                .iter()
                .filter(|i| i.violations.is_empty())
                .count();
        let badge = if s.passed {
            style.green("ok")
        } else {
            style.red("FAILED")
        };
        out.push_str(&format!(
            "{} ({}): {ok}/{n} {badge}\n",
            style.bold(&s.file),
            r.policy
        ));
        for c in &r.cases {
            if c.passed {
                if verbose {
                    out.push_str(&format!("  {}  {}\n", style.green("PASS"), c.name));
                }
                continue;
            }
            out.push_str(&format!("  {}  {}\n", style.red("FAIL"), c.name));
            for m in &c.mismatches {
                out.push_str(&format!(
                    "        {}: expected {}, got {}\n",
                    m.field,
                    clean(&m.expected),
                    clean(&m.actual)
                ));
            }
            if !c.decision.errors.is_empty() {
                out.push_str(&format!(
                    "        (evaluation errors: {})\n",
                    clean(&c.decision.errors.join("; "))
                ));
            }
        }
        for inv in &r.invariants {
            let checked = format!(
                "checked on {} decision{}",
                inv.checked,
                if inv.checked == 1 { "" } else { "s" }
            );
            if inv.violations.is_empty() {
                out.push_str(&format!(
                    "  {}  invariant `{}` ({checked})\n",
                    style.green("PASS"),
                    inv.name
                ));
                continue;
            }
            let n = inv.violations.len();
            out.push_str(&format!(
                "  {}  invariant `{}` ({checked}; {n}{} violation{})\n",
                style.red("FAIL"),
                inv.name,
                if n >= 10 { " or more" } else { "" },
                if n == 1 { "" } else { "s" }
            ));
            for v in &inv.violations {
                let variant = if v.variant.is_empty() {
                    String::new()
                } else {
                    format!(" with {}", v.variant.join(", "))
                };
                out.push_str(&format!(
                    "        case `{}`{variant}: {}\n",
                    v.case, v.detail
                ));
            }
        }
        if !r.uncovered.is_empty() {
            out.push_str(&format!(
                "  {} {}\n",
                style.yellow("not covered by any case:"),
                r.uncovered.join(", ")
            ));
        }
        out.push('\n');
    }
    out.push_str(&"-".repeat(60));
    out.push('\n');
    let pass = format!("PASS: {passed}/{total}");
    out.push_str(&if passed == total && errors == 0 {
        style.green(&pass)
    } else {
        pass
    });
    out.push('\n');
    if passed < total {
        out.push_str(&style.red(&format!("FAIL: {}/{total}", total - passed)));
        out.push('\n');
    }
    if errors > 0 {
        let s = if errors == 1 { "" } else { "s" };
        out.push_str(&style.red(&format!(
            "ERROR: {errors} problem{s} kept tests from running (see standard error)"
        )));
        out.push('\n');
    }
    out
}
