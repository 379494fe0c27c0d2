//! A decision as readable text: outcome, score, factor bars, triggers, rules, messages,
//! approvals, reasons and suggestions.

use govgate_core::decision::{ExceptionStatus, OverrideStatus, format_number};
use govgate_core::policy::document::{FactorSpec, OnTimeout, Separation};
use govgate_core::{CompiledPolicy, Decision, Mode, Outcome};

use crate::style::{Style, clean};

const BAR_WIDTH: usize = 10;

/// How an outcome reads in text.
pub fn outcome_text(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Auto => "auto (allowed)",
        Outcome::Approval => "approval required",
        Outcome::Block => "blocked",
    }
}

fn paint_outcome(style: Style, outcome: Outcome, text: &str) -> String {
    match outcome {
        Outcome::Auto => style.green(text),
        Outcome::Approval => style.yellow(text),
        Outcome::Block => style.red(text),
    }
}

/// The lowest and highest points a factor can give, from its declared options.
fn points_range(f: &FactorSpec) -> Option<(f64, f64)> {
    let mut points: Vec<f64> = Vec::new();
    if let Some(l) = &f.lookup {
        points.extend(l.cases.values().map(|o| o.points));
        points.extend(l.default.iter().map(|o| o.points));
    }
    if let Some(t) = &f.tiers {
        points.extend(t.tiers.iter().map(|t| t.points));
    }
    if let Some(b) = &f.buckets {
        points.extend(b.buckets.iter().map(|t| t.points));
    }
    if let Some(b) = &f.boolean {
        points.extend([b.if_true.points, b.if_false.points]);
    }
    if let Some(c) = &f.cases {
        points.extend(c.cases.iter().map(|c| c.points));
        points.push(c.default.points);
    }
    let lo = points.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = points.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (lo.is_finite() && hi.is_finite()).then_some((lo, hi))
}

/// A bar of `BAR_WIDTH` cells filled to `fraction` (clamped to 0..=1).
pub fn bar(fraction: f64) -> String {
    let f = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let filled = (f * BAR_WIDTH as f64).round() as usize;
    let mut s = "█".repeat(filled);
    s.push_str(&"░".repeat(BAR_WIDTH.saturating_sub(filled)));
    s
}

fn signed(x: f64) -> String {
    let n = format_number(x);
    if n.starts_with('-') || n == "0" {
        n
    } else {
        format!("+{n}")
    }
}

/// Seconds as the largest whole units: `8h`, `2d`, `1h30m`, `45s`.
pub fn duration_text(seconds: u64) -> String {
    if seconds == 0 {
        return "0s".into();
    }
    let mut rest = seconds;
    let mut out = String::new();
    for (unit, size) in [("d", 86_400u64), ("h", 3_600), ("m", 60), ("s", 1)] {
        let n = rest / size;
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
            rest %= size;
        }
    }
    out
}

pub fn separation_text(s: Separation) -> &'static str {
    match s {
        Separation::None => "none",
        Separation::NotRequester => "not the requester",
        Separation::NotRequesterOrOwner => "neither the requester nor their owner",
    }
}

/// A score to two decimals; a negative zero (or a negative score that rounds to zero) shows
/// as `0.00`, not `-0.00`.
fn score_text(score: f64) -> String {
    let text = format!("{score:.2}");
    if text == "-0.00" {
        "0.00".to_owned()
    } else {
        text
    }
}

