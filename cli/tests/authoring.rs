//! `govgate fmt`, `validate` and `schema` over the real binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;

const MESSY: &str = "# A policy, badly laid out.\ngovgate: 1\nname:   messy   # trailing comment\nsubject: manifest\n\n\n\ndeny:\n- id: a\n  when: input.x > 1    \n  # why this rule exists\n  message: too big\n";

#[test]
fn fmt_keeps_comments_and_is_idempotent() {
    let dir = temp_dir("fmt");
    let file = write(&dir, "messy.yaml", MESSY);
    let once = govgate(&["fmt", &file]);
    once.expect_code(0);
    let formatted = once.stdout.clone();
    assert_ne!(formatted, MESSY);
    for comment in [
        "# A policy, badly laid out.",
        "# trailing comment",
        "# why this rule exists",
    ] {
        assert!(formatted.contains(comment), "{formatted}");
    }
    // Printing does not touch the file.
    assert_eq!(std::fs::read_to_string(&file).unwrap(), MESSY);
    // Formatting the output again changes nothing.
    let again = write(&dir, "again.yaml", &formatted);
    assert_eq!(govgate(&["fmt", &again]).stdout, formatted);
    // And the policy means the same: the digest is unchanged.
    let before = govgate(&["validate", &file]);
    let after = govgate(&["validate", &again]);
    let digest = |s: &str| {
        s.split("digest ")
            .nth(1)
            .unwrap()
            .split(')')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(digest(&before.stdout), digest(&after.stdout));
}

#[test]
fn fmt_check_and_write() {
    let dir = temp_dir("fmt-check");
    let messy = write(&dir, "messy.yaml", MESSY);
    let tidy_text = govgate(&["fmt", &messy]).stdout;
    let tidy = write(&dir, "tidy.yaml", &tidy_text);
    let r = govgate(&["fmt", "--check", &messy, &tidy]);
    r.expect_code(4)
        .stdout_has("would reformat")
        .stdout_has("messy.yaml");
    assert!(!r.stdout.contains("tidy.yaml"), "{}", r.stdout);
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        MESSY,
        "--check changes nothing"
    );
    govgate(&["fmt", "--write", &messy, &tidy]).expect_code(0);
    assert_eq!(std::fs::read_to_string(&messy).unwrap(), tidy_text);
    govgate(&["fmt", "--check", &messy, &tidy]).expect_code(0);
    // No temporary files are left behind.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn fmt_json_and_toml() {
    let dir = temp_dir("fmt-json");
    let json = write(
        &dir,
        "p.json",
        r#"{"govgate":1,"name":"j","deny":[{"id":"a","when":"input.x > 1.50","message":"m"}],"warn":[]}"#,
    );
    let r = govgate(&["fmt", &json]);
    r.expect_code(0);
    assert_eq!(
        r.stdout,
        "{\n  \"govgate\": 1,\n  \"name\": \"j\",\n  \"deny\": [\n    {\n      \"id\": \"a\",\n      \"when\": \"input.x > 1.50\",\n      \"message\": \"m\"\n    }\n  ],\n  \"warn\": []\n}\n"
    );
    govgate(&["fmt", "--check", &json]).expect_code(4);
    govgate(&["fmt", "-w", &json]).expect_code(0);
    govgate(&["fmt", "--check", &json]).expect_code(0);
    let toml = write(&dir, "p.toml", "govgate = 1\nname =   \"t\"\n");
    govgate(&["fmt", "--check", &toml])
        .expect_code(0)
        .stderr_has("not formatted");
}

#[test]
fn fmt_errors() {
    let dir = temp_dir("fmt-errors");
    let bad = write(&dir, "bad.yaml", "a: [1, 2\n");
    govgate(&["fmt", &bad])
        .expect_code(1)
        .stderr_has("bad.yaml:");
    let bad_json = write(&dir, "bad.json", "{\"a\": }");
    govgate(&["fmt", "--check", &bad_json])
        .expect_code(1)
        .stderr_has("bad.json:1:");
    govgate(&["fmt", &bad, &bad_json]).expect_code(2);
    govgate(&["fmt", "--check", "--write", &bad]).expect_code(2);
}

