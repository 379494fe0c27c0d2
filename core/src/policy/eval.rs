//! Evaluating an action under a compiled policy.
//!
//! Order: signed overrides → autonomy → factors → score → triggers → band → first-match rule →
//! deny/warn rules and exceptions → outcome precedence → overrides → fail-safe → shadow mode →
//! suggestions. Every part yields an outcome; the most restrictive wins.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::compile::*;
use super::document::{Aggregate, ApprovalSpec, Mode, OnTimeout, Outcome, Separation};
use crate::decision::*;
use crate::expr::{EvalError, EvalErrorKind, Program};
use crate::value::{Map, Str, Value};

/// The thing being decided on: the action envelope (or, for `check`, a manifest).
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    value: Value,
}

impl Action {
    /// Wraps the value every condition sees as `input`.
    pub fn new(value: Value) -> Action {
        Action { value }
    }

    /// The value conditions see as `input`.
    pub fn value(&self) -> &Value {
        &self.value
    }
}

/// Everything besides the action that a decision depends on. Time is an input: core never
/// reads a clock.
#[derive(Clone, Debug)]
pub struct EvalContext {
    /// The time expiries are judged against.
    pub now: DateTime<Utc>,
    /// Parameter overrides for this call (validated against the declared types).
    pub parameters: Map,
    /// Whether to put the action fingerprint in the decision.
    pub fingerprint: bool,
    /// Whether to compute suggestions (re-evaluations of steered inputs).
    pub suggestions: bool,
}

impl EvalContext {
    /// A context at `now`, no parameter overrides, no fingerprint, with suggestions.
    pub fn new(now: DateTime<Utc>) -> EvalContext {
        EvalContext {
            now,
            parameters: Map::new(),
            fingerprint: false,
            suggestions: true,
        }
    }
}

/// Outcome so far and who must approve.
struct Verdicts {
    outcome: Outcome,
    /// The outcome from every part but the band.
    non_band: Outcome,
    /// Candidate approval requirements with the part that asked.
    approvals: Vec<(ApprovalSpec, String)>,
}

impl Verdicts {
    fn raise(&mut self, outcome: Outcome) {
        self.non_band = self.non_band.max(outcome);
        self.raise_band(outcome);
    }

    fn raise_band(&mut self, outcome: Outcome) {
        if outcome > self.outcome {
            self.outcome = outcome;
        }
    }
}

/// What a decision was built from, beyond what it shows: enough to recompute the band and
/// outcome when only one exclusive factor changes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Basis {
    /// The highest floor a fired trigger imposed.
    pub floor: Option<f64>,
    /// The lowest band fired triggers allow.
    pub min_band: usize,
    /// The autonomy level applied.
    pub level: usize,
    /// The outcome of every part but the band.
    pub non_band: Outcome,
    /// A per-action-type `auto` that lowers the band's outcome.
    pub type_auto: bool,
    /// An outcome that replaced everything (a signed verdict).
    pub forced: Option<Outcome>,
}

struct Run<'d> {
    decision: &'d mut Decision,
    failed: bool,
}

impl Run<'_> {
    fn error(&mut self, context: &str, e: &EvalError) {
        self.failed = true;
        if let (EvalErrorKind::Missing, Some(path)) = (&e.kind, &e.missing_path)
            && !self.decision.missing.contains(path)
        {
            self.decision.missing.push(path.clone());
        }
        self.decision
            .errors
            .push(format!("{context}: {}", e.message));
    }
}

fn default_approval(role: &str) -> ApprovalSpec {
    ApprovalSpec {
        role: role.to_owned(),
        quorum: 1,
        separation: Separation::NotRequester,
        justification: false,
        expires_in: None,
        on_timeout: OnTimeout::Deny,
        escalate_to: None,
    }
}

impl Inner {
    /// The approval of the first approval band at or above `band`, else the highest one, else
    /// the policy's own `approval`, else one admin.
    fn band_approval(&self, band: usize) -> ApprovalSpec {
        let at_or_above = self
            .bands
            .iter()
            .skip(band)
            .find(|b| b.outcome == Outcome::Approval)
            .or_else(|| {
                self.bands
                    .iter()
                    .rev()
                    .find(|b| b.outcome == Outcome::Approval)
            });
        match at_or_above {
            Some(b) => b
                .approval
                .clone()
                .unwrap_or_else(|| default_approval("reviewer")),
            None => self
                .approval
                .clone()
                .unwrap_or_else(|| default_approval("admin")),
        }
    }

