//! Compiling a [`PolicyDocument`] into an immutable [`CompiledPolicy`].
//!
//! Every expression is parsed and name-checked once here; every cross reference (band names,
//! verdicts, levels, rule ids) is resolved; every problem is collected with the field path it
//! sits at, so one run reports them all.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use super::document::*;
use super::template::Template;
use crate::expr::{self, CompileError, Limits, NameBuild, Program, RootDecl, Scope};
use crate::value::{Map, Str, Value};

/// A problem found while compiling, before it is given a file location.
#[derive(Clone, Debug, PartialEq)]
pub struct CompileIssue {
    /// Field path in the document (`rules[2].when`).
    pub path: String,
    /// For expression errors, the byte offset inside the field's string value.
    pub offset: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

/// The top-level fields of the action envelope.
pub const ENVELOPE_FIELDS: &[&str] = &[
    "actor",
    "agent",
    "type",
    "tool",
    "args",
    "context",
    "annotations",
    "overrides",
];

pub(crate) const INPUT: usize = 0;

/// A compiled factor option.
#[derive(Clone, Debug)]
pub(crate) struct OptionC {
    pub points: f64,
    pub label: Str,
    pub suggest: Option<String>,
    /// The input value that selects this option, when the factor can be steered to it.
    pub witness: Option<Value>,
}

#[derive(Clone, Debug)]
pub(crate) enum FactorKindC {
    Lookup {
        value: Program,
        cases: BTreeMap<String, OptionC>,
        default: Option<OptionC>,
    },
    Tiers {
        value: Program,
        tiers: Vec<(f64, OptionC)>,
    },
    Buckets {
        count: Program,
        buckets: Vec<(f64, OptionC)>,
    },
    Boolean {
        when: Program,
        if_true: OptionC,
        if_false: OptionC,
    },
    Cases {
        cases: Vec<(Program, OptionC)>,
        default: OptionC,
    },
    Expression {
        value: Program,
        label: Template,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct FactorC {
    pub id: Str,
    pub weight: f64,
    pub kind: FactorKindC,
    /// Set when the factor reads a plain input field that nothing else in the policy reads:
    /// then changing that field changes only this factor, and a suggestion's effect can be
    /// computed exactly without evaluating again.
    pub exclusive: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct TriggerC {
    pub id: Str,
    pub when: Program,
    pub reason: Template,
    pub floor: Option<f64>,
    pub min_band: Option<usize>,
    pub outcome: Option<Outcome>,
    pub approval: Option<ApprovalSpec>,
}

#[derive(Clone, Debug)]
pub(crate) struct BandC {
    pub name: Str,
    pub outcome: Outcome,
    pub approval: Option<ApprovalSpec>,
}

#[derive(Clone, Debug)]
pub(crate) struct LevelC {
    pub name: Str,
    /// Upper bound per band (the last is +∞).
    pub uptos: Vec<f64>,
    pub action_types: HashMap<Str, Outcome>,
}

#[derive(Clone, Debug)]
pub(crate) struct AssignmentC {
    pub user: Option<String>,
    pub repository: Option<String>,
    pub role: Option<String>,
    pub level: usize,
}

#[derive(Clone, Debug)]
pub(crate) struct RuleC {
    /// What a match records: id, verdict, outcome, reason code, and the message when it is
    /// static (or absent). Shared by the decisions it ends up in, not rebuilt per decision.
    pub result: Arc<crate::decision::RuleResult>,
    /// Whether `result` is complete; otherwise `message` renders the message per decision.
    pub fixed: bool,
    pub when: Program,
    pub message: Option<Template>,
    pub unless_flag: Option<String>,
    pub approval: Option<ApprovalSpec>,
}

impl RuleC {
    pub(crate) fn id(&self) -> &str {
        self.result.id.as_deref().unwrap_or_default()
    }

    pub(crate) fn outcome(&self) -> Outcome {
        self.result.outcome
    }
}

#[derive(Clone, Debug)]
pub(crate) struct MessageRuleC {
    pub id: Str,
    pub each: Option<Program>,
    pub when: Program,
    pub message: Template,
    pub on: ActionTypes,
}

#[derive(Clone, Debug)]
pub(crate) struct ExceptionC {
    pub rule: Str,
    pub scope: Option<ExceptionScope>,
    pub scope_when: Option<Program>,
    pub reason: String,
    pub approver: String,
    pub expires_text: String,
    pub expires: Option<crate::identity::Expiry>,
}

#[derive(Clone, Debug)]
pub(crate) struct InvariantC {
    pub name: String,
    pub when: Option<Program>,
    pub check: Program,
}

/// The first-match rules to try for each action type a rule names: the unkeyed rules and the
/// rules keyed to that type, in policy order. Every list lives in one vector and a type finds
/// its range through one lookup, so a policy with many keyed rules allocates once for all of
/// them. The hash is unkeyed ([`NameBuild`]): the table's keys are the policy's own, so an
/// action type chosen by a caller can only probe chains the policy made.
#[derive(Clone, Debug, Default)]
pub(crate) struct RulesByType {
    pub(crate) ranges: HashMap<Str, (u32, u32), NameBuild>,
    pub(crate) indices: Vec<usize>,
}

impl RulesByType {
    /// Indexes compiled rules by the `on` list of each (`rule_types`, beside the rules);
    /// also returns the unkeyed rules, for action types no rule names.
    fn build(rule_types: &[&[Text]], session: &mut expr::Session) -> (RulesByType, Vec<usize>) {
        // Each distinct type gets a number in order of first appearance; `last` is the last
        // rule counted for it (a rule may name a type twice).
        let named: usize = rule_types.iter().map(|on| on.len()).sum();
        let mut number: HashMap<&str, usize, NameBuild> =
            HashMap::with_capacity_and_hasher(named, NameBuild::default());
        let mut keys: Vec<&str> = Vec::with_capacity(named);
        let mut counts: Vec<usize> = Vec::with_capacity(named);
        let mut last: Vec<usize> = Vec::with_capacity(named);
        let mut unkeyed = Vec::new();
        for (ix, on) in rule_types.iter().enumerate() {
            if on.is_empty() {
                unkeyed.push(ix);
            }
            for t in on.iter() {
                let n = *number.entry(t.as_str()).or_insert_with(|| {
                    keys.push(t.as_str());
                    counts.push(0);
                    last.push(usize::MAX);
                    keys.len() - 1
                });
                if let (Some(seen), Some(count)) = (last.get_mut(n), counts.get_mut(n))
                    && *seen != ix
                {
                    *seen = ix;
                    *count += 1;
                }
            }
        }
        // Where each type's list starts; `cursor` then walks it while the lists are filled.
        let mut cursor = Vec::with_capacity(keys.len());
        let mut total = 0usize;
        for count in &counts {
            cursor.push(total);
            total += count + unkeyed.len();
        }
        let starts = cursor.clone();
        let mut indices = vec![0; total];
        let mut place = |n: usize, ix: usize| {
            if let Some(at) = cursor.get_mut(n) {
                if let Some(slot) = indices.get_mut(*at) {
                    *slot = ix;
                }
                *at += 1;
            }
        };
        last.fill(usize::MAX);
        for (ix, on) in rule_types.iter().enumerate() {
            if on.is_empty() {
                (0..keys.len()).for_each(|n| place(n, ix));
            }
            for t in on.iter() {
                if let Some(&n) = number.get(t.as_str())
                    && let Some(seen) = last.get_mut(n)
                    && *seen != ix
                {
                    *seen = ix;
                    place(n, ix);
                }
            }
        }
        let mut ranges = HashMap::with_capacity_and_hasher(keys.len(), NameBuild::default());
        for ((key, start), end) in keys.iter().zip(starts).zip(cursor) {
            let range = (
                u32::try_from(start).unwrap_or(u32::MAX),
                u32::try_from(end).unwrap_or(u32::MAX),
            );
            ranges.insert(session.share(key), range);
        }
        (RulesByType { ranges, indices }, unkeyed)
    }

    /// The rules to try for `action_type`, if a rule names it.
    pub(crate) fn get(&self, action_type: &str) -> Option<&[usize]> {
        let &(start, end) = self.ranges.get(action_type)?;
        self.indices.get(start as usize..end as usize)
    }

    /// Whether no rule names an action type.
    pub(crate) fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Every type with its rules, in no particular order.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &[usize])> {
        self.ranges
            .keys()
            .filter_map(|k| Some((&**k, self.get(k)?)))
    }
}

/// The compiled parts, shared behind an `Arc`.
#[derive(Debug)]
pub(crate) struct Inner {
    /// The document the policy was compiled from (a [`PolicyDocument`]); `None` when it was
    /// read from an artifact. Held as `Any` so that a build that only reads artifacts (the npm
    /// package's scorer) carries no code to drop the document's types.
    pub document: Option<Box<dyn std::any::Any + Send + Sync>>,
    /// The policy-wide approval (`approval:`), for bands and errors that name none.
    pub approval: Option<ApprovalSpec>,
    /// Whether the policy has an `autonomy:` section.
    pub has_autonomy: bool,
    /// Whether the policy has an `overrides:` section (otherwise overrides are not read).
    pub has_overrides: bool,
    pub name: Str,
    pub digest: Str,
    pub identity: Arc<crate::decision::PolicyIdentity>,
    pub mode: Mode,
    pub subject: Subject,
    pub param_specs: BTreeMap<Str, ParameterSpec>,
    pub param_defaults: Value,
    pub score: ScoreSpec,
    pub factors: Vec<FactorC>,
    /// Σ factor weights (for `weighted_mean`).
    pub total_weight: f64,
    pub triggers: Vec<TriggerC>,
    pub bands: Vec<BandC>,
    pub levels: Vec<LevelC>,
    pub default_level: usize,
    pub assignments: Vec<AssignmentC>,
    pub action_types: HashMap<Str, Outcome>,
    pub rules: Vec<RuleC>,
    /// Rule indices per action type (keyed rules merged in order with unkeyed ones).
    pub rules_by_type: RulesByType,
    /// Whether anything depends on `input.type` (keyed rules, per-type overrides, `on` filters).
    pub reads_action_type: bool,
    /// Rules without `on`, for action types no keyed rule names.
    pub unkeyed_rules: Vec<usize>,
    pub default_verdict: Option<(Str, Outcome, Str)>,
    pub default_result: Option<Arc<crate::decision::RuleResult>>,
    pub deny: Vec<MessageRuleC>,
    pub warn: Vec<MessageRuleC>,
    pub exceptions: Vec<ExceptionC>,
    pub annotation_exceptions: Option<AnnotationExceptionSpec>,
    pub trusted_keys: Vec<crate::identity::TrustedKey>,
    pub secret_fields: Vec<Vec<Str>>,
    pub invariants: Vec<InvariantC>,
    pub role_ladder: Vec<String>,
    pub verdicts: BTreeMap<String, Outcome>,
}

/// A policy compiled once and evaluated many times: immutable, cheap to clone, `Send + Sync`.
#[derive(Clone, Debug)]
pub struct CompiledPolicy {
    pub(crate) inner: Arc<Inner>,
}

struct Compiler {
    issues: Vec<CompileIssue>,
    envelope_input: bool,
    limits: Limits,
    base_scope: std::rc::Rc<Scope>,
    /// What the policy's expressions share while they compile, and its shared strings.
    session: expr::Session,
}

impl Compiler {
    fn issue(&mut self, path: impl Into<String>, message: impl Into<String>, help: Option<String>) {
        self.issues.push(CompileIssue {
            path: path.into(),
            offset: None,
            message: message.into(),
            help,
        });
    }

    fn expr_issue(&mut self, path: &str, e: CompileError) {
        // For action policies `input` is the envelope; point document authors at `subject`.
        let help = if e.message.ends_with("on `input`") && self.envelope_input {
            Some(format!(
                "{}; to check arbitrary documents (manifests), set `subject: manifest`",
                e.help.unwrap_or_default()
            ))
        } else {
            e.help
        };
        self.issues.push(CompileIssue {
            path: path.to_owned(),
            offset: Some(e.span.start),
            message: e.message,
            help,
        });
    }

    fn program(&mut self, path: &str, source: &str) -> Option<Program> {
        self.program_at(|| path.to_owned(), source)
    }

    /// Like [`Compiler::program`], with the path built only when there is an issue to report
    /// (the rule loops compile thousands of conditions; formatting each path would dominate).
    fn program_at(&mut self, path: impl FnOnce() -> String, source: &str) -> Option<Program> {
        let scope = std::rc::Rc::clone(&self.base_scope);
        self.program_in_at(path, source, &scope)
    }

    fn program_in(&mut self, path: &str, source: &str, scope: &Scope) -> Option<Program> {
        self.program_in_at(|| path.to_owned(), source, scope)
    }

    fn program_in_at(
        &mut self,
        path: impl FnOnce() -> String,
        source: &str,
        scope: &Scope,
    ) -> Option<Program> {
        let compiled = self.session.compile(source, scope, &self.limits);
        self.program_or_issue(path, compiled)
    }

    /// A rule's condition: like [`Compiler::program_in_at`], the program sharing the
    /// document's text.
    fn condition_at(
        &mut self,
        path: impl FnOnce() -> String,
        source: &Text,
        scope: &Scope,
    ) -> Option<Program> {
        let compiled = self.session.compile_text(source, scope, &self.limits);
        self.program_or_issue(path, compiled)
    }

    /// The program, or `None` with its error recorded at `path`.
    fn program_or_issue(
        &mut self,
        path: impl FnOnce() -> String,
        compiled: Result<Program, CompileError>,
    ) -> Option<Program> {
        compiled.map_err(|e| self.expr_issue(&path(), e)).ok()
    }

    fn template(&mut self, path: &str, text: &str, scope: &Scope) -> Option<Template> {
        self.template_at(|| path.to_owned(), text, scope)
    }

    fn template_at(
        &mut self,
        path: impl FnOnce() -> String,
        text: &str,
        scope: &Scope,
    ) -> Option<Template> {
        match Template::compile(text, scope, &self.limits) {
            Ok(t) => Some(t),
            Err(e) => {
                self.expr_issue(&path(), e);
                None
            }
        }
    }

    fn number(&mut self, path: &str, x: f64) {
        if !x.is_finite() {
            self.issue(path, "must be a finite number", None);
        }
    }

    fn option(&mut self, path: &str, o: &FactorOption, witness: Option<Value>) -> OptionC {
        self.number(&format!("{path}.points"), o.points);
        OptionC {
            points: o.points,
            label: Str::from(o.label.as_str()),
            suggest: o.suggest.clone(),
            witness,
        }
    }

    fn tiers(&mut self, path: &str, tiers: &[Tier]) -> Vec<(f64, OptionC)> {
        if tiers.is_empty() {
            self.issue(path, "needs at least one tier", None);
        }
        let mut out = Vec::with_capacity(tiers.len());
        let mut previous = f64::NEG_INFINITY;
        for (i, t) in tiers.iter().enumerate() {
            let p = format!("{path}[{i}]");
            let last = i + 1 == tiers.len();
            let upto = match (t.upto, last) {
                (Some(u), _) => {
                    self.number(&format!("{p}.upto"), u);
                    if u <= previous {
                        self.issue(
                            format!("{p}.upto"),
                            format!("tier bounds must increase: `{u}` is not above `{previous}`"),
                            None,
                        );
                    }
                    u
                }
                (None, true) => f64::INFINITY,
                (None, false) => {
                    self.issue(p.clone(), "only the last tier may omit `upto`", None);
                    f64::INFINITY
                }
            };
            // The witness is a value inside the tier: its bound, or just above the previous one.
            let witness = if upto.is_finite() {
                Some(number_value(upto))
            } else if previous.is_finite() {
                Some(number_value(previous + 1.0))
            } else {
                None
            };
            let option = FactorOption {
                points: t.points,
                label: t.label.clone(),
                suggest: t.suggest.clone(),
            };
            out.push((upto, self.option(&p, &option, witness)));
            previous = upto;
        }
        out
    }
}

/// An int when the number is integral, else a double.
pub(crate) fn number_value(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::Int(x as i64)
    } else {
        Value::Double(x)
    }
}

/// Parses a duration like `30m`, `4h`, `7d`, `90s` into seconds.
pub(crate) fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// Closest candidate by edit distance, for "did you mean" help.
pub(crate) fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row.first().copied().unwrap_or(0);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = row.get(j).copied().unwrap_or(usize::MAX);
            let cost = prev + usize::from(ca != *cb);
            prev = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = cost.min(above + 1).min(left + 1);
            }
        }
    }
    row.last().copied().unwrap_or(0)
}

fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str> + Clone,
) -> Option<String> {
    match closest(name, candidates.clone()) {
        Some(c) => Some(format!("did you mean `{c}`?")),
        None => {
            let all: Vec<String> = candidates.into_iter().map(|c| format!("`{c}`")).collect();
            if all.is_empty() {
                None
            } else {
                Some(format!("expected one of {}", all.join(", ")))
            }
        }
    }
}

/// Checks a parameter value against its declared type and range.
/// A value for prose messages: `null`, `an integer \`5\``, `a string \`live\``. (Messages
/// about expressions use CEL's type names instead: `int`, `null_type`.)
pub(crate) fn describe(value: &Value) -> String {
    let kind = match value {
        Value::Null => return "null".to_owned(),
        Value::Bool(_) => "a boolean",
        Value::Int(_) => "an integer",
        Value::Double(_) => "a number",
        Value::String(_) => "a string",
        Value::List(_) => "a list",
        Value::Map(_) => "a map",
    };
    format!("{kind} `{value}`")
}

pub(crate) fn check_parameter(spec: &ParameterSpec, value: &Value) -> Result<(), String> {
    let ok = match spec.kind {
        ParameterType::Number => matches!(value, Value::Int(_) | Value::Double(_)),
        ParameterType::Integer => matches!(value, Value::Int(_)),
        ParameterType::String => matches!(value, Value::String(_)),
        ParameterType::Boolean => matches!(value, Value::Bool(_)),
        ParameterType::List => matches!(value, Value::List(_)),
        ParameterType::Map => matches!(value, Value::Map(_)),
    };
    if !ok {
        let wanted = match spec.kind {
            ParameterType::Number => "a number",
            ParameterType::Integer => "an integer",
            ParameterType::String => "a string",
            ParameterType::Boolean => "a boolean",
            ParameterType::List => "a list",
            ParameterType::Map => "a map",
        };
        return Err(format!("expected {wanted}, found {}", describe(value)));
    }
    if let Some(x) = value.as_f64() {
        if let Some(min) = spec.min
            && x < min
        {
            return Err(format!("`{x}` is below the minimum `{min}`"));
        }
        if let Some(max) = spec.max
            && x > max
        {
            return Err(format!("`{x}` is above the maximum `{max}`"));
        }
    }
    Ok(())
}

