//! `govgate override` with `govgate eval`: real signed overrides, honoured, replayed, tampered.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::Path;

use common::*;

const NOW: &str = "2026-01-01T00:00:00Z";

fn seed() -> String {
    "07".repeat(32)
}

/// A policy that blocks big payments unless an override flags them, trusting `seed()`'s key.
fn gated_policy(dir: &Path) -> String {
    let key = govgate(&["override", "public-key", "--seed-hex", &seed()]);
    key.expect_code(0);
    let key = key.stdout.trim();
    write(
        dir,
        "gated.yaml",
        &format!(
            "govgate: 1\nname: gated\nverdicts: {{ship: auto, hold: approval, stop: block}}\nrules:\n  - id: big\n    when: input.args.amount > 100\n    verdict: stop\n    reason_code: big\n    message: Amount {{input.args.amount}} is too big\n    unless_flag: allow_big\ndefault_verdict: {{verdict: ship}}\noverrides:\n  trusted_keys:\n    - {{id: ops, public_key: \"{key}\"}}\n"
        ),
    )
}

const BIG: &str = r#"{"actor": {"id": "agent-7"}, "type": "pay", "args": {"amount": 500}}"#;

fn sign(dir: &Path, action: &str, extra: &[&str]) -> serde_json::Value {
    let input = write(dir, "action.json", action);
    let s = seed();
    let mut args = vec![
        "override",
        "sign",
        "--seed-hex",
        &s,
        "--key-id",
        "ops",
        "--input",
        &input,
        "--reason",
        "reviewed by hand",
        "--attach",
    ];
    args.extend_from_slice(extra);
    let r = govgate(&args);
    r.expect_code(0);
    r.json()
}

fn eval(policy: &str, action: &serde_json::Value) -> Run {
    govgate_stdin(&["eval", "-p", policy, "--now", NOW], &action.to_string())
}

#[test]
fn a_signed_flag_lifts_the_rule() {
    let dir = temp_dir("ovr-flag");
    let policy = gated_policy(&dir);
    govgate_stdin(&["eval", "-p", &policy, "--now", NOW], BIG)
        .expect_code(4)
        .stdout_has("Amount 500 is too big");
    let signed = sign(
        &dir,
        BIG,
        &["--flag", "allow_big", "--expires", "2026-02-01"],
    );
    let o = &signed["overrides"][0];
    assert_eq!(o["key_id"], "ops");
    assert_eq!(o["payload"]["flags"][0], "allow_big");
    assert_eq!(o["payload"]["fingerprint"].as_str().unwrap().len(), 64);
    eval(&policy, &signed)
        .expect_code(0)
        .stdout_has("ops: applied")
        .stdout_has("reviewed by hand");
}

#[test]
fn a_signed_verdict_replaces_the_outcome() {
    let dir = temp_dir("ovr-verdict");
    let policy = gated_policy(&dir);
    let signed = sign(
        &dir,
        BIG,
        &["--verdict", "ship", "--expires", "2026-01-01T12:00:00Z"],
    );
    eval(&policy, &signed).expect_code(0).stdout_has("applied");
    // Without --attach the override object alone is printed, ready to paste.
    let input = write(&dir, "plain.json", BIG);
    let s = seed();
    let r = govgate(&[
        "override",
        "sign",
        "--seed-hex",
        &s,
        "--key-id",
        "ops",
        "-i",
        &input,
        "--verdict",
        "ship",
        "--reason",
        "r",
        "--expires",
        "2026-02-01",
    ]);
    let o = r.json();
    assert!(
        o["signature"].is_string() && o["payload"]["verdict"] == "ship" && o.get("args").is_none(),
        "{o}"
    );
}

#[test]
fn a_replayed_override_is_refused_and_reported() {
    let dir = temp_dir("ovr-replay");
    let policy = gated_policy(&dir);
    let mut signed = sign(
        &dir,
        BIG,
        &["--flag", "allow_big", "--expires", "2026-02-01"],
    );
    signed["args"]["amount"] = serde_json::json!(900);
    eval(&policy, &signed)
        .expect_code(4)
        .stdout_has("ops: replayed")
        .stdout_has("Amount 900 is too big");
}

#[test]
fn a_tampered_override_is_refused_and_reported() {
    let dir = temp_dir("ovr-tamper");
    let policy = gated_policy(&dir);
    let mut signed = sign(
        &dir,
        BIG,
        &["--flag", "allow_big", "--expires", "2026-02-01"],
    );
    signed["overrides"][0]["payload"]["reason"] = serde_json::json!("someone else wrote this");
    eval(&policy, &signed)
        .expect_code(4)
        .stdout_has("ops: bad signature");
    // A signature from a key the policy does not trust under another id.
    let mut other = sign(
        &dir,
        BIG,
        &["--flag", "allow_big", "--expires", "2026-02-01"],
    );
    other["overrides"][0]["key_id"] = serde_json::json!("intruder");
    eval(&policy, &other)
        .expect_code(4)
        .stdout_has("intruder: untrusted key");
}

#[test]
fn an_expired_override_is_refused_and_reported() {
    let dir = temp_dir("ovr-expired");
    let policy = gated_policy(&dir);
    let signed = sign(
        &dir,
        BIG,
        &["--flag", "allow_big", "--expires", "2025-12-31"],
    );
    eval(&policy, &signed)
        .expect_code(4)
        .stdout_has("ops: expired");
}