    /// The highest approval the policy names: what an error falls back to.
    fn highest_approval(&self) -> ApprovalSpec {
        let band = self
            .bands
            .iter()
            .rev()
            .find(|b| b.outcome == Outcome::Approval);
        let policy = self.approval.clone();
        match (band, policy) {
            (Some(b), Some(p)) => {
                let b = b
                    .approval
                    .clone()
                    .unwrap_or_else(|| default_approval("reviewer"));
                if self.role_rank(&p.role) > self.role_rank(&b.role) {
                    p
                } else {
                    b
                }
            }
            (Some(b), None) => b
                .approval
                .clone()
                .unwrap_or_else(|| default_approval("reviewer")),
            (None, Some(p)) => p,
            (None, None) => default_approval("admin"),
        }
    }

    /// Seniority of a role: its place among the roles the approval bands name, lowest
    /// first; a role no band names ranks with the lowest (ties go to the larger quorum), so a
    /// part cannot replace a senior band's approval by naming a role of its own.
    fn role_rank(&self, role: &str) -> usize {
        self.role_ladder.iter().position(|r| r == role).unwrap_or(0)
    }
}

fn str_at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
}

impl CompiledPolicy {
    /// The policy's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// SHA-256 (hex) of the policy's canonical JSON: what approvals bind to.
    pub fn digest(&self) -> &str {
        &self.inner.digest
    }

    /// What `input` is for this policy.
    pub fn subject(&self) -> super::document::Subject {
        self.inner.subject
    }

    /// The action as it may be stored: every field the policy marks secret replaced by
    /// `sha256:<hex>` of its canonical JSON, so equal secrets stay comparable but unreadable.
    pub fn redact(&self, action: &Value) -> Value {
        let mut out = action.clone();
        for path in &self.inner.secret_fields {
            let Some(secret) = path.iter().try_fold(action, |v, k| v.get(k)) else {
                continue;
            };
            let hashed = crate::identity::digest_value(secret).unwrap_or_default();
            out.set_path(path, Value::string(format!("sha256:{hashed}")));
        }
        out
    }

    /// A decision as it may be stored beside a redacted action: a factor value that is one of
    /// the action's secrets is replaced like the action's own field, and any secret text inside
    /// a message, reason or label becomes `[redacted]`.
    pub fn redact_decision(&self, action: &Value, decision: &Decision) -> Decision {
        let secrets: Vec<&Value> = self
            .inner
            .secret_fields
            .iter()
            .filter_map(|path| path.iter().try_fold(action, |v, k| v.get(k)))
            .collect();
        let mut out = decision.clone();
        if secrets.is_empty() {
            return out;
        }
        let texts: Vec<String> = secrets
            .iter()
            .map(|v| v.to_string())
            .filter(|t| !t.is_empty())
            .collect();
        let scrub = |s: &mut String| {
            for t in &texts {
                if s.contains(t.as_str()) {
                    *s = s.replace(t.as_str(), "[redacted]");
                }
            }
        };
        for f in &mut out.factors {
            if secrets.iter().any(|s| **s == f.value) {
                let hashed = crate::identity::digest_value(&f.value).unwrap_or_default();
                f.value = Value::string(format!("sha256:{hashed}"));
            }
            let mut label = f.label.to_string();
            scrub(&mut label);
            f.label = Str::from(label.as_str());
        }
        for m in out.deny.iter_mut().chain(out.warn.iter_mut()) {
            scrub(&mut m.message);
        }
        for t in &mut out.triggers {
            scrub(&mut t.reason);
        }
        for r in out.reasons.iter_mut().chain(out.errors.iter_mut()) {
            scrub(r);
        }
        if let Some(rule) = &mut out.rule
            && let Some(m) = &rule.message
        {
            let mut m = m.clone();
            scrub(&mut m);
            Arc::make_mut(rule).message = Some(m);
        }
        out
    }

    /// The document the policy was compiled from; `None` for a policy read from a compiled
    /// artifact ([`CompiledPolicy::from_artifact`]), which keeps only what evaluation reads.
    pub fn document(&self) -> Option<&super::document::PolicyDocument> {
        self.inner.document.as_ref()?.downcast_ref()
    }

