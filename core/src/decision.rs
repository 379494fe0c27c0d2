//! What an evaluation decides, and everything it says about why.
//!
//! The JSON form of [`Decision`] is a wire type: the CLI, the server, the npm package and the
//! dashboard all show these exact objects.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::policy::document::{Mode, OnTimeout, Outcome, Separation};
use crate::value::{Str, Value};

/// The full decision for one action under one policy.
///
/// Its `Serialize` is written out below rather than derived: derived, the flattened policy
/// identity makes serde write the whole decision as a map, member by member through a map-key
/// serializer, which costs every writer (the npm package most). The members, their order and
/// when they are left out are those of the attributes here, which `Deserialize` still reads by;
/// `wire/tests/drift.rs` compares the text with the wire mirror's derived one.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
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
    pub verdict: Option<Str>,
    /// The score on the policy's scale (not rounded; show it to 2 places).
    pub score: f64,
    /// The band the score (and any trigger) placed the action in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<Str>,
    /// Each factor's value, points, weight and contribution.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub factors: Vec<FactorResult>,
    /// Triggers that fired.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<TriggerResult>,
    /// The first-match rule that decided the verdict (shared with the compiled policy when
    /// its message is static, so the hot path copies nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Arc<RuleResult>>,
    /// Reason codes, in the order they arose.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reason_codes: Vec<Str>,
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
    /// The policy's name and digest.
    #[serde(flatten)]
    pub policy: Arc<PolicyIdentity>,
    /// SHA-256 of the action's canonical JSON, when requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

impl Decision {
    /// An empty decision by the given policy: `auto`, score 0, nothing explained yet.
    /// (`Default` would allocate a placeholder identity; the hot path must not.)
    #[inline]
    pub fn new(mode: Mode, policy: Arc<PolicyIdentity>) -> Decision {
        Decision {
            outcome: Outcome::Auto,
            shadow_outcome: None,
            mode,
            verdict: None,
            score: 0.0,
            band: None,
            factors: Vec::new(),
            triggers: Vec::new(),
            rule: None,
            reason_codes: Vec::new(),
            deny: Vec::new(),
            warn: Vec::new(),
            exceptions: Vec::new(),
            overrides: Vec::new(),
            approval: None,
            autonomy: None,
            reasons: Vec::new(),
            suggestions: Vec::new(),
            errors: Vec::new(),
            missing: Vec::new(),
            policy,
            fingerprint: None,
        }
    }
}

impl Serialize for Decision {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;

        /// Writes `value` under `name` when `present`, else tells the serializer it is skipped.
        fn member<S: SerializeStruct, T: Serialize + ?Sized>(
            out: &mut S,
            name: &'static str,
            value: &T,
            present: bool,
        ) -> Result<(), S::Error> {
            if present {
                out.serialize_field(name, value)
            } else {
                out.skip_field(name)
            }
        }

