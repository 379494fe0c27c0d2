//! `govgate eval` over the real binary, on the reference policies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

const NOW: &str = "2026-01-01T00:00:00Z";

#[test]
fn live_switch_needs_an_admin_and_explains_why() {
    let r = govgate(&[
        "eval",
        "--policy",
        &policy("agent-trading"),
        "--input",
        &repo("examples/actions/live-switch.json"),
        "--now",
        NOW,
    ]);
    r.expect_code(3)
        .stdout_has("approval required")
        .stdout_has("85.00")
        .stdout_has("high")
        .stdout_has("Switching from paper to live trading")
        .stdout_has("switch_to_live")
        .stdout_has("admin")
        .stdout_has("justification  required")
        .stdout_has("suggestions")
        .stdout_has("agent-trading (digest ");
    // A factor bar: id, bar, contribution, label.
    let bar = r
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("mode "))
        .expect("mode factor line");
    assert!(
        bar.contains('█') && bar.contains("+40") && bar.contains("Live trading"),
        "{bar}"
    );
    // No colour when stdout is not a terminal.
    assert!(!r.stdout.contains('\x1b'));
}

#[test]
fn json_output_is_the_decision_exactly() {
    let r = govgate(&[
        "eval",
        "-p",
        &policy("agent-trading"),
        "-i",
        &repo("examples/actions/live-switch.json"),
        "--now",
        NOW,
        "--format",
        "json",
    ]);
    r.expect_code(3);
    let decision: govgate_core::Decision = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(decision.outcome, govgate_core::Outcome::Approval);
    assert_eq!((decision.score * 100.0).round() / 100.0, 85.0);
    assert_eq!(decision.band.as_deref(), Some("high"));
    assert_eq!(&*decision.policy.policy, "agent-trading");
    assert!(
        decision.fingerprint.is_none(),
        "fingerprint only on request"
    );
    // Re-serializing gives the same JSON: the output is the serde form, nothing added.
    assert_eq!(serde_json::to_value(&decision).unwrap(), r.json());
}

#[test]
fn safe_edit_runs_by_itself() {
    govgate(&[
        "eval",
        "--policy",
        &policy("coding-agent"),
        "--input",
        &repo("examples/actions/safe-edit.json"),
        "--now",
        NOW,
    ])
    .expect_code(0)
    .stdout_has("auto (allowed)")
    .stdout_has("0.05");
}

#[test]
fn a_force_push_is_blocked() {
    let action = r#"{"actor": {"id": "engineer_1", "roles": ["engineer"]}, "type": "force_push",
        "args": {"target_files": []}, "context": {"repository": "web", "branch": "feature/x", "repositories": ["web"]}}"#;
    govgate_stdin(
        &["eval", "--policy", &policy("coding-agent"), "--now", NOW],
        action,
    )
    .expect_code(4)
    .stdout_has("blocked");
    // `-` reads standard input too, as --input or as the positional argument.
    govgate_stdin(
        &[
            "eval",
            "--policy",
            &policy("coding-agent"),
            "--input",
            "-",
            "--now",
            NOW,
        ],
        action,
    )
    .expect_code(4);
    govgate_stdin(
        &[
            "eval",
            "--policy",
            &policy("coding-agent"),
            "-",
            "--now",
            NOW,
            "-f",
            "json",
        ],
        action,
    )
    .expect_code(4)
    .stdout_has("\"outcome\": \"block\"");
}

#[test]
fn yaml_input_on_stdin() {
    let action = "actor: {id: trader-1, roles: [trader]}\ntype: modify_strategy\nargs: {trading_mode: inactive, stop_loss_pct: 1.5, strategy_ids: [42], reversibility: reversible}\ncontext: {current_mode: inactive}\n";
    govgate_stdin(
        &["eval", "--policy", &policy("agent-trading"), "--now", NOW],
        action,
    )
    .expect_code(0)
    .stdout_has("low");
}