    /// The `input` fields a deny or warn rule reads, as paths from the input's root: its
    /// `each` collection first, then its condition's reads. Where a finding of that rule is
    /// about, so that a report can point at the line of a manifest it concerns. Empty for an
    /// unknown id or a rule that reads no input field.
    pub fn message_rule_reads(&self, id: &str) -> Vec<Vec<Str>> {
        let p = &self.inner;
        let Some(rule) = p.deny.iter().chain(p.warn.iter()).find(|r| &*r.id == id) else {
            return Vec::new();
        };
        let mut out: Vec<Vec<Str>> = Vec::new();
        let each = rule.each.iter().flat_map(|e| e.reads());
        for (root, path) in each.chain(rule.when.reads()) {
            if root == super::compile::INPUT && !path.is_empty() && !out.contains(&path) {
                out.push(path);
            }
        }
        out
    }

    /// Validates parameter overrides against their declared types, returning the problems.
    pub fn check_parameters(&self, overrides: &Map) -> Vec<String> {
        let mut problems = Vec::new();
        for (name, value) in overrides {
            match self.inner.param_specs.get(name) {
                None => {
                    let help = closest(name, self.inner.param_specs.keys().map(|k| &**k))
                        .map(|c| format!("; did you mean `{c}`?"))
                        .unwrap_or_default();
                    problems.push(format!("unknown parameter `{name}`{help}"));
                }
                Some(spec) => {
                    if let Err(e) = check_parameter(spec, value) {
                        problems.push(format!("parameter `{name}`: {e}"));
                    }
                }
            }
        }
        problems
    }

    /// Decides on an action. Never fails: an error anywhere yields at least `approval`, with
    /// the error among the reasons.
    pub fn evaluate(&self, action: &Action, ctx: &EvalContext) -> Decision {
        let mut decision = Decision::new(self.inner.mode, self.inner.identity.clone());
        let basis = self.evaluate_core(action, ctx, &mut decision);
        if ctx.suggestions && !decision.factors.is_empty() && decision.errors.is_empty() {
            decision.suggestions = self.suggest(action, ctx, &decision, &basis);
        }
        if ctx.fingerprint {
            match crate::identity::fingerprint(action.value()) {
                Ok(f) => decision.fingerprint = Some(f),
                Err(e) => decision
                    .errors
                    .push(format!("the action cannot be fingerprinted: {e}")),
            }
        }
        decision
    }

    fn params<'s>(&'s self, ctx: &EvalContext, run: &mut Run<'_>) -> Cow<'s, Value> {
        let p = &self.inner;
        if ctx.parameters.is_empty() {
            return Cow::Borrowed(&p.param_defaults);
        }
        let problems = self.check_parameters(&ctx.parameters);
        if !problems.is_empty() {
            run.failed = true;
            run.decision.errors.extend(problems);
        }
        let mut merged = p.param_defaults.as_map().cloned().unwrap_or_default();
        for (k, v) in &ctx.parameters {
            if p.param_specs.contains_key(k) {
                merged.insert(k.clone(), v.clone());
            }
        }
        Cow::Owned(Value::Map(Arc::new(merged)))
    }

