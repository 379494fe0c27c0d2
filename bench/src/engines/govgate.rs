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
        GovgateEngine {
            policy: load(file, text),
            ctx: EvalContext::new(now()),
        }
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
        let rule = decision
            .rule
            .as_ref()
            .expect("govgate b3: a rule or the default verdict");
        let id = rule.id.as_deref()?;
        Some(
            id.strip_prefix('r')
                .and_then(|n| n.parse().ok())
                .expect("govgate rule id"),
        )
    }

    /// B4: score and band.
    pub fn decide_b4(&self, action: &Action) -> B4Outcome {
        let decision = self.checked(action);
        B4Outcome {
            score: decision.score,
            band: decision
                .band
                .as_deref()
                .expect("govgate b4: a band")
                .to_owned(),
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
    if CompiledPolicy::compile_str("probe.yaml", probe).is_ok() {
        "yaml"
    } else {
        "json"
    }
}

/// Compiles `source` in [`format`].
pub fn from_source(source: &crate::workloads::GovgateSource) -> GovgateEngine {
    let (file, text) = source.file(format());
    GovgateEngine::new(&file, &text)
}

/// One reference policy (`examples/policies/NAME.yaml`) with one representative input from its
/// test file (`NAME_test.yaml`), ready to evaluate.
pub struct ReferenceCase {
    /// The policy's file stem (`agent-trading`).
    pub name: String,
    /// The test case's name.
    pub case: String,
    /// The compiled policy and the case's context (its `now` and parameters).
    pub engine: GovgateEngine,
    /// The case's input.
    pub action: Action,
}

/// Every reference policy under `dir` that has a `_test.yaml`, each with its representative
/// case: the first whose expected outcome is `approval`, else the first expecting a block or a
/// denial, else the first. The case must pass (checked with the policy test runner) before it
/// is timed.
pub fn reference_cases(dir: &std::path::Path) -> Vec<ReferenceCase> {
    use govgate_core::policy::document::{Outcome, TestSuiteSpec};
    use govgate_core::policy::testing::{DEFAULT_TEST_TIME, parse_time};

    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let Some(stem) = file.strip_suffix(".yaml") else {
            continue;
        };
        if stem.ends_with("_test") {
            continue;
        }
        let test_path = path.with_file_name(format!("{stem}_test.yaml"));
        let Ok(test_text) = std::fs::read_to_string(&test_path) else {
            continue;
        };
        let text = std::fs::read_to_string(&path).expect("reference policy is readable");
        let policy = load(&file, &text);
        let suite = govgate_core::policy::load_test_suite(&format!("{stem}_test.yaml"), &test_text)
            .unwrap_or_else(|d| panic!("{stem}_test.yaml does not load:\n{d}"));
        let pick = suite
            .cases
            .iter()
            .find(|c| c.expect.outcome == Some(Outcome::Approval))
            .or_else(|| {
                suite.cases.iter().find(|c| {
                    c.expect.outcome == Some(Outcome::Block) || c.expect.allowed == Some(false)
                })
            })
            .or_else(|| suite.cases.first())
            .unwrap_or_else(|| panic!("{stem}_test.yaml has no cases"))
            .clone();
        let one = TestSuiteSpec {
            cases: vec![pick.clone()],
            ..TestSuiteSpec::default()
        };
        let report = policy
            .run_tests(&one)
            .unwrap_or_else(|d| panic!("{stem}: tests do not run:\n{d}"));
        assert!(
            report.passed(),
            "{stem}: case `{}` fails: {report:?}",
            pick.name
        );

        let now = pick
            .now
            .as_deref()
            .or(Some(DEFAULT_TEST_TIME))
            .and_then(parse_time)
            .expect("the case's time parses");
        let mut ctx = EvalContext::new(now);
        ctx.parameters = pick
            .params
            .iter()
            .map(|(k, v)| (govgate_core::Str::from(k.as_str()), v.clone()))
            .collect();
        cases.push(ReferenceCase {
            name: stem.to_owned(),
            case: pick.name.clone(),
            engine: GovgateEngine { policy, ctx },
            action: Action::new(pick.input.clone()),
        });
    }
    cases
}

/// The repository's `examples/policies`.
pub fn reference_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies")
}