impl CompiledPolicy {
    /// Compiles a document. `limits` bound every expression.
    pub fn compile_document(
        document: &PolicyDocument,
        digest: Str,
        limits: Limits,
    ) -> Result<CompiledPolicy, Vec<CompileIssue>> {
        CompiledPolicy::compile_owned(document.clone(), digest, limits)
    }

    /// Like [`CompiledPolicy::compile_document`], keeping the document without copying it.
    pub fn compile_owned(
        document: PolicyDocument,
        digest: Str,
        limits: Limits,
    ) -> Result<CompiledPolicy, Vec<CompileIssue>> {
        let doc = &document;
        let params_fields: Vec<Str> = doc
            .parameters
            .keys()
            .map(|k| Str::from(k.as_str()))
            .collect();
        let input_fields = match doc.subject {
            Subject::Action => Some(ENVELOPE_FIELDS.iter().map(|f| Str::from(*f)).collect()),
            Subject::Manifest => None,
        };
        let base_scope = Scope {
            roots: vec![
                RootDecl {
                    name: "input".into(),
                    fields: input_fields,
                },
                RootDecl {
                    name: "params".into(),
                    fields: Some(params_fields),
                },
            ],
        };
        let mut c = Compiler {
            issues: Vec::new(),
            envelope_input: doc.subject == Subject::Action,
            limits,
            base_scope: std::rc::Rc::new(base_scope),
            // A first-match rule usually brings one new text (its type or a constant).
            session: expr::Session::new(doc.rules.len() + 16),
        };

        if doc.govgate != FORMAT_VERSION {
            c.issue(
                "govgate",
                format!("unsupported format version `{}`", doc.govgate),
                Some("this engine reads `govgate: 1`".into()),
            );
        }
        if doc.name.trim().is_empty() {
            c.issue("name", "must not be empty", None);
        }

        // Parameters.
        let mut param_specs = BTreeMap::new();
        let mut defaults = Map::new();
        for (name, spec) in &doc.parameters {
            if let Err(e) = check_parameter(spec, &spec.default) {
                c.issue(format!("parameters.{name}.default"), e, None);
            }
            param_specs.insert(Str::from(name.as_str()), spec.clone());
            defaults.insert(Str::from(name.as_str()), spec.default.clone());
        }

        // Score.
        c.number("score.min", doc.score.min);
        c.number("score.max", doc.score.max);
        if doc.score.max <= doc.score.min {
            c.issue("score.max", "must be above `score.min`", None);
        }

        // Factors.
        let mut factors = Vec::new();
        let mut factor_ids = HashMap::new();
        for (i, f) in doc.factors.iter().enumerate() {
            let path = format!("factors[{i}]");
            if factor_ids.insert(f.id.clone(), i).is_some() {
                c.issue(
                    format!("{path}.id"),
                    format!("duplicate factor id `{}`", f.id),
                    None,
                );
            }
            c.number(&format!("{path}.weight"), f.weight);
            if f.weight < 0.0 {
                c.issue(format!("{path}.weight"), "must not be negative", None);
            }
            if let Some(kind) = compile_factor(&mut c, &path, f) {
                factors.push(FactorC {
                    id: Str::from(f.id.as_str()),
                    weight: f.weight,
                    kind,
                    exclusive: false,
                });
            }
        }

        // Bands.
        let mut bands = Vec::new();
        let mut default_uptos = Vec::new();
        let mut previous = f64::NEG_INFINITY;
        for (i, b) in doc.bands.iter().enumerate() {
            let path = format!("bands[{i}]");
            let last = i + 1 == doc.bands.len();
            if bands.iter().any(|x: &BandC| &*x.name == b.name.as_str()) {
                c.issue(
                    format!("{path}.name"),
                    format!("duplicate band name `{}`", b.name),
                    None,
                );
            }
            let upto = match (b.upto, last) {
                (Some(u), false) => {
                    if u <= previous {
                        c.issue(
                            format!("{path}.upto"),
                            format!("band bounds must increase: `{u}` is not above `{previous}`"),
                            None,
                        );
                    }
                    u
                }
                (Some(_), true) => {
                    c.issue(
                        format!("{path}.upto"),
                        "the last band has no upper bound",
                        Some("remove `upto` so every score falls in a band".into()),
                    );
                    f64::INFINITY
                }
                (None, false) => {
                    c.issue(path.clone(), "only the last band may omit `upto`", None);
                    f64::INFINITY
                }
                (None, true) => f64::INFINITY,
            };
            previous = upto;
            default_uptos.push(upto);
            if b.approval.is_some() && b.outcome != Outcome::Approval {
                c.issue(
                    format!("{path}.approval"),
                    format!(
                        "band `{}` has outcome `{}`, so `approval` never applies",
                        b.name,
                        b.outcome.as_str()
                    ),
                    None,
                );
            }
            if let Some(a) = &b.approval {
                check_approval(&mut c, &format!("{path}.approval"), a);
            }
            bands.push(BandC {
                name: Str::from(b.name.as_str()),
                outcome: b.outcome,
                approval: b.approval.clone(),
            });
        }
        if bands.is_empty() && !doc.factors.is_empty() {
            c.issue("bands", "a policy with factors needs bands", Some("add e.g. `bands: [{name: low, upto: 30, outcome: auto}, {name: high, outcome: approval}]`".into()));
        }
        let band_names: Vec<&str> = doc.bands.iter().map(|b| b.name.as_str()).collect();
        let band_index = |name: &str| band_names.iter().position(|b| *b == name);

        // Triggers.
        let mut triggers = Vec::new();
        for (i, t) in doc.triggers.iter().enumerate() {
            let path = format!("triggers[{i}]");
            if doc.triggers.iter().take(i).any(|prev| prev.id == t.id) {
                c.issue(
                    format!("{path}.id"),
                    format!("duplicate trigger id `{}`", t.id),
                    None,
                );
            }
            if t.outcome == Some(Outcome::Auto) {
                c.issue(
                    format!("{path}.outcome"),
                    "a trigger can only raise the outcome: `approval` or `block`",
                    None,
                );
            }
            let when = c.program(&format!("{path}.when"), &t.when);
            let scope = std::rc::Rc::clone(&c.base_scope);
            let reason = c.template(&format!("{path}.reason"), &t.reason, &scope);
            let min_band = match &t.min_band {
                Some(name) => match band_index(name) {
                    Some(ix) => Some(ix),
                    None => {
                        let help = did_you_mean(name, band_names.iter().copied());
                        c.issue(
                            format!("{path}.min_band"),
                            format!("unknown band `{name}`"),
                            help,
                        );
                        None
                    }
                },
                None => None,
            };
            if let Some(f) = t.floor {
                c.number(&format!("{path}.floor"), f);
            }
            if t.floor.is_none() && t.min_band.is_none() && t.outcome.is_none() {
                c.issue(
                    path.clone(),
                    "a trigger needs `floor`, `min_band` or `outcome`",
                    None,
                );
            }
            if let Some(a) = &t.approval {
                check_approval(&mut c, &format!("{path}.approval"), a);
            }
            if let (Some(when), Some(reason)) = (when, reason) {
                triggers.push(TriggerC {
                    id: Str::from(t.id.as_str()),
                    when,
                    reason,
                    floor: t.floor,
                    min_band,
                    outcome: t.outcome,
                    approval: t.approval.clone(),
                });
            }
        }

        // Autonomy.
        let mut levels = Vec::new();
        let mut default_level = 0;
        let mut assignments = Vec::new();
        let mut action_types = HashMap::new();
        match &doc.autonomy {
            None => levels.push(LevelC {
                name: "default".into(),
                uptos: default_uptos.clone(),
                action_types: HashMap::new(),
            }),
            Some(a) => {
                for (name, level) in &a.levels {
                    let path = format!("autonomy.levels.{name}");
                    let mut uptos = default_uptos.clone();
                    for (band, upto) in &level.bands {
                        match band_index(band) {
                            Some(ix) if ix + 1 == band_names.len() => {
                                c.issue(
                                    format!("{path}.bands.{band}"),
                                    format!("`{band}` is the last band and has no upper bound"),
                                    None,
                                );
                            }
                            Some(ix) => {
                                if let Some(slot) = uptos.get_mut(ix) {
                                    *slot = *upto;
                                }
                            }
                            None => {
                                let help = did_you_mean(band, band_names.iter().copied());
                                c.issue(
                                    format!("{path}.bands.{band}"),
                                    format!("unknown band `{band}`"),
                                    help,
                                );
                            }
                        }
                    }
                    if uptos.windows(2).any(|w| matches!(w, [a, b] if a >= b)) {
                        c.issue(
                            format!("{path}.bands"),
                            "band bounds must increase at this level (an equal bound leaves a band empty)",
                            None,
                        );
                    }
                    levels.push(LevelC {
                        name: Str::from(name.as_str()),
                        uptos,
                        action_types: level
                            .action_types
                            .iter()
                            .map(|(k, v)| (Str::from(k.as_str()), *v))
                            .collect(),
                    });
                }
                let level_names: Vec<&str> = a.levels.keys().map(String::as_str).collect();
                let level_index = |name: &str| level_names.iter().position(|l| *l == name);
                match level_index(&a.default) {
                    Some(ix) => default_level = ix,
                    None => {
                        let help = did_you_mean(&a.default, level_names.iter().copied());
                        c.issue(
                            "autonomy.default",
                            format!("unknown level `{}`", a.default),
                            help,
                        );
                    }
                }
                for (i, s) in a.assignments.iter().enumerate() {
                    let path = format!("autonomy.assignments[{i}]");
                    let level = match level_index(&s.level) {
                        Some(ix) => ix,
                        None => {
                            let help = did_you_mean(&s.level, level_names.iter().copied());
                            c.issue(
                                format!("{path}.level"),
                                format!("unknown level `{}`", s.level),
                                help,
                            );
                            0
                        }
                    };
                    if s.user.is_none() && s.role.is_none() {
                        c.issue(
                            path.clone(),
                            "an assignment names a `user` or a `role`",
                            None,
                        );
                    }
                    if s.repository.is_some() && s.user.is_none() {
                        c.issue(format!("{path}.repository"), "`repository` needs `user` (assignments go user+repository → user → role)", None);
                    }
                    if s.user.is_some() && s.role.is_some() {
                        c.issue(
                            format!("{path}.role"),
                            "an assignment names a `user` or a `role`, not both",
                            None,
                        );
                    }
                    assignments.push(AssignmentC {
                        user: s.user.clone(),
                        repository: s.repository.clone(),
                        role: s.role.clone(),
                        level,
                    });
                }
                action_types = a
                    .action_types
                    .iter()
                    .map(|(k, v)| (Str::from(k.as_str()), *v))
                    .collect();
            }
        }

        // Verdicts and first-match rules.
        let verdict_outcome = |v: &str| -> Option<Outcome> {
            if doc.verdicts.is_empty() {
                match v {
                    "auto" => Some(Outcome::Auto),
                    "approval" => Some(Outcome::Approval),
                    "block" => Some(Outcome::Block),
                    _ => None,
                }
            } else {
                doc.verdicts.get(v).copied()
            }
        };
        let verdict_names: Vec<&str> = if doc.verdicts.is_empty() {
            vec!["auto", "approval", "block"]
        } else {
            doc.verdicts.keys().map(String::as_str).collect()
        };
        let mut rules = Vec::with_capacity(doc.rules.len());
        // The action types of each compiled rule, beside `rules`.
        let mut rule_types: Vec<&[Text]> = Vec::with_capacity(doc.rules.len());
        let mut rule_ids: HashSet<&str, NameBuild> =
            HashSet::with_capacity_and_hasher(doc.rules.len(), NameBuild::default());
        for (i, r) in doc.rules.iter().enumerate() {
            let at = |field: &str| format!("rules[{i}].{field}");
            if !rule_ids.insert(r.id.as_str()) {
                c.issue(at("id"), format!("duplicate rule id `{}`", r.id), None);
            }
            let scope = std::rc::Rc::clone(&c.base_scope);
            let when = c.condition_at(|| at("when"), &r.when, &scope);
            let message = match &r.message {
                Some(m) => c.template_at(|| at("message"), m, &scope),
                None => None,
            };
            let outcome = match verdict_outcome(&r.verdict) {
                Some(o) => o,
                None => {
                    let help = did_you_mean(&r.verdict, verdict_names.iter().copied());
                    c.issue(
                        at("verdict"),
                        format!("unknown verdict `{}`", r.verdict),
                        help,
                    );
                    Outcome::Approval
                }
            };
            if let Some(a) = &r.approval {
                check_approval(&mut c, &at("approval"), a);
            }
            let (fixed, message_text) = match (&r.message, &message) {
                (None, _) => (true, None),
                (Some(text), Some(t)) if t.is_static() => {
                    (true, Some(text.replace("{{", "{").replace("}}", "}")))
                }
                _ => (false, None),
            };
            let result = Arc::new(crate::decision::RuleResult {
                id: Some(r.id.clone()),
                verdict: c.session.share(&r.verdict),
                outcome,
                reason_code: c.session.share(&r.reason_code),
                message: message_text,
            });
            if let Some(when) = when {
                rules.push(RuleC {
                    result,
                    fixed,
                    when,
                    message,
                    unless_flag: r.unless_flag.clone(),
                    approval: r.approval.clone(),
                });
                rule_types.push(r.on.as_slice());
            }
        }
        let (rules_by_type, unkeyed_rules) = RulesByType::build(&rule_types, &mut c.session);
        let default_verdict = match &doc.default_verdict {
            Some(d) => match verdict_outcome(&d.verdict) {
                Some(o) => Some((
                    c.session.share(&d.verdict),
                    o,
                    c.session.share(&d.reason_code),
                )),
                None => {
                    let help = did_you_mean(&d.verdict, verdict_names.iter().copied());
                    c.issue(
                        "default_verdict.verdict",
                        format!("unknown verdict `{}`", d.verdict),
                        help,
                    );
                    None
                }
            },
            None => None,
        };

        // Deny and warn rules.
        let deny = compile_message_rules(&mut c, "deny", &doc.deny);
        let warn = compile_message_rules(&mut c, "warn", &doc.warn);
        for (i, r) in doc.deny.iter().chain(doc.warn.iter()).enumerate() {
            if !rule_ids.insert(r.id.as_str()) {
                let (section, ix) = if i < doc.deny.len() {
                    ("deny", i)
                } else {
                    ("warn", i - doc.deny.len())
                };
                c.issue(
                    format!("{section}[{ix}].id"),
                    format!("duplicate rule id `{}`", r.id),
                    None,
                );
            }
        }

        // Exceptions.
        let mut exceptions = Vec::new();
        for (i, e) in doc.exceptions.iter().enumerate() {
            let path = format!("exceptions[{i}]");
            let waivable = || {
                doc.deny
                    .iter()
                    .chain(doc.warn.iter())
                    .map(|r| r.id.as_str())
            };
            if !waivable().any(|id| id == e.rule) {
                let first_match = doc.rules.iter().any(|r| r.id == e.rule);
                let message = if first_match {
                    format!(
                        "`{}` is a first-match rule; exceptions waive deny and warn rules",
                        e.rule
                    )
                } else {
                    format!("unknown rule `{}`", e.rule)
                };
                let help = if first_match {
                    Some(
                        "give the rule an `unless_flag` and grant it with a signed override".into(),
                    )
                } else {
                    did_you_mean(&e.rule, waivable())
                };
                c.issue(format!("{path}.rule"), message, help);
            }
            let expires = crate::identity::Expiry::parse(&e.expires);
            if expires.is_none() {
                c.issue(
                    format!("{path}.expires"),
                    format!(
                        "`{}` is not an RFC 3339 time or a YYYY-MM-DD date",
                        e.expires
                    ),
                    None,
                );
            }
            let scope_when = match e.scope.as_ref().and_then(|s| s.when.as_ref()) {
                Some(w) => c.program(&format!("{path}.scope.when"), w),
                None => None,
            };
            exceptions.push(ExceptionC {
                rule: Str::from(e.rule.as_str()),
                scope: e.scope.clone(),
                scope_when,
                reason: e.reason.clone(),
                approver: e.approver.clone(),
                expires_text: e.expires.clone(),
                expires,
            });
        }

        // Trusted keys.
        let mut trusted_keys = Vec::new();
        if let Some(o) = &doc.overrides {
            for (i, k) in o.trusted_keys.iter().enumerate() {
                if o.trusted_keys.iter().take(i).any(|prev| prev.id == k.id) {
                    c.issue(
                        format!("overrides.trusted_keys[{i}].id"),
                        format!("duplicate key id `{}`", k.id),
                        None,
                    );
                }
                match crate::identity::TrustedKey::from_base64(&k.id, &k.public_key) {
                    Ok(key) => trusted_keys.push(key),
                    Err(e) => c.issue(
                        format!("overrides.trusted_keys[{i}].public_key"),
                        e.to_string(),
                        None,
                    ),
                }
            }
        }

        // Invariants read the decision and the input.
        let mut invariants = Vec::new();
        if let Some(tests) = &doc.tests {
            invariants = compile_invariants(&mut c, "tests.invariants", &tests.invariants);
        }

        if let Some(a) = &doc.approval {
            check_approval(&mut c, "approval", a);
        }
        let mut role_ladder: Vec<String> = Vec::new();
        for b in &doc.bands {
            if b.outcome == Outcome::Approval {
                let role = b
                    .approval
                    .as_ref()
                    .map_or_else(|| "reviewer".to_owned(), |a| a.role.clone());
                if !role_ladder.contains(&role) {
                    role_ladder.push(role);
                }
            }
        }

        if !c.issues.is_empty() {
            return Err(c.issues);
        }
        mark_exclusive_factors(
            &mut factors,
            &triggers,
            &rules,
            deny.iter().chain(warn.iter()),
            &exceptions,
            doc,
        );
        let reads_action_type = !rules_by_type.is_empty()
            || !action_types.is_empty()
            || levels.iter().any(|l| !l.action_types.is_empty())
            || deny.iter().chain(warn.iter()).any(|r| !r.on.is_empty());
        let name = Str::from(doc.name.as_str());
        let (mode, subject, score) = (doc.mode, doc.subject, doc.score.clone());
        let annotation_exceptions = doc.annotation_exceptions.clone();
        let secret_fields = doc
            .secret_fields
            .iter()
            .map(|p| p.split('.').map(Str::from).collect())
            .collect();
        let verdicts = doc.verdicts.clone();
        Ok(CompiledPolicy {
            inner: Arc::new(Inner {
                approval: document.approval.clone(),
                has_autonomy: document.autonomy.is_some(),
                has_overrides: document.overrides.is_some(),
                document: Some(Box::new(document)),
                identity: Arc::new(crate::decision::PolicyIdentity {
                    policy: name.clone(),
                    policy_digest: digest.clone(),
                }),
                name,
                digest,
                mode,
                subject,
                param_specs,
                param_defaults: Value::Map(Arc::new(defaults)),
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
                reads_action_type,
                rules_by_type,
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
            }),
        })
    }
}

