//! `govgate test` over the real binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

const TINY: &str = r#"# A tiny policy for the test runner's tests.
govgate: 1
name: tiny
factors:
  - id: size
    tiers:
      value: input.args.amount
      tiers:
        - {upto: 10, points: 0, label: Small}
        - {upto: 100, points: 50, label: Medium}
        - {points: 100, label: Large}
bands:
  - {name: low, upto: 30, outcome: auto}
  - {name: high, outcome: approval, approval: {role: reviewer}}
rules:
  - id: huge
    when: input.args.amount > 1000
    verdict: block
    reason_code: huge
    message: Amount {input.args.amount} is huge
default_verdict: {verdict: auto}
deny:
  - id: negative
    when: input.args.amount < 0
    message: Negative amount
"#;

const TINY_TEST: &str = r#"cases:
  - name: small is auto
    input: {type: pay, args: {amount: 5}}
    expect: {outcome: auto, band: low}
  - name: medium is wrongly expected to be auto
    input: {type: pay, args: {amount: 50}}
    expect: {outcome: auto, band: low}
invariants:
  - name: high is never auto
    when: decision.band == "high"
    assert: decision.outcome != "auto"
"#;

fn policies_dir() -> String {
    repo("examples/policies")
}

#[test]
fn the_reference_policies_pass_their_tests() {
    let r = govgate(&["test", &policies_dir()]);
    r.expect_code(0).stdout_has("PASS: ");
    let last = r.stdout.lines().last().unwrap();
    let (passed, total) = last.trim_start_matches("PASS: ").split_once('/').unwrap();
    assert_eq!(passed, total, "{last}");
    assert!(total.parse::<usize>().unwrap() >= 20, "{last}");
    // Verbose lists every case by name.
    govgate(&["test", "-v", &policies_dir()])
        .expect_code(0)
        .stdout_has("PASS  seed - valid model is allowed");
}

#[test]
fn a_failing_case_shows_expected_and_actual() {
    let dir = temp_dir("failing");
    write(&dir, "tiny.yaml", TINY);
    write(&dir, "tiny_test.yaml", TINY_TEST);
    let r = govgate(&["test", dir.to_str().unwrap()]);
    r.expect_code(4)
        .stdout_has("FAIL  medium is wrongly expected to be auto")
        .stdout_has("outcome: expected auto, got approval")
        .stdout_has("band: expected low, got high")
        .stdout_has("invariant `high is never auto` (checked on ")
        .stdout_has("not covered by any case: rule:huge, deny:negative")
        .stdout_has("PASS: 2/3");
    // The passing case is listed only with -v.
    assert!(!r.stdout.contains("PASS  small is auto"), "{}", r.stdout);
    govgate(&["test", "-v", dir.to_str().unwrap()])
        .expect_code(4)
        .stdout_has("PASS  small is auto");
}

