//! Regressions for decision semantics found in review: precedence of per-type overrides,
//! approval selection, fail-safe messages, suggestions that must keep their promise, exception
//! scopes under parameter overrides, band bounds at floating-point edges, compile checks.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use govgate_core::{Action, CompiledPolicy, Decision, EvalContext, Map, Outcome, Value};

fn policy(text: &str) -> CompiledPolicy {
    CompiledPolicy::compile_str("p.yaml", text).unwrap_or_else(|d| panic!("{}", d.render()))
}

fn decide_with(p: &CompiledPolicy, input: &str, params: &[(&str, Value)]) -> Decision {
    let now = chrono::DateTime::parse_from_rfc3339("2025-06-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let mut ctx = EvalContext::new(now);
    ctx.parameters = params
        .iter()
        .map(|(k, v)| ((*k).into(), v.clone()))
        .collect::<Map>();
    p.evaluate(&Action::new(serde_json::from_str(input).unwrap()), &ctx)
}

fn decide(p: &CompiledPolicy, input: &str) -> Decision {
    decide_with(p, input, &[])
}

const SIZE_FACTOR: &str = "factors:\n  - id: size\n    tiers: {value: input.args.n, tiers: [{upto: 10, points: 0, label: small}, {upto: 50, points: 50, label: mid}, {points: 100, label: big}]}\n";

#[test]
fn a_per_type_auto_does_not_lower_a_band_a_trigger_raised() {
    let p = policy(&format!(
        "govgate: 1\nname: t\n{SIZE_FACTOR}triggers:\n  - {{id: prod, when: input.context.env == 'prod', reason: production, min_band: high}}\nbands:\n  - {{name: low, upto: 30, outcome: auto}}\n  - {{name: high, outcome: approval}}\nautonomy:\n  default: std\n  levels: {{std: {{}}}}\n  action_types: {{read: auto}}\n"
    ));
    let prod = decide(
        &p,
        r#"{"type": "read", "args": {"n": 100}, "context": {"env": "prod"}}"#,
    );
    assert_eq!(prod.band.as_deref(), Some("high"));
    assert_eq!(prod.outcome, Outcome::Approval);
    // Without the trigger, the per-type auto lowers the band's own outcome.
    let dev = decide(
        &p,
        r#"{"type": "read", "args": {"n": 100}, "context": {"env": "dev"}}"#,
    );
    assert_eq!(
        (dev.band.as_deref(), dev.outcome),
        (Some("high"), Outcome::Auto)
    );
}

#[test]
fn a_per_type_block_applies_without_bands() {
    let p = policy(
        "govgate: 1\nname: t\nautonomy:\n  default: std\n  levels: {std: {}}\n  action_types: {delete_strategy: block, push: approval}\nrules:\n  - {id: r, when: input.args.n > 100, verdict: approval}\ndefault_verdict: {verdict: auto}\n",
    );
    assert_eq!(
        decide(&p, r#"{"type": "delete_strategy", "args": {"n": 1}}"#).outcome,
        Outcome::Block
    );
    let push = decide(&p, r#"{"type": "push", "args": {"n": 1}}"#);
    assert_eq!(push.outcome, Outcome::Approval);
    assert!(push.approval.is_some());
}

#[test]
fn a_part_naming_its_own_role_does_not_replace_a_senior_band() {
    let p = policy(&format!(
        "govgate: 1\nname: t\n{SIZE_FACTOR}triggers:\n  - {{id: weekend, when: input.context.weekend, reason: weekend, outcome: approval, approval: {{role: on-call}}}}\nbands:\n  - {{name: low, upto: 30, outcome: auto}}\n  - {{name: medium, upto: 70, outcome: approval, approval: {{role: reviewer}}}}\n  - {{name: high, outcome: approval, approval: {{role: admin, quorum: 2}}}}\n"
    ));
    let d = decide(
        &p,
        r#"{"type": "x", "args": {"n": 100}, "context": {"weekend": true}}"#,
    );
    let a = d.approval.unwrap();
    assert_eq!((&*a.role, a.quorum), ("admin", 2));
}

#[test]
fn a_trigger_that_raises_the_band_brings_its_own_approval() {
    let p = policy(&format!(
        "govgate: 1\nname: t\n{SIZE_FACTOR}triggers:\n  - {{id: prod, when: input.context.env == 'prod', reason: production, min_band: high, approval: {{role: release-manager, quorum: 2}}}}\nbands:\n  - {{name: low, upto: 30, outcome: auto}}\n  - {{name: high, outcome: approval, approval: {{role: reviewer}}}}\n"
    ));
    let d = decide(
        &p,
        r#"{"type": "x", "args": {"n": 1}, "context": {"env": "prod"}}"#,
    );
    let a = d.approval.unwrap();
    assert_eq!(
        (&*a.role, a.quorum, a.source.as_str()),
        ("release-manager", 2, "trigger:prod")
    );
}

#[test]
fn a_deny_rule_that_fired_counts_even_when_its_message_cannot_be_written() {
    let p = policy(
        "govgate: 1\nname: t\ndeny:\n  - {id: prod_delete, when: input.args.env == 'prod', message: 'delete in prod by {input.args.ticket}'}\n",
    );
    let d = decide(&p, r#"{"type": "delete", "args": {"env": "prod"}}"#);
    assert_eq!(d.outcome, Outcome::Block);
    assert!(d.deny[0].message.contains("prod_delete"), "{:?}", d.deny);
}

#[test]
fn shadow_mode_records_but_requests_nothing() {
    let p = policy(&format!(
        "govgate: 1\nname: t\nmode: shadow\n{SIZE_FACTOR}bands:\n  - {{name: low, upto: 30, outcome: auto}}\n  - {{name: high, outcome: approval}}\n"
    ));
    let d = decide(&p, r#"{"type": "x", "args": {}}"#);
    assert_eq!(
        (d.outcome, d.shadow_outcome),
        (Outcome::Auto, Some(Outcome::Approval))
    );
    assert!(!d.errors.is_empty());
    assert!(d.approval.is_none());
}

/// Applies every suggestion and checks the promised band and outcome.
fn suggestions_hold(p: &CompiledPolicy, input: &str) -> usize {
    let d = decide(p, input);
    let original: Value = serde_json::from_str(input).unwrap();
    for s in &d.suggestions {
        let mut patched = original.clone();
        let path: Vec<govgate_core::Str> = s.path.split('.').map(Into::into).collect();
        assert!(patched.set_path(&path, s.value.clone()));
        let after = p.evaluate(
            &Action::new(patched),
            &EvalContext::new(chrono::DateTime::from_timestamp(1_748_736_000, 0).unwrap()),
        );
        assert_eq!(after.band.as_deref(), Some(&*s.band), "{}", s.text);
        assert_eq!(after.outcome, s.outcome, "{}", s.text);
    }
    d.suggestions.len()
}

#[test]
fn suggestions_never_promise_what_the_patched_input_does_not_reach() {
    // A bucket reached only by lengthening a list is not offered.
    let buckets = policy(
        "govgate: 1\nname: t\nfactors:\n  - id: reviewers\n    buckets:\n      count: input.args.reviewers\n      buckets:\n        - {upto: 0, points: 80, label: no reviewers}\n        - {upto: 3, points: 0, label: reviewed}\n        - {points: 40, label: too many}\nbands:\n  - {name: low, upto: 30, outcome: auto}\n  - {name: high, outcome: approval}\n",
    );
    assert_eq!(
        suggestions_hold(&buckets, r#"{"type": "x", "args": {"reviewers": []}}"#),
        0
    );
    assert_eq!(
        suggestions_hold(
            &buckets,
            r#"{"type": "x", "args": {"reviewers": [1, 2, 3, 4, 5]}}"#
        ),
        1
    );
    // A lookup key that is not an int's canonical form stays a string.
    let lookup = policy(
        "govgate: 1\nname: t\nfactors:\n  - id: tier\n    lookup:\n      value: input.args.tier\n      cases:\n        \"01\": {points: 0, label: tier one}\n        \"9\": {points: 90, label: tier nine}\n        \"2\": {points: 10, label: tier two}\n      default: {points: 90, label: unknown}\nbands:\n  - {name: low, upto: 30, outcome: auto}\n  - {name: high, outcome: approval}\n",
    );
    assert_eq!(
        suggestions_hold(&lookup, r#"{"type": "x", "args": {"tier": 9}}"#),
        1
    );
}

#[test]
fn exception_scopes_see_the_calls_parameters() {
    let p = policy(
        "govgate: 1\nname: t\nparameters:\n  waived_team: {type: string, default: alpha}\ndeny:\n  - {id: big, when: input.args.n > 10, message: too big}\nexceptions:\n  - rule: big\n    scope: {when: input.context.team == params.waived_team}\n    reason: experiment\n    approver: lead\n    expires: \"2026-01-01\"\n",
    );
    let beta = r#"{"type": "x", "args": {"n": 100}, "context": {"team": "beta"}}"#;
    assert_eq!(decide(&p, beta).outcome, Outcome::Block);
    assert_eq!(
        decide_with(&p, beta, &[("waived_team", Value::from("beta"))]).outcome,
        Outcome::Auto
    );
}

#[test]
fn a_score_that_shows_as_the_bound_is_in_the_band() {
    let p = policy(
        "govgate: 1\nname: t\nscore: {min: 0, max: 1}\nfactors:\n  - {id: a, boolean: {when: input.args.a, then: {points: 0.1, label: A}, else: {points: 0, label: not A}}}\n  - {id: b, boolean: {when: input.args.b, then: {points: 0.2, label: B}, else: {points: 0, label: not B}}}\nbands:\n  - {name: low, upto: 0.3, outcome: auto}\n  - {name: high, outcome: approval}\n",
    );
    let d = decide(&p, r#"{"type": "x", "args": {"a": true, "b": true}}"#);
    assert_eq!((d.score, d.band.as_deref()), (0.3, Some("low")));
}

#[test]
fn compile_rejects_what_could_never_work() {
    let cases = [
        (
            "triggers:\n  - {id: t, when: 'true', reason: r, floor: 1}\n  - {id: t, when: 'true', reason: r, floor: 2}\nbands: [{name: b, outcome: auto}]\nfactors: [{id: f, expression: {value: '1', label: one}}]\n",
            "duplicate trigger id `t`",
        ),
        (
            "triggers:\n  - {id: t, when: 'true', reason: r, outcome: auto}\n",
            "a trigger can only raise the outcome",
        ),
        (
            "rules: [{id: r1, when: 'true', verdict: auto}]\nexceptions: [{rule: r1, reason: x, approver: y, expires: '2030-01-01'}]\n",
            "`r1` is a first-match rule",
        ),
        (
            "factors: [{id: f, expression: {value: '1', label: one}}]\nbands:\n  - {name: low, upto: 30, outcome: auto}\n  - {name: medium, upto: 60, outcome: approval}\n  - {name: high, outcome: block}\nautonomy: {default: loose, levels: {loose: {bands: {low: 60}}}}\n",
            "band bounds must increase at this level",
        ),
    ];
    for (body, expected) in cases {
        let text = format!("govgate: 1\nname: t\n{body}");
        let err = CompiledPolicy::compile_str("p.yaml", &text)
            .err()
            .unwrap_or_else(|| panic!("compiled:\n{text}"));
        assert!(
            err.render().contains(expected),
            "{expected}\n{}",
            err.render()
        );
    }
}

#[test]
fn an_action_without_a_type_fails_safe_when_the_policy_decides_by_type() {
    let p = policy(
        "govgate: 1\nname: t\nrules:\n  - {id: no_deletes, on: [delete], when: 'true', verdict: block}\ndefault_verdict: {verdict: auto}\n",
    );
    assert_eq!(decide(&p, r#"{"type": "delete"}"#).outcome, Outcome::Block);
    assert_eq!(decide(&p, r#"{"type": "read"}"#).outcome, Outcome::Auto);
    let untyped = decide(&p, r#"{"args": {}}"#);
    assert_eq!(untyped.outcome, Outcome::Approval);
    assert_eq!(untyped.missing, ["input.type"]);
    assert_eq!(decide(&p, r#"{"type": 7}"#).outcome, Outcome::Approval);
}

#[test]
fn a_test_case_fails_on_evaluation_errors_it_does_not_expect() {
    // The factor reads `input.args.size`; without it the decision fails safe to approval,
    // which a case expecting `approval` must not take for the intended outcome.
    let p = policy(
        "govgate: 1\nname: t\nfactors:\n  - id: size\n    weight: 1\n    tiers:\n      value: input.args.size\n      tiers:\n        - {upto: 10, points: 0, label: small}\n        - {points: 100, label: large}\nbands:\n  - {name: low, upto: 50, outcome: auto}\n  - {name: high, outcome: approval}\n",
    );
    let suite = |expect: &str| {
        govgate_core::policy::load_test_suite(
            "t_test.yaml",
            &format!(
                "cases:\n  - name: c\n    input: {{type: x, args: {{other: 1}}}}\n    expect: {expect}\n"
            ),
        )
        .unwrap()
    };
    let run = |expect: &str| {
        let report = p.run_tests(&suite(expect)).unwrap();
        let case = report.cases.into_iter().next().unwrap();
        (
            case.passed,
            case.mismatches
                .into_iter()
                .map(|m| m.field)
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        run("{outcome: approval}"),
        (false, vec!["errors".to_owned()])
    );
    assert_eq!(
        run("{outcome: approval, errors: []}"),
        (false, vec!["errors".to_owned()])
    );
    assert_eq!(
        run("{outcome: approval, errors: [\"no such field `input.args.size`\"]}"),
        (true, vec![])
    );
    assert_eq!(
        run("{outcome: approval, errors: [\"something else\"]}"),
        // The entry matches no error, and the error is not listed.
        (false, vec!["errors".to_owned(), "errors".to_owned()])
    );
    // An expected error that does not happen is a mismatch too.
    let ok = govgate_core::policy::load_test_suite(
        "t_test.yaml",
        "cases:\n  - name: c\n    input: {type: x, args: {size: 1}}\n    expect: {outcome: auto, errors: [\"no such field\"]}\n",
    )
    .unwrap();
    let report = p.run_tests(&ok).unwrap();
    assert!(!report.cases.iter().all(|c| c.passed));
}

/// The reference agent-trading policy, compiled.
fn agent_trading() -> CompiledPolicy {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/policies/agent-trading.yaml"
    ))
    .unwrap();
    CompiledPolicy::compile_str("agent-trading.yaml", &text).unwrap()
}

#[test]
fn a_decision_whose_factors_all_failed_scores_positive_zero() {
    let p = agent_trading();
    let d = decide(&p, "\"text\"");
    assert!(!d.errors.is_empty());
    assert_eq!(d.score.to_bits(), 0.0f64.to_bits(), "score {:?}", d.score);
    assert_ne!(d.outcome, Outcome::Auto);
}

#[test]
fn compile_problems_are_listed_in_file_order() {
    // The compiler checks factors before rules; the file has the rule first.
    let text = "govgate: 1\nname: t\nrules:\n  - id: r\n    when: input.x == 1\n    verdict: nope\nfactors:\n  - id: f\n    weight: -1\n    boolean: {when: input.y, then: {points: 1, label: y}, else: {points: 0, label: n}}\n";
    let errors = CompiledPolicy::compile_str("t.yaml", text).unwrap_err();
    let lines: Vec<u32> = errors
        .0
        .iter()
        .map(|d| d.location.map_or(u32::MAX, |l| l.line))
        .collect();
    // Rule problems (lines 5, 6), then factor problems (9, 10), then the unlocated one.
    assert_eq!(lines, vec![5, 6, 9, 10, u32::MAX], "{errors}");
}

#[test]
fn a_message_rule_names_the_input_fields_it_reads() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/policies/model-deployment.yaml"
    ))
    .unwrap();
    let p = CompiledPolicy::compile_str("model-deployment.yaml", &text).unwrap();
    let path = |p: &[&str]| {
        p.iter()
            .map(|s| govgate_core::Str::from(*s))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        p.message_rule_reads("accuracy"),
        vec![path(&["spec", "metrics", "accuracy"])]
    );
    assert_eq!(
        p.message_rule_reads("fairness_required"),
        vec![path(&["spec", "fairness"])]
    );
    assert!(p.message_rule_reads("no-such-rule").is_empty());
}

#[test]
fn expect_errors_must_list_every_error_and_no_empty_entry() {
    // Two deny rules over fields of the wrong type: two errors.
    let p = policy(
        "govgate: 1\nname: t\nsubject: manifest\ndeny:\n  - id: a\n    when: input.x > 1\n    message: a\n  - id: b\n    when: input.y > 1\n    message: b\n",
    );
    let passed = |expect: &str| {
        let suite = govgate_core::policy::load_test_suite(
            "t_test.yaml",
            &format!("cases:\n  - name: c\n    input: {{x: s, y: t}}\n    expect: {expect}\n"),
        )
        .unwrap();
        p.run_tests(&suite).unwrap().cases.iter().all(|c| c.passed)
    };
    assert!(!passed("{errors: [\"rule `a`\"]}"), "an unlisted error");
    assert!(!passed("{errors: [\"\"]}"), "an empty entry");
    assert!(passed("{errors: [\"rule `a`\", \"rule `b`\"]}"));
    assert!(
        passed("{errors: [\"cannot compare\"]}"),
        "one entry may match several"
    );
}

/// A test file's invariants compile on their own (not with a copy of the policy): they still
/// find violations, and a broken one is reported at its path in the suite.
#[test]
fn a_separate_suites_invariants_check_and_report_their_errors() {
    let p = agent_trading();
    let case = "cases:\n  - name: c\n    input: {agent: a, type: modify_strategy, args: {trading_mode: live}}\n    expect: {}\n";
    let suite = |invariants: &str| {
        govgate_core::policy::load_test_suite("t_test.yaml", &format!("{case}{invariants}"))
            .unwrap()
    };
    let report = p
        .run_tests(&suite(
            "invariants:\n  - name: never auto\n    assert: 'decision.outcome != \"auto\"'\n  - name: always auto\n    assert: 'decision.outcome == \"auto\"'\n",
        ))
        .unwrap();
    let violations: Vec<(String, usize)> = report
        .invariants
        .iter()
        .map(|i| (i.name.clone(), i.violations.len()))
        .collect();
    assert!(
        report.invariants.iter().all(|i| i.checked > 0),
        "{violations:?}"
    );
    assert_eq!(
        violations.iter().filter(|(_, n)| *n > 0).count(),
        1,
        "{violations:?}"
    );
    let err = p
        .run_tests(&suite(
            "invariants:\n  - name: bad\n    assert: 'decision.outcome =='\n  - name: worse\n    when: 'nope(1)'\n    assert: 'true'\n",
        ))
        .unwrap_err();
    let paths: Vec<_> = err
        .0
        .iter()
        .map(|d| d.path.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        paths,
        ["tests.invariants[0].assert", "tests.invariants[1].when"]
    );
    assert!(
        err.0[1].message.contains("unknown function `nope`"),
        "{err:?}"
    );
}