/// What a decision records when no rule matched and the default verdict applies.
pub(crate) fn default_result(
    default_verdict: &Option<(Str, Outcome, Str)>,
) -> Option<Arc<crate::decision::RuleResult>> {
    default_verdict.as_ref().map(|(verdict, outcome, code)| {
        Arc::new(crate::decision::RuleResult {
            id: None,
            verdict: verdict.clone(),
            outcome: *outcome,
            reason_code: code.clone(),
            message: None,
        })
    })
}

/// The input path a factor steers, when it reads one plain field.
pub(crate) fn factor_path(kind: &FactorKindC) -> Option<Vec<Str>> {
    let program = match kind {
        FactorKindC::Lookup { value, .. } | FactorKindC::Tiers { value, .. } => value,
        FactorKindC::Buckets { count, .. } => count,
        FactorKindC::Boolean { when, .. } => when,
        FactorKindC::Cases { .. } | FactorKindC::Expression { .. } => return None,
    };
    match program.as_field_path() {
        Some((root, path)) if root == INPUT && !path.is_empty() => Some(path),
        _ => None,
    }
}

fn factor_programs(kind: &FactorKindC) -> Vec<&Program> {
    match kind {
        FactorKindC::Lookup { value, .. } | FactorKindC::Tiers { value, .. } => vec![value],
        FactorKindC::Buckets { count, .. } => vec![count],
        FactorKindC::Boolean { when, .. } => vec![when],
        FactorKindC::Cases { cases, .. } => cases.iter().map(|(p, _)| p).collect(),
        FactorKindC::Expression { value, .. } => vec![value],
    }
}

