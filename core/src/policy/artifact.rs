//! A [`CompiledPolicy`] to and from its artifact ([`crate::artifact`]): every compiled part
//! evaluation reads, and nothing of the authoring document. A policy read back decides exactly
//! as the one written (the tests compare decisions byte for byte over every vector policy).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::compile::*;
use super::document::*;
use super::template::Template;
use crate::artifact::{ArtifactError, In, Out};
use crate::decision::{PolicyIdentity, RuleResult};
use crate::expr::{NameBuild, Program, read_program, write_program};
use crate::identity::{Expiry, TrustedKey};
use crate::value::{Str, Value};

const OUTCOMES: [Outcome; 3] = [Outcome::Auto, Outcome::Approval, Outcome::Block];
const MODES: [Mode; 2] = [Mode::Enforce, Mode::Shadow];
const SUBJECTS: [Subject; 2] = [Subject::Action, Subject::Manifest];
const AGGREGATES: [Aggregate; 4] = [
    Aggregate::WeightedSum,
    Aggregate::WeightedMean,
    Aggregate::Mean,
    Aggregate::Max,
];
const PARAMETER_TYPES: [ParameterType; 6] = [
    ParameterType::Number,
    ParameterType::Integer,
    ParameterType::String,
    ParameterType::Boolean,
    ParameterType::List,
    ParameterType::Map,
];
const SEPARATIONS: [Separation; 3] = [
    Separation::None,
    Separation::NotRequester,
    Separation::NotRequesterOrOwner,
];
const ON_TIMEOUTS: [OnTimeout; 3] = [OnTimeout::Deny, OnTimeout::Escalate, OnTimeout::Wait];

impl CompiledPolicy {
    /// The policy as a compiled-policy artifact: bytes [`CompiledPolicy::from_artifact`] reads
    /// back into a policy that decides exactly as this one. The same policy always gives the
    /// same bytes. The authoring document is not included ([`CompiledPolicy::document`] of the
    /// policy read back is `None`).
    pub fn to_artifact(&self) -> Vec<u8> {
        let mut out = Out::new();
        write_inner(&mut out, &self.inner);
        out.finish()
    }

    /// Reads a policy [`CompiledPolicy::to_artifact`] wrote. Refuses, with the byte offset,
    /// anything else: another format version, damaged or cut-short bytes, an unknown tag, an
    /// index out of range, a regular expression or trusted key that does not compile.
    pub fn from_artifact(bytes: &[u8]) -> Result<CompiledPolicy, ArtifactError> {
        let mut r = In::open(bytes)?;
        let inner = read_inner(&mut r);
        r.finish(CompiledPolicy {
            inner: Arc::new(inner),
        })
    }
}

/// The entries of a hash map in key order.
fn sorted<V: Copy>(map: &HashMap<Str, V, impl std::hash::BuildHasher>) -> Vec<(&str, V)> {
    let mut entries: Vec<(&str, V)> = map.iter().map(|(k, v)| (&**k, *v)).collect();
    crate::sorting::sort_by(&mut entries, |a, b| a.0.cmp(b.0));
    entries
}

fn write_outcomes(out: &mut Out, map: &HashMap<Str, Outcome>) {
    out.list(&sorted(map), |o, (k, v)| {
        o.str(k);
        o.choice(&OUTCOMES, v);
    });
}

fn read_outcome(r: &mut In<'_>) -> Outcome {
    r.choice(&OUTCOMES, Outcome::Block, "outcome")
}

fn read_outcomes(r: &mut In<'_>) -> HashMap<Str, Outcome> {
    let n = r.count();
    let mut map = HashMap::with_capacity(n.min(256));
    for _ in 0..n {
        let k = r.shared();
        map.insert(k, read_outcome(r));
    }
    map
}

