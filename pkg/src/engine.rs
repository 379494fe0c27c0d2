//! The one place that calls govgate-core's engine, so the bindings follow core's API in one file.
//!
//! TEMPORARY: core's compiler and evaluator have not landed on main yet; until they do, every
//! policy fails to compile with a diagnostic saying so.

use govgate_core::decision::Decision;
use govgate_core::{Diagnostic, Diagnostics, Value};

use crate::api::{Format, Options};

/// A compiled policy.
pub struct CompiledPolicy {
    name: String,
    digest: String,
}

impl CompiledPolicy {
    /// Compiles source text in `format`, naming it `file_name` in diagnostics.
    pub fn compile(file_name: &str, _text: &str, _format: Format) -> Result<CompiledPolicy, Diagnostics> {
        Err(Diagnostics(vec![Diagnostic::new(file_name, "the policy compiler is not built yet")]))
    }

    /// The policy's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// SHA-256 of the compiled policy's canonical JSON.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Decides one action.
    pub fn evaluate(&self, _action: Value, _options: &Options) -> Decision {
        Decision::default()
    }
}

/// SHA-256 (hex) of the action's canonical JSON.
pub fn fingerprint(_action: &Value) -> String {
    String::new()
}

/// The JSON Schema of the policy document (generated from core's types by `build.rs`).
pub fn json_schema() -> &'static str {
    include_str!(concat!(env!("OUT_DIR"), "/policy.schema.json"))
}
