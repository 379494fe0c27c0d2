//! `govgate check` over the real binary: seed 001's manifests, like conftest.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

const NOW: &str = "2026-01-01T00:00:00Z";

fn manifest(name: &str) -> String {
    repo(&format!("examples/manifests/{name}.yaml"))
}

#[test]
fn the_valid_model_is_allowed() {
    govgate(&[
        "check",
        "--policy",
        &policy("model-deployment"),
        &manifest("valid-model"),
        "--now",
        NOW,
    ])
    .expect_code(0)
    .stdout_has("0 failures");
}

#[test]
fn each_seed_message_appears_for_its_manifest() {
    let cases = [
        (
            "low-accuracy",
            vec![
                "Model accuracy 0.78 is below minimum threshold 0.85",
                "Model F1 score 0.75 is below minimum threshold 0.80",
            ],
        ),
        (
            "missing-fairness",
            vec!["Model must include fairness/bias evaluation metrics"],
        ),
        (
            "high-drift",
            vec!["Model drift score 0.45 exceeds critical threshold"],
        ),
    ];
    for (name, messages) in cases {
        let r = govgate(&[
            "check",
            "--policy",
            &policy("model-deployment"),
            &manifest(name),
            "--now",
            NOW,
        ]);
        r.expect_code(4);
        for m in messages {
            r.stdout_has(&format!(
                "FAIL - {} - model-deployment - {m}",
                manifest(name)
            ));
        }
    }
}

#[test]
fn the_summary_counts_like_conftest() {
    let r = govgate(&[
        "check",
        "-p",
        &policy("model-deployment"),
        &manifest("valid-model"),
        &manifest("low-accuracy"),
        "--now",
        NOW,
    ]);
    r.expect_code(4);
    let summary = r.stdout.lines().last().unwrap();
    let numbers: Vec<usize> = summary
        .split(", ")
        .map(|part| part.split(' ').next().unwrap().parse().unwrap())
        .collect();
    let [tests, passed, warnings, failures, exceptions] = numbers[..5] else {
        panic!("{summary}")
    };
    assert!(
        summary.contains("tests") && summary.contains("passed") && summary.contains("exceptions"),
        "{summary}"
    );
    assert_eq!(
        tests,
        passed + warnings + failures + exceptions,
        "{summary}"
    );
    assert!(failures >= 2 && warnings >= 1, "{summary}");
}

#[test]
fn multi_document_files_are_checked_per_document() {
    let r = govgate(&[
        "check",
        "-p",
        &policy("model-deployment"),
        &manifest("multi"),
        "--now",
        NOW,
    ]);
    r.expect_code(4);
    let file = manifest("multi");
    // Document 0 passes, document 1's denial is waived, document 2 fails three ways.
    assert!(!r.stdout.contains(&format!("{file}[0]")), "{}", r.stdout);
    r.stdout_has(&format!(
        "EXCP - {file}[1] - model-deployment - Model accuracy 0.80 is below minimum threshold 0.85"
    ))
    .stdout_has("Experimental model for A/B test")
    .stdout_has(&format!(
        "FAIL - {file}[2] - model-deployment - Unapproved dependency: leftpad"
    ))
    .stdout_has(&format!(
        "FAIL - {file}[2] - model-deployment - Framework jax is not approved for production"
    ))
    .stdout_has(&format!(
        "FAIL - {file}[2] - model-deployment - Data source crm-export is not approved"
    ))
    .stdout_has("1 exceptions");
}

#[test]
fn an_expired_waiver_does_not_apply_and_says_so() {
    // Document 1 of multi.yaml is waived until the end of 2099-12-31.
    let r = govgate(&[
        "check",
        "-p",
        &policy("model-deployment"),
        &manifest("multi"),
        "--now",
        "2100-01-01T00:00:00Z",
    ]);
    r.expect_code(4)
        .stdout_has(&format!(
            "FAIL - {}[1] - model-deployment - Model accuracy 0.80",
            manifest("multi")
        ))
        .stdout_has("NOTE")
        .stdout_has("expired");
}