fn write_approval(out: &mut Out, a: &Option<ApprovalSpec>) {
    out.bool(a.is_some());
    if let Some(a) = a {
        out.opt_str(a.escalate_to.as_deref());
        out.opt_str(a.expires_in.as_deref());
        out.bool(a.justification);
        out.choice(&ON_TIMEOUTS, &a.on_timeout);
        out.uint(u64::from(a.quorum));
        out.str(&a.role);
        out.choice(&SEPARATIONS, &a.separation);
    }
}

fn read_approval(r: &mut In<'_>) -> Option<ApprovalSpec> {
    r.bool().then(|| ApprovalSpec {
        escalate_to: r.opt_string(),
        expires_in: r.opt_string(),
        justification: r.bool(),
        on_timeout: r.choice(&ON_TIMEOUTS, OnTimeout::Deny, "timeout rule"),
        quorum: r.u32(),
        role: r.string(),
        separation: r.choice(&SEPARATIONS, Separation::NotRequester, "separation rule"),
    })
}

fn write_opt_program(out: &mut Out, p: &Option<Program>) {
    out.bool(p.is_some());
    if let Some(p) = p {
        write_program(out, p);
    }
}

/// What reading the programs of one policy shares: the root names of the last scope read.
type Roots = Option<Arc<[Str]>>;

fn read_opt_program(r: &mut In<'_>, roots: &mut Roots) -> Option<Program> {
    r.bool().then(|| read_program(r, roots))
}

fn write_option(out: &mut Out, o: &OptionC) {
    out.float(o.points);
    out.str(&o.label);
    out.opt_str(o.suggest.as_deref());
    out.bool(o.witness.is_some());
    if let Some(w) = &o.witness {
        out.value(w);
    }
}

fn read_option(r: &mut In<'_>) -> OptionC {
    OptionC {
        points: r.float(),
        label: r.shared(),
        suggest: r.opt_string(),
        witness: r.bool().then(|| r.value()),
    }
}

fn write_steps(out: &mut Out, steps: &[(f64, OptionC)]) {
    out.list(steps, |o, (at, opt)| {
        o.float(*at);
        write_option(o, opt);
    });
}

fn read_steps(r: &mut In<'_>) -> Vec<(f64, OptionC)> {
    r.list(|r| (r.float(), read_option(r)))
}

fn write_factor(out: &mut Out, f: &FactorC) {
    out.str(&f.id);
    out.float(f.weight);
    out.bool(f.exclusive);
    match &f.kind {
        FactorKindC::Lookup {
            value,
            cases,
            default,
        } => {
            out.byte(0);
            write_program(out, value);
            out.usize(cases.len());
            for (k, opt) in cases {
                out.str(k);
                write_option(out, opt);
            }
            out.bool(default.is_some());
            if let Some(d) = default {
                write_option(out, d);
            }
        }
        FactorKindC::Tiers { value, tiers } => {
            out.byte(1);
            write_program(out, value);
            write_steps(out, tiers);
        }
        FactorKindC::Buckets { count, buckets } => {
            out.byte(2);
            write_program(out, count);
            write_steps(out, buckets);
        }
        FactorKindC::Boolean {
            when,
            if_true,
            if_false,
        } => {
            out.byte(3);
            write_program(out, when);
            write_option(out, if_true);
            write_option(out, if_false);
        }
        FactorKindC::Cases { cases, default } => {
            out.byte(4);
            out.list(cases, |o, (when, opt)| {
                write_program(o, when);
                write_option(o, opt);
            });
            write_option(out, default);
        }
        FactorKindC::Expression { value, label } => {
            out.byte(5);
            write_program(out, value);
            label.write(out);
        }
    }
}

