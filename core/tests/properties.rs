//! Property tests of the decision engine: monotonic scores, fail-safe, determinism, stable
//! fingerprints, and suggestions that keep their promise.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;

use govgate_core::identity::fingerprint;
use govgate_core::{Action, CompiledPolicy, Decision, EvalContext, Outcome, Value};
use proptest::prelude::*;

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc)
}

fn reference(name: &str) -> CompiledPolicy {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../examples/policies/{name}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap();
    CompiledPolicy::compile_str(&path.to_string_lossy(), &text)
        .unwrap_or_else(|d| panic!("{}", d.render()))
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn decide(policy: &CompiledPolicy, input: &Value) -> Decision {
    policy.evaluate(&Action::new(input.clone()), &EvalContext::new(now()))
}

const MODES: [&str; 3] = ["inactive", "paper", "live"];
const REVERSIBILITY: [&str; 3] = ["reversible", "effort", "irreversible"];

#[derive(Clone, Debug)]
struct Trade {
    mode: usize,
    current: usize,
    stop: f64,
    strategies: usize,
    reversibility: usize,
}

impl Trade {
    fn input(&self) -> Value {
        json(&format!(
            r#"{{"actor": {{"id": "t", "roles": ["trader"]}}, "type": "modify_strategy",
                "args": {{"trading_mode": "{}", "stop_loss_pct": {}, "strategy_ids": {:?}, "reversibility": "{}"}},
                "context": {{"current_mode": "{}"}}}}"#,
            MODES[self.mode],
            self.stop,
            (0..self.strategies).collect::<Vec<_>>(),
            REVERSIBILITY[self.reversibility],
            MODES[self.current]
        ))
    }
}

/// The trade's input with the `drop` fields of its `args` removed and `garbage` (JSON text) as
/// an extra field.
fn garbled(t: &Trade, drop: &[&str], garbage: &str) -> Value {
    let mut input = t.input();
    let Value::Map(map) = &mut input else {
        unreachable!()
    };
    let map = std::sync::Arc::make_mut(map);
    let mut args = map
        .get("args")
        .and_then(Value::as_map)
        .cloned()
        .unwrap_or_default();
    for field in drop {
        args.remove(*field);
    }
    args.insert("target_files".into(), json(garbage));
    map.insert("args".into(), Value::Map(std::sync::Arc::new(args)));
    input
}

fn trade() -> impl Strategy<Value = Trade> {
    (0..3usize, 0..3usize, 0.0..40.0f64, 1..10usize, 0..3usize).prop_map(
        |(mode, current, stop, strategies, reversibility)| Trade {
            mode,
            current,
            stop: (stop * 10.0).round() / 10.0,
            strategies,
            reversibility,
        },
    )
}