    /// Fills `decision` (which arrives with only the mode and the policy identity set).
    fn evaluate_core(&self, action: &Action, ctx: &EvalContext, decision: &mut Decision) -> Basis {
        let p = &*self.inner;
        let mut run = Run {
            decision,
            failed: false,
        };
        let params = self.params(ctx, &mut run);
        let input = action.value();
        let params: &Value = &params;
        let roots: [&Value; 2] = [input, params];
        let mut verdicts = Verdicts {
            outcome: Outcome::Auto,
            non_band: Outcome::Auto,
            approvals: Vec::new(),
        };
        let action_type: Option<&str> = if p.reads_action_type {
            match input.get("type") {
                Some(Value::String(t)) => Some(t),
                // Rules keyed by type and per-type overrides cannot be skipped silently: an
                // action without a type fails safe.
                Some(other) => {
                    run.failed = true;
                    run.decision.errors.push(format!(
                        "`input.type` is {}, expected a string",
                        super::compile::describe(other)
                    ));
                    None
                }
                None => {
                    run.failed = true;
                    run.decision.missing.push("input.type".to_owned());
                    run.decision.errors.push(
                        "no such field `input.type` (this policy decides by action type)"
                            .to_owned(),
                    );
                    None
                }
            }
        } else {
            None
        };

        // Signed overrides first: their flags steer the rules.
        let (forced_verdict, flags) = self.check_overrides(input, ctx, run.decision);

        // Autonomy: the level and the scope that chose it.
        let level_ix = self.resolve_level(input, &mut run);
        let level = p.levels.get(level_ix);

        // Factors and score.
        let (mut score, reasons_from_factors) = self.score(&roots, &mut run);
        let mut basis = Basis {
            level: level_ix,
            ..Basis::default()
        };

        // Triggers.
        let mut min_band = 0usize;
        let mut trigger_raised_band = false;
        let mut trigger_reasons = Vec::new();
        for t in &p.triggers {
            match t.when.eval_bool(&roots) {
                Ok(true) => {
                    let reason = match t.reason.render(&roots) {
                        Ok(r) => r,
                        Err(e) => {
                            run.error(&format!("trigger `{}` reason", t.id), &e);
                            t.id.to_string()
                        }
                    };
                    if let Some(f) = t.floor {
                        basis.floor = Some(basis.floor.map_or(f, |g: f64| g.max(f)));
                        if score < f {
                            score = f;
                        }
                    }
                    if let Some(b) = t.min_band {
                        min_band = min_band.max(b);
                    }
                    if t.floor.is_some() || t.min_band.is_some() {
                        trigger_raised_band = true;
                    }
                    if let Some(o) = t.outcome {
                        verdicts.raise(o);
                    }
                    // The trigger's own approval applies whenever it fired (it asked for
                    // approval directly, or raised the score or band that asks for it).
                    if let Some(spec) = &t.approval {
                        verdicts
                            .approvals
                            .push((spec.clone(), format!("trigger:{}", t.id)));
                    } else if t.outcome == Some(Outcome::Approval) {
                        let spec = p.band_approval(t.min_band.unwrap_or(0));
                        verdicts.approvals.push((spec, format!("trigger:{}", t.id)));
                    }
                    trigger_reasons.push(reason.clone());
                    run.decision.triggers.push(TriggerResult {
                        id: t.id.clone(),
                        reason,
                        floor: t.floor,
                        min_band: t
                            .min_band
                            .and_then(|b| p.bands.get(b))
                            .map(|b| b.name.clone()),
                        outcome: t.outcome,
                    });
                }
                Ok(false) => {}
                Err(e) => run.error(&format!("trigger `{}`", t.id), &e),
            }
        }
        // `+ 0.0` turns a negative zero (all factors failed on a negative weight's sum) into 0.
        run.decision.score = score + 0.0;

        // Per-action-type overrides: `approval`/`block` are a minimum whatever the band;
        // `auto` only lowers the band's outcome (below).
        let type_override = action_type.and_then(|t| {
            level
                .and_then(|l| l.action_types.get(t))
                .or_else(|| p.action_types.get(t))
                .copied()
        });
        if let Some(o) = type_override.filter(|o| *o != Outcome::Auto) {
            verdicts.raise(o);
            if o == Outcome::Approval {
                verdicts.approvals.push((
                    p.band_approval(min_band),
                    format!("action_type:{}", action_type.unwrap_or("")),
                ));
            }
        }

        // Band.
        if !p.bands.is_empty() {
            let band_ix = match level {
                Some(l) if score.is_finite() => l
                    .uptos
                    .iter()
                    .position(|u| score <= *u)
                    .unwrap_or(l.uptos.len().saturating_sub(1)),
                _ => {
                    run.failed = true;
                    run.decision
                        .errors
                        .push(format!("score `{score}` is not a finite number"));
                    p.bands.len().saturating_sub(1)
                }
            }
            .max(min_band);
            if let Some(band) = p.bands.get(band_ix) {
                run.decision.band = Some(band.name.clone());
                // A per-type `auto` lowers the band's outcome, unless a trigger raised the band.
                basis.type_auto = type_override == Some(Outcome::Auto) && !trigger_raised_band;
                let band_outcome = if basis.type_auto {
                    Outcome::Auto
                } else {
                    band.outcome
                };
                verdicts.raise_band(band_outcome);
                if band_outcome == Outcome::Approval {
                    let spec = band
                        .approval
                        .clone()
                        .unwrap_or_else(|| default_approval("reviewer"));
                    verdicts
                        .approvals
                        .push((spec, format!("band:{}", band.name)));
                }
            }
        }

        // First-match rule.
        let mut rule_reason: Option<String> = None;
        if !p.rules.is_empty() || p.default_verdict.is_some() {
            let candidates: &[usize] = match action_type.and_then(|t| p.rules_by_type.get(t)) {
                Some(list) => list,
                None => &p.unkeyed_rules,
            };
            let mut matched = None;
            for &ix in candidates {
                let Some(rule) = p.rules.get(ix) else {
                    continue;
                };
                if let Some(flag) = &rule.unless_flag
                    && flags.iter().any(|f| f == flag)
                {
                    continue;
                }
                match rule.when.eval_bool(&roots) {
                    Ok(true) => {
                        matched = Some(rule);
                        break;
                    }
                    Ok(false) => {}
                    Err(e) => run.error(&format!("rule `{}`", rule.id()), &e),
                }
            }
            let result = match matched {
                Some(rule) => {
                    if rule.outcome() == Outcome::Approval {
                        let spec = rule.approval.clone().unwrap_or_else(|| p.band_approval(0));
                        verdicts
                            .approvals
                            .push((spec, format!("rule:{}", rule.id())));
                    }
                    match &rule.message {
                        Some(m) if !rule.fixed => {
                            let message = match m.render(&roots) {
                                Ok(s) => Some(s),
                                Err(e) => {
                                    run.error(&format!("rule `{}` message", rule.id()), &e);
                                    None
                                }
                            };
                            Some(Arc::new(RuleResult {
                                message,
                                ..RuleResult::clone(&rule.result)
                            }))
                        }
                        _ => Some(Arc::clone(&rule.result)),
                    }
                }
                None => {
                    if let Some((_, Outcome::Approval, _)) = &p.default_verdict {
                        verdicts
                            .approvals
                            .push((p.band_approval(0), "default_verdict".into()));
                    }
                    p.default_result.clone()
                }
            };
            if let Some(r) = result {
                verdicts.raise(r.outcome);
                if !r.reason_code.is_empty() {
                    run.decision.reason_codes.push(r.reason_code.clone());
                }
                rule_reason = match (&r.message, &r.id) {
                    (Some(m), _) => Some(m.clone()),
                    (None, Some(id)) if !r.reason_code.is_empty() => {
                        Some(format!("rule `{id}`: {}", r.reason_code))
                    }
                    _ => None,
                };
                run.decision.verdict = Some(r.verdict.clone());
                run.decision.rule = Some(r);
            }
        }

        // Deny and warn rules, with exceptions.
        if !p.deny.is_empty() {
            let deny = self.messages(&p.deny, input, params, action_type, &mut run);
            let deny = self.apply_exceptions(deny, input, params, ctx, run.decision);
            if deny.iter().any(|m| !m.waived) {
                verdicts.raise(Outcome::Block);
            }
            run.decision.deny = deny;
        }
        if !p.warn.is_empty() {
            let warn = self.messages(&p.warn, input, params, action_type, &mut run);
            run.decision.warn = self.apply_exceptions(warn, input, params, ctx, run.decision);
        }

        // A valid signed verdict replaces the outcome.
        if let Some((verdict, outcome, key)) = forced_verdict {
            verdicts.outcome = outcome;
            basis.forced = Some(outcome);
            verdicts.approvals.retain(|_| false);
            if outcome == Outcome::Approval {
                verdicts
                    .approvals
                    .push((p.band_approval(0), "override".into()));
            }
            run.decision.verdict = Some(Str::from(verdict.as_str()));
            run.decision.reason_codes.push("manual_override".into());
            run.decision
                .reasons
                .push(format!("signed override by `{key}`: verdict `{verdict}`"));
        }

        // Fail safe: an error gives at least approval, by the highest approval role.
        if run.failed {
            verdicts.raise(Outcome::Approval);
            verdicts
                .approvals
                .push((p.highest_approval(), "error".into()));
        }

        // Who approves: the most senior requirement among the parts that asked.
        if verdicts.outcome == Outcome::Approval {
            let best = verdicts
                .approvals
                .iter()
                .max_by_key(|(spec, _)| (p.role_rank(&spec.role), spec.quorum));
            let (spec, source) = match best {
                Some((spec, source)) => (spec.clone(), source.clone()),
                None => (p.highest_approval(), "policy".to_owned()),
            };
            run.decision.approval = Some(ApprovalRequirement {
                role: Str::from(spec.role.as_str()),
                quorum: spec.quorum,
                separation: spec.separation,
                justification: spec.justification,
                expires_in_seconds: spec.expires_in.as_deref().and_then(parse_duration),
                on_timeout: spec.on_timeout,
                escalate_to: spec.escalate_to.as_deref().map(Str::from),
                source,
            });
        }

        // Reasons, most important first.
        let mut later = std::mem::take(&mut run.decision.reasons);
        let reasons = &mut run.decision.reasons;
        reasons.reserve(
            run.decision.errors.len()
                + trigger_reasons.len()
                + reasons_from_factors.len()
                + later.len()
                + 2,
        );
        reasons.extend(run.decision.errors.iter().map(|e| format!("error: {e}")));
        reasons.extend(
            run.decision
                .deny
                .iter()
                .filter(|m| !m.waived)
                .map(|m| m.message.clone()),
        );
        reasons.extend(trigger_reasons);
        reasons.extend(rule_reason);
        reasons.extend(reasons_from_factors);
        reasons.append(&mut later);

        run.decision.outcome = verdicts.outcome;
        if p.mode == Mode::Shadow {
            // Nothing waits in shadow mode: the would-be outcome is recorded, not requested.
            run.decision.shadow_outcome = Some(verdicts.outcome);
            run.decision.outcome = Outcome::Auto;
            run.decision.approval = None;
        }
        basis.min_band = min_band;
        basis.non_band = verdicts.non_band;
        basis
    }

