//! Exceptions (waivers of named rules) and signed overrides (human decisions bound to one
//! action).

use super::compile::*;
use super::document::Outcome;
use super::eval::EvalContext;
use crate::decision::*;
use crate::identity::{self, Expiry, OverridePayload};
use crate::value::{Str, Value};

/// One waiver, wherever it came from.
struct Waiver<'a> {
    source: &'static str,
    reason: &'a str,
    approver: &'a str,
    expires_text: &'a str,
    expires: Option<Expiry>,
    problem: Option<String>,
}

impl CompiledPolicy {
    /// Marks deny messages waived by a valid exception and records every exception considered.
    pub(crate) fn apply_exceptions(
        &self,
        mut messages: Vec<Message>,
        input: &Value,
        params: &Value,
        ctx: &EvalContext,
        decision: &mut Decision,
    ) -> Vec<Message> {
        if self.inner.exceptions.is_empty() && self.inner.annotation_exceptions.is_none() {
            return messages;
        }
        let mut considered: Vec<Str> = Vec::new();
        for m in &mut messages {
            let waivers = self.waivers_for(&m.rule, input, params);
            for w in &waivers {
                let (status, note) = match (&w.problem, w.expires) {
                    (Some(p), _) => (ExceptionStatus::Invalid, Some(p.clone())),
                    (None, Some(t)) if !t.is_expired_at(ctx.now) => {
                        (ExceptionStatus::Applied, None)
                    }
                    (None, Some(t)) => (ExceptionStatus::Expired, Some(expired_note(&t))),
                    (None, None) => (
                        ExceptionStatus::Invalid,
                        Some(format!("`{}` is not a valid expiry", w.expires_text)),
                    ),
                };
                if status == ExceptionStatus::Applied {
                    m.waived = true;
                }
                if !considered.contains(&m.rule) || status == ExceptionStatus::Applied {
                    let already = decision.exceptions.iter().any(|e| {
                        e.rule == m.rule
                            && e.source.as_ref() == w.source
                            && e.expires == w.expires_text
                    });
                    if !already {
                        decision.exceptions.push(ExceptionResult {
                            rule: m.rule.clone(),
                            source: Str::from(w.source),
                            status,
                            reason: w.reason.to_owned(),
                            approver: w.approver.to_owned(),
                            expires: w.expires_text.to_owned(),
                            note: note.clone(),
                        });
                    }
                }
                match status {
                    ExceptionStatus::Applied => decision.reasons.push(format!(
                        "rule `{}` waived by exception ({}; approved by {}; expires {})",
                        m.rule, w.reason, w.approver, w.expires_text
                    )),
                    _ => decision.reasons.push(format!(
                        "exception for rule `{}` did not apply: {}",
                        m.rule,
                        note.unwrap_or_default()
                    )),
                }
            }
            considered.push(m.rule.clone());
        }
        // One reason line per exception is enough.
        decision.reasons.dedup();
        messages
    }

    fn waivers_for<'a>(&'a self, rule: &str, input: &'a Value, params: &Value) -> Vec<Waiver<'a>> {
        let p = &*self.inner;
        let mut out = Vec::new();
        for e in p.exceptions.iter().filter(|e| &*e.rule == rule) {
            if self.in_scope(e, input, params) {
                out.push(Waiver {
                    source: "policy",
                    reason: &e.reason,
                    approver: &e.approver,
                    expires_text: &e.expires_text,
                    expires: e.expires,
                    problem: None,
                });
            }
        }
        if let Some(spec) = &p.annotation_exceptions {
            let annotations = input.get_path(&spec.path);
            let named = annotations
                .and_then(|a| a.get(&spec.key))
                .and_then(Value::as_str);
            if let (Some(a), Some(named)) = (annotations, named)
                && named.split(',').any(|r| r.trim() == rule)
            {
                let field = |suffix: &str| {
                    a.get(&format!("{}-{suffix}", spec.key))
                        .and_then(Value::as_str)
                };
                let reason = field("reason");
                let approver = field("approver");
                let expires_text = field("expires");
                let problem = match (reason, approver, expires_text) {
                    (Some(_), Some(_), Some(_)) => None,
                    _ => Some(format!(
                        "annotation exception needs `{k}-reason`, `{k}-approver` and `{k}-expires`",
                        k = spec.key
                    )),
                };
                out.push(Waiver {
                    source: "annotations",
                    reason: reason.unwrap_or(""),
                    approver: approver.unwrap_or(""),
                    expires_text: expires_text.unwrap_or(""),
                    expires: expires_text.and_then(Expiry::parse),
                    problem,
                });
            }
        }
        out
    }

    fn in_scope(&self, e: &ExceptionC, input: &Value, params: &Value) -> bool {
        let Some(scope) = &e.scope else { return true };
        let field = |path: &[&str]| {
            path.iter()
                .try_fold(input, |v, k| v.get(k))
                .and_then(Value::as_str)
        };
        let matches = |want: &Option<String>, got: Option<&str>| {
            want.as_deref().is_none_or(|w| Some(w) == got)
        };
        if !(matches(&scope.user, field(&["actor", "id"]))
            && matches(&scope.repository, field(&["context", "repository"]))
            && matches(&scope.agent, field(&["agent"]))
            && matches(&scope.action_type, field(&["type"])))
        {
            return false;
        }
        match &e.scope_when {
            None => true,
            Some(w) => w.eval_bool(&[input, params]).unwrap_or(false),
        }
    }

