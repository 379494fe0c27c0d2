//! `govgate check`: manifests against deny/warn rules, like conftest.
//!
//! Every document of every file is evaluated under every policy. Unwaived deny messages are
//! failures, warn messages warnings, waived denies exceptions. A policy that also decides by
//! rules, factors or bands contributes its outcome: `block` is a failure, `approval` is
//! reported as such (exit 3 when nothing failed).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use govgate_core::decision::ExceptionStatus;
use govgate_core::{
    Action, CompiledPolicy, Decision, Diagnostic, Diagnostics, EvalContext, Map, Mode, Outcome, Str,
};
use serde::Serialize;

use crate::args::{CheckArgs, CheckOutput};
use crate::exit::{self, Failure};
use crate::io;
use crate::style::{Style, clean};

/// A policy and the file it came from.
struct Loaded {
    file: String,
    policy: CompiledPolicy,
    params: Map,
}

/// One message in a result.
#[derive(Clone, Debug, Serialize)]
struct Item {
    rule: String,
    msg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    /// The line of the document the finding is about: the first field its rule reads that
    /// the document has (or, for a field it lacks, the nearest part it has).
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
}

/// The line a deny/warn finding is about in `doc`: the first `input` field its rule reads
/// that the document has; failing that, the deepest part of the first one it has (the map a
/// required field is missing from). `None` when the rule reads nothing the document has.
fn finding_line(policy: &CompiledPolicy, rule: &str, doc: &io::Doc) -> Option<u32> {
    use govgate_core::source::PathSeg;
    let paths: Vec<Vec<PathSeg>> = policy
        .message_rule_reads(rule)
        .iter()
        .map(|p| p.iter().map(|k| PathSeg::Key(k.clone())).collect())
        .collect();
    for at in &paths {
        let (depth, value) = io::present(&doc.value, at);
        if depth == at.len() {
            // A list or map (an `each` rule's collection): its key's line, since which of its
            // items a finding is about is not known here.
            let loc = match value {
                govgate_core::Value::List(_) | govgate_core::Value::Map(_) => doc
                    .spans
                    .key_location(at)
                    .or_else(|| doc.spans.value_location(at)),
                _ => doc.spans.value_location(at),
            };
            return loc.map(|l| l.line);
        }
    }
    let first = paths.first()?;
    let prefix = first.get(..io::present(&doc.value, first).0)?;
    if prefix.is_empty() {
        return None;
    }
    doc.spans
        .key_location(prefix)
        .or_else(|| doc.spans.value_location(prefix))
        .map(|l| l.line)
}