fn read_factor(r: &mut In<'_>, roots: &mut Roots) -> FactorC {
    let id = r.shared();
    let weight = r.float();
    let exclusive = r.bool();
    let kind = match r.byte() {
        0 => {
            let value = read_program(r, roots);
            let n = r.count();
            let mut cases = BTreeMap::new();
            for _ in 0..n {
                let k = r.string();
                cases.insert(k, read_option(r));
            }
            FactorKindC::Lookup {
                value,
                cases,
                default: r.bool().then(|| read_option(r)),
            }
        }
        1 => FactorKindC::Tiers {
            value: read_program(r, roots),
            tiers: read_steps(r),
        },
        2 => FactorKindC::Buckets {
            count: read_program(r, roots),
            buckets: read_steps(r),
        },
        3 => FactorKindC::Boolean {
            when: read_program(r, roots),
            if_true: read_option(r),
            if_false: read_option(r),
        },
        4 => FactorKindC::Cases {
            cases: r.list(|r| (read_program(r, roots), read_option(r))),
            default: read_option(r),
        },
        t => {
            if t != 5 {
                r.fail(format!("unknown factor kind {t}"));
            }
            FactorKindC::Expression {
                value: read_program(r, roots),
                label: Template::read(r, roots),
            }
        }
    };
    FactorC {
        id,
        weight,
        kind,
        exclusive,
    }
}

fn write_message_rule(out: &mut Out, m: &MessageRuleC) {
    out.str(&m.id);
    write_opt_program(out, &m.each);
    write_program(out, &m.when);
    m.message.write(out);
    out.list(&m.on, |o, t| o.str(t));
}

fn read_message_rule(r: &mut In<'_>, roots: &mut Roots) -> MessageRuleC {
    MessageRuleC {
        id: r.shared(),
        each: read_opt_program(r, roots),
        when: read_program(r, roots),
        message: Template::read(r, roots),
        on: ActionTypes::from(r.list(|r| Text::from(r.str()))),
    }
}

fn write_rule(out: &mut Out, rule: &RuleC) {
    let res = &rule.result;
    out.opt_str(res.id.as_deref());
    out.str(&res.verdict);
    out.choice(&OUTCOMES, &res.outcome);
    out.str(&res.reason_code);
    out.opt_str(res.message.as_deref());
    out.bool(rule.fixed);
    write_program(out, &rule.when);
    out.bool(rule.message.is_some());
    if let Some(m) = &rule.message {
        m.write(out);
    }
    out.opt_str(rule.unless_flag.as_deref());
    write_approval(out, &rule.approval);
}

fn read_rule(r: &mut In<'_>, roots: &mut Roots) -> RuleC {
    let result = RuleResult {
        id: r.bool().then(|| Text::from(r.str())),
        verdict: r.shared(),
        outcome: read_outcome(r),
        reason_code: r.shared(),
        message: r.opt_string(),
    };
    RuleC {
        result: Arc::new(result),
        fixed: r.bool(),
        when: read_program(r, roots),
        message: r.bool().then(|| Template::read(r, roots)),
        unless_flag: r.opt_string(),
        approval: read_approval(r),
    }
}

fn write_exception(out: &mut Out, e: &ExceptionC) {
    out.str(&e.rule);
    out.bool(e.scope.is_some());
    if let Some(s) = &e.scope {
        out.opt_str(s.agent.as_deref());
        out.opt_str(s.repository.as_deref());
        out.opt_str(s.action_type.as_deref());
        out.opt_str(s.user.as_deref());
        out.opt_str(s.when.as_deref());
    }
    write_opt_program(out, &e.scope_when);
    out.str(&e.reason);
    out.str(&e.approver);
    out.str(&e.expires_text);
}

fn read_exception(r: &mut In<'_>, roots: &mut Roots) -> ExceptionC {
    let rule = r.shared();
    let scope = r.bool().then(|| ExceptionScope {
        agent: r.opt_string(),
        repository: r.opt_string(),
        action_type: r.opt_string(),
        user: r.opt_string(),
        when: r.opt_string(),
    });
    let scope_when = read_opt_program(r, roots);
    let reason = r.string();
    let approver = r.string();
    let expires_text = r.string();
    // Read again as the compiler read it: an expiry that does not parse stays `None`.
    let expires = Expiry::parse(&expires_text);
    ExceptionC {
        rule,
        scope,
        scope_when,
        reason,
        approver,
        expires_text,
        expires,
    }
}