#[test]
fn warnings_fail_only_with_fail_on_warn() {
    // The valid model's name does not follow the naming convention (a warn rule).
    let r = govgate(&[
        "check",
        "-p",
        &policy("model-deployment"),
        &manifest("valid-model"),
        "--now",
        NOW,
    ]);
    r.expect_code(0)
        .stdout_has("WARN - ")
        .stdout_has("Model name must follow pattern: domain-task-vN");
    govgate(&[
        "check",
        "-p",
        &policy("model-deployment"),
        &manifest("valid-model"),
        "--now",
        NOW,
        "--fail-on-warn",
    ])
    .expect_code(4);
}

#[test]
fn a_param_moves_a_threshold() {
    govgate(&[
        "check",
        "-p",
        &policy("model-deployment"),
        &manifest("high-drift"),
        "--now",
        NOW,
        "--param",
        "max_drift_critical=0.5",
    ])
    .expect_code(4)
    .stdout_has("fairness");
    let r = govgate(&[
        "check",
        "-p",
        &policy("model-deployment"),
        &manifest("high-drift"),
        "--now",
        NOW,
        "--param",
        "max_drift_critical=0.5",
    ]);
    assert!(!r.stdout.contains("drift score"), "{}", r.stdout);
    govgate(&[
        "check",
        "-p",
        &policy("model-deployment"),
        &manifest("high-drift"),
        "--param",
        "max_drift=0.5",
    ])
    .expect_code(2)
    .stderr_has("did you mean `max_drift_critical`");
}

#[test]
fn json_output_is_structured_per_document() {
    let r = govgate(&[
        "check",
        "-p",
        &policy("model-deployment"),
        &manifest("multi"),
        &manifest("low-accuracy"),
        "--now",
        NOW,
        "-o",
        "json",
    ]);
    r.expect_code(4);
    let results = r.json();
    let results = results.as_array().unwrap();
    assert_eq!(
        results.len(),
        4,
        "three documents and one single-document file"
    );
    assert_eq!(results[0]["document"], 0);
    assert_eq!(results[0]["failures"].as_array().unwrap().len(), 0);
    assert_eq!(results[1]["exceptions"][0]["rule"], "accuracy");
    assert_eq!(results[2]["outcome"], "block");
    assert!(results[3].get("document").is_none());
    let msgs: Vec<&str> = results[3]["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["msg"].as_str().unwrap())
        .collect();
    assert!(
        msgs.contains(&"Model accuracy 0.78 is below minimum threshold 0.85"),
        "{msgs:?}"
    );
}

#[test]
fn junit_output_is_well_formed_and_escaped() {
    let dir = temp_dir("junit");
    let tricky = write(
        &dir,
        "tricky <&>.yaml",
        "spec:\n  model: {name: \"a<b>&'c\\\"\", framework: pytorch, experiment_id: e}\n  metrics: {accuracy: 0.5, f1_score: 0.9}\n  fairness: {demographic_parity: 0.01}\n",
    );
    let r = govgate(&[
        "check",
        "-p",
        &policy("model-deployment"),
        &manifest("valid-model"),
        &tricky,
        "--now",
        NOW,
        "-o",
        "junit",
    ]);
    r.expect_code(4);
    let xml = &r.stdout;
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
        "{xml}"
    );
    assert!(
        xml.contains("<testsuite name=\"model-deployment\" tests=\"2\" failures=\"1\""),
        "{xml}"
    );
    assert!(xml.contains("<testcase name=\""), "{xml}");
    assert!(xml.contains("tricky &lt;&amp;&gt;.yaml"), "{xml}");
    assert!(
        xml.contains("<failure message=\"Model accuracy 0.50 is below minimum threshold 0.85"),
        "{xml}"
    );
    assert_well_formed(xml);
}

