//! Every reference policy in examples/policies compiles and passes its hand-written tests, and
//! so does the policy read back from its compiled artifact, with the same report.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};

use govgate_core::CompiledPolicy;
use govgate_core::policy::load_test_suite;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies")
}

/// `steerable`: the policy has factors reading plain input fields, so invariants must also
/// have been checked on variants of the cases' inputs.
fn run(name: &str, steerable: bool) {
    let dir = examples();
    let policy_file = dir.join(format!("{name}.yaml"));
    let test_file = dir.join(format!("{name}_test.yaml"));
    let text = std::fs::read_to_string(&policy_file).unwrap();
    let policy = CompiledPolicy::compile_str(&policy_file.to_string_lossy(), &text)
        .unwrap_or_else(|d| panic!("{name} does not compile:\n{}", d.render()));
    let tests_text = std::fs::read_to_string(&test_file).unwrap();
    let suite = load_test_suite(&test_file.to_string_lossy(), &tests_text)
        .unwrap_or_else(|d| panic!("{name}_test does not load:\n{}", d.render()));
    assert!(!suite.cases.is_empty(), "{name} has no test cases");
    let report = policy
        .run_tests(&suite)
        .unwrap_or_else(|d| panic!("{}", d.render()));
    let mut failures = String::new();
    for case in report.cases.iter().filter(|c| !c.passed) {
        failures.push_str(&format!("\n  case `{}`:", case.name));
        for m in &case.mismatches {
            failures.push_str(&format!(
                "\n    {}: expected {}, got {}",
                m.field, m.expected, m.actual
            ));
        }
        failures.push_str(&format!(
            "\n    decision: {}",
            serde_json::to_string(&case.decision).unwrap()
        ));
    }
    for inv in report
        .invariants
        .iter()
        .filter(|i| !i.violations.is_empty())
    {
        failures.push_str(&format!(
            "\n  invariant `{}`: {:?}",
            inv.name, inv.violations
        ));
    }
    assert!(report.passed(), "{name}: failures:{failures}");
    // The policy read back from its compiled artifact passes and fails exactly the same.
    let loaded = CompiledPolicy::from_artifact(&policy.to_artifact())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(loaded.document().is_none());
    let again = loaded
        .run_tests(&suite)
        .unwrap_or_else(|d| panic!("{}", d.render()));
    assert_eq!(
        serde_json::to_string(&again).unwrap(),
        serde_json::to_string(&report).unwrap(),
        "{name}: the compiled artifact's test report differs"
    );
    for inv in report.invariants.iter().filter(|_| steerable) {
        assert!(
            inv.checked > suite.cases.len(),
            "invariant `{}` was only checked on the cases themselves",
            inv.name
        );
    }
}

#[test]
fn agent_trading_seed_004() {
    run("agent-trading", true);
}

#[test]
fn coding_agent_seed_002() {
    run("coding-agent", true);
}

#[test]
fn pipeline_gate_seed_000() {
    run("pipeline-gate", false);
}

#[test]
fn model_deployment_seed_001() {
    run("model-deployment", false);
}

#[test]
fn deployment_verdicts_seed_003() {
    run("deployment-verdicts", false);
}
