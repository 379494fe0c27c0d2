//! `govgate compile`: the artifact it writes reads back (in core, as the npm scorer reads it)
//! into a policy that decides as the source does; bad input writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::*;
use govgate_core::{Action, CompiledPolicy, EvalContext};

#[test]
fn compile_writes_an_artifact_that_decides_as_the_policy() {
    let dir = temp_dir("compile-ok");
    let source = std::fs::read_to_string(policy("agent-trading")).unwrap();
    let path = write(&dir, "agent-trading.yaml", &source);
    let run = govgate(&["compile", &path]);
    run.expect_code(0)
        .no_panic()
        .stdout_has("agent-trading.ggc");
    let bytes = std::fs::read(dir.join("agent-trading.ggc")).unwrap();
    let loaded = CompiledPolicy::from_artifact(&bytes).unwrap();
    let compiled = CompiledPolicy::compile_str("agent-trading.yaml", &source).unwrap();
    assert_eq!(bytes, compiled.to_artifact());
    run.stdout_has(compiled.digest());
    let action: govgate_core::Value = serde_json::from_str(
        &std::fs::read_to_string(repo("examples/actions/live-switch.json")).unwrap(),
    )
    .unwrap();
    let ctx = EvalContext::new(chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap());
    let want = compiled.evaluate(&Action::new(action.clone()), &ctx);
    let got = loaded.evaluate(&Action::new(action), &ctx);
    assert_eq!(
        serde_json::to_string(&got).unwrap(),
        serde_json::to_string(&want).unwrap()
    );

    // An explicit output, and standard input as the source.
    let out = dir.join("elsewhere.ggc").to_string_lossy().into_owned();
    govgate_stdin(&["compile", "-", "-o", &out], &source).expect_code(0);
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
}

#[test]
fn compile_refuses_bad_input_and_writes_nothing() {
    let dir = temp_dir("compile-bad");
    let bad = write(
        &dir,
        "bad.yaml",
        "govgate: 1\nname: bad\nsubject: manifest\nrules:\n  - {id: r, when: 'input.x ==', verdict: block}\n",
    );
    govgate(&["compile", &bad])
        .expect_code(1)
        .no_panic()
        .stderr_has("bad.yaml:5:");
    assert!(!dir.join("bad.ggc").exists());
    govgate_stdin(&["compile", "-"], "govgate: 1\nname: p\n")
        .expect_code(2)
        .stderr_has("--output");
    govgate(&["compile", &bad, "-o", &bad])
        .expect_code(1)
        .no_panic();
    let good = write(&dir, "good.yaml", "govgate: 1\nname: p\n");
    govgate(&["compile", &good, "-o", &good])
        .expect_code(2)
        .stderr_has("is the policy itself");
    assert_eq!(
        std::fs::read_to_string(dir.join("good.yaml")).unwrap(),
        "govgate: 1\nname: p\n"
    );
}
