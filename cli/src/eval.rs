//! `govgate eval`: one action, one policy, one decision.

use std::io::{Seek, Write};
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
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
    let (_, input) = io::read_single(input_path)?;

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
        Format::Text => io::print(&render::decision_text(&decision, &policy, style)),
    }
    if let Some(log) = &args.log {
        append_log(log, &policy, &input, &decision, now)?;
    }
    Ok(exit::for_outcome(decision.outcome))
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