/// A small XML checker: tags balance, attributes are quoted, no raw `<` or `&` in text.
fn assert_well_formed(xml: &str) {
    let body = xml.split_once("?>").unwrap().1;
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        assert_entities(text);
        let close = rest[open..].find('>').unwrap() + open;
        let tag = &rest[open + 1..close];
        assert!(!tag.contains('<'), "raw < inside a tag: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "unbalanced </{name}>");
        } else {
            let name = tag
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches('/')
                .to_owned();
            let attrs = tag[name.len()..].trim().trim_end_matches('/');
            assert_eq!(
                attrs.matches('"').count() % 2,
                0,
                "unquoted attribute in <{tag}>"
            );
            assert_entities(attrs);
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
        rest = &rest[close + 1..];
    }
    assert_entities(rest);
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
}

fn assert_entities(text: &str) {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..text[i..].find(';').map(|e| i + e + 1).unwrap_or(text.len())];
        assert!(
            [
                "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#9;", "&#10;", "&#13;"
            ]
            .contains(&entity),
            "bad entity {entity:?} in {text:?}"
        );
    }
}

#[test]
fn github_output_is_annotations() {
    let r = govgate(&[
        "check",
        "-p",
        &policy("model-deployment"),
        &manifest("low-accuracy"),
        &manifest("valid-model"),
        "--now",
        NOW,
        "-o",
        "github",
    ]);
    r.expect_code(4);
    let low = manifest("low-accuracy");
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with(&format!("::error file={low}"))
                && l.ends_with("::Model accuracy 0.78 is below minimum threshold 0.85")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with(&format!("::warning file={}", manifest("valid-model")))),
        "{}",
        r.stdout
    );
}

#[test]
fn a_policy_directory_applies_every_policy_but_not_tests() {
    let dir = temp_dir("policy-dir");
    std::fs::copy(
        policy("model-deployment"),
        dir.join("model-deployment.yaml"),
    )
    .unwrap();
    write(
        &dir,
        "extra.yaml",
        "govgate: 1\nname: extra\nsubject: manifest\ndeny:\n  - id: owner\n    when: '!has(input.spec.owner)'\n    message: Every manifest names an owner\n",
    );
    write(&dir, "extra_test.yaml", "cases: []\n");
    let r = govgate(&[
        "check",
        "-p",
        dir.to_str().unwrap(),
        &manifest("valid-model"),
        "--now",
        NOW,
    ]);
    r.expect_code(4)
        .stdout_has("- extra - Every manifest names an owner")
        .stdout_has("- model-deployment - Model name must follow");
}

#[test]
fn unreadable_files_and_invalid_policies_are_errors() {
    govgate(&[
        "check",
        "-p",
        &policy("model-deployment"),
        "/no/such/manifest.yaml",
    ])
    .expect_code(1)
    .stderr_has("no such file");
    let dir = temp_dir("bad-manifest");
    let bad = write(&dir, "bad.yaml", "spec:\n  metrics: [1, 2\n");
    govgate(&["check", "-p", &policy("model-deployment"), &bad])
        .expect_code(1)
        .stderr_has("bad.yaml:");
    let broken = write(
        &dir,
        "broken.yaml",
        "govgate: 1\nname: broken\nsubject: manifest\ndeny:\n  - id: x\n    when: input.a ==\n    message: m\n",
    );
    govgate(&["check", "-p", &broken, &manifest("valid-model")])
        .expect_code(1)
        .stderr_has("broken.yaml:6:");
    govgate(&["check", "-p", &policy("model-deployment")]).expect_code(2);
}

#[test]
fn manifests_on_stdin() {
    let text = std::fs::read_to_string(manifest("high-drift")).unwrap();
    govgate_stdin(
        &[
            "check",
            "-p",
            &policy("model-deployment"),
            "-",
            "--now",
            NOW,
        ],
        &text,
    )
    .expect_code(4)
    .stdout_has(
        "FAIL - <stdin> - model-deployment - Model drift score 0.45 exceeds critical threshold",
    );
}