/// One document under one policy.
#[derive(Debug, Serialize)]
struct CheckResult {
    filename: String,
    /// The document's index in a multi-document file (absent for a one-document file).
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    policy: String,
    policy_file: String,
    outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<String>,
    successes: usize,
    failures: Vec<Item>,
    warnings: Vec<Item>,
    exceptions: Vec<Item>,
    approvals: Vec<Item>,
    errors: Vec<String>,
    notes: Vec<String>,
    /// Findings of a `mode: shadow` policy (reported in `notes`; they do not fail the run).
    #[serde(skip_serializing_if = "is_zero")]
    shadowed: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl CheckResult {
    /// `file` or `file[i]`.
    fn target(&self) -> String {
        match self.document {
            Some(i) => format!("{}[{i}]", self.filename),
            None => self.filename.clone(),
        }
    }
    fn tests(&self) -> usize {
        self.successes
            + self.failures.len()
            + self.warnings.len()
            + self.exceptions.len()
            + self.approvals.len()
            + self.errors.len()
            + self.shadowed
    }
}

#[derive(Default)]
struct Totals {
    tests: usize,
    passed: usize,
    warnings: usize,
    failures: usize,
    exceptions: usize,
    approvals: usize,
    errors: usize,
    shadowed: usize,
}

fn totals(results: &[CheckResult], file_errors: usize) -> Totals {
    let mut t = Totals {
        errors: file_errors,
        ..Totals::default()
    };
    for r in results {
        t.tests += r.tests();
        t.passed += r.successes;
        t.warnings += r.warnings.len();
        t.failures += r.failures.len();
        t.exceptions += r.exceptions.len();
        t.approvals += r.approvals.len();
        t.errors += r.errors.len();
        t.shadowed += r.shadowed;
    }
    t
}

fn summary(t: &Totals) -> String {
    let mut s = format!(
        "{} tests, {} passed, {} warnings, {} failures, {} exceptions",
        t.tests, t.passed, t.warnings, t.failures, t.exceptions
    );
    if t.approvals > 0 {
        s.push_str(&format!(", {} approvals required", t.approvals));
    }
    if t.errors > 0 {
        s.push_str(&format!(", {} errors", t.errors));
    }
    if t.shadowed > 0 {
        s.push_str(&format!(", {} shadow findings", t.shadowed));
    }
    s
}

/// The policy files a `--policy` argument names: the file, or a directory's policies.
fn policy_files(path: &Path) -> Result<Vec<PathBuf>, Failure> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| {
        Failure::error(format!(
            "cannot read the directory `{}`: {e}",
            io::display(path)
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && is_policy_name(p))
        .collect();
    files.sort();
    // Other data files beside the policies (a `govgate.schema.json`, a `package.json`) are
    // not policies: skip them, saying so.
    files.retain(|p| is_policy_file(p));
    if files.is_empty() {
        return Err(Failure::error(format!(
            "no policies in `{}` (looked for *.yaml, *.yml, *.json, *.toml, not *_test.*)",
            io::display(path)
        )));
    }
    Ok(files)
}

/// Whether a file found in a directory is a policy: one with a top-level `govgate:` key (or
/// an unreadable or unparsable one that claims to be, so its error is reported). Says on
/// standard error when it skips one.
pub fn is_policy_file(path: &Path) -> bool {
    let name = io::display(path);
    // In a directory given as the policies, a file that does not parse is loaded (and so
    // reported): it may be a policy with a syntax error, and skipping it would let the run pass.
    let is_policy = match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let parses = govgate_core::source::parse(&name, &text, io::format_of(&name, &text));
            parses.is_err() || crate::test::looks_like_policy(&name, &text)
        }
        Err(_) => true,
    };
    if !is_policy {
        io::eprint(&format!(
            "note: skipping `{name}`: not a policy (no top-level `govgate:` key)\n"
        ));
    }
    is_policy
}

/// A policy-looking file name: a known extension and not a test file.
pub fn is_policy_name(path: &Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let known = matches!(ext.as_deref(), Some("yaml" | "yml" | "json" | "toml"));
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let hidden = stem.starts_with('.');
    known && !hidden && !stem.ends_with("_test")
}

/// The manifests in a directory, like conftest: its data files (see [`io::data_files_in`]);
/// a directory that cannot be read is reported when it is read, like a file.
fn manifests_in(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut unreadable = Vec::new();
    io::data_files_in(dir, out, &mut unreadable);
    out.extend(unreadable.into_iter().map(|(d, _)| d));
}

/// Splits `--param` values among the policies that declare them; a name no policy declares,
/// or a value of the wrong type, is a usage error.
fn assign_params(policies: &mut [Loaded], params: &Map) -> Result<(), Failure> {
    for (name, value) in params {
        let one = Map::from([(name.clone(), value.clone())]);
        let declaring: Vec<usize> = policies
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                crate::io::document_of(&l.policy)
                    .parameters
                    .contains_key(&**name)
            })
            .map(|(i, _)| i)
            .collect();
        if declaring.is_empty() {
            // Let the first policy word the error (with its did-you-mean).
            if let Some(first) = policies.first() {
                io::check_params(&first.policy, &one)?;
            }
            return Err(Failure::usage(format!(
                "--param: unknown parameter `{name}`"
            )));
        }
        for i in declaring {
            if let Some(l) = policies.get_mut(i) {
                io::check_params(&l.policy, &one)?;
                l.params.insert(Str::from(&**name), value.clone());
            }
        }
    }
    Ok(())
}

