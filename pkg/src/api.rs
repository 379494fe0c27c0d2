//! The JSON-text boundary: everything the JavaScript API does, with strings in and out.
//!
//! Nothing here touches JavaScript, so it runs (and is tested) natively as well; `lib.rs` only
//! turns JavaScript values into JSON text and back. Decisions leave as the text core's own
//! serde types produce, so Node sees the same bytes as the CLI and the server.

use chrono::{DateTime, Utc};
use govgate_core::decision::Decision;
#[cfg(feature = "compiler")]
use govgate_core::{Diagnostic, Diagnostics};
use govgate_core::{Map, Value};

use govgate_wire::BatchResult;

use crate::engine;
use crate::error::Error;

/// Longest accepted JSON text for one action, options object or test case list (in UTF-16
/// code units as JavaScript counts string length; 8 MiB).
pub const MAX_INPUT_CHARS: usize = 8 << 20;
/// Longest accepted JSON text for an `evaluateMany` batch (256 MiB).
pub const MAX_BATCH_CHARS: usize = 256 << 20;
/// Longest accepted policy source text (4 MiB).
pub const MAX_POLICY_CHARS: usize = 4 << 20;
/// Deepest accepted nesting of an input: a documented bound that keeps the wasm stack, which
/// has no guard page, far from its end (the reader stops at it before recursing further).
pub const MAX_DEPTH: usize = 64;

/// The source formats a policy is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// YAML (1.2 core schema).
    Yaml,
    /// JSON.
    Json,
}

impl Format {
    /// The file name used in diagnostics when the caller names none.
    pub fn default_file_name(self) -> &'static str {
        match self {
            Format::Yaml => "policy.yaml",
            Format::Json => "policy.json",
        }
    }
}

/// A compiled policy plus what JavaScript reads often.
pub struct Compiled {
    policy: engine::CompiledPolicy,
}

impl Compiled {
    /// The policy's name.
    pub fn name(&self) -> &str {
        self.policy.name()
    }

    /// SHA-256 (hex) of the compiled policy's canonical JSON.
    pub fn digest(&self) -> &str {
        self.policy.digest()
    }

    /// Evaluates one action given as JSON text; the decision as JSON text.
    pub fn evaluate_json(&self, action: &str, options: &Options) -> Result<String, Error> {
        let action = parse_input("action", action)?;
        let decision = self.evaluate(action, options)?;
        decision_json(&decision)
    }

    /// Evaluates one action.
    pub fn evaluate(&self, action: Value, options: &Options) -> Result<Decision, Error> {
        expect_object("action", &action)?;
        self.check_options(options)?;
        Ok(self.policy.evaluate(action, options))
    }