#[test]
fn json_report() {
    let dir = temp_dir("json");
    write(&dir, "tiny.yaml", TINY);
    write(&dir, "tiny_test.yaml", TINY_TEST);
    let r = govgate(&["test", "--format", "json", dir.to_str().unwrap()]);
    r.expect_code(4);
    let j = r.json();
    assert_eq!(j["total"], 3);
    assert_eq!(j["passed"], 2);
    let suite = &j["suites"][0];
    assert_eq!(suite["passed"], false);
    assert_eq!(
        suite["report"]["cases"][1]["mismatches"][0]["field"],
        "outcome"
    );
    assert_eq!(
        suite["report"]["invariants"][0]["violations"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn an_invariant_violation_names_the_variant() {
    let dir = temp_dir("invariant");
    write(&dir, "tiny.yaml", TINY);
    write(
        &dir,
        "tiny_test.yaml",
        "cases:\n  - name: small\n    input: {type: pay, args: {amount: 5}}\n    expect: {outcome: auto}\ninvariants:\n  - name: always auto\n    assert: decision.outcome == \"auto\"\n",
    );
    govgate(&["test", dir.to_str().unwrap()])
        .expect_code(4)
        .stdout_has("FAIL  invariant `always auto`")
        .stdout_has("case `small` with args.amount = ");
}

#[test]
fn a_tests_section_and_a_named_policy_are_found() {
    let dir = temp_dir("own-tests");
    write(
        &dir,
        "own.yaml",
        &format!(
            "{TINY}tests:\n  cases:\n    - name: large needs approval\n      input: {{type: pay, args: {{amount: 500}}}}\n      expect: {{outcome: approval, approval_role: reviewer}}\n"
        ),
    );
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    write(
        &dir.join("tests"),
        "other_test.yaml",
        "policy: ../own.yaml\ncases:\n  - name: huge is blocked\n    input: {type: pay, args: {amount: 5000}}\n    expect: {outcome: block, verdict: block}\n",
    );
    // Non-policy YAML in the tree is skipped, not an error.
    write(&dir, "notes.yaml", "just: data\n");
    let r = govgate(&["test", "-v", dir.to_str().unwrap()]);
    r.expect_code(0)
        .stdout_has("PASS  large needs approval")
        .stdout_has("PASS  huge is blocked")
        .stdout_has("PASS: 2/2");
}

#[test]
fn problems_are_errors() {
    let dir = temp_dir("errors");
    write(&dir, "orphan_test.yaml", "cases: []\n");
    govgate(&["test", dir.to_str().unwrap()])
        .expect_code(1)
        .stderr_has("cannot find its policy");
    let empty = temp_dir("empty");
    govgate(&["test", empty.to_str().unwrap()])
        .expect_code(1)
        .stderr_has("no policy tests found");
    govgate(&["test", "/no/such/dir"])
        .expect_code(1)
        .stderr_has("does not exist");
    let broken = temp_dir("broken-test");
    write(&broken, "tiny.yaml", TINY);
    write(
        &broken,
        "tiny_test.yaml",
        "cases:\n  - name: x\n    inptu: {}\n    expect: {}\n",
    );
    govgate(&["test", broken.to_str().unwrap()])
        .expect_code(1)
        .stderr_has("tiny_test.yaml:3:");
}

#[test]
fn suites_without_cases_are_not_a_pass() {
    let dir = temp_dir("no-cases");
    write(&dir, "tiny.yaml", TINY);
    write(&dir, "tiny_test.yaml", "cases: []\n");
    let r = govgate(&["test", dir.to_str().unwrap()]);
    r.expect_code(1).stderr_has("no test cases found");
    assert!(r.stdout.contains("ERROR: 1 problem"), "{}", r.stdout);
    let json = govgate(&["test", dir.to_str().unwrap(), "-f", "json"]);
    json.expect_code(1);
    assert_eq!(json.json()["total"], 0);
    assert!(
        json.json()["errors"][0]
            .as_str()
            .unwrap()
            .contains("no test cases found")
    );
}

#[test]
fn errors_show_in_the_summary_and_each_place_looked_is_named_once() {
    let dir = temp_dir("orphan");
    write(&dir, "orphan_test.yaml", "cases: []\n");
    let r = govgate(&["test", dir.to_str().unwrap()]);
    r.expect_code(1);
    assert!(r.stdout.contains("ERROR: 1 problem"), "{}", r.stdout);
    assert_eq!(r.stderr.matches("orphan.yaml").count(), 1, "{}", r.stderr);
}

#[test]
fn a_policy_that_is_not_utf8_is_reported_not_skipped() {
    let dir = temp_dir("not-utf8");
    let mut bytes = TINY.as_bytes().to_vec();
    bytes.extend_from_slice(b"# caf\xe9\n");
    std::fs::write(dir.join("tiny.yaml"), bytes).unwrap();
    govgate(&["test", dir.to_str().unwrap()])
        .expect_code(1)
        .stderr_has("not UTF-8 text")
        .stderr_has("tiny.yaml:");
}

#[cfg(unix)]
#[test]
fn directory_links_are_not_followed() {
    // `up -> ..` and `self -> .` would make the walk endless.
    let dir = temp_dir("links");
    let tree = dir.join("tree");
    std::fs::create_dir(&tree).unwrap();
    write(&tree, "tiny.yaml", TINY);
    write(
        &tree,
        "tiny_test.yaml",
        "cases:\n  - name: small\n    input: {args: {amount: 1}}\n    expect: {outcome: auto}\n",
    );
    std::os::unix::fs::symlink("..", tree.join("up")).unwrap();
    std::os::unix::fs::symlink(".", tree.join("self")).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_govgate"))
        .args(["test", tree.to_str().unwrap()])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    if child.try_wait().unwrap().is_none() {
        let _ = child.kill();
        panic!("govgate test is walking in circles");
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("PASS: 1/1"), "{stdout}");
}