        let d = self;
        let optional = [
            d.shadow_outcome.is_some(),
            d.verdict.is_some(),
            d.band.is_some(),
            !d.factors.is_empty(),
            !d.triggers.is_empty(),
            d.rule.is_some(),
            !d.reason_codes.is_empty(),
            !d.deny.is_empty(),
            !d.warn.is_empty(),
            !d.exceptions.is_empty(),
            !d.overrides.is_empty(),
            d.approval.is_some(),
            d.autonomy.is_some(),
            !d.reasons.is_empty(),
            !d.suggestions.is_empty(),
            !d.errors.is_empty(),
            !d.missing.is_empty(),
            d.fingerprint.is_some(),
        ];
        // outcome, mode, score, policy and policy_digest are always there.
        let len = 5 + optional.iter().filter(|&&present| present).count();
        let mut out = serializer.serialize_struct("Decision", len)?;
        out.serialize_field("outcome", &d.outcome)?;
        member(
            &mut out,
            "shadow_outcome",
            &d.shadow_outcome,
            d.shadow_outcome.is_some(),
        )?;
        out.serialize_field("mode", &d.mode)?;
        member(&mut out, "verdict", &d.verdict, d.verdict.is_some())?;
        out.serialize_field("score", &d.score)?;
        member(&mut out, "band", &d.band, d.band.is_some())?;
        member(&mut out, "factors", &d.factors, !d.factors.is_empty())?;
        member(&mut out, "triggers", &d.triggers, !d.triggers.is_empty())?;
        member(&mut out, "rule", &d.rule, d.rule.is_some())?;
        member(
            &mut out,
            "reason_codes",
            &d.reason_codes,
            !d.reason_codes.is_empty(),
        )?;
        member(&mut out, "deny", &d.deny, !d.deny.is_empty())?;
        member(&mut out, "warn", &d.warn, !d.warn.is_empty())?;
        member(
            &mut out,
            "exceptions",
            &d.exceptions,
            !d.exceptions.is_empty(),
        )?;
        member(&mut out, "overrides", &d.overrides, !d.overrides.is_empty())?;
        member(&mut out, "approval", &d.approval, d.approval.is_some())?;
        member(&mut out, "autonomy", &d.autonomy, d.autonomy.is_some())?;
        member(&mut out, "reasons", &d.reasons, !d.reasons.is_empty())?;
        member(
            &mut out,
            "suggestions",
            &d.suggestions,
            !d.suggestions.is_empty(),
        )?;
        member(&mut out, "errors", &d.errors, !d.errors.is_empty())?;
        member(&mut out, "missing", &d.missing, !d.missing.is_empty())?;
        out.serialize_field("policy", &d.policy.policy)?;
        out.serialize_field("policy_digest", &d.policy.policy_digest)?;
        member(
            &mut out,
            "fingerprint",
            &d.fingerprint,
            d.fingerprint.is_some(),
        )?;
        out.end()
    }
}

/// Which policy decided: approvals bind to the digest.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicyIdentity {
    /// The policy's name.
    pub policy: Str,
    /// SHA-256 (hex) of the policy's canonical JSON.
    pub policy_digest: Str,
}

/// One factor's part in the score.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactorResult {
    /// The factor id.
    pub id: Str,
    /// The option's label ("Live trading").
    pub label: Str,
    /// The value the factor read.
    pub value: Value,
    /// Points on the factor's scale.
    pub points: f64,
    /// The factor's weight.
    pub weight: f64,
    /// Its contribution to the score.
    pub contribution: f64,
}

/// A trigger that fired.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TriggerResult {
    /// The trigger id.
    pub id: Str,
    /// Its reason.
    pub reason: String,
    /// The score floor it imposed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<f64>,
    /// The minimum band it imposed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_band: Option<Str>,
    /// The minimum outcome it imposed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

/// The first-match rule that decided (or the default verdict, with no id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleResult {
    /// The rule id (`None` for the default verdict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<crate::policy::document::Text>,
    /// The verdict.
    pub verdict: Str,
    /// The outcome the verdict maps to.
    pub outcome: Outcome,
    /// The reason code.
    pub reason_code: Str,
    /// The interpolated message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A deny or warn message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The rule id.
    pub rule: Str,
    /// The interpolated message.
    pub message: String,
    /// Set when a valid exception waived it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub waived: bool,
}

/// Whether an exception applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionStatus {
    /// It waived the rule.
    Applied,
    /// It has expired and did not apply.
    Expired,
    /// It is incomplete or malformed and did not apply.
    Invalid,
}

/// An exception that matched a fired rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExceptionResult {
    /// The rule it names.
    pub rule: Str,
    /// Where it came from (`policy` or `annotations`).
    pub source: Str,
    /// Applied, expired or invalid.
    pub status: ExceptionStatus,
    /// Its reason.
    pub reason: String,
    /// Who approved it.
    pub approver: String,
    /// Its expiry as written.
    pub expires: String,
    /// Why it did not apply, when it did not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Whether a signed override was honoured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverrideStatus {
    /// Valid and honoured.
    Applied,
    /// Signed by a key the policy does not trust.
    UntrustedKey,
    /// The signature does not verify.
    BadSignature,
    /// Past its expiry.
    Expired,
    /// Signed for another action.
    Replayed,
    /// Not shaped like an override.
    Malformed,
}

