//! govgate: `CompiledPolicy::evaluate`, the full public evaluation.
//!
//! Prepared once: the `CompiledPolicy` (`compile_str`), the `EvalContext` (a fixed `now`, no
//! parameter overrides; `fingerprint` off unless the fingerprinted variant is measured), and
//! per input the `Action` wrapping the input converted to a `govgate_core::Value`. Per call:
//! `policy.evaluate(&action, &ctx)`, which builds and returns the whole `Decision` (outcome,
//! verdict, score, band, factor contributions, reasons, the rule that matched, the policy
//! digest, and with `fingerprint` the SHA-256 of the action's canonical JSON; with factors,
//! also the suggestions, unless `suggestions` is switched off).

use chrono::{DateTime, Utc};
use govgate_core::decision::Decision;
use govgate_core::{Action, CompiledPolicy, EvalContext, Value};
use serde_json::Value as Json;

use crate::workloads::B4Outcome;

/// The fixed evaluation time (2026-01-01T00:00:00Z).
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).expect("valid timestamp")
}

/// A compiled govgate policy and the context it is evaluated in.
pub struct GovgateEngine {
    policy: CompiledPolicy,
    ctx: EvalContext,
}

impl GovgateEngine {
    /// Compiles `text`, whose format comes from `file`'s extension.
    pub fn new(file: &str, text: &str) -> GovgateEngine {
        GovgateEngine { policy: load(file, text), ctx: EvalContext::new(now()) }
    }

    /// The same policy, evaluated with the action fingerprint requested.
    pub fn fingerprinted(mut self) -> GovgateEngine {
        self.ctx.fingerprint = true;
        self
    }

    /// The same policy, evaluated without suggestions.
    pub fn without_suggestions(mut self) -> GovgateEngine {
        self.ctx.suggestions = false;
        self
    }

    /// The action for `input`.
    pub fn input(&self, input: &Json) -> Action {
        Action::new(Value::from_json(input))
    }

    /// The timed call.
    pub fn eval(&self, action: &Action) -> Decision {
        self.policy.evaluate(action, &self.ctx)
    }

    fn checked(&self, action: &Action) -> Decision {
        let decision = self.eval(action);
        assert!(
            decision.errors.is_empty(),
            "govgate errors on {:?}: {:?}",
            action.value(),
            decision.errors
        );
        decision
    }

    /// B1: denied.
    pub fn decide_b1(&self, action: &Action) -> bool {
        match self.checked(action).verdict.as_deref() {
            Some("deny") => true,
            Some("allow") => false,
            other => panic!("govgate b1: unexpected verdict {other:?}"),
        }
    }

    /// B3: the rule that matched, if any.
    pub fn decide_b3(&self, action: &Action) -> Option<usize> {
        let decision = self.checked(action);
        let rule = decision.rule.as_ref().expect("govgate b3: a rule or the default verdict");
        let id = rule.id.as_deref()?;
        Some(id.strip_prefix('r').and_then(|n| n.parse().ok()).expect("govgate rule id"))
    }

    /// B4: score and band.
    pub fn decide_b4(&self, action: &Action) -> B4Outcome {
        let decision = self.checked(action);
        B4Outcome {
            score: decision.score,
            band: decision.band.as_deref().expect("govgate b4: a band").to_owned(),
        }
    }

    /// The compiled policy.
    pub fn policy(&self) -> &CompiledPolicy {
        &self.policy
    }
}

/// B5's timed call: parse and compile.
pub fn load(file: &str, text: &str) -> CompiledPolicy {
    match CompiledPolicy::compile_str(file, text) {
        Ok(p) => p,
        Err(d) => panic!("govgate: `{file}` does not compile:\n{d}"),
    }
}

/// The format the benchmark loads govgate's policies from: YAML (the authoring format) when
/// this build of govgate-core reads YAML, JSON otherwise.
pub fn format() -> &'static str {
    let probe = "govgate: 1\nname: probe\nsubject: manifest\n";
    if CompiledPolicy::compile_str("probe.yaml", probe).is_ok() { "yaml" } else { "json" }
}

/// Compiles `source` in [`format`].
pub fn from_source(source: &crate::workloads::GovgateSource) -> GovgateEngine {
    let (file, text) = source.file(format());
    GovgateEngine::new(&file, &text)
}