#[test]
fn a_rule_that_fails_to_evaluate_is_an_error_not_a_pass() {
    let dir = temp_dir("errored-rule");
    // `accuracy` cannot be compared (a string); `fairness_required` and the experiment
    // tracking rule (`!has(input.spec.model.experiment_id)`, no `spec.model` here) fire; the
    // other eight deny/warn rules pass.
    let m = write(
        &dir,
        "m.json",
        r#"{"spec": {"metrics": {"accuracy": "high"}}}"#,
    );
    let run = govgate(&["check", "-p", &policy("model-deployment"), &m, "--now", NOW]);
    run.expect_code(1)
        .stdout_has("ERROR - ")
        .stdout_has("11 tests, 8 passed, 0 warnings, 2 failures, 0 exceptions, 1 errors");
    let json = govgate(&[
        "check",
        "-p",
        &policy("model-deployment"),
        &m,
        "--now",
        NOW,
        "-o",
        "json",
    ]);
    json.expect_code(1);
    assert_eq!(json.json()[0]["successes"], 8);
    // A document every rule fails on passes nothing.
    let list = write(&dir, "list.yaml", "- a\n- b\n");
    govgate(&[
        "check",
        "-p",
        &policy("model-deployment"),
        &list,
        "--now",
        NOW,
    ])
    .expect_code(1)
    .stdout_has("11 tests, 0 passed, 0 warnings, 0 failures, 0 exceptions, 11 errors");
}