    fn resolve_level(&self, input: &Value, run: &mut Run<'_>) -> usize {
        let p = &*self.inner;
        if !p.has_autonomy {
            return 0;
        }
        let user = str_at(input, &["actor", "id"]);
        let repository = str_at(input, &["context", "repository"]);
        let roles = input
            .get("actor")
            .and_then(|a| a.get("roles"))
            .and_then(Value::as_list)
            .unwrap_or(&[]);
        let mut best: Option<(u8, usize)> = None;
        for a in &p.assignments {
            let specificity = match (&a.user, &a.repository, &a.role) {
                (Some(u), Some(r), _)
                    if Some(u.as_str()) == user && Some(r.as_str()) == repository =>
                {
                    3
                }
                (Some(u), None, _) if Some(u.as_str()) == user => 2,
                (None, None, Some(role))
                    if roles.iter().any(|r| r.as_str() == Some(role.as_str())) =>
                {
                    1
                }
                _ => 0,
            };
            if specificity > 0 && best.is_none_or(|(s, _)| specificity > s) {
                best = Some((specificity, a.level));
            }
        }
        let (scope, level) = match best {
            Some((3, l)) => ("user+repository", l),
            Some((2, l)) => ("user", l),
            Some((_, l)) => ("role", l),
            None => ("default", p.default_level),
        };
        if let Some(l) = p.levels.get(level) {
            run.decision.autonomy = Some(AutonomyResult {
                level: l.name.clone(),
                scope: Str::from(scope),
            });
        }
        level
    }