/// What one decision says, sorted for reporting.
struct Judged {
    failures: Vec<Item>,
    warnings: Vec<Item>,
    exceptions: Vec<Item>,
    approvals: Vec<Item>,
    errors: Vec<String>,
    notes: Vec<String>,
    successes: usize,
    shadowed: usize,
}

/// Judges one decision.
fn judge(d: &Decision, policy: &CompiledPolicy, doc: &io::Doc) -> Judged {
    let mut failures = Vec::new();
    let mut exceptions = Vec::new();
    let mut approvals = Vec::new();
    let mut notes = Vec::new();
    for m in &d.deny {
        let item = Item {
            rule: m.rule.to_string(),
            msg: m.message.clone(),
            detail: None,
            line: finding_line(policy, &m.rule, doc),
        };
        if m.waived {
            let detail = d
                .exceptions
                .iter()
                .find(|e| e.rule == m.rule && e.status == ExceptionStatus::Applied)
                .map(|e| {
                    format!(
                        "waived: {} (approved by {}, expires {}, from {})",
                        e.reason, e.approver, e.expires, e.source
                    )
                });
            exceptions.push(Item { detail, ..item });
        } else {
            failures.push(item);
        }
    }
    let warnings: Vec<Item> = d
        .warn
        .iter()
        .map(|m| Item {
            rule: m.rule.to_string(),
            msg: m.message.clone(),
            detail: None,
            line: finding_line(policy, &m.rule, doc),
        })
        .collect();
    for e in &d.exceptions {
        let status = match e.status {
            ExceptionStatus::Applied => continue,
            ExceptionStatus::Expired => "expired",
            ExceptionStatus::Invalid => "is invalid",
        };
        let note = e
            .note
            .as_deref()
            .map(|n| format!(": {n}"))
            .unwrap_or_default();
        notes.push(format!(
            "the exception for `{}` (from {}, expires {}) {status} and did not apply{note}",
            e.rule, e.source, e.expires
        ));
    }
    // The outcome of rules, factors and bands, when no deny already explains it.
    // In shadow mode the effective outcome is always auto; what the policy decided is the
    // would-be outcome, reported below as a shadow finding.
    let decided = d.shadow_outcome.unwrap_or(d.outcome);
    if d.errors.is_empty() && failures.is_empty() && decided != Outcome::Auto {
        let rule = d
            .rule
            .as_ref()
            .and_then(|r| r.id.as_ref().map(|id| id.to_string()))
            .or_else(|| d.triggers.first().map(|t| format!("trigger:{}", t.id)))
            .or_else(|| d.band.as_ref().map(|b| format!("band:{b}")))
            .unwrap_or_else(|| "outcome".into());
        let why = d
            .rule
            .as_ref()
            .and_then(|r| r.message.clone())
            .or_else(|| d.reasons.first().cloned())
            .unwrap_or_default();
        let verdict = d
            .verdict
            .as_deref()
            .map(|v| format!("verdict {v}"))
            .unwrap_or_else(|| format!("outcome {}", decided.as_str()));
        let msg = if why.is_empty() {
            verdict
        } else {
            format!("{verdict}: {why}")
        };
        let detail = d
            .approval
            .as_ref()
            .map(|a| format!("approval by {} (quorum {})", a.role, a.quorum));
        let item = Item {
            rule,
            msg,
            detail,
            line: None,
        };
        match decided {
            Outcome::Block => failures.push(item),
            _ => approvals.push(item),
        }
    }
    // Successes: deny/warn rules that said nothing, and the decision itself when it is one.
    // A rule whose evaluation failed said nothing too, but did not pass: core words its
    // errors "rule `id`: ..." (or "rule `id` each: ...").
    let doc = crate::io::document_of(policy);
    let fired = |id: &str| d.deny.iter().chain(d.warn.iter()).any(|m| &*m.rule == id);
    let errored = |id: &str| {
        let prefix = format!("rule `{id}`");
        d.errors.iter().any(|e| e.starts_with(&prefix))
    };
    let mut successes = doc
        .deny
        .iter()
        .chain(doc.warn.iter())
        .filter(|r| !fired(&r.id) && !errored(&r.id))
        .count();
    let decides = !doc.rules.is_empty()
        || doc.default_verdict.is_some()
        || !doc.bands.is_empty()
        || !doc.factors.is_empty();
    if decides && decided == Outcome::Auto && d.errors.is_empty() {
        successes += 1;
    }
    // Shadow mode: the policy is being tried out, so what it would deny, hold for approval
    // or warn about is reported as notes and counted as shadow findings (tests that neither
    // passed nor fail the run), as `eval` makes the effective outcome auto. Errors still fail.
    let mut shadowed = 0;
    let mut warnings = warnings;
    if d.mode == Mode::Shadow {
        for (would, items) in [
            ("would fail", std::mem::take(&mut failures)),
            ("would need approval", std::mem::take(&mut approvals)),
            ("would warn", std::mem::take(&mut warnings)),
        ] {
            for i in items {
                shadowed += 1;
                let detail = i.detail.map(|x| format!(" ({x})")).unwrap_or_default();
                notes.push(format!(
                    "shadow mode, {would}: {}: {}{detail}",
                    i.rule, i.msg
                ));
            }
        }
    }
    Judged {
        failures,
        warnings,
        exceptions,
        approvals,
        errors: d.errors.clone(),
        notes,
        successes,
        shadowed,
    }
}