    /// Rejects parameter overrides the policy does not declare, or of the wrong type.
    fn check_options(&self, options: &Options) -> Result<(), Error> {
        if options.parameters.is_empty() {
            return Ok(());
        }
        let problems = self.policy.check_parameters(&options.parameters);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::input("options.parameters", problems.join("; ")))
        }
    }

    /// Reads a compiled-policy artifact (what [`Compiled::to_artifact`] and `govgate compile`
    /// write).
    pub fn from_artifact(bytes: &[u8]) -> Result<Compiled, Error> {
        check_len("bytes", bytes.len(), MAX_POLICY_CHARS)?;
        engine::CompiledPolicy::from_artifact(bytes)
            .map(|policy| Compiled { policy })
            .map_err(|e| Error::input("bytes", e))
    }

    /// The policy as a compiled-policy artifact: bytes [`Compiled::from_artifact`] reads back,
    /// here or in the evaluate-only scorer.
    #[cfg(feature = "compiler")]
    pub fn to_artifact(&self) -> Vec<u8> {
        self.policy.to_artifact()
    }

    /// Runs the test suite in a test file's text (`*_test.yaml`, or JSON); the report as JSON
    /// text.
    #[cfg(feature = "compiler")]
    pub fn test_source(&self, file_name: &str, text: &str) -> Result<String, Error> {
        check_len("cases", text.len(), MAX_POLICY_CHARS)?;
        let suite =
            govgate_core::policy::load_test_suite(file_name, text).map_err(Error::policy)?;
        let report = self.policy.run_tests(Some(&suite)).map_err(Error::policy)?;
        serde_json::to_string(&report).map_err(|e| Error::input("cases", e))
    }

    /// Runs policy tests: `suite` is JSON text of an array of cases or of a whole test suite
    /// (`{cases, invariants}`); `None` runs the policy's own `tests:` section. The report as
    /// JSON text.
    #[cfg(feature = "compiler")]
    pub fn test_json(&self, suite: Option<&str>) -> Result<String, Error> {
        let suite = match suite {
            None => None,
            Some(text) => {
                check_len("cases", text.len(), MAX_INPUT_CHARS)?;
                check_depth("cases", text)?;
                // Read by core's own test-file loader (one copy of the deserializer in the wasm),
                // an array of cases as the suite's `cases`.
                let wrapped;
                let text = if text.trim_start().starts_with('[') {
                    wrapped = format!("{{\"cases\":{text}}}");
                    &wrapped
                } else {
                    text
                };
                let suite =
                    govgate_core::policy::load_test_suite("cases.json", text).map_err(|d| {
                        // Lines and columns would point into JSON text the caller never saw.
                        let first = d.0.into_iter().next();
                        let path = first
                            .as_ref()
                            .and_then(|d| d.path.clone())
                            .unwrap_or_else(|| "cases".to_owned());
                        let message = first.map_or_else(String::new, |d| match d.help {
                            Some(help) => format!("{}, {help}", d.message),
                            None => d.message,
                        });
                        Error::input(&path, message)
                    })?;
                Some(suite)
            }
        };
        let report = self
            .policy
            .run_tests(suite.as_ref())
            .map_err(Error::policy)?;
        serde_json::to_string(&report).map_err(|e| Error::input("cases", e))
    }

    /// Evaluates a JSON array of actions; outcomes, bands and scores as JSON text
    /// (a `BatchResult`).
    pub fn evaluate_many_json(&self, actions: &str, options: &Options) -> Result<String, Error> {
        let batch = self.evaluate_many(actions, options)?;
        serde_json::to_string(&batch).map_err(|e| Error::input("actions", e))
    }

    /// Evaluates a JSON array of actions: their outcomes, bands and scores.
    pub fn evaluate_many(&self, actions: &str, options: &Options) -> Result<BatchResult, Error> {
        self.check_options(options)?;
        let actions = parse_input("actions", actions)?;
        let Some(actions) = actions.as_list() else {
            return Err(Error::input(
                "actions",
                format_args!("expected an array, found {}", kind_of(&actions)),
            ));
        };
        let mut batch = BatchResult {
            outcomes: Vec::with_capacity(actions.len()),
            bands: Vec::with_capacity(actions.len()),
            scores: Vec::with_capacity(actions.len()),
            failed: 0,
        };
        for (i, action) in actions.iter().enumerate() {
            if !matches!(action, Value::Map(_)) {
                return Err(Error::input(
                    &format!("actions[{i}]"),
                    format_args!("expected an object, found {}", kind_of(action)),
                ));
            }
            let decision = self.policy.evaluate_summary(action.clone(), options);
            if !decision.errors.is_empty() {
                batch.failed += 1;
            }
            batch.outcomes.push(decision.outcome);
            batch.bands.push(decision.band);
            batch.scores.push(decision.score);
        }
        Ok(batch)
    }
}

/// Compiles a policy; every diagnostic on failure.
#[cfg(feature = "compiler")]
pub fn compile(file_name: &str, text: &str, format: Format) -> Result<Compiled, Error> {
    check_len("source", text.len(), MAX_POLICY_CHARS)?;
    engine::CompiledPolicy::compile(file_name, text, format)
        .map(|policy| Compiled { policy })
        .map_err(Error::policy)
}

/// Every problem in a policy (empty when it compiles).
#[cfg(feature = "compiler")]
pub fn validate(file_name: &str, text: &str, format: Format) -> Vec<Diagnostic> {
    if text.len() > MAX_POLICY_CHARS {
        return vec![Diagnostic::new(
            file_name,
            format!(
                "the policy is too large: {} bytes (limit {MAX_POLICY_CHARS})",
                text.len()
            ),
        )];
    }
    match engine::CompiledPolicy::compile(file_name, text, format) {
        Ok(_) => Vec::new(),
        Err(Diagnostics(all)) => all,
    }
}

