//! Suggestions: the smallest single-factor changes that drop an action to a lower band.
//!
//! A suggestion is only made when the change can be written as an input patch (the factor
//! reads a plain field path) and re-evaluating the patched input really reaches a lower band,
//! so every suggestion is a promise the engine has already checked.

use super::compile::*;
use super::document::{Mode, Outcome};
use super::eval::{Action, Basis, EvalContext};
use crate::decision::{Decision, Suggestion, format_number};
use crate::value::{Str, Value};

/// A candidate change: the option moved to and the new input value.
struct Candidate<'a> {
    to: &'a OptionC,
    value: Value,
}

impl CompiledPolicy {
    pub(crate) fn suggest(
        &self,
        action: &Action,
        ctx: &EvalContext,
        current: &Decision,
        basis: &Basis,
    ) -> Vec<Suggestion> {
        let p = &*self.inner;
        let Some(band_ix) = current
            .band
            .as_ref()
            .and_then(|b| p.bands.iter().position(|x| x.name == *b))
        else {
            return Vec::new();
        };
        if band_ix == 0 {
            return Vec::new();
        }
        // A signed override is bound to the action's fingerprint, which any patch changes:
        // then only evaluating the patched input tells what it leads to.
        let overridden = current
            .overrides
            .iter()
            .any(|o| o.status == crate::decision::OverrideStatus::Applied);
        let quiet = EvalContext {
            suggestions: false,
            fingerprint: false,
            ..ctx.clone()
        };
        let mut out = Vec::new();
        for (factor, result) in p.factors.iter().zip(current.factors.iter()) {
            if factor.id != result.id {
                // A factor failed and the results no longer line up; suggestions need all.
                return Vec::new();
            }
            let Some((path, candidates)) =
                candidates(factor, result.points, &result.value, action.value())
            else {
                continue;
            };
            for c in candidates {
                let after = if factor.exclusive && !overridden {
                    // Only this factor changes: recompute exactly, without evaluating again.
                    let at = current.factors.iter().position(|r| r.id == factor.id);
                    let score = self.score_of(&current.factors, at.map(|i| (i, c.to.points)));
                    self.rescore(score, basis)
                } else {
                    let mut patched = action.value().clone();
                    if !patched.set_path(&path, c.value.clone()) {
                        break;
                    }
                    let after = self.evaluate(&Action::new(patched), &quiet);
                    if !after.errors.is_empty() {
                        continue;
                    }
                    let band = after
                        .band
                        .as_ref()
                        .and_then(|b| p.bands.iter().position(|x| x.name == *b));
                    band.map(|b| (after.score, b, after.outcome))
                };
                let Some((score, after_ix, outcome)) = after else {
                    continue;
                };
                if after_ix >= band_ix {
                    continue;
                }
                let delta = score - current.score;
                let lead =
                    c.to.suggest
                        .clone()
                        .unwrap_or_else(|| format!("Use {}", c.to.label));
                out.push(Suggestion {
                    factor: factor.id.clone(),
                    from: result.label.to_string(),
                    to: c.to.label.to_string(),
                    delta,
                    band: p
                        .bands
                        .get(after_ix)
                        .map_or_else(|| Str::from(""), |b| b.name.clone()),
                    outcome,
                    path: path.iter().map(|s| &**s).collect::<Vec<_>>().join("."),
                    value: c.value,
                    text: format!(
                        "{lead} instead of {}: −{}",
                        result.label,
                        format_number(-delta)
                    ),
                });
                break;
            }
        }
        // Smallest change first.
        crate::sorting::sort_by(&mut out, |a, b| b.delta.total_cmp(&a.delta));
        out
    }
}

impl CompiledPolicy {
    /// Score, band index and outcome when only factor points changed (see [`Basis`]).
    fn rescore(&self, mut score: f64, basis: &Basis) -> Option<(f64, usize, Outcome)> {
        let p = &*self.inner;
        if let Some(f) = basis.floor
            && score < f
        {
            score = f;
        }
        let level = p.levels.get(basis.level)?;
        if !score.is_finite() {
            return None;
        }
        let band_ix = level
            .uptos
            .iter()
            .position(|u| score <= *u)
            .unwrap_or(level.uptos.len().saturating_sub(1))
            .max(basis.min_band);
        let band = p.bands.get(band_ix)?;
        let band_outcome = if basis.type_auto {
            Outcome::Auto
        } else {
            band.outcome
        };
        let outcome = match (basis.forced, p.mode) {
            (_, Mode::Shadow) => Outcome::Auto,
            (Some(o), _) => o,
            (None, _) => basis.non_band.max(band_outcome),
        };
        Some((score, band_ix, outcome))
    }
}

/// The input path a factor reads and its lower-point alternatives, smallest reduction first.
fn candidates<'a>(
    factor: &'a FactorC,
    points: f64,
    current: &Value,
    input: &Value,
) -> Option<(Vec<Str>, Vec<Candidate<'a>>)> {
    let path = factor_path(&factor.kind)?;
    let mut list: Vec<Candidate<'a>> = Vec::new();
    match &factor.kind {
        FactorKindC::Lookup { cases, .. } => {
            for o in cases.values().filter(|o| o.points < points) {
                if let Some(w) = &o.witness {
                    list.push(Candidate {
                        to: o,
                        value: typed_like(w, current),
                    });
                }
            }
        }
        FactorKindC::Tiers { tiers, .. } => {
            for (_, o) in tiers.iter().filter(|(_, o)| o.points < points) {
                if let Some(w) = &o.witness {
                    list.push(Candidate {
                        to: o,
                        value: w.clone(),
                    });
                }
            }
        }
        FactorKindC::Buckets { buckets, .. } => {
            let at = path.iter().try_fold(input, |v, k| v.get(k))?;
            for (_, o) in buckets.iter().filter(|(_, o)| o.points < points) {
                let Some(n) = o.witness.as_ref().and_then(Value::as_f64) else {
                    continue;
                };
                let n = n.max(0.0) as usize;
                let value = match at {
                    // Dropping items can only lower the count.
                    Value::List(items) if n < items.len() => {
                        Value::list(items.iter().take(n).cloned().collect())
                    }
                    Value::Int(_) => Value::Int(n as i64),
                    _ => continue,
                };
                list.push(Candidate { to: o, value });
            }
        }
        FactorKindC::Boolean {
            if_true, if_false, ..
        } => {
            let other = if current == &Value::Bool(true) {
                if_false
            } else {
                if_true
            };
            if other.points < points
                && let Some(w) = &other.witness
            {
                list.push(Candidate {
                    to: other,
                    value: w.clone(),
                });
            }
        }
        FactorKindC::Cases { .. } | FactorKindC::Expression { .. } => return None,
    };
    crate::sorting::sort_by(&mut list, |a, b| b.to.points.total_cmp(&a.to.points));
    Some((path, list))
}

/// A lookup key, typed like the value it replaces (`"5"` → 5 when the input held an int).
pub(crate) fn typed_like(key: &Value, current: &Value) -> Value {
    let Some(text) = key.as_str() else {
        return key.clone();
    };
    // Only when the typed value reads back as the same key (`"01"` is not the int 1).
    let typed = match current {
        Value::Int(_) => text.parse().ok().map(Value::Int),
        Value::Double(_) => text.parse().ok().map(Value::Double),
        Value::Bool(_) => text.parse().ok().map(Value::Bool),
        _ => None,
    };
    match typed {
        Some(v) if v.to_string() == text => v,
        _ => key.clone(),
    }
}