/// The first message of a rendered error and the line it points at:
/// `error: invalid yaml ...` / `  --> file:3:7` becomes (`invalid yaml ... (file:3:7)`, 3).
fn summarize(rendered: &str) -> (String, Option<u32>) {
    let mut lines = rendered.lines();
    let first = lines.next().unwrap_or_default();
    let msg = first.strip_prefix("error: ").unwrap_or(first).to_owned();
    let place = lines
        .next()
        .and_then(|l| l.trim_start().strip_prefix("--> "));
    match place {
        Some(place) => {
            let place = place.split(" (").next().unwrap_or(place);
            let line = place.rsplit(':').nth(1).and_then(|n| n.parse().ok());
            (format!("{msg} ({place})"), line)
        }
        None => (msg, None),
    }
}

/// A file with no document (empty, or only comments) checks nothing: an error, so that a
/// manifest a failed generator left empty never passes.
fn no_documents<T>(name: &str, docs: Vec<T>) -> Result<Vec<T>, Failure> {
    if docs.is_empty() {
        return Err(Failure::diagnostics(&Diagnostics(vec![
            Diagnostic::new(
                name,
                "the file holds no document; there is nothing to check",
            )
            .with_help("pass JSON or YAML manifests"),
        ])));
    }
    Ok(docs)
}

/// A file (or one document of it) that could not be read: the error on stderr, and in the
/// structured outputs once per policy.
fn report_unreadable(
    results: &mut Vec<CheckResult>,
    file_errors: &mut usize,
    policies: &[Loaded],
    name: &str,
    document: Option<usize>,
    f: &Failure,
) {
    io::eprint(&f.message);
    let (msg, line) = summarize(&f.message);
    for l in policies {
        results.push(CheckResult {
            filename: name.to_owned(),
            document,
            line,
            policy: l.policy.name().to_owned(),
            policy_file: l.file.clone(),
            outcome: Outcome::Approval,
            verdict: None,
            successes: 0,
            failures: Vec::new(),
            warnings: Vec::new(),
            exceptions: Vec::new(),
            approvals: Vec::new(),
            errors: vec![msg.clone()],
            notes: Vec::new(),
            shadowed: 0,
        });
    }
    if policies.is_empty() {
        *file_errors += 1;
    }
}