/// How one evaluation runs: the time, parameter overrides, whether to fingerprint.
#[derive(Clone, Debug)]
pub struct Options {
    /// The evaluation time.
    pub now: DateTime<Utc>,
    /// Parameter overrides.
    pub parameters: Map,
    /// Whether the decision carries the action's fingerprint.
    pub fingerprint: bool,
}

impl Options {
    /// Defaults: evaluate at `now`, no overrides, no fingerprint.
    pub fn at(now: DateTime<Utc>) -> Options {
        Options {
            now,
            parameters: Map::new(),
            fingerprint: false,
        }
    }
}

/// Parses an RFC 3339 time (`2026-01-01T00:00:00Z`, `2026-01-01T00:00:00.000+02:00`).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("`{text}` is not an RFC 3339 time: {e}"))
}

/// The decision as JSON text, exactly as the CLI and the server write it.
pub fn decision_json(decision: &Decision) -> Result<String, Error> {
    // Room for a typical decision up front: growing the buffer step by step costs more than
    // writing it.
    let mut out = Vec::with_capacity(1024);
    serde_json::to_writer(&mut out, decision).map_err(|e| Error::input("decision", e))?;
    // serde_json writes UTF-8 only.
    String::from_utf8(out).map_err(|e| Error::input("decision", e))
}

/// SHA-256 (hex) of the action's canonical JSON (without `overrides`).
pub fn fingerprint_json(action: &str) -> Result<String, Error> {
    let action = parse_input("action", action)?;
    expect_object("action", &action)?;
    engine::fingerprint(&action).map_err(|e| Error::input("action", e))
}

/// The JSON Schema of the policy document, as JSON text.
#[cfg(feature = "compiler")]
pub fn json_schema() -> &'static str {
    engine::json_schema()
}

/// Parses JSON text into a value, within the size and depth limits (core's `json_text`
/// reader: the values `serde_json` would give, without its text deserializer in the wasm).
pub fn parse_input(what: &str, text: &str) -> Result<Value, Error> {
    let limit = if what == "actions" {
        MAX_BATCH_CHARS
    } else {
        MAX_INPUT_CHARS
    };
    check_len(what, text.len(), limit)?;
    govgate_core::json_text::parse_value(text, MAX_DEPTH).map_err(|e| Error::input(what, e))
}

fn check_len(what: &str, len: usize, limit: usize) -> Result<(), Error> {
    if len > limit {
        Err(Error::input(
            what,
            format_args!("too large: {len} bytes (limit {limit})"),
        ))
    } else {
        Ok(())
    }
}

/// Rejects JSON nested deeper than [`MAX_DEPTH`] before anything recurses into it (for test
/// suites, which core's document reader reads with its own, larger bound).
#[cfg(feature = "compiler")]
fn check_depth(what: &str, text: &str) -> Result<(), Error> {
    // Each level takes at least two bytes (`[` and `]`): short texts cannot nest too deep.
    if text.len() <= 2 * MAX_DEPTH {
        return Ok(());
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Error::input(
                        what,
                        format_args!("nested more than {MAX_DEPTH} levels deep"),
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn expect_object(what: &str, value: &Value) -> Result<(), Error> {
    match value {
        Value::Map(_) => Ok(()),
        other => Err(Error::input(
            what,
            format_args!("expected an object, found {}", kind_of(other)),
        )),
    }
}

/// A value's kind as a JavaScript user would name it.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Int(_) | Value::Double(_) => "a number",
        Value::String(_) => "a string",
        Value::List(_) => "an array",
        Value::Map(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_limit_counts_only_structure_outside_strings() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let err = parse_input("action", &deep).unwrap_err();
        assert_eq!(err.path(), Some("action"));
        assert!(
            err.message().contains("nested more than 64 levels"),
            "{err}"
        );
        let ok = format!(r#"{{"a": "{}"}}"#, "[{".repeat(500));
        assert!(parse_input("action", &ok).is_ok());
    }

    #[test]
    fn times_are_rfc_3339() {
        assert_eq!(
            parse_time("2026-03-01T10:00:00.000Z").unwrap().to_rfc3339(),
            "2026-03-01T10:00:00+00:00"
        );
        assert!(parse_time("yesterday").unwrap_err().contains("RFC 3339"));
    }

    #[test]
    fn inputs_must_be_objects() {
        let err = fingerprint_json("[1]").unwrap_err();
        assert!(
            err.message().contains("expected an object, found an array"),
            "{err}"
        );
    }
}
