//! Policy tests: cases (input → expected decision) and invariants, like `opa test`.
//!
//! Invariants are checked on every case's decision and on every variant of each case's
//! input that steers the factors through their declared options (all combinations when
//! there are few, each factor on its own otherwise), so "a score of 80 or more is never
//! auto" is checked across the policy's whole factor space, not only on hand-picked inputs.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::compile::*;
use super::document::{ExpectSpec, ScoreExpectation, TestSuiteSpec};
use super::eval::{Action, EvalContext};
use crate::decision::Decision;
use crate::diagnostic::Diagnostics;
use crate::value::{Map, Str, Value};

/// The default evaluation time of a test case.
pub const DEFAULT_TEST_TIME: &str = "2026-01-01T00:00:00Z";

/// Most variants checked per case when combining every factor's options.
const MAX_COMBINATIONS: usize = 512;

/// One expectation that did not hold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mismatch {
    /// What was checked (`outcome`, `score`, `deny`).
    pub field: String,
    /// What the case expected.
    pub expected: String,
    /// What the decision had.
    pub actual: String,
}

/// The result of one case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    /// The case name.
    pub name: String,
    /// Whether every expectation held.
    pub passed: bool,
    /// The expectations that did not.
    pub mismatches: Vec<Mismatch>,
    /// The decision the case produced.
    pub decision: Decision,
}

/// One decision that broke an invariant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    /// The case whose input (or a variant of it) broke it.
    pub case: String,
    /// The input changes of the variant (empty for the case itself).
    pub variant: Vec<String>,
    /// Why: the decision's outcome, band and score, or an evaluation error.
    pub detail: String,
}

/// The result of one invariant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvariantResult {
    /// The invariant name.
    pub name: String,
    /// How many decisions it was checked on.
    pub checked: usize,
    /// The decisions that broke it (at most 10 are kept).
    pub violations: Vec<Violation>,
}

/// The result of a test suite.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TestReport {
    /// The policy tested.
    pub policy: String,
    /// Per-case results.
    pub cases: Vec<CaseResult>,
    /// Per-invariant results.
    pub invariants: Vec<InvariantResult>,
    /// Rules, deny/warn rules and triggers no case exercised (`rule:id`, `deny:id`, `trigger:id`).
    pub uncovered: Vec<String>,
}