    /// Scores every factor; returns the aggregate and the factor reasons.
    fn score(&self, roots: &[&Value], run: &mut Run<'_>) -> (f64, Vec<String>) {
        let p = &*self.inner;
        if p.factors.is_empty() {
            return (p.score.min.max(0.0).min(p.score.max), Vec::new());
        }
        let mut results = Vec::with_capacity(p.factors.len());
        for f in &p.factors {
            match self.factor(f, roots) {
                Ok((value, option_points, label)) => results.push(FactorResult {
                    id: f.id.clone(),
                    label,
                    value,
                    points: option_points,
                    weight: f.weight,
                    contribution: 0.0,
                }),
                Err(e) => run.error(&format!("factor `{}`", f.id), &e),
            }
        }
        let score = self.aggregate(&mut results);
        let threshold = p.score.reason_min_contribution;
        let mut ranked: Vec<&FactorResult> = results
            .iter()
            .filter(|r| r.contribution > 0.0 && threshold.is_none_or(|t| r.contribution >= t))
            .collect();
        crate::sorting::sort_by(&mut ranked, |a, b| {
            b.contribution.total_cmp(&a.contribution)
        });
        let reasons = ranked
            .iter()
            .map(|r| {
                let mut reason = String::with_capacity(r.label.len() + 10);
                reason.push_str(&r.label);
                reason.push_str(" (+");
                push_number(&mut reason, r.contribution);
                reason.push(')');
                reason
            })
            .collect();
        run.decision.factors = results;
        (score, reasons)
    }

