//! TypeScript declarations of the JSON shapes JavaScript exchanges with govgate.
//!
//! These types exist only to generate the npm package's `govgate.d.ts` (tsify emits each as a
//! TypeScript declaration; none of them is used at run time). Values cross the boundary as JSON
//! produced and read by the crate's Rust types (core's for decisions, diagnostics and reports),
//! so the bytes are the ones the CLI and the server produce. `tests/drift.rs` checks each
//! declaration against its Rust type: a field added there and not here fails it.

#![allow(missing_docs, dead_code)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tsify::Tsify;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen::prelude::wasm_bindgen;

/// Called by the npm package so that this crate's TypeScript sections reach its `.d.ts`: the
/// linker drops a dependency's wasm-bindgen sections when none of its code is used.
#[inline(never)]
pub fn keep_declarations() -> &'static str {
    env!("CARGO_PKG_NAME")
}

/// Declarations no Rust type can produce.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen(typescript_custom_section)]
const TS_EXTRA: &str = r#"
/** Any JSON value: what conditions read and what decisions quote back. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * What a policy decides on (its `input`): the action envelope for `subject: action` policies,
 * any object (a manifest) for `subject: manifest` ones. Plain `object`, so values typed by your
 * own interfaces are accepted; it crosses as `JSON.stringify` makes it.
 */
export type Action = ActionEnvelope | object;

/** What every govgate function throws: a real `Error` carrying every problem found. */
export interface GovgateError extends Error {
  name: "GovgateError";
  /** `policy`: the policy did not compile; `input`: an argument has the wrong shape or size. */
  kind: "policy" | "input";
  /** Where the (first) problem is: a path in the argument or the policy document. */
  path?: string;
  /** Every problem in the policy, each with file, line and column, path and help. */
  diagnostics: Diagnostic[];
}
"#;

/// `auto`, `approval` or `block`: what happens to an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Auto,
    Approval,
    Block,
}

/// `enforce` or `shadow`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Enforce,
    Shadow,
}

/// Who may not approve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "snake_case")]
pub enum Separation {
    None,
    NotRequester,
    NotRequesterOrOwner,
}

/// What an expired approval request does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "snake_case")]
pub enum OnTimeout {
    Deny,
    Escalate,
    Wait,
}

/// The full decision for one action under one policy (the same object the CLI prints and the
/// server records).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// The effective outcome (always `auto` in shadow mode).
    pub outcome: Outcome,
    /// In shadow mode, what the outcome would have been.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow_outcome: Option<Outcome>,
    /// The policy's mode.
    pub mode: Mode,
    /// The verdict from the first matching rule (or the default verdict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// The score on the policy's scale (not rounded; show it to 2 places).
    pub score: f64,
    /// The band the score (and any trigger) placed the action in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<String>,
    /// Each factor's value, points, weight and contribution.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub factors: Vec<FactorResult>,
    /// Triggers that fired.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<TriggerResult>,
    /// The first-match rule that decided the verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleResult>,
    /// Reason codes, in the order they arose.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reason_codes: Vec<String>,
    /// Deny messages (waived ones say so).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<Message>,
    /// Warn messages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warn: Vec<Message>,
    /// Exceptions considered, applied or not, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<ExceptionResult>,
    /// Signed overrides considered, honoured or not, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<OverrideResult>,
    /// Who must approve, when the outcome is `approval`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalRequirement>,
    /// The autonomy level applied and the scope that chose it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autonomy: Option<AutonomyResult>,
    /// Human-readable reasons, most important first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// The smallest single-factor changes that would lower the band.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<Suggestion>,
    /// Errors that made the decision fail safe (never auto).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// Input fields that were missing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    /// The policy's name.
    pub policy: String,
    /// SHA-256 of the policy's canonical JSON.
    pub policy_digest: String,
    /// SHA-256 of the action's canonical JSON, when requested (`{fingerprint: true}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// One factor's part in the score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct FactorResult {
    pub id: String,
    /// The option's label ("Live trading").
    pub label: String,
    /// The value the factor read.
    #[tsify(type = "JsonValue")]
    pub value: serde_json::Value,
    pub points: f64,
    pub weight: f64,
    pub contribution: f64,
}

/// A trigger that fired.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct TriggerResult {
    pub id: String,
    pub reason: String,
    /// The score floor it imposed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<f64>,
    /// The minimum band it imposed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_band: Option<String>,
    /// The minimum outcome it imposed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

/// The first-match rule that decided (or the default verdict, with no id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct RuleResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub verdict: String,
    pub outcome: Outcome,
    pub reason_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A deny or warn message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct Message {
    pub rule: String,
    pub message: String,
    /// Set when a valid exception waived it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub waived: bool,
}

/// Whether an exception applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionStatus {
    Applied,
    Expired,
    Invalid,
}