#[test]
fn a_policy_directory_skips_data_files_that_are_not_policies() {
    // docs/cli.md suggests `govgate schema > govgate.schema.json` beside the policies.
    let dir = temp_dir("policy-dir-data");
    std::fs::copy(
        policy("model-deployment"),
        dir.join("model-deployment.yaml"),
    )
    .unwrap();
    let schema = govgate(&["schema"]).stdout;
    write(&dir, "govgate.schema.json", &schema);
    write(&dir, "package.json", r#"{"name": "x", "version": "1.0.0"}"#);
    write(&dir, "values.yaml", "replicas: 3\n");
    let r = govgate(&[
        "check",
        "-p",
        dir.to_str().unwrap(),
        &manifest("valid-model"),
        "--now",
        NOW,
    ]);
    r.expect_code(0)
        .stdout_has("- model-deployment - Model name must follow")
        .stderr_has("skipping `")
        .stderr_has("package.json`: not a policy");
    govgate(&["validate", dir.to_str().unwrap()])
        .expect_code(0)
        .stdout_has("(model-deployment, digest ");
    // A file that claims to be a policy and is broken is still an error.
    write(&dir, "broken.yaml", "govgate: 1\nname: [broken\n");
    govgate(&[
        "check",
        "-p",
        dir.to_str().unwrap(),
        &manifest("valid-model"),
    ])
    .expect_code(1)
    .stderr_has("broken.yaml:");
    // A directory with no policy at all is an error.
    let empty = temp_dir("policy-dir-none");
    write(&empty, "package.json", "{}");
    govgate(&[
        "check",
        "-p",
        empty.to_str().unwrap(),
        &manifest("valid-model"),
    ])
    .expect_code(1)
    .stderr_has("no policies in");
}

#[test]
fn a_manifest_with_no_document_is_an_error_not_a_pass() {
    let dir = temp_dir("empty-manifest");
    let empty = write(&dir, "empty.yaml", "");
    let comments = write(&dir, "comments.yaml", "# generated nothing\n");
    for file in [&empty, &comments] {
        govgate(&["check", "-p", &policy("model-deployment"), file])
            .expect_code(1)
            .stderr_has("holds no document")
            .stdout_has("1 errors");
        let r = govgate(&[
            "check",
            "-p",
            &policy("model-deployment"),
            file,
            "-o",
            "json",
        ]);
        r.expect_code(1);
        assert!(
            r.json()[0]["errors"][0]
                .as_str()
                .unwrap()
                .contains("holds no document")
        );
    }
    govgate_stdin(&["check", "-p", &policy("model-deployment"), "-"], "")
        .expect_code(1)
        .stderr_has("<stdin>");
}

#[test]
fn text_output_keeps_each_finding_on_one_line() {
    // A manifest value with a newline must not forge further lines (a FAIL, a `::error::`
    // workflow command that a CI runner would obey) or send escape sequences to a terminal.
    let dir = temp_dir("one-line");
    let p = write(
        &dir,
        "p.yaml",
        "govgate: 1\nname: lines\nsubject: manifest\ndeny:\n  - id: bad\n    when: has(input.msg)\n    message: 'Bad: {input.msg}'\n",
    );
    let m = write(
        &dir,
        "m.json",
        r#"{"msg": "x\n::error::forged\r\nFAIL - other.yaml - p - forged \u001b[31mred"}"#,
    );
    let r = govgate(&["check", "-p", &p, &m]);
    r.expect_code(4);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert!(lines[0].starts_with("FAIL - "), "{}", r.stdout);
    assert!(
        lines[0].contains(r"x\n::error::forged\r\nFAIL - other.yaml"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains('\u{1b}'), "{}", r.stdout);
    let e = govgate(&["eval", "-p", &p, &m]);
    e.expect_code(4);
    assert!(
        !e.stdout.lines().any(|l| l.starts_with("::error::")),
        "{}",
        e.stdout
    );
    assert!(!e.stdout.contains('\u{1b}'), "{}", e.stdout);
    assert!(
        e.stdout.contains(r"bad: Bad: x\n::error::forged"),
        "{}",
        e.stdout
    );
}

#[test]
fn junit_keeps_newlines_in_attributes_and_drops_forbidden_characters() {
    let dir = temp_dir("junit-lines");
    let p = write(
        &dir,
        "p.yaml",
        "govgate: 1\nname: lines\nsubject: manifest\ndeny:\n  - id: bad\n    when: has(input.msg)\n    message: 'Bad: {input.msg}'\n",
    );
    let m = write(
        &dir,
        "m.json",
        r#"{"msg": "one\ntwo\r\nthree \u0001 & <x> \"q\""}"#,
    );
    let r = govgate(&["check", "-p", &p, &m, "-o", "junit"]);
    r.expect_code(4);
    let xml = &r.stdout;
    assert_well_formed(xml);
    assert!(
        xml.contains(
            "<failure message=\"Bad: one&#10;two&#13;&#10;three \u{FFFD} &amp; &lt;x&gt; &quot;q&quot;\""
        ),
        "{xml}"
    );
    assert!(!xml.contains('\r') && !xml.contains('\u{1}'), "{xml}");
}

#[test]
fn a_shadow_mode_policy_reports_what_it_would_deny_and_passes() {
    // The model-deployment policy in shadow mode: its denials are reported as notes and the
    // run passes, as `eval` makes a shadow decision's effective outcome auto.
    let dir = temp_dir("shadow-check");
    let text = std::fs::read_to_string(policy("model-deployment")).unwrap();
    let shadow = text.replacen("subject: manifest", "subject: manifest\nmode: shadow", 1);
    assert_ne!(shadow, text);
    let p = write(&dir, "shadow.yaml", &shadow);
    govgate(&[
        "check",
        "--policy",
        &p,
        &manifest("low-accuracy"),
        "--now",
        NOW,
    ])
    .expect_code(0)
    .stdout_has("0 failures")
    .stdout_has(
        "shadow mode, would fail: accuracy: Model accuracy 0.78 is below minimum threshold 0.85",
    );
    // The same manifest fails under the enforcing policy.
    govgate(&[
        "check",
        "--policy",
        &policy("model-deployment"),
        &manifest("low-accuracy"),
        "--now",
        NOW,
    ])
    .expect_code(4);
}

#[test]
fn a_required_section_is_reported_even_when_its_parent_is_missing() {
    // `!has(input.spec.fairness)` fires on a manifest with no `spec` at all (as OPA's `not
    // input.spec.fairness` does), so an empty manifest cannot slip past the requirement.
    let dir = temp_dir("no-spec");
    let m = write(
        &dir,
        "bare.yaml",
        "apiVersion: v1\nkind: Model\nmetadata: {name: bare}\n",
    );
    govgate(&[
        "check",
        "--policy",
        &policy("model-deployment"),
        &m,
        "--now",
        NOW,
    ])
    .expect_code(4)
    .stdout_has("Model must include fairness/bias evaluation metrics");
    // Nor can an empty `spec:` (null in YAML).
    let empty = write(&dir, "empty-spec.yaml", "kind: Model\nspec:\n");
    govgate(&[
        "check",
        "--policy",
        &policy("model-deployment"),
        &empty,
        "--now",
        NOW,
    ])
    .expect_code(4)
    .stdout_has("Model must include fairness/bias evaluation metrics");
}

#[test]
fn a_broken_document_does_not_hide_the_others_in_its_file() {
    let dir = temp_dir("broken-doc");
    let text = std::fs::read_to_string(manifest("multi")).unwrap();
    let broken = text.replacen("    framework: sklearn", "    framework: [sklearn", 1);
    assert_ne!(broken, text);
    let m = write(&dir, "multi.yaml", &broken);
    let run = govgate(&[
        "check",
        "--policy",
        &policy("model-deployment"),
        &m,
        "--now",
        NOW,
    ]);
    run.expect_code(1)
        // The broken document, at its own line, with the unclosed bracket named.
        .stdout_has(&format!("ERROR - {m}[1] - model-deployment - invalid yaml"))
        .stderr_has("the `[` at line 29, column 16 is not closed")
        // The documents after it are still checked.
        .stdout_has(&format!(
            "FAIL - {m}[2] - model-deployment - Unapproved dependency: leftpad"
        ));
    let json = govgate(&[
        "check",
        "--policy",
        &policy("model-deployment"),
        &m,
        "--now",
        NOW,
        "-o",
        "json",
    ]);
    let results = json.json();
    let docs: Vec<i64> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["document"].as_i64().unwrap())
        .collect();
    assert_eq!(docs, vec![0, 1, 2]);
    assert_eq!(results[1]["line"], 30);
}

#[test]
fn findings_point_at_the_line_of_the_field_their_rule_reads() {
    let r = govgate(&[
        "check",
        "-p",
        &policy("model-deployment"),
        &manifest("low-accuracy"),
        "--now",
        NOW,
        "-o",
        "github",
    ]);
    r.expect_code(4);
    let low = manifest("low-accuracy");
    // `accuracy: 0.78` is line 4 and `f1_score` line 5 of the manifest; a missing section
    // points at the map it is missing from (`spec:`, line 2).
    for (line, rule) in [(4, "accuracy"), (5, "f1_score"), (2, "fairness_required")] {
        let wanted = format!("::error file={low},line={line},title=model-deployment {rule}::");
        assert!(
            r.stdout.lines().any(|l| l.starts_with(&wanted)),
            "{wanted}\n{}",
            r.stdout
        );
    }
    // The JSON output carries the same lines per finding.
    let json = govgate(&[
        "check",
        "-p",
        &policy("model-deployment"),
        &low,
        "--now",
        NOW,
        "-o",
        "json",
    ]);
    let failures = json.json()[0]["failures"].clone();
    let accuracy = failures
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "accuracy")
        .unwrap()
        .clone();
    assert_eq!(accuracy["line"], 4);
}