    /// Sets each result's contribution and returns the score. Suggestions call this again
    /// with one factor's points changed, so both paths compute bit-identical scores.
    pub(crate) fn aggregate(&self, results: &mut [FactorResult]) -> f64 {
        for r in results.iter_mut() {
            r.contribution = self.contribution(r.weight, r.points);
        }
        self.score_of(results, None)
    }

    /// A factor's contribution to the score.
    fn contribution(&self, weight: f64, points: f64) -> f64 {
        let p = &*self.inner;
        match p.score.aggregate {
            Aggregate::WeightedSum | Aggregate::Max => weight * points,
            Aggregate::WeightedMean => {
                if p.total_weight > 0.0 {
                    weight * points / p.total_weight
                } else {
                    0.0
                }
            }
            Aggregate::Mean => points / p.factors.len() as f64,
        }
    }

    /// The score of these results, optionally with one factor's points replaced; the same
    /// arithmetic in the same order as [`Self::aggregate`], so the results are bit-identical.
    pub(crate) fn score_of(&self, results: &[FactorResult], replace: Option<(usize, f64)>) -> f64 {
        let p = &*self.inner;
        let contributions = results.iter().enumerate().map(|(i, r)| match replace {
            Some((j, points)) if i == j => self.contribution(r.weight, points),
            _ => r.contribution,
        });
        let score = match p.score.aggregate {
            Aggregate::Max => contributions.fold(p.score.min, f64::max),
            _ => contributions.sum(),
        };
        // Rounded to 1e-9, so sums like 0.1 + 0.2 meet a band bound of 0.3 as written.
        if score.abs() < 1.0e6 {
            (score * 1.0e9).round() / 1.0e9
        } else {
            score
        }
    }

