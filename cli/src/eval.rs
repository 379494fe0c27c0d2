//! `govgate eval`: one action, one policy, one decision.

use std::io::{Seek, Write};
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use govgate_core::source;
use govgate_core::{Action, CompiledPolicy, Decision, EvalContext, Value};

use crate::args::{EvalArgs, Format};
use crate::exit::{self, Failure};
use crate::io;
use crate::render;
use crate::style::Style;

pub fn run(args: &EvalArgs, style: Style) -> Result<u8, Failure> {
    // Usage problems first, before any file is read.
    let params = io::parse_params(&args.params)?;
    let now = io::parse_now(args.now.as_deref())?;
    if args.log.as_deref().is_some_and(io::is_stdin) {
        return Err(Failure::usage(
            "--log needs a file (`-` would create a file named `-`); the decision itself goes to standard output",
        ));
    }
    let input_path = args.input.as_deref().or(args.input_file.as_deref());
    if io::is_stdin(&args.policy) && input_path.is_none_or(io::is_stdin) {
        return Err(Failure::usage(
            "the policy and the action cannot both come from standard input: give the action with --input FILE",
        ));
    }
    let policy = io::load_policy(&args.policy)?;
    io::check_params(&policy, &params)?;
    let (input_name, input_doc) = io::read_single_document(input_path)?;
    let input = input_doc.value.clone();

    let mut ctx = EvalContext::new(now);
    ctx.parameters = params;
    ctx.fingerprint = args.fingerprint;
    let decision = policy.evaluate(&Action::new(input.clone()), &ctx);

    // The decision is printed even when the log cannot be written, but then govgate exits 1:
    // a decision that was not logged must not pass a gate.
    match args.format {
        Format::Json => {
            let json = serde_json::to_string_pretty(&decision)
                .map_err(|e| Failure::error(format!("cannot write the decision as JSON: {e}")))?;
            io::print(&format!("{json}\n"));
        }
        Format::Text => {
            let locate = |path: &str| locate_in_input(&input_name, &input_doc, path);
            io::print(&render::decision_text(&decision, &policy, style, &locate))
        }
    }
    if let Some(log) = &args.log {
        append_log(log, &policy, &input, &decision, now)?;
    }
    Ok(exit::for_outcome(decision.outcome))
}

/// Where `input.a.b` is in the input file, as `file:line:col (a.b)`; for a path the input
/// lacks, where its deepest present part is (the map that lacks the field).
fn locate_in_input(file: &str, doc: &source::Document, path: &str) -> Option<String> {
    let rest = path.strip_prefix("input")?;
    let segs = source::parse_path(rest.strip_prefix('.').unwrap_or(rest)).ok()?;
    // How much of the path the input has.
    let (found, _) = io::present(&doc.value, &segs);
    let present = segs.get(..found).unwrap_or(&[]);
    let target = if found == segs.len() {
        source::Target::Value
    } else {
        source::Target::Node
    };
    let loc = doc.location(present, target)?;
    let shown = if present.is_empty() {
        "the top level".to_owned()
    } else {
        format!("`{}`", source::format_path(present))
    };
    Some(format!("{file}:{}:{} ({shown})", loc.line, loc.column))
}

/// The decision-log record: one JSON object per line.
#[derive(serde::Serialize)]
pub struct LogRecord<'a> {
    /// When the decision was made (the evaluation time).
    ts: String,
    policy: &'a str,
    digest: &'a str,
    /// The action's fingerprint (absent when it cannot be computed).
    fingerprint: Option<String>,
    /// The action with the policy's secret fields replaced by their hashes.
    action: Value,
    decision: Decision,
}

pub fn log_record<'a>(
    policy: &'a CompiledPolicy,
    input: &Value,
    decision: &Decision,
    now: DateTime<Utc>,
) -> LogRecord<'a> {
    let fingerprint = match &decision.fingerprint {
        Some(f) => Some(f.clone()),
        None => govgate_core::identity::fingerprint(input).ok(),
    };
    LogRecord {
        ts: now.to_rfc3339_opts(SecondsFormat::Millis, true),
        policy: policy.name(),
        digest: policy.digest(),
        fingerprint,
        action: policy.redact(input),
        decision: policy.redact_decision(input, decision),
    }
}

/// Appends one line to the log, written with a single `write` on a file opened for appending,
/// so concurrent writers never interleave within a line. A short write (a full disk, a file
/// size limit) is undone, so the log never holds half a line.
fn append_log(
    path: &Path,
    policy: &CompiledPolicy,
    input: &Value,
    decision: &Decision,
    now: DateTime<Utc>,
) -> Result<(), Failure> {
    let record = log_record(policy, input, decision, now);
    let mut line = serde_json::to_string(&record)
        .map_err(|e| Failure::error(format!("cannot write the log record: {e}")))?;
    line.push('\n');
    let fail = |e: std::io::Error| {
        Failure::error(format!(
            "cannot append to the log `{}`: {e}",
            io::display(path)
        ))
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(fail)?;
    let written = file.write(line.as_bytes()).map_err(fail)?;
    if written < line.len() {
        // With O_APPEND the line went to the end: cut it off again, unless another writer
        // appended after it meanwhile.
        let undone = file
            .stream_position()
            .and_then(|end| {
                let start = end.saturating_sub(written as u64);
                match file.metadata()?.len() == end {
                    true => file.set_len(start).map(|()| true),
                    false => Ok(false),
                }
            })
            .unwrap_or(false);
        let what = if undone {
            "the partial line was removed"
        } else {
            "a partial line may remain"
        };
        return Err(Failure::error(format!(
            "cannot append to the log `{}`: only {written} of {} bytes could be written ({what})",
            io::display(path),
            line.len()
        )));
    }
    file.flush().map_err(fail)
}
