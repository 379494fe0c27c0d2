//! The JSON shapes every govgate surface exchanges: one small crate that the npm package uses
//! today and the server and dashboard will, so every surface sees the same objects.
//!
//! - The decision, its parts, diagnostics and policy test reports are core's own serde types,
//!   re-exported here: their JSON is what the CLI prints with `--format json`, what the npm
//!   package returns and what the server will store.
//! - Shapes that belong to a surface rather than to core live here: [`BatchResult`] (what the
//!   npm package's `evaluateMany` returns, the dashboard's replay of history uses the same).
//! - With the `ts` feature, [`ts`] declares all of them in TypeScript (tsify), for the npm
//!   package's `.d.ts`; `tests/drift.rs` fails when a declaration drifts from its Rust type.
//!
//! **API Boundary:** change a shape here on purpose, in every surface at once (DESIGN.md,
//! "Shared wire types"). Nothing here does I/O or knows HTTP.
#![deny(missing_docs)]

use serde::{Deserialize, Serialize};

pub use govgate_core::decision::{
    ApprovalRequirement, AutonomyResult, Decision, ExceptionResult, ExceptionStatus, FactorResult,
    Message, OverrideResult, OverrideStatus, PolicyIdentity, RuleResult, Suggestion, TriggerResult,
};
pub use govgate_core::policy::testing::{
    CaseResult, InvariantResult, Mismatch, TestReport, Violation,
};
pub use govgate_core::{Diagnostic, Location, Mode, Outcome, Str};

#[cfg(feature = "ts")]
pub mod ts;

/// Outcomes, bands and scores of a batch of actions, one entry per action in order: the fast
/// path for replaying history (`evaluateMany`), without the full decisions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchResult {
    /// Each action's effective outcome.
    pub outcomes: Vec<Outcome>,
    /// Each action's band (`null` when the policy has no bands).
    pub bands: Vec<Option<Str>>,
    /// Each action's score on the policy's scale.
    pub scores: Vec<f64>,
    /// How many decisions failed safe because of an error (a missing field, a bad value).
    pub failed: u32,
}