fn write_inner(out: &mut Out, p: &Inner) {
    out.str(&p.name);
    out.str(&p.digest);
    out.choice(&MODES, &p.mode);
    out.choice(&SUBJECTS, &p.subject);
    write_approval(out, &p.approval);
    out.bool(p.has_autonomy);
    out.bool(p.has_overrides);

    out.usize(p.param_specs.len());
    for (name, spec) in &p.param_specs {
        out.str(name);
        out.value(&spec.default);
        out.opt_str(spec.description.as_deref());
        out.opt_float(spec.max);
        out.opt_float(spec.min);
        out.opt_float(spec.step);
        out.choice(&PARAMETER_TYPES, &spec.kind);
    }
    out.value(&p.param_defaults);

    out.choice(&AGGREGATES, &p.score.aggregate);
    out.float(p.score.max);
    out.float(p.score.min);
    out.opt_float(p.score.reason_min_contribution);

    out.list(&p.factors, write_factor);
    out.list(&p.triggers, |o, t| {
        o.str(&t.id);
        write_program(o, &t.when);
        t.reason.write(o);
        o.opt_float(t.floor);
        o.bool(t.min_band.is_some());
        o.usize(t.min_band.unwrap_or(0));
        o.bool(t.outcome.is_some());
        o.choice(&OUTCOMES, &t.outcome.unwrap_or_default());
        write_approval(o, &t.approval);
    });
    out.list(&p.bands, |o, b| {
        o.str(&b.name);
        o.choice(&OUTCOMES, &b.outcome);
        write_approval(o, &b.approval);
    });
    out.list(&p.levels, |o, l| {
        o.str(&l.name);
        o.list(&l.uptos, |o, x| o.float(*x));
        write_outcomes(o, &l.action_types);
    });
    out.usize(p.default_level);
    out.list(&p.assignments, |o, a| {
        o.opt_str(a.user.as_deref());
        o.opt_str(a.repository.as_deref());
        o.opt_str(a.role.as_deref());
        o.usize(a.level);
    });
    write_outcomes(out, &p.action_types);

    out.list(&p.rules, write_rule);
    out.list(&sorted(&p.rules_by_type.ranges), |o, (k, (start, end))| {
        o.str(k);
        o.uint(u64::from(*start));
        o.uint(u64::from(*end));
    });
    out.list(&p.rules_by_type.indices, |o, i| o.usize(*i));
    out.bool(p.reads_action_type);
    out.list(&p.unkeyed_rules, |o, i| o.usize(*i));
    out.bool(p.default_verdict.is_some());
    if let Some((verdict, outcome, code)) = &p.default_verdict {
        out.str(verdict);
        out.choice(&OUTCOMES, outcome);
        out.str(code);
    }

    out.list(&p.deny, write_message_rule);
    out.list(&p.warn, write_message_rule);
    out.list(&p.exceptions, write_exception);
    out.bool(p.annotation_exceptions.is_some());
    if let Some(a) = &p.annotation_exceptions {
        out.str(&a.key);
        out.str(&a.path);
    }
    out.list(&p.trusted_keys, |o, k| {
        o.str(&k.id);
        o.str(&k.to_base64());
    });
    out.list(&p.secret_fields, |o, path| o.list(path, |o, s| o.str(s)));
    out.list(&p.invariants, |o, i| {
        o.str(&i.name);
        write_opt_program(o, &i.when);
        write_program(o, &i.check);
    });
    out.list(&p.role_ladder, |o, s| o.str(s));
    out.usize(p.verdicts.len());
    for (k, v) in &p.verdicts {
        out.str(k);
        out.choice(&OUTCOMES, v);
    }
}