fn short_digest(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

/// Writes a section heading.
fn heading(out: &mut String, style: Style, title: &str) {
    out.push('\n');
    out.push_str(&style.bold(title));
    out.push('\n');
}

/// Renders a decision for people.
/// Where an `input.…` path named in an error is in the input file: `file:line:col`, or for
/// a missing field its nearest present parent's place. `None` when unknown.
pub type Locate<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The first `input.…` path quoted in backticks in an error message.
fn quoted_input_path(message: &str) -> Option<&str> {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .find(|p| p.starts_with("input.") || p.starts_with("input["))
}

pub fn decision_text(
    d: &Decision,
    policy: &CompiledPolicy,
    style: Style,
    locate: Locate,
) -> String {
    let mut out = String::new();
    let doc = crate::io::document_of(policy);
    let line = |out: &mut String, key: &str, value: &str| {
        out.push_str(&format!("{}{value}\n", style.bold(&format!("{key:<12}"))));
    };

    // Outcome, and the would-be outcome in shadow mode.
    let mut outcome = paint_outcome(style, d.outcome, outcome_text(d.outcome));
    if d.mode == Mode::Shadow {
        match d.shadow_outcome {
            Some(would) => outcome.push_str(&format!(
                "  (shadow mode; would be: {})",
                paint_outcome(style, would, outcome_text(would))
            )),
            None => outcome.push_str("  (shadow mode)"),
        }
    }
    line(&mut out, "outcome", &outcome);
    if let Some(v) = &d.verdict {
        line(&mut out, "verdict", &clean(v));
    }
    let has_scale = !d.factors.is_empty() || !doc.bands.is_empty();
    if has_scale {
        line(
            &mut out,
            "score",
            &format!(
                "{}  (scale {}–{})",
                score_text(d.score),
                format_number(doc.score.min),
                format_number(doc.score.max)
            ),
        );
    }
    if let Some(b) = &d.band {
        line(&mut out, "band", b);
    }
    if let Some(a) = &d.autonomy {
        line(
            &mut out,
            "autonomy",
            &format!("{} (scope: {})", a.level, a.scope),
        );
    }

    // Factor bars.
    if !d.factors.is_empty() {
        heading(&mut out, style, "factors");
        let id_w = d
            .factors
            .iter()
            .map(|f| f.id.chars().count())
            .max()
            .unwrap_or(0)
            .max(6);
        let contribs: Vec<String> = d.factors.iter().map(|f| signed(f.contribution)).collect();
        let c_w = contribs
            .iter()
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(0);
        for (f, contrib) in d.factors.iter().zip(&contribs) {
            let range = doc
                .factors
                .iter()
                .find(|s| *s.id == *f.id)
                .and_then(points_range);
            let fraction = match range {
                Some((lo, hi)) if hi > lo => (f.points - lo) / (hi - lo),
                Some((_, hi)) => {
                    if f.points >= hi && hi > 0.0 {
                        1.0
                    } else {
                        0.0
                    }
                }
                None => {
                    let span = doc.score.max - doc.score.min;
                    if span > 0.0 {
                        f.contribution / span
                    } else {
                        0.0
                    }
                }
            };
            let cells = bar(fraction);
            let cells = if fraction >= 0.67 {
                style.red(&cells)
            } else if fraction >= 0.34 {
                style.yellow(&cells)
            } else {
                style.green(&cells)
            };
            out.push_str(&format!(
                "  {:<id_w$}  {cells}  {contrib:>c_w$}   {}\n",
                f.id,
                clean(&f.label)
            ));
        }
    }

    if !d.triggers.is_empty() {
        heading(&mut out, style, "triggers");
        for t in &d.triggers {
            let mut effects = Vec::new();
            if let Some(floor) = t.floor {
                effects.push(format!("score raised to at least {}", format_number(floor)));
            }
            if let Some(b) = &t.min_band {
                effects.push(format!("band at least {b}"));
            }
            if let Some(o) = t.outcome {
                effects.push(format!("outcome at least {}", o.as_str()));
            }
            let effects = if effects.is_empty() {
                String::new()
            } else {
                format!(" ({})", effects.join(", "))
            };
            out.push_str(&format!(
                "  {} {}: {}{effects}\n",
                style.yellow("▲"),
                t.id,
                clean(&t.reason)
            ));
        }
    }

    if let Some(r) = &d.rule {
        heading(&mut out, style, "rule");
        let name =
            r.id.as_deref()
                .map_or_else(|| "default verdict".to_owned(), |id| format!("`{id}`"));
        let code = if r.reason_code.is_empty() {
            String::new()
        } else {
            format!(" [{}]", r.reason_code)
        };
        out.push_str(&format!(
            "  {name} → {} ({}){code}\n",
            r.verdict,
            r.outcome.as_str()
        ));
        if let Some(m) = &r.message {
            out.push_str(&format!("    {}\n", clean(m)));
        }
    }

    if !d.deny.is_empty() {
        heading(&mut out, style, "deny");
        for m in &d.deny {
            if m.waived {
                out.push_str(&format!(
                    "  {} {}: {}  (waived by an exception)\n",
                    style.dim("○"),
                    m.rule,
                    clean(&m.message)
                ));
            } else {
                out.push_str(&format!(
                    "  {} {}: {}\n",
                    style.red("✗"),
                    m.rule,
                    clean(&m.message)
                ));
            }
        }
    }
    if !d.warn.is_empty() {
        heading(&mut out, style, "warn");
        for m in &d.warn {
            out.push_str(&format!(
                "  {} {}: {}\n",
                style.yellow("!"),
                m.rule,
                clean(&m.message)
            ));
        }
    }

    if !d.exceptions.is_empty() {
        heading(&mut out, style, "exceptions");
        for e in &d.exceptions {
            let status = match e.status {
                ExceptionStatus::Applied => style.green("applied"),
                ExceptionStatus::Expired => style.yellow("expired"),
                ExceptionStatus::Invalid => style.red("invalid"),
            };
            out.push_str(&format!(
                "  {}: {status} (from {}): {}; approved by {}, expires {}\n",
                e.rule,
                e.source,
                clean(&e.reason),
                clean(&e.approver),
                clean(&e.expires)
            ));
            if let Some(n) = &e.note {
                out.push_str(&format!("    {}\n", clean(n)));
            }
        }
    }

    if !d.overrides.is_empty() {
        heading(&mut out, style, "overrides");
        for o in &d.overrides {
            let status = match o.status {
                OverrideStatus::Applied => style.green("applied"),
                OverrideStatus::UntrustedKey => style.red("untrusted key"),
                OverrideStatus::BadSignature => style.red("bad signature"),
                OverrideStatus::Expired => style.yellow("expired"),
                OverrideStatus::Replayed => style.red("replayed"),
                OverrideStatus::Malformed => style.red("malformed"),
            };
            let key = if o.key_id.is_empty() {
                "(no key id)".into()
            } else {
                clean(&o.key_id)
            };
            let mut what = Vec::new();
            if let Some(v) = &o.verdict {
                what.push(format!("verdict {}", clean(v)));
            }
            if !o.flags.is_empty() {
                what.push(format!("flags {}", clean(&o.flags.join(", "))));
            }
            let what = if what.is_empty() {
                String::new()
            } else {
                format!(" {}", what.join("; "))
            };
            let reason = if o.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", clean(&o.reason))
            };
            out.push_str(&format!("  {key}: {status}{what}{reason}\n"));
            if let Some(n) = &o.note {
                out.push_str(&format!("    {}\n", clean(n)));
            }
        }
    }

    if let Some(a) = &d.approval {
        heading(&mut out, style, "approval");
        let who = if a.quorum == 1 {
            format!("1 {}", a.role)
        } else {
            format!("{} distinct {}s", a.quorum, a.role)
        };
        out.push_str(&format!("  needs          {who}\n"));
        out.push_str(&format!(
            "  separation     {}\n",
            separation_text(a.separation)
        ));
        out.push_str(&format!(
            "  justification  {}\n",
            if a.justification {
                "required"
            } else {
                "not required"
            }
        ));
        let timeout = match a.on_timeout {
            OnTimeout::Deny => "denied".to_owned(),
            OnTimeout::Escalate => format!(
                "escalated to {}",
                a.escalate_to.as_deref().unwrap_or("(unnamed role)")
            ),
            OnTimeout::Wait => "keeps waiting".to_owned(),
        };
        match a.expires_in_seconds {
            Some(s) => out.push_str(&format!(
                "  expires in     {} (then {timeout})\n",
                duration_text(s)
            )),
            None => out.push_str("  expires        never\n"),
        }
        out.push_str(&format!("  required by    {}\n", a.source));
    }

    if !d.reasons.is_empty() {
        heading(&mut out, style, "reasons");
        for r in &d.reasons {
            out.push_str(&format!("  - {}\n", clean(r)));
        }
    }

    if !d.suggestions.is_empty() {
        heading(&mut out, style, "suggestions");
        for s in &d.suggestions {
            out.push_str(&format!(
                "  - {}  {}\n",
                clean(&s.text),
                style.dim(&format!(
                    "→ band {} ({}); set {} = {}",
                    s.band,
                    s.outcome.as_str(),
                    s.path,
                    clean(&s.value.to_string())
                ))
            ));
        }
    }

    if !d.errors.is_empty() {
        heading(&mut out, style, "errors (the decision failed safe)");
        for e in &d.errors {
            out.push_str(&format!("  {} {}\n", style.red("✗"), clean(e)));
            if let Some(place) = quoted_input_path(e).and_then(locate) {
                out.push_str(&format!(
                    "      {}\n",
                    style.dim(&format!("--> {}", clean(&place)))
                ));
            }
        }
    }
    if !d.missing.is_empty() {
        heading(&mut out, style, "missing fields");
        for m in &d.missing {
            match locate(m) {
                Some(place) => out.push_str(&format!(
                    "  - {}  {}\n",
                    clean(m),
                    style.dim(&format!("--> {}", clean(&place)))
                )),
                None => out.push_str(&format!("  - {}\n", clean(m))),
            }
        }
    }

    out.push('\n');
    line(
        &mut out,
        "policy",
        &format!(
            "{} {}",
            d.policy.policy,
            style.dim(&format!(
                "(digest {})",
                short_digest(&d.policy.policy_digest)
            ))
        ),
    );
    if let Some(f) = &d.fingerprint {
        line(&mut out, "fingerprint", f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_fill_in_tenths() {
        assert_eq!(bar(1.0), "██████████");
        assert_eq!(bar(0.5), "█████░░░░░");
        assert_eq!(bar(0.0), "░░░░░░░░░░");
        assert_eq!(bar(f64::NAN), "░░░░░░░░░░");
        assert_eq!(bar(7.0), "██████████");
    }

    #[test]
    fn durations_use_the_largest_units() {
        assert_eq!(duration_text(8 * 3600), "8h");
        assert_eq!(duration_text(2 * 86_400), "2d");
        assert_eq!(duration_text(5400), "1h30m");
        assert_eq!(duration_text(0), "0s");
    }

    #[test]
    fn scores_never_show_a_negative_zero() {
        assert_eq!(score_text(-0.0), "0.00");
        assert_eq!(score_text(-0.001), "0.00");
        assert_eq!(score_text(-1.5), "-1.50");
        assert_eq!(score_text(85.0), "85.00");
    }

    #[test]
    fn contributions_carry_a_sign() {
        assert_eq!(signed(40.0), "+40");
        assert_eq!(signed(0.3), "+0.3");
        assert_eq!(signed(0.0), "0");
        assert_eq!(signed(-20.0), "-20");
    }
}