pub fn run(args: &CheckArgs, style: Style) -> Result<u8, Failure> {
    let params = io::parse_params(&args.params)?;
    let now = io::parse_now(args.now.as_deref())?;
    let stdin_uses = args.files.iter().filter(|f| io::is_stdin(f)).count()
        + usize::from(io::is_stdin(&args.policy));
    if stdin_uses > 1 {
        return Err(Failure::usage(
            "standard input (`-`) can be read only once (for the policy or for one manifest)",
        ));
    }
    let mut policies = Vec::new();
    for path in policy_files(&args.policy)? {
        let policy = io::load_policy(&path)?;
        policies.push(Loaded {
            file: io::display(&path),
            policy,
            params: Map::new(),
        });
    }
    assign_params(&mut policies, &params)?;

    let mut results = Vec::new();
    let mut file_errors = 0usize;
    let mut files = Vec::new();
    for path in &args.files {
        if !io::is_stdin(path) && path.is_dir() {
            let before = files.len();
            manifests_in(path, &mut files);
            if files.len() == before {
                return Err(Failure::error(format!(
                    "the directory `{}` holds no manifests (*.yaml, *.yml, *.json, *.toml)",
                    io::display(path)
                )));
            }
        } else {
            files.push(path.clone());
        }
    }
    for path in &files {
        let name = if io::is_stdin(path) {
            "<stdin>".to_owned()
        } else {
            io::display(path)
        };
        let docs = match io::read_text(path)
            .and_then(|text| io::parse_documents_each(&name, &text))
            .and_then(|docs| no_documents(&name, docs))
        {
            Ok(docs) => docs,
            Err(f) => {
                report_unreadable(&mut results, &mut file_errors, &policies, &name, None, &f);
                continue;
            }
        };
        let multi = docs.len() > 1;
        for (i, doc) in docs.iter().enumerate() {
            // A document with a syntax error in a multi-document file: reported in its place,
            // the others still checked.
            let doc = match doc {
                Ok(doc) => doc,
                Err(f) => {
                    let at = multi.then_some(i);
                    report_unreadable(&mut results, &mut file_errors, &policies, &name, at, f);
                    continue;
                }
            };
            for l in &policies {
                let mut ctx = EvalContext::new(now);
                ctx.parameters = l.params.clone();
                ctx.suggestions = false;
                let d = l.policy.evaluate(&Action::new(doc.value.clone()), &ctx);
                let Judged {
                    failures,
                    warnings,
                    exceptions,
                    approvals,
                    errors,
                    notes,
                    successes,
                    shadowed,
                } = judge(&d, &l.policy, doc);
                results.push(CheckResult {
                    filename: name.clone(),
                    document: multi.then_some(i),
                    line: doc.line,
                    policy: l.policy.name().to_owned(),
                    policy_file: l.file.clone(),
                    outcome: d.outcome,
                    verdict: d.verdict.as_deref().map(str::to_owned),
                    successes,
                    failures,
                    warnings,
                    exceptions,
                    approvals,
                    errors,
                    notes,
                    shadowed,
                });
            }
        }
    }

    let t = totals(&results, file_errors);
    let out = match args.output {
        CheckOutput::Text => text(&results, &t, style),
        CheckOutput::Json => {
            let mut s = serde_json::to_string_pretty(&results)
                .map_err(|e| Failure::error(format!("cannot write the results as JSON: {e}")))?;
            s.push('\n');
            s
        }
        CheckOutput::Junit => junit(&results, args.fail_on_warn),
        CheckOutput::Github => github(&results, &t),
    };
    io::print(&out);

    Ok(if t.errors > 0 {
        exit::ERROR
    } else if t.failures > 0 || (args.fail_on_warn && t.warnings > 0) {
        exit::DENIED
    } else if t.approvals > 0 {
        exit::APPROVAL
    } else {
        exit::OK
    })
}