impl TestReport {
    /// Whether every case and invariant passed.
    pub fn passed(&self) -> bool {
        self.cases.iter().all(|c| c.passed)
            && self.invariants.iter().all(|i| i.violations.is_empty())
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn check(expect: &ExpectSpec, d: &Decision) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let mut mismatch = |field: &str, expected: String, actual: String| {
        out.push(Mismatch {
            field: field.into(),
            expected,
            actual,
        });
    };
    if let Some(o) = expect.outcome
        && o != d.outcome
    {
        mismatch("outcome", o.as_str().into(), d.outcome.as_str().into());
    }
    if let Some(v) = &expect.verdict
        && d.verdict.as_deref() != Some(v.as_str())
    {
        mismatch(
            "verdict",
            v.clone(),
            d.verdict.as_deref().unwrap_or("(none)").into(),
        );
    }
    if let Some(b) = &expect.band
        && d.band.as_deref() != Some(b.as_str())
    {
        mismatch(
            "band",
            b.clone(),
            d.band.as_deref().unwrap_or("(none)").into(),
        );
    }
    match &expect.score {
        Some(ScoreExpectation::Exact(x)) if round2(*x) != round2(d.score) => {
            mismatch("score", format!("{x}"), format!("{}", round2(d.score)));
        }
        Some(ScoreExpectation::Range { min, max })
            if min.is_some_and(|m| d.score < m) || max.is_some_and(|m| d.score > m) =>
        {
            let show = |b: &Option<f64>| b.map_or("…".to_owned(), |x| x.to_string());
            mismatch(
                "score",
                format!("{}..={}", show(min), show(max)),
                format!("{}", round2(d.score)),
            );
        }
        _ => {}
    }
    for r in &expect.reasons {
        if !d
            .reasons
            .iter()
            .any(|have| have == r || have.starts_with(r.as_str()))
        {
            mismatch(
                "reasons",
                format!("a reason `{r}`"),
                format!("{:?}", d.reasons),
            );
        }
    }
    for c in &expect.reason_codes {
        if !d.reason_codes.iter().any(|have| **have == **c) {
            mismatch("reason_codes", c.clone(), format!("{:?}", d.reason_codes));
        }
    }
    let active = |list: &[crate::decision::Message]| -> Vec<String> {
        list.iter()
            .filter(|m| !m.waived)
            .map(|m| m.message.clone())
            .collect()
    };
    for (field, expected, have) in [
        ("deny", &expect.deny, active(&d.deny)),
        ("warn", &expect.warn, active(&d.warn)),
    ] {
        match expected {
            Some(list) if list.is_empty() && !have.is_empty() => {
                mismatch(field, "none".into(), format!("{have:?}"))
            }
            Some(list) => {
                for m in list {
                    if !have.contains(m) {
                        mismatch(field, format!("`{m}`"), format!("{have:?}"));
                    }
                }
            }
            None => {}
        }
    }
    for t in &expect.triggers {
        if !d.triggers.iter().any(|x| *x.id == **t) {
            let fired: Vec<&str> = d.triggers.iter().map(|x| &*x.id).collect();
            mismatch("triggers", t.clone(), format!("{fired:?}"));
        }
    }
    if let Some(allowed) = expect.allowed {
        let is = !d.deny.iter().any(|m| !m.waived);
        if allowed != is {
            mismatch(
                "allowed",
                allowed.to_string(),
                format!("{is} ({:?})", active(&d.deny)),
            );
        }
    }
    // Every error must be listed (each entry a substring of it), every entry must match an
    // error, and an empty entry (which would match anything) is itself a mismatch.
    match &expect.errors {
        None if !d.errors.is_empty() => mismatch(
            "errors",
            "none (list the expected ones under `expect.errors`)".into(),
            format!("{:?}", d.errors),
        ),
        None => {}
        Some(wanted) => {
            for e in wanted {
                if e.is_empty() {
                    mismatch(
                        "errors",
                        "no empty entry (it would match every error)".into(),
                        "\"\"".into(),
                    );
                } else if !d.errors.iter().any(|have| have.contains(e.as_str())) {
                    mismatch(
                        "errors",
                        format!("an error containing `{e}`"),
                        format!("{:?}", d.errors),
                    );
                }
            }
            for have in &d.errors {
                if !wanted
                    .iter()
                    .any(|e| !e.is_empty() && have.contains(e.as_str()))
                {
                    mismatch("errors", "only the listed errors".into(), have.clone());
                }
            }
        }
    }
    if let Some(role) = &expect.approval_role {
        let have = d.approval.as_ref().map(|a| &*a.role);
        if have != Some(role.as_str()) {
            mismatch(
                "approval_role",
                role.clone(),
                have.unwrap_or("(none)").into(),
            );
        }
    }
    out
}

impl CompiledPolicy {
    /// Runs a test suite: the policy's own `tests:` section, or one loaded from a test file.
    pub fn run_tests(&self, suite: &TestSuiteSpec) -> Result<TestReport, Diagnostics> {
        let p = &*self.inner;
        // Invariants of a separate test file are compiled here; the policy's own were compiled
        // with it.
        let own = self.document().and_then(|d| d.tests.as_ref()) == Some(suite);
        let invariants = if own {
            p.invariants.clone()
        } else {
            self.compile_suite_invariants(&suite.invariants)
                .map_err(|issues| super::load::locate_issues("<tests>", "", None, issues))?
        };
        let default_now = parse_time(DEFAULT_TEST_TIME).unwrap_or_default();
        let mut report = TestReport {
            policy: p.name.to_string(),
            ..TestReport::default()
        };
        let mut exercised: BTreeSet<String> = BTreeSet::new();
        let mut inv_results: Vec<InvariantResult> = invariants
            .iter()
            .map(|i| InvariantResult {
                name: i.name.clone(),
                checked: 0,
                violations: Vec::new(),
            })
            .collect();
        for case in &suite.cases {
            let mut problems = Vec::new();
            let now = match &case.now {
                Some(t) => parse_time(t).unwrap_or_else(|| {
                    problems.push(Mismatch {
                        field: "now".into(),
                        expected: "an RFC 3339 time".into(),
                        actual: t.clone(),
                    });
                    default_now
                }),
                None => default_now,
            };
            let mut ctx = EvalContext::new(now);
            // By insertion, not `collect` (which sorts, one sort copy per element type).
            let mut parameters = Map::new();
            for (k, v) in &case.params {
                parameters.insert(Str::from(k.as_str()), v.clone());
            }
            ctx.parameters = parameters;
            let action = Action::new(case.input.clone());
            let decision = self.evaluate(&action, &ctx);
            record_coverage(&decision, &mut exercised);
            problems.extend(check(&case.expect, &decision));
            // Invariants on the case and its factor variants.
            if !invariants.is_empty() {
                let quiet = EvalContext {
                    suggestions: false,
                    ..ctx.clone()
                };
                // Each variant's decision as the value invariants read, and the summary a
                // violation reports, made once (not once per invariant).
                let as_value = |d: &Decision| {
                    // Deeper than any input the loaders accept, plus the decision's own levels.
                    Value::of_serialized(d, crate::source::MAX_DEPTH + 16).unwrap_or_default()
                };
                let summary = |d: &Decision| {
                    format!(
                        "outcome `{}`, band `{}`, score {}",
                        d.outcome.as_str(),
                        d.band.as_deref().unwrap_or("-"),
                        round2(d.score)
                    )
                };
                let mut variants = vec![(
                    Vec::new(),
                    case.input.clone(),
                    as_value(&decision),
                    summary(&decision),
                )];
                for (changes, input) in self.variants(&case.input) {
                    let d = self.evaluate(&Action::new(input.clone()), &quiet);
                    variants.push((changes, input, as_value(&d), summary(&d)));
                }
                for (inv, result) in invariants.iter().zip(inv_results.iter_mut()) {
                    for (changes, input, dv, summary) in &variants {
                        let roots: [&Value; 2] = [dv, input];
                        let applies = match &inv.when {
                            None => Ok(true),
                            Some(w) => w.eval_bool(&roots),
                        };
                        result.checked += 1;
                        let verdict = applies.and_then(|a| {
                            if a {
                                inv.check.eval_bool(&roots)
                            } else {
                                Ok(true)
                            }
                        });
                        let detail = match verdict {
                            Ok(true) => continue,
                            Ok(false) => summary.clone(),
                            Err(e) => format!("could not evaluate: {}", e.message),
                        };
                        if result.violations.len() < 10 {
                            result.violations.push(Violation {
                                case: case.name.clone(),
                                variant: changes.clone(),
                                detail,
                            });
                        }
                    }
                }
            }
            report.cases.push(CaseResult {
                name: case.name.clone(),
                passed: problems.is_empty(),
                mismatches: problems,
                decision,
            });
        }
        report.invariants = inv_results;
        let mut all: Vec<String> = Vec::new();
        all.extend(p.rules.iter().map(|r| format!("rule:{}", r.id())));
        all.extend(p.deny.iter().map(|r| format!("deny:{}", r.id)));
        all.extend(p.warn.iter().map(|r| format!("warn:{}", r.id)));
        all.extend(p.triggers.iter().map(|t| format!("trigger:{}", t.id)));
        report.uncovered = all.into_iter().filter(|k| !exercised.contains(k)).collect();
        Ok(report)
    }