const EXTREME: &str = r#"{"actor": {"id": "trader-1", "roles": ["trader"]}, "type": "modify_strategy",
    "args": {"trading_mode": "inactive", "stop_loss_pct": 35, "strategy_ids": [1], "reversibility": "reversible"},
    "context": {"current_mode": "inactive"}}"#;

#[test]
fn a_param_changes_the_decision() {
    govgate_stdin(
        &["eval", "-p", &policy("agent-trading"), "--now", NOW],
        EXTREME,
    )
    .expect_code(3)
    .stdout_has("extreme_stop_loss");
    let r = govgate_stdin(
        &[
            "eval",
            "-p",
            &policy("agent-trading"),
            "--now",
            NOW,
            "--param",
            "extreme_stop_loss_pct=50",
        ],
        EXTREME,
    );
    r.expect_code(0);
    assert!(!r.stdout.contains("extreme_stop_loss"), "{}", r.stdout);
}

#[test]
fn bad_params_are_usage_errors() {
    govgate_stdin(
        &[
            "eval",
            "-p",
            &policy("agent-trading"),
            "--now",
            NOW,
            "--param",
            "extreme_stop_loss_pct=lots",
        ],
        EXTREME,
    )
    .expect_code(2)
    .stderr_has("extreme_stop_loss_pct");
    govgate_stdin(
        &[
            "eval",
            "-p",
            &policy("agent-trading"),
            "--now",
            NOW,
            "--param",
            "extreme_stop_los_pct=50",
        ],
        EXTREME,
    )
    .expect_code(2)
    .stderr_has("did you mean `extreme_stop_loss_pct`");
    govgate_stdin(
        &[
            "eval",
            "-p",
            &policy("agent-trading"),
            "--param",
            "no-equals-sign",
        ],
        EXTREME,
    )
    .expect_code(2);
    govgate_stdin(
        &["eval", "-p", &policy("agent-trading"), "--now", "yesterday"],
        EXTREME,
    )
    .expect_code(2)
    .stderr_has("--now");
    govgate(&["eval", "--format", "yaml", "-p", &policy("agent-trading")]).expect_code(2);
    govgate(&["eval"]).expect_code(2);
}

#[test]
fn bad_inputs_are_errors_with_a_location() {
    govgate_stdin(
        &[
            "eval",
            "-p",
            &policy("agent-trading"),
            "-i",
            "-",
            "-f",
            "json",
        ],
        "{\"type\": [1, }",
    )
    .expect_code(1)
    .stderr_has("<stdin>:1:");
    govgate(&[
        "eval",
        "-p",
        &policy("agent-trading"),
        "-i",
        "/no/such/action.json",
    ])
    .expect_code(1)
    .stderr_has("no such file");
    govgate_stdin(&["eval", "-p", "/no/such/policy.yaml"], "{}")
        .expect_code(1)
        .stderr_has("cannot read");
    govgate_stdin(
        &["eval", "-p", &policy("agent-trading")],
        "a: 1\n---\nb: 2\n",
    )
    .expect_code(1)
    .stderr_has("2 documents");
}

#[test]
fn fingerprint_on_request_matches_the_override_command() {
    let r = govgate(&[
        "eval",
        "-p",
        &policy("agent-trading"),
        "-i",
        &repo("examples/actions/live-switch.json"),
        "--now",
        NOW,
        "-f",
        "json",
        "--fingerprint",
    ]);
    let fp = r.json()["fingerprint"].as_str().unwrap().to_owned();
    assert_eq!(fp.len(), 64);
    let f = govgate(&[
        "override",
        "fingerprint",
        "--input",
        &repo("examples/actions/live-switch.json"),
    ]);
    f.expect_code(0);
    assert_eq!(f.stdout.trim(), fp);
}