/// Marks the factors whose input field nothing else reads (see [`FactorC::exclusive`]).
fn mark_exclusive_factors<'a>(
    factors: &mut [FactorC],
    triggers: &[TriggerC],
    rules: &[RuleC],
    messages: impl Iterator<Item = &'a MessageRuleC>,
    exceptions: &[ExceptionC],
    doc: &PolicyDocument,
) {
    if factors.is_empty() {
        return;
    }
    // Input paths read by everything but the factors.
    let mut reads: Vec<Vec<Str>> = Vec::new();
    let mut add = |list: Vec<(usize, Vec<Str>)>| {
        reads.extend(
            list.into_iter()
                .filter(|(root, _)| *root == INPUT)
                .map(|(_, p)| p),
        );
    };
    for t in triggers {
        add(t.when.reads());
        add(t.reason.reads());
    }
    for r in rules {
        add(r.when.reads());
        if let Some(m) = &r.message {
            add(m.reads());
        }
    }
    for m in messages {
        if let Some(e) = &m.each {
            add(e.reads());
        }
        add(m.when.reads());
        add(m.message.reads());
    }
    for e in exceptions {
        if let Some(w) = &e.scope_when {
            add(w.reads());
        }
    }
    // Fields the engine itself reads: autonomy scopes, action type, overrides, annotations.
    for fixed in ["actor", "agent", "type", "overrides", "context.repository"] {
        reads.push(fixed.split('.').map(Str::from).collect());
    }
    if let Some(a) = &doc.annotation_exceptions {
        reads.push(a.path.split('.').map(Str::from).collect());
    }
    let overlaps = |a: &[Str], b: &[Str]| a.iter().zip(b.iter()).all(|(x, y)| x == y);
    let per_factor: Vec<Vec<Vec<Str>>> = factors
        .iter()
        .map(|f| {
            factor_programs(&f.kind)
                .iter()
                .flat_map(|p| p.reads())
                .filter(|(root, _)| *root == INPUT)
                .map(|(_, p)| p)
                .collect()
        })
        .collect();
    for (i, f) in factors.iter_mut().enumerate() {
        let Some(path) = factor_path(&f.kind) else {
            continue;
        };
        let read_elsewhere = reads.iter().any(|r| overlaps(r, &path))
            || per_factor
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .any(|(_, list)| list.iter().any(|r| overlaps(r, &path)));
        f.exclusive = !read_elsewhere;
    }
}