/// Records a problem unless every index is below `len`.
fn check_indices(r: &mut In<'_>, what: &str, indices: &[usize], len: usize) {
    if let Some(i) = indices.iter().find(|&&i| i >= len) {
        r.fail(format!("{what} {i} out of range (there are {len})"));
    }
}

fn read_inner(r: &mut In<'_>) -> Inner {
    let roots = &mut None;
    let name = r.shared();
    let digest = r.shared();
    let mode = r.choice(&MODES, Mode::Enforce, "mode");
    let subject = r.choice(&SUBJECTS, Subject::Action, "subject");
    let approval = read_approval(r);
    let has_autonomy = r.bool();
    let has_overrides = r.bool();

    let n = r.count();
    let mut param_specs = BTreeMap::new();
    for _ in 0..n {
        let name = r.shared();
        let spec = ParameterSpec {
            default: r.value(),
            description: r.opt_string(),
            max: r.opt_float(),
            min: r.opt_float(),
            step: r.opt_float(),
            kind: r.choice(&PARAMETER_TYPES, ParameterType::Map, "parameter type"),
        };
        param_specs.insert(name, spec);
    }
    let param_defaults = r.value();
    if !matches!(param_defaults, Value::Map(_)) {
        r.fail("parameter defaults that are not a map");
    }

    let score = ScoreSpec {
        aggregate: r.choice(&AGGREGATES, Aggregate::WeightedSum, "aggregate"),
        max: r.float(),
        min: r.float(),
        reason_min_contribution: r.opt_float(),
    };

    let factors = r.list(|r| read_factor(r, roots));
    let triggers = r.list(|r| {
        let id = r.shared();
        let when = read_program(r, roots);
        let reason = Template::read(r, roots);
        let floor = r.opt_float();
        let has_band = r.bool();
        let band = r.usize();
        let has_outcome = r.bool();
        let outcome = read_outcome(r);
        TriggerC {
            id,
            when,
            reason,
            floor,
            min_band: has_band.then_some(band),
            outcome: has_outcome.then_some(outcome),
            approval: read_approval(r),
        }
    });
    let bands = r.list(|r| BandC {
        name: r.shared(),
        outcome: read_outcome(r),
        approval: read_approval(r),
    });
    let band_of_triggers: Vec<usize> = triggers.iter().filter_map(|t| t.min_band).collect();
    check_indices(r, "band", &band_of_triggers, bands.len());
    let levels = r.list(|r| LevelC {
        name: r.shared(),
        uptos: r.list(In::float),
        action_types: read_outcomes(r),
    });
    let default_level = r.usize();
    let assignments = r.list(|r| AssignmentC {
        user: r.opt_string(),
        repository: r.opt_string(),
        role: r.opt_string(),
        level: r.usize(),
    });
    let mut level_refs: Vec<usize> = assignments.iter().map(|a| a.level).collect();
    if has_autonomy {
        level_refs.push(default_level);
    }
    check_indices(r, "autonomy level", &level_refs, levels.len());
    let action_types = read_outcomes(r);

    let rules = r.list(|r| read_rule(r, roots));
    let n = r.count();
    let mut ranges = HashMap::with_capacity_and_hasher(n.min(256), NameBuild::default());
    let mut ends = Vec::with_capacity(n.min(256));
    for _ in 0..n {
        let key = r.shared();
        let (start, end) = (r.u32(), r.u32());
        if start > end {
            r.fail(format!("a rule range from {start} to {end}"));
        }
        ends.push(end as usize);
        ranges.insert(key, (start, end));
    }
    let indices = r.list(In::usize);
    if let Some(&end) = ends.iter().find(|&&e| e > indices.len()) {
        r.fail(format!(
            "a rule range ending at {end}, past the {} listed",
            indices.len()
        ));
    }
    check_indices(r, "rule", &indices, rules.len());
    let reads_action_type = r.bool();
    let unkeyed_rules = r.list(In::usize);
    check_indices(r, "rule", &unkeyed_rules, rules.len());
    let default_verdict = r.bool().then(|| (r.shared(), read_outcome(r), r.shared()));

    let deny = r.list(|r| read_message_rule(r, roots));
    let warn = r.list(|r| read_message_rule(r, roots));
    let exceptions = r.list(|r| read_exception(r, roots));
    let annotation_exceptions = r.bool().then(|| AnnotationExceptionSpec {
        key: r.string(),
        path: r.string(),
    });
    let mut trusted_keys = Vec::new();
    for _ in 0..r.count() {
        let id = r.str();
        let key = r.str();
        match TrustedKey::from_base64(id, key) {
            Ok(k) => trusted_keys.push(k),
            Err(e) => r.fail(format!("trusted key `{id}`: {e}")),
        }
    }
    let secret_fields = r.list(|r| r.list(In::shared));
    let invariants = r.list(|r| InvariantC {
        name: r.string(),
        when: read_opt_program(r, roots),
        check: read_program(r, roots),
    });
    let role_ladder = r.list(In::string);
    let n = r.count();
    let mut verdicts = BTreeMap::new();
    for _ in 0..n {
        let k = r.string();
        verdicts.insert(k, read_outcome(r));
    }

    Inner {
        document: None,
        identity: Arc::new(PolicyIdentity {
            policy: name.clone(),
            policy_digest: digest.clone(),
        }),
        name,
        digest,
        mode,
        subject,
        approval,
        has_autonomy,
        has_overrides,
        param_specs,
        param_defaults,
        score,
        total_weight: factors.iter().map(|f| f.weight).sum(),
        factors,
        triggers,
        bands,
        levels,
        default_level,
        assignments,
        action_types,
        rules,
        rules_by_type: RulesByType { ranges, indices },
        reads_action_type,
        unkeyed_rules,
        default_result: default_result(&default_verdict),
        default_verdict,
        deny,
        warn,
        exceptions,
        annotation_exceptions,
        trusted_keys,
        secret_fields,
        invariants,
        role_ladder,
        verdicts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(text: &str) -> CompiledPolicy {
        CompiledPolicy::compile_str("p.yaml", text).unwrap()
    }

    /// Bytes with a good checksum can still hold parts no compiler writes: each is refused.
    #[test]
    fn references_out_of_range_are_refused() {
        let text = "govgate: 1\nname: p\nbands:\n  - {name: low, upto: 50, outcome: auto}\n  - {name: high, outcome: block}\ntriggers:\n  - {id: t, when: 'input.args.x == 1', reason: r, min_band: high}\nautonomy:\n  default: l\n  levels: {l: {}}\nrules:\n  - {id: r, when: 'input.args.x == 2', verdict: block, on: [deploy]}\n";
        let mut p = compiled(text);
        Arc::get_mut(&mut p.inner).unwrap().default_level = 7;
        let e = CompiledPolicy::from_artifact(&p.to_artifact()).unwrap_err();
        assert!(e.message.contains("autonomy level 7 out of range"), "{e}");

        let mut p = compiled(text);
        Arc::get_mut(&mut p.inner).unwrap().triggers[0].min_band = Some(5);
        let e = CompiledPolicy::from_artifact(&p.to_artifact()).unwrap_err();
        assert!(e.message.contains("band 5 out of range"), "{e}");

        let mut p = compiled(text);
        Arc::get_mut(&mut p.inner).unwrap().rules_by_type.indices = vec![3];
        let e = CompiledPolicy::from_artifact(&p.to_artifact()).unwrap_err();
        assert!(e.message.contains("rule 3 out of range"), "{e}");

        let p = compiled(text);
        let back = CompiledPolicy::from_artifact(&p.to_artifact()).unwrap();
        assert_eq!(back.inner.rules_by_type.get("deploy"), Some(&[0usize][..]));
    }

    /// Makes an artifact's checksum match its (changed) body again.
    fn reseal(artifact: &mut [u8]) {
        let body = artifact.len() - crate::artifact::CHECKSUM_LEN;
        let sum = crate::artifact::crc32(&artifact[..body]);
        artifact[body..].copy_from_slice(&sum.to_le_bytes());
    }

    /// Every byte of a real artifact's body changed in turn, the checksum made to match: the
    /// read never panics or hangs, and what it accepts is a policy that decides.
    #[test]
    fn any_one_damaged_byte_is_read_or_refused_never_a_panic() {
        let text = include_str!("../../../examples/policies/agent-trading.yaml");
        let bytes = compiled(text).to_artifact();
        let body = bytes.len() - crate::artifact::CHECKSUM_LEN;
        let (mut refused, mut accepted) = (0, 0);
        let action = crate::Action::new(
            serde_json::from_str(
                r#"{"type": "switch_to_live", "actor": {"id": "a", "roles": ["junior-trader"]},
                    "args": {"trading_mode": "live", "stop_loss_pct": 9, "strategy_ids": ["s"]}}"#,
            )
            .unwrap(),
        );
        let ctx = crate::EvalContext::new(chrono::DateTime::UNIX_EPOCH);
        for at in 5..body {
            for change in [0x01u8, 0x80, 0xff] {
                let mut damaged = bytes.clone();
                damaged[at] ^= change;
                reseal(&mut damaged);
                match CompiledPolicy::from_artifact(&damaged) {
                    Ok(p) => {
                        // A changed number or string, or a spare byte the reader ignores:
                        // a policy all the same, which decides without panicking.
                        accepted += 1;
                        let _ = p.evaluate(&action, &ctx);
                    }
                    Err(e) => {
                        refused += 1;
                        assert!(e.offset <= body, "{e}");
                    }
                }
            }
        }
        assert!(
            refused > 0 && accepted > 0,
            "{refused} refused, {accepted} accepted"
        );
    }

    #[test]
    fn every_cut_and_every_flipped_bit_is_refused() {
        let text = include_str!("../../../examples/policies/agent-trading.yaml");
        let bytes = compiled(text).to_artifact();
        for cut in 0..bytes.len() {
            let e = CompiledPolicy::from_artifact(&bytes[..cut]).unwrap_err();
            assert!(!e.message.is_empty());
        }
        // The checksum covers every byte, and a flip in the checksum itself no longer matches.
        for at in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x10;
            let e = CompiledPolicy::from_artifact(&damaged).unwrap_err();
            assert!(e.to_string().starts_with("compiled policy: "), "{e}");
        }
    }

    #[test]
    fn other_files_and_versions_say_what_they_are() {
        let e = CompiledPolicy::from_artifact(b"govgate: 1\nname: p\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "compiled policy: not a compiled govgate policy (it does not start with `GGCP`) (at byte 0)"
        );
        let mut newer = compiled("govgate: 1\nname: p\n").to_artifact();
        newer[4] = 99;
        let e = CompiledPolicy::from_artifact(&newer).unwrap_err();
        assert!(e.message.contains("format version 99"), "{e}");
        assert_eq!(e.offset, 4);
    }

    #[test]
    fn regular_expressions_are_compiled_again() {
        let text = "govgate: 1\nname: p\nsubject: manifest\nrules:\n  - {id: r, when: 'input.x.matches(\"^a+$\")', verdict: block}\n";
        let p = compiled(text);
        let mut bytes = p.to_artifact();
        let at = bytes.windows(4).rposition(|w| w == b"^a+$").unwrap();
        bytes[at + 1] = b'(';
        reseal(&mut bytes);
        let e = CompiledPolicy::from_artifact(&bytes).unwrap_err();
        assert!(e.message.contains("regular expression `^(+$`"), "{e}");
    }
}