#[test]
fn log_appends_one_redacted_json_line_per_decision() {
    let dir = temp_dir("log");
    let log = dir.join("decisions.jsonl").to_string_lossy().into_owned();
    let action = repo("examples/actions/safe-edit.json");
    for _ in 0..2 {
        govgate(&[
            "eval",
            "-p",
            &policy("coding-agent"),
            "-i",
            &action,
            "--now",
            NOW,
            "--log",
            &log,
            "-f",
            "json",
        ])
        .expect_code(0);
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.ends_with('\n'));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    for line in lines {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in [
            "ts",
            "policy",
            "digest",
            "fingerprint",
            "action",
            "decision",
        ] {
            assert!(record.get(key).is_some(), "missing {key}: {line}");
        }
        assert_eq!(record["policy"], "coding-agent");
        assert_eq!(record["ts"], "2026-01-01T00:00:00.000Z");
        assert_eq!(record["decision"]["outcome"], "auto");
        assert_eq!(record["fingerprint"].as_str().unwrap().len(), 64);
        // The diff is a secret field: hashed, never written out.
        let diff = record["action"]["args"]["diff"].as_str().unwrap();
        assert!(diff.starts_with("sha256:"), "{diff}");
        assert!(!line.contains("Instal the CLI"), "secret leaked: {line}");
        // Everything else is kept.
        assert_eq!(
            record["action"]["args"]["target_files"][0],
            "docs/README.md"
        );
    }
}

#[test]
fn help_lists_the_exit_codes() {
    let r = govgate(&["--help"]);
    r.expect_code(0)
        .stdout_has("Exit codes")
        .stdout_has("3  approval required");
    govgate(&["eval", "--help"])
        .expect_code(0)
        .stdout_has("4  blocked");
    govgate(&["check", "--help"])
        .expect_code(0)
        .stdout_has("Exit codes");
}

#[test]
fn shadow_mode_lets_the_action_run_and_says_what_would_have_happened() {
    let dir = temp_dir("shadow");
    let p = write(
        &dir,
        "shadow.yaml",
        "govgate: 1\nname: shadowed\nmode: shadow\nrules:\n  - id: no_prod\n    when: input.context.env == \"prod\"\n    verdict: block\n    reason_code: prod\n    message: Production is off limits\ndefault_verdict: {verdict: auto}\n",
    );
    let action = r#"{"type": "deploy", "context": {"env": "prod"}}"#;
    govgate_stdin(&["eval", "-p", &p, "--now", NOW], action)
        .expect_code(0)
        .stdout_has("auto (allowed)  (shadow mode; would be: blocked)")
        .stdout_has("Production is off limits");
    let r = govgate_stdin(&["eval", "-p", &p, "--now", NOW, "-f", "json"], action);
    r.expect_code(0);
    assert_eq!(r.json()["shadow_outcome"], "block");
}

#[test]
fn eval_on_a_manifest_policy_lists_deny_and_warn_messages() {
    govgate(&[
        "eval",
        "-p",
        &policy("model-deployment"),
        &repo("examples/manifests/low-accuracy.yaml"),
        "--now",
        NOW,
    ])
    .expect_code(4)
    .stdout_has("blocked")
    .stdout_has("✗ accuracy: Model accuracy 0.78 is below minimum threshold 0.85")
    .stdout_has("✗ f1_score: Model F1 score 0.75 is below minimum threshold 0.80");
    govgate(&[
        "eval",
        "-p",
        &policy("model-deployment"),
        &repo("examples/manifests/valid-model.yaml"),
        "--now",
        NOW,
    ])
    .expect_code(0)
    .stdout_has("! model_naming: Model name must follow pattern: domain-task-vN");
}

