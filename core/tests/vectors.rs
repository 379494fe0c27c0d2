//! Data-driven vectors: each `tests/vectors/*.json` holds a policy, an input, the evaluation
//! context and the whole expected decision. Native Rust, Node (the npm package) and the browser
//! replay the same files and must produce byte-identical decision JSON.
//!
//! `GOVGATE_BLESS=1 cargo test -p govgate-core --test vectors` rewrites the expected decisions
//! (and the pinned hash of the vector policies' compiled artifacts) after a deliberate change;
//! review the diff before committing it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;

use govgate_core::{Action, CompiledPolicy, EvalContext, Map, Value};

#[derive(serde::Serialize, serde::Deserialize)]
struct Vector {
    /// What the vector pins down.
    description: String,
    /// The policy as YAML source text.
    policy: String,
    /// The action (or manifest).
    input: Value,
    /// Evaluation time, RFC 3339.
    now: String,
    /// Parameter overrides.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    params: Map,
    /// Whether the decision carries the fingerprint.
    #[serde(default)]
    fingerprint: bool,
    /// The expected decision, for reading.
    decision: Option<serde_json::Value>,
    /// The expected decision exactly as native serializes it: every surface must produce
    /// these bytes.
    decision_json: Option<String>,
}

/// The decision JSON every surface must produce for a vector.
fn decide(v: &Vector) -> String {
    let policy = CompiledPolicy::compile_str("vector.yaml", &v.policy)
        .unwrap_or_else(|d| panic!("{}", d.render()));
    decide_with(&policy, v)
}

/// The decision JSON `policy` gives for the vector's input, time and parameters.
fn decide_with(policy: &CompiledPolicy, v: &Vector) -> String {
    let now = chrono::DateTime::parse_from_rfc3339(&v.now)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let mut ctx = EvalContext::new(now);
    ctx.parameters = v.params.clone();
    ctx.fingerprint = v.fingerprint;
    serde_json::to_string(&policy.evaluate(&Action::new(v.input.clone()), &ctx)).unwrap()
}

/// The vector files, in name order.
fn vector_files() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    assert!(
        files.len() >= 10,
        "expected at least 10 vectors, found {}",
        files.len()
    );
    files
}

/// A policy read back from its compiled artifact decides every vector with the same bytes,
/// and compiling the same policy twice gives the same artifact.
#[test]
fn vectors_replay_byte_identically_from_compiled_artifacts() {
    let mut failures = Vec::new();
    for file in vector_files() {
        let v: Vector = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let policy = CompiledPolicy::compile_str("vector.yaml", &v.policy).unwrap();
        let artifact = policy.to_artifact();
        let again = CompiledPolicy::compile_str("vector.yaml", &v.policy).unwrap();
        assert_eq!(artifact, again.to_artifact(), "{}", file.display());
        let loaded = CompiledPolicy::from_artifact(&artifact)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(loaded.document().is_none());
        assert_eq!(loaded.digest(), policy.digest());
        let actual = decide_with(&loaded, &v);
        if v.decision_json.as_deref() != Some(actual.as_str()) {
            failures.push(format!("{}:\n  artifact gave {actual}", file.display()));
        }
        assert_eq!(loaded.to_artifact(), artifact, "{}", file.display());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A guard on the compiled-policy layout: the SHA-256 of every vector policy's artifact (name,
/// length, bytes, in name order) is pinned in `tests/artifact-layout.sha256`. A change to what
/// `to_artifact` writes fails here, so that whoever makes it decides whether artifacts written by
/// earlier builds still read the same; if not, bump `govgate_core::artifact::FORMAT_VERSION`.
/// `GOVGATE_BLESS=1` rewrites the pin (also after a vector's policy changes).
#[test]
fn the_compiled_policy_layout_is_pinned() {
    let mut all = Vec::new();
    for file in vector_files() {
        let v: Vector = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let artifact = CompiledPolicy::compile_str("vector.yaml", &v.policy)
            .unwrap()
            .to_artifact();
        all.extend_from_slice(file.file_name().unwrap().as_encoded_bytes());
        all.extend_from_slice(&(artifact.len() as u64).to_le_bytes());
        all.extend_from_slice(&artifact);
    }
    let digest = govgate_core::identity::sha256_hex(&all);
    let pin = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/artifact-layout.sha256");
    if std::env::var("GOVGATE_BLESS").is_ok() {
        std::fs::write(&pin, format!("{digest}\n")).unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(&pin).unwrap_or_default();
    assert_eq!(
        pinned.trim(),
        digest,
        "the compiled-policy artifacts of the vector policies changed (format version {}): if \
         the layout changed, bump govgate_core::artifact::FORMAT_VERSION; then run \
         GOVGATE_BLESS=1 cargo test -p govgate-core --test vectors",
        govgate_core::artifact::FORMAT_VERSION
    );
}

#[test]
fn vectors_replay_byte_identically() {
    let bless = std::env::var("GOVGATE_BLESS").is_ok();
    let files = vector_files();
    let mut failures = Vec::new();
    for file in &files {
        let mut v: Vector = serde_json::from_str(&std::fs::read_to_string(file).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let actual = decide(&v);
        if bless {
            v.decision = Some(serde_json::from_str(&actual).unwrap());
            v.decision_json = Some(actual);
            let mut text = serde_json::to_string_pretty(&v).unwrap();
            text.push('\n');
            std::fs::write(file, text).unwrap();
            continue;
        }
        let readable = v
            .decision
            .as_ref()
            .map(|d| serde_json::to_string(d).unwrap());
        let reparsed =
            serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&actual).unwrap())
                .unwrap();
        if v.decision_json.as_deref() != Some(actual.as_str())
            || readable.as_deref() != Some(reparsed.as_str())
        {
            failures.push(format!(
                "{}:\n  expected {}\n  actual   {actual}",
                file.display(),
                v.decision_json.unwrap_or_default()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