/// A policy of `n` tiered factors over `input.f<i>` with the given weights and aggregate.
fn generated_policy(weights: &[f64], aggregate: &str) -> CompiledPolicy {
    let mut text = format!(
        "govgate: 1\nname: generated\nsubject: manifest\nscore: {{min: 0, max: 100, aggregate: {aggregate}}}\nfactors:\n"
    );
    for (i, w) in weights.iter().enumerate() {
        text.push_str(&format!(
            "  - id: f{i}\n    weight: {w}\n    tiers:\n      value: input.f{i}\n      tiers:\n        - {{upto: 10, points: 0, label: low}}\n        - {{upto: 50, points: 40, label: mid}}\n        - {{upto: 90, points: 70, label: high}}\n        - {{points: 100, label: extreme}}\n"
        ));
    }
    text.push_str("bands:\n  - {name: low, upto: 30, outcome: auto}\n  - {name: medium, upto: 70, outcome: approval}\n  - {name: high, outcome: block}\n");
    CompiledPolicy::compile_str("generated.yaml", &text)
        .unwrap_or_else(|d| panic!("{}", d.render()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn raising_one_factor_never_lowers_the_score(t in trade(), which in 0..4usize, bump in 0.0..30.0f64) {
        let policy = reference("agent-trading");
        let before = decide(&policy, &t.input());
        let mut raised = t.clone();
        match which {
            0 => raised.mode = (t.mode + 1).min(2),
            1 => raised.stop = t.stop + bump,
            2 => raised.strategies = t.strategies + 1 + bump as usize,
            _ => raised.reversibility = (t.reversibility + 1).min(2),
        }
        let after = decide(&policy, &raised.input());
        prop_assert!(after.score >= before.score, "{t:?} -> {raised:?}: {} -> {}", before.score, after.score);
    }

    #[test]
    fn raising_a_factor_never_lowers_any_aggregate(
        weights in prop::collection::vec(0.0..1.0f64, 1..8),
        values in prop::collection::vec(0.0..120.0f64, 8),
        which in 0..8usize,
        bump in 0.0..60.0f64,
        aggregate in prop::sample::select(vec!["weighted_sum", "weighted_mean", "mean", "max"]),
    ) {
        let policy = generated_policy(&weights, aggregate);
        let which = which % weights.len();
        let input = |vals: &[f64]| Value::map(vals.iter().take(weights.len()).enumerate().map(|(i, v)| (format!("f{i}"), Value::Double(*v))));
        let mut raised = values.clone();
        raised[which] += bump;
        let before = decide(&policy, &input(&values));
        let after = decide(&policy, &input(&raised));
        prop_assert!(before.errors.is_empty() && after.errors.is_empty());
        prop_assert!(after.score >= before.score - 1e-9, "{aggregate}: {} -> {}", before.score, after.score);
    }

    #[test]
    fn errors_never_yield_auto(
        drop in prop::sample::subsequence(vec!["trading_mode", "stop_loss_pct", "strategy_ids", "reversibility"], 1..4),
        garbage in prop::sample::select(vec![r#""text""#, "null", "[1,2]", r#"{"a": 1}"#, "true", "-5"]),
        t in trade(),
    ) {
        for name in ["agent-trading", "coding-agent", "pipeline-gate", "deployment-verdicts"] {
            let policy = reference(name);
            // Remove some fields and garble another: whatever the policy reads, an error must
            // never come out as auto.
            let input = garbled(&t, &drop, garbage);
            let d = decide(&policy, &input);
            if !d.errors.is_empty() {
                prop_assert_ne!(d.outcome, Outcome::Auto, "{}: {:?}", name, d.errors);
                prop_assert!(d.approval.is_some() || d.outcome == Outcome::Block);
            }
        }
    }

    /// Every reference policy read back from its compiled artifact decides generated inputs,
    /// damaged ones included (errors, fail-safes, suggestions), with the same bytes.
    #[test]
    fn compiled_artifacts_decide_as_their_policies(
        drop in prop::sample::subsequence(vec!["trading_mode", "stop_loss_pct", "strategy_ids", "reversibility"], 0..3),
        garbage in prop::sample::select(vec![r#""text""#, "null", "[1,2]", r#"{"a": 1}"#, "true", "-5"]),
        t in trade(),
    ) {
        for name in ["agent-trading", "coding-agent", "pipeline-gate", "deployment-verdicts", "model-deployment"] {
            let policy = reference(name);
            let loaded = CompiledPolicy::from_artifact(&policy.to_artifact()).unwrap();
            let input = garbled(&t, &drop, garbage);
            let mut ctx = EvalContext::new(now());
            ctx.fingerprint = true;
            let want = serde_json::to_string(&policy.evaluate(&Action::new(input.clone()), &ctx)).unwrap();
            let got = serde_json::to_string(&loaded.evaluate(&Action::new(input), &ctx)).unwrap();
            prop_assert_eq!(got, want, "{}", name);
        }
    }

    #[test]
    fn decisions_are_deterministic(t in trade()) {
        let policy = reference("agent-trading");
        let again = reference("agent-trading");
        let a = serde_json::to_string(&decide(&policy, &t.input())).unwrap();
        let b = serde_json::to_string(&decide(&policy, &t.input())).unwrap();
        let c = serde_json::to_string(&decide(&again, &t.input())).unwrap();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(&a, &c);
    }

    #[test]
    fn fingerprint_is_stable_under_key_order(
        entries in prop::collection::btree_map("[a-z]{1,6}", prop_oneof![
            any::<i32>().prop_map(|i| i.to_string()),
            "[a-z ]{0,8}".prop_map(|s| format!("\"{s}\"")),
            any::<bool>().prop_map(|b| b.to_string()),
            (-1.0e6..1.0e6f64).prop_map(|f| format!("{f:?}")),
        ], 1..8),
    ) {
        let forward: Vec<String> = entries.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
        let backward: Vec<String> = forward.iter().rev().cloned().collect();
        let a = json(&format!("{{{}}}", forward.join(", ")));
        let b = json(&format!("{{\n  {}\n}}", backward.join(",\n  ")));
        prop_assert_eq!(fingerprint(&a).unwrap(), fingerprint(&b).unwrap());
    }

    #[test]
    fn suggestions_on_independent_factors_keep_their_promise(
        weights in prop::collection::vec(0.05..1.0f64, 1..8),
        values in prop::collection::vec(0.0..120.0f64, 8),
        aggregate in prop::sample::select(vec!["weighted_sum", "weighted_mean", "mean", "max"]),
    ) {
        // Every factor reads its own field: suggestions are computed without re-evaluating.
        let policy = generated_policy(&weights, aggregate);
        let input = Value::map(values.iter().take(weights.len()).enumerate().map(|(i, v)| (format!("f{i}"), Value::Double(*v))));
        let d = decide(&policy, &input);
        for s in &d.suggestions {
            let mut patched = input.clone();
            prop_assert!(patched.set_path(&[s.path.as_str().into()], s.value.clone()));
            let after = decide(&policy, &patched);
            prop_assert_eq!(after.band.as_deref(), Some(&*s.band), "{}", s.text);
            prop_assert_eq!(after.outcome, s.outcome);
            prop_assert!((after.score - (d.score + s.delta)).abs() < 1e-9);
        }
    }

    #[test]
    fn applying_a_suggestion_reaches_the_band_it_promised(t in trade()) {
        let policy = reference("agent-trading");
        let input = t.input();
        let d = decide(&policy, &input);
        for s in &d.suggestions {
            let mut patched = input.clone();
            let path: Vec<govgate_core::Str> = s.path.split('.').map(Into::into).collect();
            prop_assert!(patched.set_path(&path, s.value.clone()));
            let after = decide(&policy, &patched);
            prop_assert_eq!(after.band.as_deref(), Some(&*s.band), "{}", s.text);
            prop_assert_eq!(after.outcome, s.outcome);
            prop_assert!((after.score - (d.score + s.delta)).abs() < 1e-9);
            prop_assert!(s.delta < 0.0);
        }
    }
}

#[test]
fn suggestions_are_worded_from_the_policys_labels() {
    let policy = reference("agent-trading");
    let input = json(
        r#"{"actor": {"id": "t"}, "type": "modify_strategy",
            "args": {"trading_mode": "paper", "stop_loss_pct": 4, "strategy_ids": [1], "reversibility": "reversible"},
            "context": {"current_mode": "paper"}}"#,
    );
    let d = decide(&policy, &input);
    assert_eq!(d.band.as_deref(), Some("medium"));
    let texts: Vec<&str> = d.suggestions.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "Use a conservative stop loss (2% or less) instead of Moderate stop loss (3-5%): −15",
            "Create an inactive copy for testing instead of Paper trading: −20",
        ]
    );
}