#[test]
fn an_unwritable_log_still_prints_the_decision_and_exits_1() {
    let dir = temp_dir("log-unwritable");
    let action = repo("examples/actions/safe-edit.json");
    // A directory, a missing directory, a full device: the decision (auto here) is printed,
    // the failure is said on stderr, and the exit code is 1, never 0.
    let missing = dir.join("no/such/dir/log.jsonl");
    for log in [
        dir.to_str().unwrap(),
        missing.to_str().unwrap(),
        "/dev/full",
    ] {
        let r = govgate(&[
            "eval",
            "-p",
            &policy("coding-agent"),
            "-i",
            &action,
            "--now",
            NOW,
            "--log",
            log,
            "-f",
            "json",
        ]);
        r.expect_code(1).stderr_has("cannot append to the log");
        assert_eq!(r.json()["outcome"], "auto");
    }
}

#[cfg(unix)]
#[test]
fn a_short_log_write_leaves_no_half_line() {
    // A file size limit lets only the first bytes of the record through (SIGXFSZ ignored, so
    // the write comes back short): the partial line must be cut off again.
    let dir = temp_dir("log-short");
    let log = dir.join("decisions.jsonl");
    let before = format!("{}\n", "x".repeat(1000));
    std::fs::write(&log, &before).unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 2; exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_govgate"))
        .args([
            "eval",
            "-p",
            &policy("coding-agent"),
            "-i",
            &repo("examples/actions/safe-edit.json"),
            "--now",
            NOW,
            "--log",
            log.to_str().unwrap(),
            "-f",
            "json",
        ])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the partial line was removed"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), before);
    let decision: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(decision["outcome"], "auto");
}

/// Runs `govgate ARGS` under `script`, so that its standard input is a terminal; gives up
/// (failing the test) after 10 seconds. None when `script` is not installed.
#[cfg(unix)]
fn on_a_terminal(args: &[&str]) -> Option<(Option<i32>, String)> {
    let mut command = env!("CARGO_BIN_EXE_govgate").to_owned();
    for a in args {
        command.push_str(&format!(" '{a}'"));
    }
    let mut child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    for _ in 0..100 {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            return Some((out.status.code(), text));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("govgate {args:?} is still waiting on the terminal");
}

#[cfg(unix)]
#[test]
fn no_input_on_a_terminal_is_a_usage_error_not_a_wait() {
    let Some((code, text)) = on_a_terminal(&["eval", "-p", &policy("coding-agent")]) else {
        eprintln!("`script` is not installed: skipped");
        return;
    };
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("no input given"), "{text}");
    let (code, text) = on_a_terminal(&["override", "fingerprint"]).unwrap();
    assert_eq!(code, Some(2), "{text}");
    // Piped in, the action is still read without `-`.
    govgate_stdin(
        &["eval", "-p", &policy("coding-agent"), "--now", NOW],
        &std::fs::read_to_string(repo("examples/actions/safe-edit.json")).unwrap(),
    )
    .expect_code(0);
}

#[test]
fn text_that_is_not_utf8_is_pointed_at() {
    let dir = temp_dir("not-utf8");
    let action = dir.join("action.yaml");
    std::fs::write(&action, b"type: x\nargs:\n  a: \"\xff\"\n").unwrap();
    govgate(&[
        "eval",
        "-p",
        &policy("agent-trading"),
        "-i",
        action.to_str().unwrap(),
    ])
    .expect_code(1)
    .stderr_has("not UTF-8 text: invalid byte 0xFF")
    .stderr_has("action.yaml:3:7");
    let pol = dir.join("policy.yaml");
    std::fs::write(&pol, b"govgate: 1\nname: \xe9t\xe9\n").unwrap();
    govgate(&["validate", pol.to_str().unwrap()])
        .expect_code(1)
        .stderr_has("policy.yaml:2:7");
}

#[test]
fn a_failed_decision_shows_score_zero_not_negative_zero() {
    // Every factor fails on a non-object action; core's score is -0.0.
    let r = govgate_stdin(&["eval", "-p", &policy("agent-trading"), "-"], "\"text\"\n");
    r.expect_code(3).stdout_has("score       0.00  (scale");
    assert!(!r.stdout.contains("-0.00"), "{}", r.stdout);
}