#[test]
fn validate_reports_location_and_caret() {
    let dir = temp_dir("validate");
    let broken = write(
        &dir,
        "broken.yaml",
        "govgate: 1\nname: broken\nsubject: manifest\ndeny:\n  - id: a\n    when: input.spec.accuracy <\n    message: low\n",
    );
    let r = govgate(&["validate", &broken]);
    r.expect_code(1)
        .stderr_has(&format!("{broken}:6:"))
        .stderr_has("6 |     when: input.spec.accuracy <")
        .stderr_has("^");
    let typo = write(
        &dir,
        "typo.yaml",
        "govgate: 1\nname: typo\ndeny:\n  - id: a\n    when: 'true'\n    mesage: low\n",
    );
    govgate(&["validate", &typo])
        .expect_code(1)
        .stderr_has("mesage")
        .stderr_has("typo.yaml:6:");
    // Good files say ok, with the policy name and digest.
    govgate(&[
        "validate",
        &policy("model-deployment"),
        &repo("examples/policies/model-deployment_test.yaml"),
    ])
    .expect_code(0)
    .stdout_has("ok: ")
    .stdout_has("(model-deployment, digest ")
    .stdout_has("tests for ");
    // One bad file among good ones fails the run, and every file is still reported.
    let r = govgate(&["validate", &policy("model-deployment"), &broken]);
    r.expect_code(1).stdout_has("ok: ");
}

#[test]
fn validate_a_directory() {
    govgate(&["validate", &repo("examples/policies")])
        .expect_code(0)
        .stdout_has("(agent-trading, digest ")
        .stdout_has("model-deployment_test.yaml (tests for ");
}

#[test]
fn schema_is_json_with_the_policy_fields() {
    let r = govgate(&["schema"]);
    r.expect_code(0);
    let schema = r.json();
    assert!(schema["properties"]["factors"].is_object(), "{schema}");
    assert!(schema["properties"]["deny"].is_object());
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        required.contains(&"govgate") && required.contains(&"name"),
        "{required:?}"
    );
}

#[cfg(unix)]
#[test]
fn fmt_write_follows_links_and_leaves_read_only_files_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("fmt-links");
    let target = write(&dir, "target.yaml", MESSY);
    let link = dir.join("link.yaml");
    std::os::unix::fs::symlink("target.yaml", &link).unwrap();
    let tidy = govgate(&["fmt", &target]).stdout;
    govgate(&["fmt", "--write", link.to_str().unwrap()]).expect_code(0);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), tidy);

    let ro = write(&dir, "ro.yaml", MESSY);
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o444)).unwrap();
    govgate(&["fmt", "--write", &ro])
        .expect_code(1)
        .stderr_has("ro.yaml`: the file is read-only");
    assert_eq!(std::fs::read_to_string(&ro).unwrap(), MESSY);
    assert_eq!(
        std::fs::metadata(&ro).unwrap().permissions().mode() & 0o777,
        0o444
    );
    // No temporary files are left behind.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn fmt_write_in_a_read_only_directory_says_why() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("fmt-ro-dir");
    let sub = dir.join("ro");
    std::fs::create_dir(&sub).unwrap();
    let file = write(&sub, "p.yaml", MESSY);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o555)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Root may write anywhere: run as nobody when we are root (and can).
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let bin = env!("CARGO_BIN_EXE_govgate");
    let mut cmd = if root {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", bin]);
        c
    } else {
        std::process::Command::new(bin)
    };
    let out = cmd.args(["fmt", "--write", &file]).output();
    let _ = std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755));
    let Ok(out) = out else {
        eprintln!("setpriv is not installed: skipped");
        return;
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if root && stderr.contains("setpriv") {
        eprintln!("setpriv failed ({stderr}): skipped");
        return;
    }
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot create a temporary file beside it"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), MESSY);
}