    /// Checks the action's signed overrides; returns a forced verdict (verdict, outcome, key
    /// id) and the flags of every valid override.
    pub(crate) fn check_overrides(
        &self,
        input: &Value,
        ctx: &EvalContext,
        decision: &mut Decision,
    ) -> (Option<(String, Outcome, String)>, Vec<String>) {
        // A policy that trusts no keys does not look at overrides at all.
        if !self.inner.has_overrides {
            return (None, Vec::new());
        }
        let Some(list) = input.get("overrides") else {
            return (None, Vec::new());
        };
        let items: &[Value] = match list {
            Value::List(items) => items,
            Value::Null => return (None, Vec::new()),
            _ => {
                decision.overrides.push(OverrideResult {
                    status: OverrideStatus::Malformed,
                    key_id: String::new(),
                    verdict: None,
                    flags: Vec::new(),
                    reason: String::new(),
                    note: Some("`overrides` must be a list".into()),
                });
                return (None, Vec::new());
            }
        };
        if items.is_empty() {
            return (None, Vec::new());
        }
        let fingerprint = identity::fingerprint(input).unwrap_or_default();
        let mut forced = None;
        let mut flags = Vec::new();
        for item in items {
            let key_id = item
                .get("key_id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let signature = item.get("signature").and_then(Value::as_str);
            let payload: Option<OverridePayload> = item
                .get("payload")
                .and_then(|p| serde::Deserialize::deserialize(p).ok());
            let (Some(signature), Some(payload)) = (signature, payload) else {
                decision.overrides.push(OverrideResult {
                    status: OverrideStatus::Malformed,
                    key_id,
                    verdict: None,
                    flags: Vec::new(),
                    reason: String::new(),
                    note: Some("an override needs `key_id`, `signature` and `payload {fingerprint, verdict, flags, reason, expires}`".into()),
                });
                continue;
            };
            let verdict_outcome = payload.verdict.as_deref().map(|v| self.verdict_outcome(v));
            let status_note = match identity::verify_override(
                &self.inner.trusted_keys,
                &key_id,
                &payload,
                signature,
            ) {
                Err(identity::SignatureError::UnknownKey { .. }) => Some((
                    OverrideStatus::UntrustedKey,
                    format!("key `{key_id}` is not trusted by this policy"),
                )),
                Err(e) => Some((OverrideStatus::BadSignature, e.to_string())),
                Ok(()) => match identity::check_binding(&payload, &fingerprint, ctx.now) {
                    Err(identity::OverrideRejection::Expired { .. }) => Some((
                        OverrideStatus::Expired,
                        format!("expired at {}", payload.expires),
                    )),
                    Err(identity::OverrideRejection::Replayed { .. }) => Some((
                        OverrideStatus::Replayed,
                        "signed for another action (fingerprint mismatch)".to_owned(),
                    )),
                    Err(e) => Some((OverrideStatus::Malformed, e.to_string())),
                    Ok(()) => match &verdict_outcome {
                        Some(None) => Some((
                            OverrideStatus::Malformed,
                            format!(
                                "unknown verdict `{}`",
                                payload.verdict.as_deref().unwrap_or("")
                            ),
                        )),
                        _ => None,
                    },
                },
            };
            let status = match &status_note {
                Some((s, _)) => *s,
                None => OverrideStatus::Applied,
            };
            if status == OverrideStatus::Applied {
                flags.extend(payload.flags.iter().cloned());
                // Several signed verdicts: the most restrictive stands.
                if let (Some(v), Some(Some(o))) = (&payload.verdict, verdict_outcome)
                    && forced.as_ref().is_none_or(|(_, f, _)| o > *f)
                {
                    forced = Some((v.clone(), o, key_id.clone()));
                }
            } else {
                decision.reasons.push(format!(
                    "signed override by `{key_id}` ignored: {}",
                    status_note.as_ref().map_or("", |(_, n)| n.as_str())
                ));
            }
            decision.overrides.push(OverrideResult {
                status,
                key_id,
                verdict: payload.verdict.clone(),
                flags: payload.flags.clone(),
                reason: payload.reason.clone(),
                note: status_note.map(|(_, n)| n),
            });
        }
        (forced, flags)
    }

    /// The outcome a verdict of the policy's vocabulary maps to.
    pub(crate) fn verdict_outcome(&self, verdict: &str) -> Option<Outcome> {
        let v = &self.inner.verdicts;
        if v.is_empty() {
            match verdict {
                "auto" => Some(Outcome::Auto),
                "approval" => Some(Outcome::Approval),
                "block" => Some(Outcome::Block),
                _ => None,
            }
        } else {
            v.get(verdict).copied()
        }
    }
}

/// Says when an exception stopped applying.
fn expired_note(expiry: &Expiry) -> String {
    match expiry {
        Expiry::At(t) => format!("expired at {}", t.to_rfc3339()),
        Expiry::EndOfDay(date) => format!("expired at the end of {date} (UTC)"),
    }
}
