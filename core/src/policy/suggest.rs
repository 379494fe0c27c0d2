//! Suggestions: the smallest single-factor changes that drop an action to a lower band.
//!
//! A suggestion is only made when the change can be written as an input patch (the factor
//! reads a plain field path) and re-evaluating the patched input really reaches a lower band,
//! so every suggestion is a promise the engine has already checked.

use super::compile::*;
use super::eval::{Action, EvalContext};
use crate::decision::{format_number, Decision, Suggestion};
use crate::value::{Str, Value};

/// A candidate change: the option moved to and the new input value.
struct Candidate<'a> {
    to: &'a OptionC,
    value: Value,
}

impl CompiledPolicy {
    pub(crate) fn suggest(&self, action: &Action, ctx: &EvalContext, current: &Decision) -> Vec<Suggestion> {
        let p = &*self.inner;
        let Some(band_ix) = current.band.as_ref().and_then(|b| p.bands.iter().position(|x| x.name == *b)) else {
            return Vec::new();
        };
        if band_ix == 0 {
            return Vec::new();
        }
        let quiet = EvalContext { suggestions: false, fingerprint: false, ..ctx.clone() };
        let mut out = Vec::new();
        for (factor, result) in p.factors.iter().zip(current.factors.iter()) {
            if factor.id != result.id {
                // A factor failed and the results no longer line up; suggestions need all.
                return Vec::new();
            }
            let Some((path, candidates)) = candidates(factor, result.points, &result.value, action.value()) else {
                continue;
            };
            for c in candidates {
                let mut patched = action.value().clone();
                if !patched.set_path(&path, c.value.clone()) {
                    break;
                }
                let after = self.evaluate(&Action::new(patched), &quiet);
                let after_ix = after.band.as_ref().and_then(|b| p.bands.iter().position(|x| x.name == *b));
                if !after.errors.is_empty() || after_ix.is_none_or(|ix| ix >= band_ix) {
                    continue;
                }
                let delta = after.score - current.score;
                let lead = c.to.suggest.clone().unwrap_or_else(|| format!("Use {}", c.to.label));
                out.push(Suggestion {
                    factor: factor.id.clone(),
                    from: result.label.clone(),
                    to: c.to.label.clone(),
                    delta,
                    band: after.band.clone().unwrap_or_else(|| Str::from("")),
                    outcome: after.outcome,
                    path: path.iter().map(|s| &**s).collect::<Vec<_>>().join("."),
                    value: c.value,
                    text: format!("{lead} instead of {}: −{}", result.label, format_number(-delta)),
                });
                break;
            }
        }
        // Smallest change first.
        out.sort_by(|a, b| b.delta.total_cmp(&a.delta));
        out
    }
}

/// The input path a factor reads and its lower-point alternatives, smallest reduction first.
fn candidates<'a>(
    factor: &'a FactorC,
    points: f64,
    current: &Value,
    input: &Value,
) -> Option<(Vec<Str>, Vec<Candidate<'a>>)> {
    let plain_path = |program: &crate::expr::Program| match program.as_field_path() {
        Some((root, path)) if root == INPUT => Some(path),
        _ => None,
    };
    let mut list: Vec<Candidate<'a>> = Vec::new();
    let path = match &factor.kind {
        FactorKindC::Lookup { value, cases, .. } => {
            let path = plain_path(value)?;
            for o in cases.values().filter(|o| o.points < points) {
                if let Some(w) = &o.witness {
                    list.push(Candidate { to: o, value: typed_like(w, current) });
                }
            }
            path
        }
        FactorKindC::Tiers { value, tiers } => {
            let path = plain_path(value)?;
            for (_, o) in tiers.iter().filter(|(_, o)| o.points < points) {
                if let Some(w) = &o.witness {
                    list.push(Candidate { to: o, value: w.clone() });
                }
            }
            path
        }
        FactorKindC::Buckets { count, buckets } => {
            let path = plain_path(count)?;
            let at = path.iter().try_fold(input, |v, k| v.get(k))?;
            for (_, o) in buckets.iter().filter(|(_, o)| o.points < points) {
                let Some(n) = o.witness.as_ref().and_then(Value::as_f64) else { continue };
                let n = n.max(0.0) as usize;
                let value = match at {
                    Value::List(items) => Value::list(items.iter().take(n).cloned().collect()),
                    Value::Int(_) => Value::Int(n as i64),
                    _ => continue,
                };
                list.push(Candidate { to: o, value });
            }
            path
        }
        FactorKindC::Boolean { when, if_true, if_false } => {
            let path = plain_path(when)?;
            let other = if current == &Value::Bool(true) { if_false } else { if_true };
            if other.points < points
                && let Some(w) = &other.witness {
                    list.push(Candidate { to: other, value: w.clone() });
                }
            path
        }
        FactorKindC::Cases { .. } | FactorKindC::Expression { .. } => return None,
    };
    list.sort_by(|a, b| b.to.points.total_cmp(&a.to.points));
    Some((path, list))
}

/// A lookup key, typed like the value it replaces (`"5"` → 5 when the input held an int).
fn typed_like(key: &Value, current: &Value) -> Value {
    let Some(text) = key.as_str() else { return key.clone() };
    match current {
        Value::Int(_) => text.parse().map(Value::Int).unwrap_or_else(|_| key.clone()),
        Value::Double(_) => text.parse().map(Value::Double).unwrap_or_else(|_| key.clone()),
        Value::Bool(_) => text.parse().map(Value::Bool).unwrap_or_else(|_| key.clone()),
        _ => key.clone(),
    }
}