#[test]
fn review_regressions_policy_dirs_limits_shadow_verdicts_and_document_numbers() {
    let dir = temp_dir("review");
    let deny_big = "govgate: 1\nname: a\nsubject: manifest\ndeny:\n  - id: big\n    when: input.amount > 10\n    message: too big\n";
    let m = write(&dir, "m.yaml", "amount: 20\n");

    // A policy directory holding a policy with a syntax error fails the run (it used to be
    // skipped as "not a policy", and the run passed).
    let pd = dir.join("policies");
    std::fs::create_dir_all(&pd).unwrap();
    write(&pd, "a.yaml", deny_big);
    write(&pd, "b.toml", "govgate = 1\nname = \"b\"\nsubject = [\n");
    let pd = pd.to_string_lossy().into_owned();
    govgate(&["check", "--policy", &pd, &m]).expect_code(1);
    govgate(&["validate", &pd]).expect_code(1);

    // The node limit holds for the whole stream: documents are not recovered one by one
    // around it.
    let mut bomb = String::new();
    for tag in ["a", "b"] {
        bomb.push_str(&format!("l0: &{tag}0 [x,x,x,x,x,x,x,x,x,x]\n"));
        for level in 1..5 {
            let refs = vec![format!("*{tag}{}", level - 1); 10].join(",");
            bomb.push_str(&format!("l{level}: &{tag}{level} [{refs}]\n"));
        }
        bomb.push_str(&format!(
            "l5: [{}]\namount: 20\n---\n",
            vec![format!("*{tag}4"); 6].join(",")
        ));
    }
    let bomb = write(&dir, "bomb.yaml", &bomb);
    let a = write(&dir, "a.yaml", deny_big);
    govgate(&["check", "--policy", &a, &bomb])
        .expect_code(1)
        .stderr_has("nodes once aliases are expanded");

    // Shadow mode reports verdicts and warnings it would give, and they do not fail the run
    // (not even with --fail-on-warn).
    let shadow = write(
        &dir,
        "shadow.yaml",
        "govgate: 1\nname: s\nmode: shadow\nsubject: manifest\nverdicts: {allow: auto, hold: approval, deny: block}\ndefault_verdict: {verdict: allow}\nrules:\n  - id: big\n    when: input.amount > 10\n    verdict: deny\nwarn:\n  - id: w\n    when: input.amount > 1\n    message: warned\n",
    );
    govgate(&["check", "--policy", &shadow, &m, "--fail-on-warn"])
        .expect_code(0)
        .stdout_has("shadow mode, would fail: big: verdict deny")
        .stdout_has("shadow mode, would warn: w: warned")
        .stdout_has("2 tests, 0 passed, 0 warnings, 0 failures, 0 exceptions, 2 shadow findings");

    // Recovered documents keep the numbers a whole-file parse gives them: empty documents
    // count, and a directive stays with its document.
    let c1 = write(
        &dir,
        "c1.yaml",
        "amount: 1\n---\n---\namount: [\n---\namount: 20\n",
    );
    govgate(&["check", "--policy", &a, &c1])
        .expect_code(1)
        .stdout_has(&format!("ERROR - {c1}[2] - a - invalid yaml"))
        .stdout_has(&format!("FAIL - {c1}[3] - a - too big"));
    let c2 = write(
        &dir,
        "c2.yaml",
        "%YAML 1.2\n---\namount: 20\n---\namount: [\n",
    );
    govgate(&["check", "--policy", &a, &c2])
        .expect_code(1)
        .stdout_has(&format!("FAIL - {c2}[0] - a - too big"))
        .stdout_has(&format!("ERROR - {c2}[1] - a - invalid yaml"));
}