fn check_approval(c: &mut Compiler, path: &str, a: &ApprovalSpec) {
    if a.role.trim().is_empty() {
        c.issue(format!("{path}.role"), "must not be empty", None);
    }
    if a.quorum == 0 {
        c.issue(format!("{path}.quorum"), "must be at least 1", None);
    }
    if let Some(e) = &a.expires_in
        && parse_duration(e).is_none()
    {
        c.issue(
            format!("{path}.expires_in"),
            format!("`{e}` is not a duration"),
            Some("write e.g. `30m`, `4h`, `7d`".into()),
        );
    }
    match (a.on_timeout, &a.escalate_to) {
        (OnTimeout::Escalate, None) => c.issue(
            format!("{path}.escalate_to"),
            "`on_timeout: escalate` needs `escalate_to`",
            None,
        ),
        (OnTimeout::Deny | OnTimeout::Wait, Some(_)) => c.issue(
            format!("{path}.escalate_to"),
            "`escalate_to` needs `on_timeout: escalate`",
            None,
        ),
        _ => {}
    }
}

fn compile_factor(c: &mut Compiler, path: &str, f: &FactorSpec) -> Option<FactorKindC> {
    let given = [
        f.lookup.is_some(),
        f.tiers.is_some(),
        f.buckets.is_some(),
        f.boolean.is_some(),
        f.cases.is_some(),
        f.expression.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if given != 1 {
        c.issue(
            path,
            format!("factor `{}` needs exactly one of `lookup`, `tiers`, `buckets`, `boolean`, `cases`, `expression` ({given} given)", f.id),
            None,
        );
        return None;
    }
    let scope = std::rc::Rc::clone(&c.base_scope);
    if let Some(l) = &f.lookup {
        let value = c.program(&format!("{path}.lookup.value"), &l.value);
        let mut cases = BTreeMap::new();
        for (key, o) in &l.cases {
            let p = format!("{path}.lookup.cases.{key}");
            cases.insert(key.clone(), c.option(&p, o, Some(Value::string(key))));
        }
        if cases.is_empty() {
            c.issue(
                format!("{path}.lookup.cases"),
                "needs at least one case",
                None,
            );
        }
        let default = l
            .default
            .as_ref()
            .map(|o| c.option(&format!("{path}.lookup.default"), o, None));
        return Some(FactorKindC::Lookup {
            value: value?,
            cases,
            default,
        });
    }
    if let Some(t) = &f.tiers {
        let value = c.program(&format!("{path}.tiers.value"), &t.value);
        let tiers = c.tiers(&format!("{path}.tiers.tiers"), &t.tiers);
        return Some(FactorKindC::Tiers {
            value: value?,
            tiers,
        });
    }
    if let Some(b) = &f.buckets {
        let count = c.program(&format!("{path}.buckets.count"), &b.count);
        let buckets = c.tiers(&format!("{path}.buckets.buckets"), &b.buckets);
        return Some(FactorKindC::Buckets {
            count: count?,
            buckets,
        });
    }
    if let Some(b) = &f.boolean {
        let when = c.program(&format!("{path}.boolean.when"), &b.when);
        let if_true = c.option(
            &format!("{path}.boolean.then"),
            &b.if_true,
            Some(Value::Bool(true)),
        );
        let if_false = c.option(
            &format!("{path}.boolean.else"),
            &b.if_false,
            Some(Value::Bool(false)),
        );
        return Some(FactorKindC::Boolean {
            when: when?,
            if_true,
            if_false,
        });
    }
    if let Some(k) = &f.cases {
        let mut cases = Vec::new();
        let mut ok = true;
        for (i, case) in k.cases.iter().enumerate() {
            let p = format!("{path}.cases.cases[{i}]");
            let when = c.program(&format!("{p}.when"), &case.when);
            let option = FactorOption {
                points: case.points,
                label: case.label.clone(),
                suggest: case.suggest.clone(),
            };
            let o = c.option(&p, &option, None);
            match when {
                Some(w) => cases.push((w, o)),
                None => ok = false,
            }
        }
        let default = c.option(&format!("{path}.cases.default"), &k.default, None);
        return ok.then_some(FactorKindC::Cases { cases, default });
    }
    if let Some(e) = &f.expression {
        let value = c.program(&format!("{path}.expression.value"), &e.value);
        let label = c.template(&format!("{path}.expression.label"), &e.label, &scope);
        return Some(FactorKindC::Expression {
            value: value?,
            label: label?,
        });
    }
    None
}

fn compile_message_rules(
    c: &mut Compiler,
    section: &str,
    specs: &[MessageRuleSpec],
) -> Vec<MessageRuleC> {
    let mut out = Vec::with_capacity(specs.len());
    let base_scope = std::rc::Rc::clone(&c.base_scope);
    for (i, r) in specs.iter().enumerate() {
        let at = |field: &str| format!("{section}[{i}].{field}");
        // Only a rule with `each` adds a root; the others share the base scope.
        let mut own_scope = None;
        let each = match &r.each {
            Some(e) => {
                let name = r.bind.as_deref().unwrap_or("item");
                if name == "input" || name == "params" {
                    c.issue(
                        at("as"),
                        format!("`{name}` is taken; pick another loop variable name"),
                        None,
                    );
                }
                let mut scope = Scope::clone(&base_scope);
                scope.roots.push(RootDecl {
                    name: Str::from(name),
                    fields: None,
                });
                own_scope = Some(scope);
                c.program_at(|| at("each"), e)
            }
            None => {
                if r.bind.is_some() {
                    c.issue(at("as"), "`as` needs `each`", None);
                }
                None
            }
        };
        let scope = own_scope.as_ref().unwrap_or(&base_scope);
        let when = c.condition_at(|| at("when"), &r.when, scope);
        let message = c.template_at(|| at("message"), &r.message, scope);
        if let (Some(when), Some(message)) = (when, message) {
            if r.each.is_some() && each.is_none() {
                continue;
            }
            out.push(MessageRuleC {
                id: Str::from(r.id.as_str()),
                each,
                when,
                message,
                on: r.on.clone(),
            });
        }
    }
    out
}

impl CompiledPolicy {
    /// Compiles a test suite's invariants on their own: they read only `decision` and
    /// `input`, so nothing of the policy is needed. The same programs and issues (at
    /// `tests.invariants[i]`) as compiling the policy with the suite as its `tests:`.
    pub(crate) fn compile_suite_invariants(
        &self,
        specs: &[InvariantSpec],
    ) -> Result<Vec<InvariantC>, Vec<CompileIssue>> {
        let mut c = Compiler {
            issues: Vec::new(),
            envelope_input: self.inner.subject == Subject::Action,
            limits: Limits::default(),
            base_scope: std::rc::Rc::new(Scope { roots: Vec::new() }),
            session: expr::Session::new(16),
        };
        let invariants = compile_invariants(&mut c, "tests.invariants", specs);
        if c.issues.is_empty() {
            Ok(invariants)
        } else {
            Err(c.issues)
        }
    }
}

fn compile_invariants(c: &mut Compiler, path: &str, specs: &[InvariantSpec]) -> Vec<InvariantC> {
    let scope = Scope {
        roots: vec![
            RootDecl {
                name: "decision".into(),
                fields: None,
            },
            RootDecl {
                name: "input".into(),
                fields: None,
            },
        ],
    };
    let mut out = Vec::new();
    for (i, inv) in specs.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let when = match &inv.when {
            Some(w) => match c.program_in(&format!("{p}.when"), w, &scope) {
                Some(w) => Some(w),
                None => continue,
            },
            None => None,
        };
        if let Some(check) = c.program_in(&format!("{p}.assert"), &inv.check, &scope) {
            out.push(InvariantC {
                name: inv.name.clone(),
                when,
                check,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("30m"), Some(1800));
        assert_eq!(parse_duration("4h"), Some(14_400));
        assert_eq!(parse_duration("7d"), Some(604_800));
        assert_eq!(parse_duration("4 hours"), None);
        assert_eq!(parse_duration("h"), None);
    }

    #[test]
    fn rules_are_indexed_by_type_in_order_with_the_unkeyed_ones() {
        let text = "govgate: 1\nname: t\nrules:\n\
            \x20 - {id: r0, when: 'true', verdict: block}\n\
            \x20 - {id: r1, on: [a, b], when: 'true', verdict: block}\n\
            \x20 - {id: r2, on: [b], when: 'true', verdict: block}\n\
            \x20 - {id: r3, when: 'true', verdict: block}\n\
            \x20 - {id: r4, on: [a, a, c], when: 'true', verdict: block}\n";
        let p = CompiledPolicy::compile_str("t.yaml", text).unwrap();
        assert_eq!(p.inner.unkeyed_rules, vec![0, 3]);
        let mut by_type: Vec<(&str, &[usize])> = p.inner.rules_by_type.iter().collect();
        by_type.sort();
        assert_eq!(
            by_type,
            vec![
                ("a", &[0, 1, 3, 4][..]),
                ("b", &[0, 1, 2, 3][..]),
                ("c", &[0, 3, 4][..]),
            ]
        );
    }

    #[test]
    fn closest_name_suggests_typos_only() {
        assert_eq!(
            closest("min_acuracy", ["min_accuracy", "max_drift"]),
            Some("min_accuracy")
        );
        assert_eq!(closest("zzz", ["min_accuracy"]), None);
    }
}
