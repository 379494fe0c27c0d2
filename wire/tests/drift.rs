//! The TypeScript declarations (`govgate_wire::ts`) mirror the Rust wire types; these tests
//! fail when the two drift apart.
//!
//! - A decision with every field set, written from the mirror, survives a round trip through
//!   core's `Decision` unchanged (so core has every field, under the same name and type).
//! - Every decision in core's vectors, and every test report of the reference policies, reads
//!   into the mirrors, which deny unknown fields (so the mirror has every field core writes).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use govgate_core::{CompiledPolicy, Decision};
use govgate_wire::ts as wire;
use serde_json::{Value, json};

fn every_field() -> Value {
    json!({
        "outcome": "approval",
        "shadow_outcome": "block",
        "mode": "shadow",
        "verdict": "pilot",
        "score": 85.5,
        "band": "high",
        "factors": [{"id": "mode", "label": "Live trading", "value": "live", "points": 100.0, "weight": 0.4, "contribution": 40.0}],
        "triggers": [{"id": "switch_to_live", "reason": "Switching to live", "floor": 75.0, "min_band": "high", "outcome": "approval"}],
        "rule": {"id": "micro_pilot", "verdict": "pilot", "outcome": "approval", "reason_code": "pilot", "message": "pilot it"},
        "reason_codes": ["pilot"],
        "deny": [{"rule": "low_accuracy", "message": "accuracy 0.7 is below 0.8", "waived": true}],
        "warn": [{"rule": "no_owner", "message": "no owner"}],
        "exceptions": [{"rule": "low_accuracy", "source": "policy", "status": "expired", "reason": "r", "approver": "a", "expires": "2025-01-01", "note": "expired"}],
        "overrides": [{"status": "replayed", "key_id": "k1", "verdict": "promote", "flags": ["skip"], "reason": "r", "note": "n"}],
        "approval": {"role": "admin", "quorum": 2, "separation": "not_requester_or_owner", "justification": true, "expires_in_seconds": 28800, "on_timeout": "escalate", "escalate_to": "risk-committee", "source": "band:high"},
        "autonomy": {"level": "standard", "scope": "user+repository"},
        "reasons": ["Switching to live"],
        "suggestions": [{"factor": "mode", "from": "Live trading", "to": "Paper trading", "delta": -20.0, "band": "medium", "outcome": "approval", "path": "args.trading_mode", "value": "paper", "text": "Test in paper mode first: -20"}],
        "errors": ["factor `x`: no such field `input.x`"],
        "missing": ["input.x"],
        "policy": "agent-trading",
        "policy_digest": "0000000000000000000000000000000000000000000000000000000000000000",
        "fingerprint": "1111111111111111111111111111111111111111111111111111111111111111"
    })
}

#[test]
fn every_mirrored_decision_field_round_trips_through_core() {
    let mirror: wire::Decision = serde_json::from_value(every_field()).unwrap();
    let written = serde_json::to_value(&mirror).unwrap();
    assert_eq!(written, every_field(), "the mirror writes what it reads");
    let core: Decision = serde_json::from_value(written.clone()).unwrap();
    assert_eq!(
        serde_json::to_value(&core).unwrap(),
        written,
        "core's Decision lost or changed a field"
    );
    // Core writes its Decision by hand (no flatten); the text, member order included, must be
    // the derived mirror's.
    assert_eq!(
        serde_json::to_string(&core).unwrap(),
        serde_json::to_string(&mirror).unwrap()
    );
}

#[test]
fn core_vectors_decisions_read_into_the_mirror() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/vectors");
    let mut read = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let vector: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let text = vector["decision_json"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: no decision_json", path.display()));
        let mirror: wire::Decision = serde_json::from_str(text).unwrap_or_else(|e| {
            panic!(
                "{}: the mirror cannot read core's decision: {e}",
                path.display()
            )
        });
        assert_eq!(
            serde_json::to_value(&mirror).unwrap(),
            serde_json::from_str::<Value>(text).unwrap(),
            "{}",
            path.display()
        );
        read += 1;
    }
    assert!(
        read >= 10,
        "expected the core vectors in {}, read {read}",
        dir.display()
    );
}

#[test]
fn reference_policy_test_reports_read_into_the_mirror() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies");
    let mut read = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix("_test.yaml") else {
            continue;
        };
        let policy_text = std::fs::read_to_string(dir.join(format!("{stem}.yaml"))).unwrap();
        let policy = CompiledPolicy::compile_str(&format!("{stem}.yaml"), &policy_text).unwrap();
        let suite =
            govgate_core::policy::load_test_suite(&name, &std::fs::read_to_string(&path).unwrap())
                .unwrap();
        let report = serde_json::to_value(policy.run_tests(&suite).unwrap()).unwrap();
        let mirror: wire::TestReport = serde_json::from_value(report.clone())
            .unwrap_or_else(|e| panic!("{name}: the mirror cannot read core's report: {e}"));
        assert_eq!(serde_json::to_value(&mirror).unwrap(), report, "{name}");
        read += 1;
    }
    assert!(
        read >= 3,
        "expected the reference policies' tests in {}, read {read}",
        dir.display()
    );
}

#[test]
fn mirrored_enums_have_core_variants() {
    use govgate_core::policy::document::{OnTimeout, Outcome, Separation};
    for (core, name) in [
        (Outcome::Auto, "auto"),
        (Outcome::Approval, "approval"),
        (Outcome::Block, "block"),
    ] {
        assert_eq!(serde_json::to_value(core).unwrap(), json!(name));
        let _: wire::Outcome = serde_json::from_value(json!(name)).unwrap();
    }
    for name in ["none", "not_requester", "not_requester_or_owner"] {
        let _: Separation = serde_json::from_value(json!(name)).unwrap();
        let _: wire::Separation = serde_json::from_value(json!(name)).unwrap();
    }
    for name in ["deny", "escalate", "wait"] {
        let _: OnTimeout = serde_json::from_value(json!(name)).unwrap();
        let _: wire::OnTimeout = serde_json::from_value(json!(name)).unwrap();
    }
}

#[test]
fn the_batch_result_declaration_matches_its_rust_type() {
    let batch = govgate_wire::BatchResult {
        outcomes: vec![govgate_core::Outcome::Auto, govgate_core::Outcome::Block],
        bands: vec![Some("low".into()), None],
        scores: vec![12.5, 0.0],
        failed: 1,
    };
    let json = serde_json::to_value(&batch).unwrap();
    // The declaration denies unknown fields, so a field only the Rust type has fails here...
    let mirror: wire::BatchResult = serde_json::from_value(json.clone()).unwrap();
    // ...and one only the declaration has fails the way back.
    let back: govgate_wire::BatchResult =
        serde_json::from_value(serde_json::to_value(&mirror).unwrap()).unwrap();
    assert_eq!(back, batch);
}