fn text(results: &[CheckResult], t: &Totals, style: Style) -> String {
    let mut out = String::new();
    let mut line = |label: String, r: &CheckResult, msg: &str| {
        out.push_str(&format!(
            "{label} - {} - {} - {}\n",
            clean(&r.target()),
            clean(&r.policy),
            clean(msg)
        ));
    };
    for r in results {
        for e in &r.errors {
            line(style.red("ERROR"), r, e);
        }
        for f in &r.failures {
            line(style.red("FAIL"), r, &f.msg);
        }
        for a in &r.approvals {
            let detail = a
                .detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            line(style.yellow("APPR"), r, &format!("{}{detail}", a.msg));
        }
        for w in &r.warnings {
            line(style.yellow("WARN"), r, &w.msg);
        }
        for x in &r.exceptions {
            let detail = x
                .detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            line(style.cyan("EXCP"), r, &format!("{}{detail}", x.msg));
        }
        for n in &r.notes {
            line(style.dim("NOTE"), r, n);
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary(t));
    out.push('\n');
    out
}

/// Escapes text for an XML attribute: like [`xml_escape`], and line feeds and tabs as
/// character references, which attribute-value normalization would turn into spaces.
pub fn xml_attr(s: &str) -> String {
    xml_escape(s).replace('\n', "&#10;").replace('\t', "&#9;")
}

/// Escapes text for XML attributes and content, dropping characters XML 1.0 forbids.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A raw carriage return would reach the reader as a line feed.
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn junit(results: &[CheckResult], fail_on_warn: bool) -> String {
    // One testsuite per policy, in the order policies were given.
    let mut suites: BTreeMap<(usize, &str), Vec<&CheckResult>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for r in results {
        let pos = match order.iter().position(|p| *p == r.policy_file) {
            Some(p) => p,
            None => {
                order.push(&r.policy_file);
                order.len() - 1
            }
        };
        suites.entry((pos, &r.policy)).or_default().push(r);
    }
    let failed = |r: &CheckResult| {
        !r.failures.is_empty()
            || !r.approvals.is_empty()
            || (fail_on_warn && !r.warnings.is_empty())
    };
    let all_tests = results.len();
    let all_failures = results
        .iter()
        .filter(|r| r.errors.is_empty() && failed(r))
        .count();
    let all_errors = results.iter().filter(|r| !r.errors.is_empty()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"govgate check\" tests=\"{all_tests}\" failures=\"{all_failures}\" errors=\"{all_errors}\">\n"
    ));
    for ((_, policy), rs) in &suites {
        let failures = rs
            .iter()
            .filter(|r| r.errors.is_empty() && failed(r))
            .count();
        let errors = rs.iter().filter(|r| !r.errors.is_empty()).count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\">\n",
            xml_attr(policy),
            rs.len()
        ));
        for r in rs {
            let open = format!(
                "    <testcase name=\"{}\" classname=\"{}\"",
                xml_attr(&r.target()),
                xml_attr(policy)
            );
            let mut body = String::new();
            if !r.errors.is_empty() {
                let first = r.errors.first().map(String::as_str).unwrap_or_default();
                body.push_str(&format!(
                    "      <error message=\"{}\" type=\"error\">{}</error>\n",
                    xml_attr(first),
                    xml_escape(&r.errors.join("\n"))
                ));
            } else if failed(r) {
                let mut lines: Vec<String> = Vec::new();
                lines.extend(
                    r.failures
                        .iter()
                        .map(|f| format!("FAIL {}: {}", f.rule, f.msg)),
                );
                lines.extend(
                    r.approvals
                        .iter()
                        .map(|a| format!("APPR {}: {}", a.rule, a.msg)),
                );
                if fail_on_warn {
                    lines.extend(
                        r.warnings
                            .iter()
                            .map(|w| format!("WARN {}: {}", w.rule, w.msg)),
                    );
                }
                let first = r
                    .failures
                    .first()
                    .or(r.approvals.first())
                    .or(r.warnings.first())
                    .map(|i| i.msg.clone())
                    .unwrap_or_default();
                let more = lines.len().saturating_sub(1);
                let message = if more > 0 {
                    format!("{first} (and {more} more)")
                } else {
                    first
                };
                let kind = if r.failures.is_empty() && !r.approvals.is_empty() {
                    "approval"
                } else {
                    "deny"
                };
                body.push_str(&format!(
                    "      <failure message=\"{}\" type=\"{kind}\">{}</failure>\n",
                    xml_attr(&message),
                    xml_escape(&lines.join("\n"))
                ));
            }
            let mut other: Vec<String> = Vec::new();
            if !fail_on_warn {
                other.extend(
                    r.warnings
                        .iter()
                        .map(|w| format!("WARN {}: {}", w.rule, w.msg)),
                );
            }
            other.extend(r.exceptions.iter().map(|x| {
                format!(
                    "EXCP {}: {}{}",
                    x.rule,
                    x.msg,
                    x.detail
                        .as_deref()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                )
            }));
            other.extend(r.notes.iter().map(|n| format!("NOTE {n}")));
            if !other.is_empty() {
                body.push_str(&format!(
                    "      <system-out>{}</system-out>\n",
                    xml_escape(&other.join("\n"))
                ));
            }
            if body.is_empty() {
                out.push_str(&format!("{open}/>\n"));
            } else {
                out.push_str(&format!("{open}>\n{body}    </testcase>\n"));
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Escapes a GitHub workflow command's message.
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a GitHub workflow command's property value.
fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn github(results: &[CheckResult], t: &Totals) -> String {
    let mut out = String::new();
    for r in results {
        let file = format!("file={}", gh_property(&r.filename));
        // A finding's own line when its rule reads a field of the document, else the
        // document's.
        let mut emit_at = |level: &str, line: Option<u32>, rule: &str, msg: &str| {
            let mut props = file.clone();
            if let Some(line) = line.or(r.line) {
                props.push_str(&format!(",line={line}"));
            }
            let title = gh_property(&format!("{} {rule}", r.policy));
            let doc = r
                .document
                .map(|i| format!("[document {i}] "))
                .unwrap_or_default();
            out.push_str(&format!(
                "::{level} {props},title={title}::{}\n",
                gh_data(&format!("{doc}{msg}"))
            ));
        };
        for e in &r.errors {
            emit_at("error", None, "error", e);
        }
        for f in &r.failures {
            emit_at("error", f.line, &f.rule, &f.msg);
        }
        for a in &r.approvals {
            emit_at(
                "warning",
                a.line,
                &a.rule,
                &format!("approval required: {}", a.msg),
            );
        }
        for w in &r.warnings {
            emit_at("warning", w.line, &w.rule, &w.msg);
        }
        for x in &r.exceptions {
            let detail = x
                .detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            emit_at("notice", x.line, &x.rule, &format!("{}{detail}", x.msg));
        }
        for n in &r.notes {
            emit_at("notice", None, "exception", n);
        }
    }
    out.push_str(&summary(t));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_control_characters() {
        assert_eq!(
            xml_escape(r#"a<b & "c" 'd'>"#),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
        assert_eq!(xml_escape("x\u{1}y\nz\r"), "x\u{FFFD}y\nz&#13;");
        assert_eq!(xml_attr("a\nb\tc\r"), "a&#10;b&#9;c&#13;");
    }

    #[test]
    fn github_escapes_data_and_properties() {
        assert_eq!(gh_data("50% off\nnext"), "50%25 off%0Anext");
        assert_eq!(gh_property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn rendered_errors_are_summarized() {
        let (msg, line) = summarize("error: invalid yaml: bad\n  --> m.yaml:3:7\n  |\n");
        assert_eq!(msg, "invalid yaml: bad (m.yaml:3:7)");
        assert_eq!(line, Some(3));
        assert_eq!(
            summarize("error: cannot read `x`: no such file\n"),
            ("cannot read `x`: no such file".to_owned(), None)
        );
    }

    #[test]
    fn test_files_are_not_policies() {
        assert!(is_policy_name(Path::new("p/model.yaml")));
        assert!(is_policy_name(Path::new("p/model.TOML")));
        assert!(!is_policy_name(Path::new("p/model_test.yaml")));
        assert!(!is_policy_name(Path::new("p/README.md")));
        assert!(!is_policy_name(Path::new("p/.hidden.yaml")));
    }
}