#[test]
fn a_directory_of_manifests_is_checked_file_by_file() {
    let dir = temp_dir("manifest-dir");
    let root = dir.join("manifests");
    std::fs::create_dir_all(root.join("nested")).unwrap();
    std::fs::create_dir_all(root.join("node_modules")).unwrap();
    write(&root, "a.yaml", "spec: {drift: {score: 0.45}}\n");
    write(
        &root.join("nested"),
        "b.json",
        "{\"spec\": {\"drift\": {\"score\": 0.5}}}\n",
    );
    write(&root, "notes.txt", "not a manifest\n");
    write(&root, ".hidden.yaml", "spec: {drift: {score: 0.9}}\n");
    write(
        &root.join("node_modules"),
        "c.yaml",
        "spec: {drift: {score: 0.9}}\n",
    );
    let d = root.to_string_lossy().into_owned();
    let run = govgate(&[
        "check",
        "--policy",
        &policy("model-deployment"),
        &d,
        "--now",
        NOW,
    ]);
    run.expect_code(4)
        .stdout_has(&format!(
            "{d}/a.yaml - model-deployment - Model drift score 0.45"
        ))
        .stdout_has(&format!(
            "{d}/nested/b.json - model-deployment - Model drift score 0.50"
        ));
    assert!(
        !run.stdout.contains("hidden") && !run.stdout.contains("node_modules"),
        "{}",
        run.stdout
    );
    // A directory with nothing to check is an error, not a pass.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    govgate(&[
        "check",
        "--policy",
        &policy("model-deployment"),
        &empty.to_string_lossy(),
    ])
    .expect_code(1)
    .stderr_has("holds no manifests");
}