/// A signed override considered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OverrideResult {
    /// Honoured or why not.
    pub status: OverrideStatus,
    /// The signing key id.
    pub key_id: String,
    /// The verdict it forces, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// The flags it sets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// Its reason.
    pub reason: String,
    /// Detail of a rejection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Who must approve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRequirement {
    /// The role approvers must hold.
    pub role: Str,
    /// Distinct approvers needed.
    pub quorum: u32,
    /// Who may not approve.
    pub separation: Separation,
    /// Whether a justification is required.
    pub justification: bool,
    /// Seconds until the request expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_seconds: Option<u64>,
    /// What happens on expiry.
    pub on_timeout: OnTimeout,
    /// Where it escalates to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_to: Option<Str>,
    /// What required it (`band:high`, `trigger:switch_to_live`, `rule:micro_pilot`, `error`).
    pub source: String,
}

/// The autonomy level applied.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutonomyResult {
    /// The level's name.
    pub level: Str,
    /// The scope that chose it (`user+repository`, `user`, `role`, `default`).
    pub scope: Str,
}

/// A change to one factor that would lower the band.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The factor id.
    pub factor: Str,
    /// The current option's label.
    pub from: String,
    /// The proposed option's label.
    pub to: String,
    /// Score change (negative).
    pub delta: f64,
    /// The band it leads to.
    pub band: Str,
    /// The outcome it leads to.
    pub outcome: Outcome,
    /// The input change that realises it: a dotted path under `input` and its new value.
    pub path: String,
    /// The new value.
    pub value: Value,
    /// Worded from the policy's labels ("Use paper mode instead of Live trading: −20").
    pub text: String,
}

/// Formats a number for explanations: at most 2 decimals, no trailing zeros.
pub fn format_number(x: f64) -> String {
    let mut out = String::with_capacity(8);
    push_number(&mut out, x);
    out
}

/// Appends a number the way [`format_number`] writes it.
///
/// Plain digit arithmetic rather than `format!` (whose machinery and exact decimal expansion
/// are slow), because every factor's explanation goes through it on the hot path.
pub fn push_number(out: &mut String, x: f64) {
    let hundredths = (x * 100.0).round();
    if !hundredths.is_finite() || hundredths.abs() >= 9.0e15 {
        out.push_str(&x.to_string());
        return;
    }
    let n = hundredths as i64;
    if n < 0 {
        out.push('-');
    }
    let n = n.unsigned_abs();
    let (whole, frac) = (n / 100, n % 100);
    push_digits(out, whole);
    if frac != 0 {
        out.push('.');
        out.push(char::from(b'0' + (frac / 10) as u8));
        if frac % 10 != 0 {
            out.push(char::from(b'0' + (frac % 10) as u8));
        }
    }
}

fn push_digits(out: &mut String, n: u64) {
    let mut buf = [b'0'; 20];
    for &b in crate::identity::decimal_digits(n, &mut buf) {
        out.push(char::from(b));
    }
}

#[cfg(test)]
mod tests {
    use super::format_number;

    #[test]
    fn numbers_show_at_most_two_decimals() {
        assert_eq!(format_number(40.0), "40");
        assert_eq!(format_number(0.3), "0.3");
        assert_eq!(format_number(12.345), "12.35");
        assert_eq!(format_number(-0.001), "0");
        assert_eq!(format_number(4.0), "4");
        assert_eq!(format_number(-0.5), "-0.5");
        assert_eq!(format_number(-20.0), "-20");
        assert_eq!(format_number(-1.25), "-1.25");
        assert_eq!(format_number(1.333_333), "1.33");
        assert_eq!(format_number(0.05), "0.05");
    }
}