    /// One factor: the value it read, its points and its label.
    fn factor(&self, f: &FactorC, roots: &[&Value]) -> Result<(Value, f64, Str), EvalError> {
        let type_error = |program: &Program, v: &Value, wanted: &str| EvalError {
            kind: EvalErrorKind::TypeMismatch,
            message: format!(
                "`{}` is {}, expected {wanted}",
                program.source(),
                super::compile::describe(v)
            ),
            missing_path: None,
            span: 0..program.source().len(),
        };
        match &f.kind {
            FactorKindC::Lookup {
                value,
                cases,
                default,
            } => {
                let v = value.eval(roots)?;
                let key = match &v {
                    Value::String(s) => s.to_string(),
                    Value::Int(_) | Value::Bool(_) | Value::Double(_) => v.to_string(),
                    other => return Err(type_error(value, other, "a string, number or bool")),
                };
                match cases.get(&key).or(default.as_ref()) {
                    Some(o) => Ok((v, o.points, o.label.clone())),
                    None => Err(EvalError {
                        kind: EvalErrorKind::TypeMismatch,
                        message: format!(
                            "`{}` is `{key}`, which the factor does not list (expected one of {})",
                            value.source(),
                            cases
                                .keys()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        missing_path: None,
                        span: 0..value.source().len(),
                    }),
                }
            }
            FactorKindC::Tiers { value, tiers } => {
                let v = value.eval(roots)?;
                let x = v
                    .as_f64()
                    .ok_or_else(|| type_error(value, &v, "a number"))?;
                let tier = tiers.iter().find(|(upto, _)| x <= *upto).or(tiers.last());
                match tier {
                    Some((_, o)) => Ok((v, o.points, o.label.clone())),
                    None => Err(type_error(value, &v, "a number within the tiers")),
                }
            }
            FactorKindC::Buckets { count, buckets } => {
                let v = count.eval(roots)?;
                let n = match &v {
                    Value::List(l) => l.len() as f64,
                    Value::Map(m) => m.len() as f64,
                    Value::String(s) => s.chars().count() as f64,
                    Value::Int(i) => *i as f64,
                    other => return Err(type_error(count, other, "a list, map, string or int")),
                };
                let bucket = buckets
                    .iter()
                    .find(|(upto, _)| n <= *upto)
                    .or(buckets.last());
                match bucket {
                    Some((_, o)) => Ok((number_value(n), o.points, o.label.clone())),
                    None => Err(type_error(count, &v, "a count within the buckets")),
                }
            }
            FactorKindC::Boolean {
                when,
                if_true,
                if_false,
            } => {
                let b = when.eval_bool(roots)?;
                let o = if b { if_true } else { if_false };
                Ok((Value::Bool(b), o.points, o.label.clone()))
            }
            FactorKindC::Cases { cases, default } => {
                for (ix, (when, o)) in cases.iter().enumerate() {
                    if when.eval_bool(roots)? {
                        return Ok((Value::Int(ix as i64), o.points, o.label.clone()));
                    }
                }
                Ok((Value::Null, default.points, default.label.clone()))
            }
            FactorKindC::Expression { value, label } => {
                let v = value.eval(roots)?;
                let x = v
                    .as_f64()
                    .ok_or_else(|| type_error(value, &v, "a number"))?;
                if !x.is_finite() {
                    return Err(type_error(value, &v, "a finite number"));
                }
                Ok((v, x, Str::from(label.render(roots)?.as_str())))
            }
        }
    }

    /// Evaluates deny or warn rules; a missing field makes a rule undefined (it does not fire).
    fn messages(
        &self,
        rules: &[MessageRuleC],
        input: &Value,
        params: &Value,
        action_type: Option<&str>,
        run: &mut Run<'_>,
    ) -> Vec<Message> {
        let mut out = Vec::new();
        for r in rules {
            if !r.on.is_empty() && !action_type.is_some_and(|t| r.on.iter().any(|o| o == t)) {
                continue;
            }
            let base: [&Value; 2] = [input, params];
            match &r.each {
                None => self.message(r, &base, &mut out, run),
                Some(each) => {
                    let items = match each.eval(&base) {
                        Ok(v) => v,
                        Err(e) if e.kind == EvalErrorKind::Missing => continue,
                        Err(e) => {
                            run.error(&format!("rule `{}` each", r.id), &e);
                            continue;
                        }
                    };
                    let elements: Vec<Value> = match &items {
                        Value::List(l) => l.iter().cloned().collect(),
                        Value::Map(m) => m.keys().map(|k| Value::String(k.clone())).collect(),
                        other => {
                            run.failed = true;
                            run.decision.errors.push(format!(
                                "rule `{}`: `each` is {}, expected a list or a map",
                                r.id,
                                super::compile::describe(other)
                            ));
                            continue;
                        }
                    };
                    for item in &elements {
                        let roots: [&Value; 3] = [input, params, item];
                        self.message(r, &roots, &mut out, run);
                    }
                }
            }
        }
        out
    }

    fn message(
        &self,
        r: &MessageRuleC,
        roots: &[&Value],
        out: &mut Vec<Message>,
        run: &mut Run<'_>,
    ) {
        match r.when.eval_bool(roots) {
            // The rule fired: it counts even when its message cannot be written.
            Ok(true) => {
                let message = r.message.render(roots).unwrap_or_else(|e| {
                    format!(
                        "rule `{}` fired (its message could not be written: {})",
                        r.id, e.message
                    )
                });
                out.push(Message {
                    rule: r.id.clone(),
                    message,
                    waived: false,
                });
            }
            Ok(false) => {}
            Err(e) if e.kind == EvalErrorKind::Missing => {}
            Err(e) => run.error(&format!("rule `{}`", r.id), &e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_decisions_do_not_repeat_secrets() {
        let policy = CompiledPolicy::compile_str(
            "p.yaml",
            "govgate: 1\nname: s\nsecret_fields: [args.token]\ndeny:\n  - id: token\n    when: input.args.token.startsWith('sk-')\n    message: 'live key {input.args.token} used'\n",
        )
        .unwrap();
        let action: Value =
            serde_json::from_str(r#"{"type": "x", "args": {"token": "sk-123"}}"#).unwrap();
        let now = chrono::DateTime::from_timestamp(0, 0).unwrap();
        let d = policy.evaluate(&Action::new(action.clone()), &EvalContext::new(now));
        assert_eq!(d.deny[0].message, "live key sk-123 used");
        let r = policy.redact_decision(&action, &d);
        assert_eq!(r.deny[0].message, "live key [redacted] used");
        assert!(!serde_json::to_string(&r).unwrap().contains("sk-123"));
        let stored = policy.redact(&action);
        assert!(
            stored
                .get_path("args.token")
                .and_then(Value::as_str)
                .unwrap()
                .starts_with("sha256:")
        );
    }

    #[test]
    fn str_at_follows_maps() {
        let v: Value = serde_json::from_str(r#"{"actor": {"id": "ana"}}"#).unwrap();
        assert_eq!(str_at(&v, &["actor", "id"]), Some("ana"));
        assert_eq!(str_at(&v, &["actor", "name"]), None);
    }
}