    /// Inputs that steer the factors through their declared options, with a description of
    /// each change.
    pub(crate) fn variants(&self, input: &Value) -> Vec<(Vec<String>, Value)> {
        let mut axes: Vec<(Vec<Str>, Vec<Value>)> = Vec::new();
        for f in &self.inner.factors {
            if let Some((path, values)) = option_values(f, input)
                && !values.is_empty()
            {
                axes.push((path, values));
            }
        }
        let total: usize = axes
            .iter()
            .map(|(_, v)| v.len())
            .try_fold(1usize, |acc, n| acc.checked_mul(n))
            .unwrap_or(usize::MAX);
        let describe = |path: &[Str], v: &Value| {
            format!(
                "{} = {}",
                path.iter().map(|s| &**s).collect::<Vec<_>>().join("."),
                v
            )
        };
        let mut out = Vec::new();
        if total <= MAX_COMBINATIONS {
            let mut combos: Vec<(Vec<String>, Value)> = vec![(Vec::new(), input.clone())];
            for (path, values) in &axes {
                let mut next = Vec::with_capacity(combos.len() * values.len());
                for (changes, base) in &combos {
                    for v in values {
                        let mut patched = base.clone();
                        if patched.set_path(path, v.clone()) {
                            let mut c = changes.clone();
                            c.push(describe(path, v));
                            next.push((c, patched));
                        }
                    }
                }
                combos = next;
            }
            out = combos;
        } else {
            for (path, values) in &axes {
                for v in values {
                    let mut patched = input.clone();
                    if patched.set_path(path, v.clone()) {
                        out.push((vec![describe(path, v)], patched));
                    }
                }
            }
        }
        out
    }
}

/// Every input value that selects one of a factor's options (for factors reading a plain path).
fn option_values(f: &FactorC, input: &Value) -> Option<(Vec<Str>, Vec<Value>)> {
    let path = factor_path(&f.kind)?;
    match &f.kind {
        FactorKindC::Lookup { cases, .. } => {
            let current = path
                .iter()
                .try_fold(input, |v, k| v.get(k))
                .cloned()
                .unwrap_or_default();
            let values = cases
                .keys()
                .map(|k| super::suggest::typed_like(&Value::string(k), &current))
                .collect();
            Some((path, values))
        }
        FactorKindC::Tiers { tiers, .. } => Some((
            path,
            tiers
                .iter()
                .filter_map(|(_, o)| o.witness.clone())
                .collect(),
        )),
        FactorKindC::Boolean { .. } => Some((path, vec![Value::Bool(true), Value::Bool(false)])),
        FactorKindC::Buckets { buckets, .. } => {
            match path.iter().try_fold(input, |v, k| v.get(k)) {
                Some(Value::Int(_)) => Some((
                    path,
                    buckets
                        .iter()
                        .filter_map(|(_, o)| o.witness.clone())
                        .collect(),
                )),
                _ => None,
            }
        }
        FactorKindC::Cases { .. } | FactorKindC::Expression { .. } => None,
    }
}

fn record_coverage(d: &Decision, exercised: &mut BTreeSet<String>) {
    if let Some(id) = d.rule.as_ref().and_then(|r| r.id.as_ref()) {
        exercised.insert(format!("rule:{id}"));
    }
    for m in &d.deny {
        exercised.insert(format!("deny:{}", m.rule));
    }
    for m in &d.warn {
        exercised.insert(format!("warn:{}", m.rule));
    }
    for t in &d.triggers {
        exercised.insert(format!("trigger:{}", t.id));
    }
}

/// Parses an RFC 3339 time.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
