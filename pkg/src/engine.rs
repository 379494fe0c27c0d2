//! The one place that calls govgate-core's engine, so the bindings follow core's API in one file.

use govgate_core::decision::Decision;
#[cfg(feature = "compiler")]
use govgate_core::policy::document::TestSuiteSpec;
#[cfg(feature = "compiler")]
use govgate_core::policy::testing::TestReport;
#[cfg(feature = "compiler")]
use govgate_core::source::{self, Format as SourceFormat};
use govgate_core::{Action, EvalContext, Map, Value};
#[cfg(feature = "compiler")]
use govgate_core::{Diagnostic, Diagnostics};

#[cfg(feature = "compiler")]
use crate::api::Format;
use crate::api::Options;

/// A compiled policy.
pub struct CompiledPolicy {
    inner: govgate_core::CompiledPolicy,
}

impl CompiledPolicy {
    /// Reads a compiled-policy artifact (`to_artifact`).
    pub fn from_artifact(
        bytes: &[u8],
    ) -> Result<CompiledPolicy, govgate_core::artifact::ArtifactError> {
        govgate_core::CompiledPolicy::from_artifact(bytes).map(|inner| CompiledPolicy { inner })
    }

    /// The policy as a compiled-policy artifact.
    #[cfg(feature = "compiler")]
    pub fn to_artifact(&self) -> Vec<u8> {
        self.inner.to_artifact()
    }

    /// Compiles source text in `format` (whatever `file_name`'s extension says), naming it
    /// `file_name` in diagnostics.
    #[cfg(feature = "compiler")]
    pub fn compile(
        file_name: &str,
        text: &str,
        format: Format,
    ) -> Result<CompiledPolicy, Diagnostics> {
        let format = match format {
            Format::Yaml => SourceFormat::Yaml,
            Format::Json => SourceFormat::Json,
        };
        let documents = source::parse(file_name, text, format)?;
        match documents.as_slice() {
            [one] => govgate_core::CompiledPolicy::compile_value(
                file_name,
                text,
                &one.value,
                Some(&one.spans),
            )
            .map(|inner| CompiledPolicy { inner }),
            [] => Err(Diagnostics(vec![Diagnostic::new(
                file_name,
                "the source holds no policy document",
            )])),
            _ => Err(Diagnostics(vec![
                Diagnostic::new(file_name, "a policy source holds exactly one document")
                    .with_help("split the `---` documents into separate policies"),
            ])),
        }
    }

    /// The policy's name.
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// SHA-256 of the compiled policy's canonical JSON.
    pub fn digest(&self) -> &str {
        self.inner.digest()
    }

    /// The problems with parameter overrides (unknown names, wrong types).
    pub fn check_parameters(&self, parameters: &Map) -> Vec<String> {
        self.inner.check_parameters(parameters)
    }

    /// Decides one action, in full (suggestions included), as the server does.
    pub fn evaluate(&self, action: Value, options: &Options) -> Decision {
        self.inner
            .evaluate(&Action::new(action), &context(options, true))
    }

    /// Decides one action for a batch: outcome, band and score are what [`Self::evaluate`]
    /// gives; suggestions (re-evaluations of steered inputs, which never change those three) are
    /// left out.
    pub fn evaluate_summary(&self, action: Value, options: &Options) -> Decision {
        self.inner
            .evaluate(&Action::new(action), &context(options, false))
    }

    /// Runs a test suite (the policy's own `tests:` when `suite` is `None`).
    #[cfg(feature = "compiler")]
    pub fn run_tests(&self, suite: Option<&TestSuiteSpec>) -> Result<TestReport, Diagnostics> {
        match suite {
            Some(suite) => self.inner.run_tests(suite),
            None => match self.inner.document().and_then(|d| d.tests.as_ref()) {
                Some(own) => self.inner.run_tests(own),
                None => self.inner.run_tests(&TestSuiteSpec::default()),
            },
        }
    }
}

fn context(options: &Options, suggestions: bool) -> EvalContext {
    let mut ctx = EvalContext::new(options.now);
    ctx.parameters = options.parameters.clone();
    ctx.fingerprint = options.fingerprint;
    ctx.suggestions = suggestions;
    ctx
}

/// SHA-256 (hex) of the action's canonical JSON without `overrides`.
pub fn fingerprint(action: &Value) -> Result<String, String> {
    govgate_core::identity::fingerprint(action).map_err(|e| e.to_string())
}

/// The JSON Schema of the policy document (generated from core's types by `build.rs`).
#[cfg(feature = "compiler")]
pub fn json_schema() -> &'static str {
    include_str!(concat!(env!("OUT_DIR"), "/policy.schema.json"))
}