#[test]
fn keygen_writes_a_private_seed_once() {
    let dir = temp_dir("keygen");
    let file = dir.join("ops.seed").to_string_lossy().into_owned();
    let r = govgate(&[
        "override",
        "keygen",
        "--seed-file",
        &file,
        "--key-id",
        "ops",
    ]);
    r.expect_code(0)
        .stdout_has("public key: ")
        .stdout_has("trusted_keys:")
        .stdout_has("- id: ops");
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(written.trim().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let public = govgate(&["override", "public-key", "--seed-file", &file]);
    assert!(r.stdout.contains(public.stdout.trim()));
    govgate(&["override", "keygen", "--seed-file", &file])
        .expect_code(1)
        .stderr_has("already exists");
    // A given seed gives the documented key.
    let fixed = dir.join("fixed.seed").to_string_lossy().into_owned();
    let r = govgate(&[
        "override",
        "keygen",
        "--seed-file",
        &fixed,
        "--seed-hex",
        &seed(),
    ]);
    r.expect_code(0).stdout_has(
        govgate(&["override", "public-key", "--seed-hex", &seed()])
            .stdout
            .trim(),
    );
}

#[test]
fn usage_errors() {
    let dir = temp_dir("ovr-usage");
    let input = write(&dir, "a.json", BIG);
    govgate(&["override", "public-key", "--seed-hex", "abc"])
        .expect_code(2)
        .stderr_has("64 hex digits");
    govgate(&["override", "public-key"]).expect_code(2);
    let s = seed();
    govgate(&[
        "override",
        "sign",
        "--seed-hex",
        &s,
        "--key-id",
        "ops",
        "-i",
        &input,
        "--reason",
        "r",
        "--expires",
        "next week",
    ])
    .expect_code(2)
    .stderr_has("--expires");
    govgate(&[
        "override",
        "sign",
        "--seed-hex",
        &s,
        "--key-id",
        "ops",
        "-i",
        &input,
        "--expires",
        "2026-01-01",
    ])
    .expect_code(2);
}

#[test]
fn fingerprint_ignores_overrides() {
    let dir = temp_dir("ovr-fp");
    let signed = sign(
        &dir,
        BIG,
        &["--flag", "allow_big", "--expires", "2026-02-01"],
    );
    let with = govgate_stdin(&["override", "fingerprint"], &signed.to_string());
    let without = govgate_stdin(&["override", "fingerprint", "-i", "-"], BIG);
    with.expect_code(0);
    assert_eq!(with.stdout, without.stdout);
    assert_eq!(
        with.stdout.trim(),
        signed["overrides"][0]["payload"]["fingerprint"]
            .as_str()
            .unwrap()
    );
}

#[test]
fn sign_refuses_overrides_that_say_nothing() {
    let dir = temp_dir("ovr-empty");
    let input = write(&dir, "a.json", BIG);
    let s = seed();
    let base = [
        "override",
        "sign",
        "--seed-hex",
        &s,
        "--key-id",
        "ops",
        "-i",
        &input,
        "--expires",
        "2099-01-01",
    ];
    let with = |extra: &[&str]| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        govgate(&args)
    };
    with(&["--reason", "  ", "--flag", "allow_big"])
        .expect_code(2)
        .stderr_has("--reason is empty");
    with(&["--reason", "r", "--flag", ""])
        .expect_code(2)
        .stderr_has("--flag is empty");
    with(&["--reason", "r"])
        .expect_code(2)
        .stderr_has("give --verdict or at least one --flag");
    with(&["--reason", "r", "--flag", "allow_big"]).expect_code(0);
    // Already expired: signed (a fixture may want one), with a warning.
    let mut past: Vec<&str> = base.to_vec();
    let last = past.len() - 1;
    past[last] = "2001-01-01";
    past.extend_from_slice(&["--reason", "r", "--flag", "allow_big"]);
    govgate(&past).expect_code(0).stderr_has("is already past");
}

#[test]
fn key_ids_stay_on_one_line_in_the_policy_snippet() {
    let dir = temp_dir("ovr-keyid");
    let file = dir.join("k.seed").to_string_lossy().into_owned();
    govgate(&[
        "override",
        "keygen",
        "--seed-file",
        &file,
        "--key-id",
        "ops\nevil: 1",
    ])
    .expect_code(2)
    .stderr_has("control characters");
    assert!(!std::path::Path::new(&file).exists(), "no key written");
    govgate(&[
        "override",
        "keygen",
        "--seed-file",
        &file,
        "--key-id",
        "ops: 2025 #1",
    ])
    .expect_code(0)
    .stdout_has("- id: \"ops: 2025 #1\"");
}

#[cfg(unix)]
#[test]
fn keygen_leaves_no_half_written_key() {
    // A file size limit makes the write fail after the file is created: no key file may
    // remain (a truncated seed would also block the next keygen as "already exists").
    let dir = temp_dir("keygen-short");
    let file = dir.join("ops.seed");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 0; exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_govgate"))
        .args(["override", "keygen", "--seed-file", file.to_str().unwrap()])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write"), "{stderr}");
    assert!(!file.exists(), "a partial key file was left behind");
}