#[cfg(target_os = "linux")]
#[test]
fn output_that_cannot_be_written_is_an_error() {
    // Standard output on a full disk: the decision (auto) was lost, so the exit is 1, not 0.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_govgate"))
        .args([
            "eval",
            "-p",
            &policy("coding-agent"),
            "-i",
            &repo("examples/actions/safe-edit.json"),
            "-f",
            "json",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot write to standard output"),
        "{stderr}"
    );
}

#[test]
fn standard_input_is_read_once() {
    let text = std::fs::read_to_string(policy("coding-agent")).unwrap();
    govgate_stdin(&["eval", "-p", "-", "-"], &text)
        .expect_code(2)
        .stderr_has("cannot both come from standard input");
    govgate_stdin(&["eval", "-p", "-"], &text).expect_code(2);
    govgate_stdin(
        &["check", "-p", "-", "-"],
        &std::fs::read_to_string(policy("model-deployment")).unwrap(),
    )
    .expect_code(2)
    .stderr_has("can be read only once");
    govgate_stdin(
        &["check", "-p", &policy("model-deployment"), "-", "-"],
        "a: 1\n",
    )
    .expect_code(2);
    // The policy alone on standard input is fine.
    govgate_stdin(
        &[
            "eval",
            "-p",
            "-",
            "-i",
            &repo("examples/actions/safe-edit.json"),
            "--now",
            NOW,
        ],
        &text,
    )
    .expect_code(0);
}

#[test]
fn a_param_number_out_of_range_says_so() {
    let run = |value: &str| {
        govgate(&[
            "eval",
            "-p",
            &policy("agent-trading"),
            "-i",
            &repo("examples/actions/live-switch.json"),
            "--now",
            NOW,
            "--param",
            &format!("extreme_stop_loss_pct={value}"),
        ])
    };
    run("1e999")
        .expect_code(2)
        .stderr_has("the number `1e999` is out of range");
    // Text that is not a number stays a string (and is then the wrong type here).
    run("inf").expect_code(2).stderr_has("found a string `inf`");
    run("2026-01-01")
        .expect_code(2)
        .stderr_has("found a string `2026-01-01`");
}

#[test]
fn log_to_dash_is_a_usage_error_not_a_file_named_dash() {
    let dir = temp_dir("log-dash");
    let r = govgate_in(
        &dir,
        &[
            "eval",
            "-p",
            &policy("coding-agent"),
            "-i",
            &repo("examples/actions/safe-edit.json"),
            "--log",
            "-",
        ],
        None,
    );
    r.expect_code(2).stderr_has("--log needs a file");
    assert!(!dir.join("-").exists());
}

#[test]
fn evaluation_errors_point_into_the_input_file() {
    let dir = temp_dir("error-places");
    // A wrong type: the error points at the value.
    let wrong = write(
        &dir,
        "wrong.json",
        "{\"actor\": {\"id\": \"t\"}, \"type\": \"modify_strategy\",\n \"args\": {\"trading_mode\": \"live\", \"stop_loss_pct\": \"eight\", \"strategy_ids\": [1], \"reversibility\": \"effort\"},\n \"context\": {\"current_mode\": \"paper\"}}\n",
    );
    govgate(&[
        "eval",
        "--policy",
        &policy("agent-trading"),
        "--input",
        &wrong,
    ])
    .expect_code(3)
    .stdout_has(&format!("--> {wrong}:2:52 (`args.stop_loss_pct`)"));
    // A missing field: the place of the map that lacks it.
    let missing = write(
        &dir,
        "step.yaml",
        "actor: {id: runner}\ntype: pipeline_step\nargs:\n  prompt: hello\n  context: documentation\n",
    );
    govgate(&[
        "eval",
        "--policy",
        &policy("pipeline-gate"),
        "--input",
        &missing,
    ])
    .expect_code(3)
    .stdout_has(&format!("- input.args.intent  --> {missing}:3:1 (`args`)"));
}
