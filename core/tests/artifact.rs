//! Compiled-policy artifacts: a policy read back from `to_artifact` passes and fails exactly the
//! test cases the policy it was written from does, and damaged bytes are refused, never read.
//! (`tests/vectors.rs` replays every vector through an artifact too.)

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

/// Every example policy with its test file.
fn example_policies() -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(examples()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".yaml") && !name.ends_with("_test.yaml") {
            let tests = path.with_file_name(name.replace(".yaml", "_test.yaml"));
            out.push((path, tests));
        }
    }
    out.sort();
    assert!(
        out.len() >= 5,
        "expected the example policies, found {out:?}"
    );
    out
}

#[test]
fn example_suites_give_the_same_reports_through_artifacts() {
    for (policy_path, tests_path) in example_policies() {
        let text = std::fs::read_to_string(&policy_path).unwrap();
        let name = policy_path.display().to_string();
        let policy = CompiledPolicy::compile_str(&name, &text).unwrap();
        let loaded = CompiledPolicy::from_artifact(&policy.to_artifact()).unwrap();
        let mut suites = Vec::new();
        if let Some(own) = policy.document().and_then(|d| d.tests.clone()) {
            suites.push(own);
        }
        if tests_path.exists() {
            let t = std::fs::read_to_string(&tests_path).unwrap();
            suites.push(load_test_suite(&tests_path.display().to_string(), &t).unwrap());
        }
        assert!(!suites.is_empty(), "{name} has no tests");
        for suite in &suites {
            let want = policy.run_tests(suite).unwrap();
            let got = loaded.run_tests(suite).unwrap();
            assert!(
                !want.cases.is_empty(),
                "{name}: an empty suite proves nothing"
            );
            assert_eq!(
                serde_json::to_string(&got).unwrap(),
                serde_json::to_string(&want).unwrap(),
                "{name}"
            );
        }
    }
}

#[test]
fn every_cut_and_every_flipped_byte_is_refused() {
    let text = std::fs::read_to_string(examples().join("agent-trading.yaml")).unwrap();
    let bytes = CompiledPolicy::compile_str("agent-trading.yaml", &text)
        .unwrap()
        .to_artifact();
    for cut in 0..bytes.len() {
        let e = CompiledPolicy::from_artifact(&bytes[..cut]).unwrap_err();
        assert!(!e.message.is_empty());
    }
    // Flipping any one bit anywhere is caught (the checksum covers every byte, and a flip in
    // the checksum itself no longer matches the body).
    for at in (0..bytes.len()).step_by(7) {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x10;
        let e = CompiledPolicy::from_artifact(&damaged).unwrap_err();
        assert!(e.to_string().starts_with("compiled policy: "), "{e}");
    }
}

#[test]
fn other_files_and_versions_say_what_they_are() {
    let e = CompiledPolicy::from_artifact(b"govgate: 1\nname: p\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "compiled policy: not a compiled govgate policy (it does not start with `GGCP`) (at byte 0)"
    );
    let mut newer = CompiledPolicy::compile_str("p.yaml", "govgate: 1\nname: p\n")
        .unwrap()
        .to_artifact();
    newer[4] = 99;
    let e = CompiledPolicy::from_artifact(&newer).unwrap_err();
    assert!(e.message.contains("format version 99"), "{e}");
    assert_eq!(e.offset, 4);
}