/// An exception that matched a fired rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct ExceptionResult {
    pub rule: String,
    /// `policy` or `annotations`.
    pub source: String,
    pub status: ExceptionStatus,
    pub reason: String,
    pub approver: String,
    pub expires: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Whether a signed override was honoured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(rename_all = "snake_case")]
pub enum OverrideStatus {
    Applied,
    UntrustedKey,
    BadSignature,
    Expired,
    Replayed,
    Malformed,
}

/// A signed override considered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct OverrideResult {
    pub status: OverrideStatus,
    pub key_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Who must approve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct ApprovalRequirement {
    pub role: String,
    pub quorum: u32,
    pub separation: Separation,
    pub justification: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_seconds: Option<u64>,
    pub on_timeout: OnTimeout,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_to: Option<String>,
    /// What required it (`band:high`, `trigger:switch_to_live`, `rule:micro_pilot`, `error`).
    pub source: String,
}

/// The autonomy level applied.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct AutonomyResult {
    pub level: String,
    /// `user+repository`, `user`, `role` or `default`.
    pub scope: String,
}

/// A change to one factor that would lower the band.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct Suggestion {
    pub factor: String,
    pub from: String,
    pub to: String,
    pub delta: f64,
    pub band: String,
    pub outcome: Outcome,
    /// A dotted path under `input` and its new value.
    pub path: String,
    #[tsify(type = "JsonValue")]
    pub value: serde_json::Value,
    pub text: String,
}

/// A 1-based line and column (columns count characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub line: u32,
    pub column: u32,
}

/// One problem in a policy or an input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct Diagnostic {
    /// The file (or source name) the problem is in.
    pub file: String,
    /// Where in the file, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The field path inside the document (`rules[2].when`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The source line the location points into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
}

/// The actor behind an action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
pub struct Actor {
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[tsify(optional)]
    pub roles: Vec<String>,
    /// The human the agent acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// The action envelope a `subject: action` policy reads as `input`. Every field is optional
/// to the type checker: a policy that reads a missing field fails safe (never `auto`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
pub struct ActionEnvelope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    /// The agent proposing the action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The action type (`deploy`, `trade`, `tool_call`).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub action_type: Option<String>,
    /// The tool called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The exact arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(type = "JsonObject")]
    pub args: Option<serde_json::Value>,
    /// Where it runs (`repository`, `branch`, `environment`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(type = "JsonObject")]
    pub context: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(type = "JsonObject")]
    pub annotations: Option<serde_json::Value>,
    /// Signed overrides (ignored by the fingerprint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(type = "JsonValue[]")]
    pub overrides: Option<serde_json::Value>,
}

/// Options of `evaluate`, `evaluateJson` and `evaluateMany`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct EvaluateOptions {
    /// The evaluation time: a `Date` or an RFC 3339 string; the current time when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(type = "string | Date")]
    pub now: Option<String>,
    /// Values for the policy's tunable parameters (`params.NAME`), overriding their defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[tsify(type = "Record<string, JsonValue>")]
    pub parameters: Option<BTreeMap<String, serde_json::Value>>,
    /// Also compute the action's fingerprint (`decision.fingerprint`); off by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<bool>,
}

/// What `evaluateMany` returns: one entry per action, in order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct BatchResult {
    pub outcomes: Vec<Outcome>,
    /// The band of each action (`null` when the policy has no bands).
    pub bands: Vec<Option<String>>,
    pub scores: Vec<f64>,
    /// How many decisions failed safe because of an error (missing field, bad value).
    pub failed: u32,
}

/// One expectation of a test case that did not hold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct Mismatch {
    /// What was checked (`outcome`, `score`, `deny`).
    pub field: String,
    pub expected: String,
    pub actual: String,
}

/// The result of one test case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct CaseResult {
    pub name: String,
    pub passed: bool,
    pub mismatches: Vec<Mismatch>,
    /// The decision the case produced.
    pub decision: Decision,
}

/// One decision that broke an invariant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct Violation {
    /// The case whose input (or a variant of it) broke it.
    pub case: String,
    /// The input changes of the variant (empty for the case itself).
    pub variant: Vec<String>,
    pub detail: String,
}

/// The result of one invariant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct InvariantResult {
    pub name: String,
    /// How many decisions it was checked on.
    pub checked: u32,
    /// The decisions that broke it (at most 10 are kept).
    pub violations: Vec<Violation>,
}

/// What `policy.test()` returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct TestReport {
    pub policy: String,
    pub cases: Vec<CaseResult>,
    pub invariants: Vec<InvariantResult>,
    /// Rules, deny/warn rules and triggers no case exercised (`rule:id`, `deny:id`, `trigger:id`).
    pub uncovered: Vec<String>,
}
