//! The policy document as written: YAML, JSON or TOML, deserialized field by field.
//!
//! This is the authoring format; [`super::CompiledPolicy`] is what it compiles into. Every
//! struct denies unknown fields so a typo is an error with a location, never a silent default.
//!
//! Every struct declares its fields in canonical JSON key order (sorted by their serialized
//! names): the policy digest's writer then puts each member in place as it is serialized,
//! with no reordering (`policy::load` tests hold every type to it).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::value::Value;

/// A text of the document that the compiled policy keeps: up to 23 bytes inline (rule ids,
/// verdicts, action types), longer ones (conditions) behind a shared pointer, so compiling
/// shares them instead of copying.
pub use smol_str::SmolStr as Text;

/// The format version this engine reads.
pub const FORMAT_VERSION: u32 = 1;

/// A whole policy document.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    /// Waivers read from the input's own annotations (a manifest's `metadata.annotations`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotation_exceptions: Option<AnnotationExceptionSpec>,
    /// Who approves when a rule, trigger or override requires approval without naming anyone
    /// and no approval band applies; defaults to one `admin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalSpec>,
    /// Autonomy levels, scope assignments and per-action-type overrides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autonomy: Option<AutonomySpec>,
    /// Consecutive score bands, lowest first; the last has no upper bound.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bands: Vec<BandSpec>,
    /// The verdict when no first-match rule matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_verdict: Option<DefaultVerdict>,
    /// Deny rules: every one that fires is reported; any unwaived one blocks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<MessageRuleSpec>,
    /// What the policy is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Waivers of named rules for a scope, with reason, approver and expiry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<ExceptionSpec>,
    /// Risk factors, each mapping the action to points.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub factors: Vec<FactorSpec>,
    /// Format version; must be 1.
    pub govgate: u32,
    /// `enforce` (the default) or `shadow` (decide, record, but always let the action run).
    #[serde(default)]
    pub mode: Mode,
    /// Short name, shown in decisions and the dashboard.
    pub name: String,
    /// Keys whose Ed25519-signed overrides the policy honours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<OverridesSpec>,
    /// Named, typed, tunable thresholds that conditions read as `params.NAME`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, ParameterSpec>,
    /// Ordered first-match rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleSpec>,
    /// How factor points combine into a score.
    #[serde(default)]
    pub score: ScoreSpec,
    /// Input fields (dotted paths under `input`) hashed before an action is stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_fields: Vec<String>,
    /// What `input` is: an action envelope (`eval`, the API) or a manifest (`check`).
    #[serde(default)]
    pub subject: Subject,
    /// Policy tests: cases and invariants (also accepted in a `*_test.yaml` beside the policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests: Option<TestSuiteSpec>,
    /// Special cases that raise the score, the band or the outcome.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<TriggerSpec>,
    /// The policy's verdict vocabulary mapped to outcomes (`promote: auto`, `demote: block`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub verdicts: BTreeMap<String, Outcome>,
    /// Warn rules: every one that fires is reported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warn: Vec<MessageRuleSpec>,
}

/// What `input` is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// The action envelope `{actor, agent, type, tool, args, context, annotations, overrides}`.
    #[default]
    Action,
    /// Any document (a model manifest, a Kubernetes object) checked against deny/warn rules.
    Manifest,
}

/// Enforce decisions, or only record them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Decisions take effect.
    #[default]
    Enforce,
    /// The effective outcome is always auto; the would-be outcome is recorded.
    Shadow,
}

/// What happens to an action.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Go ahead.
    #[default]
    Auto,
    /// Wait for the right humans.
    Approval,
    /// Never.
    Block,
}

impl Outcome {
    /// The outcome's name as written in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Auto => "auto",
            Outcome::Approval => "approval",
            Outcome::Block => "block",
        }
    }
}

/// The type of a tunable parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ParameterType {
    /// An int or a double.
    Number,
    /// An int.
    Integer,
    /// A string.
    String,
    /// A bool.
    Boolean,
    /// A list.
    List,
    /// A map.
    Map,
}

/// A named, typed threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ParameterSpec {
    /// The value used unless a call or the dashboard overrides it.
    pub default: Value,
    /// What the parameter means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Highest accepted value (numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Lowest accepted value (numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Slider step for the dashboard (numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<f64>,
    /// The parameter's type.
    #[serde(rename = "type")]
    pub kind: ParameterType,
}

/// How factor points combine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// Σ weight × points (seed 004's 0–100, seed 002's 0–1).
    #[default]
    WeightedSum,
    /// Σ weight × points / Σ weight.
    WeightedMean,
    /// The plain mean of points (seed 000's 1–5 factor scores).
    Mean,
    /// The largest weight × points.
    Max,
}

/// The score's scale and aggregation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ScoreSpec {
    /// How factor points combine.
    #[serde(default)]
    pub aggregate: Aggregate,
    /// Highest possible score.
    #[serde(default = "default_scale_max")]
    pub max: f64,
    /// Lowest possible score (for display and band checks).
    #[serde(default)]
    pub min: f64,
    /// A factor is listed among the decision's reasons when its contribution reaches this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_min_contribution: Option<f64>,
}

fn default_scale_max() -> f64 {
    100.0
}

impl Default for ScoreSpec {
    fn default() -> ScoreSpec {
        ScoreSpec {
            min: 0.0,
            max: 100.0,
            aggregate: Aggregate::WeightedSum,
            reason_min_contribution: None,
        }
    }
}

/// One way a factor can come out: its points and how it explains itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FactorOption {
    /// How the decision explains this outcome ("Production branch").
    pub label: String,
    /// Points on the factor's scale.
    pub points: f64,
    /// How a suggestion proposes moving to this option ("Use paper mode").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggest: Option<String>,
}

/// A risk factor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FactorSpec {
    /// `boolean:` a condition that is true or false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boolean: Option<BooleanFactor>,
    /// `buckets:` a count (of a list, a map, or an int) placed in buckets (single / bulk).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buckets: Option<BucketsFactor>,
    /// `cases:` the first of several conditions that holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cases: Option<CasesFactor>,
    /// What the factor measures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `expression:` an expression yielding the points directly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<ExpressionFactor>,
    /// Identifier, unique in the policy.
    pub id: String,
    /// `lookup:` a value looked up in a table (`live: 100, paper: 50, inactive: 0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup: Option<LookupFactor>,
    /// Human name ("Trading mode").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `tiers:` a number placed in ordered tiers (conservative / moderate / aggressive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<TiersFactor>,
    /// Weight in the aggregate (default 1).
    #[serde(default = "default_weight")]
    pub weight: f64,
}

fn default_weight() -> f64 {
    1.0
}

/// `lookup:` a value mapped through a table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LookupFactor {
    /// Points and label per value (keys compare with the value's string form).
    pub cases: BTreeMap<String, FactorOption>,
    /// What an unlisted value scores; without it an unlisted value is an error (fail safe).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<FactorOption>,
    /// The expression whose value is looked up (usually a field path).
    pub value: String,
}

/// One tier: values up to `upto` (inclusive); the last tier has no bound.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// How the decision explains this tier ("Aggressive stop loss").
    pub label: String,
    /// Points in this tier.
    pub points: f64,
    /// How a suggestion proposes moving into this tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggest: Option<String>,
    /// Inclusive upper bound; omitted on the last tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upto: Option<f64>,
}

/// `tiers:` a number placed in ordered tiers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TiersFactor {
    /// Tiers in increasing order of `upto`.
    pub tiers: Vec<Tier>,
    /// The expression yielding the number.
    pub value: String,
}

/// `buckets:` a count placed in buckets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BucketsFactor {
    /// Buckets in increasing order of `upto`.
    pub buckets: Vec<Tier>,
    /// The expression whose size (list, map, string) or int value is counted.
    pub count: String,
}

/// `boolean:` a condition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BooleanFactor {
    /// Points and label when it does not.
    #[serde(rename = "else")]
    pub if_false: FactorOption,
    /// Points and label when it holds.
    #[serde(rename = "then")]
    pub if_true: FactorOption,
    /// The condition.
    pub when: String,
}

/// One case of a `cases:` factor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// How the decision explains this case.
    pub label: String,
    /// Points when this is the first case that holds.
    pub points: f64,
    /// How a suggestion proposes moving to this case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggest: Option<String>,
    /// The condition.
    pub when: String,
}

/// `cases:` the first condition that holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CasesFactor {
    /// Cases in order.
    pub cases: Vec<Case>,
    /// What scores when no case holds.
    pub default: FactorOption,
}

/// `expression:` points computed directly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ExpressionFactor {
    /// The explanation; `{expr}` placeholders interpolate values.
    pub label: String,
    /// The expression yielding a number.
    pub value: String,
}

/// A special case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TriggerSpec {
    /// Who approves when this trigger is what requires approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalSpec>,
    /// Raise the score to at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<f64>,
    /// Identifier, unique in the policy.
    pub id: String,
    /// Force at least this band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_band: Option<String>,
    /// Force at least this outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Why it matters ("Switching to live trading"); `{expr}` placeholders interpolate.
    pub reason: String,
    /// The condition.
    pub when: String,
}

/// A score band.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BandSpec {
    /// Who must approve, when the outcome is `approval`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalSpec>,
    /// Band name ("low", "medium", "high").
    pub name: String,
    /// What a score in this band means.
    pub outcome: Outcome,
    /// Inclusive upper bound; omitted on the last band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upto: Option<f64>,
}

/// Who may approve, how many, and for how long.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ApprovalSpec {
    /// The role to escalate to when `on_timeout` is `escalate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_to: Option<String>,
    /// How long the request stays open (`30m`, `4h`, `7d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<String>,
    /// Whether approvers must write a justification.
    #[serde(default)]
    pub justification: bool,
    /// What happens when it expires.
    #[serde(default)]
    pub on_timeout: OnTimeout,
    /// How many distinct approvers (default 1).
    #[serde(default = "default_quorum")]
    pub quorum: u32,
    /// The role approvers must hold (viewer, reviewer, admin, or a custom role or group).
    pub role: String,
    /// Who may not approve.
    #[serde(default)]
    pub separation: Separation,
}

fn default_quorum() -> u32 {
    1
}

/// Separation of duties.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Separation {
    /// Anyone holding the role.
    None,
    /// Not the actor who asked.
    #[default]
    NotRequester,
    /// Neither the actor nor the owner they act for.
    NotRequesterOrOwner,
}

/// What an expired approval request does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OnTimeout {
    /// Reject it.
    #[default]
    Deny,
    /// Hand it to `escalate_to`, keeping earlier approvals and restarting the clock.
    Escalate,
    /// Keep waiting.
    Wait,
}

/// Autonomy: levels as band thresholds, who gets which level, per-action-type overrides.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AutonomySpec {
    /// Per action type: `auto` lowers the band's outcome (never beating a deny or a block);
    /// `approval`/`block` are a minimum.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub action_types: BTreeMap<String, Outcome>,
    /// Who gets which level; the most specific match wins (user+repository, user, role).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assignments: Vec<AssignmentSpec>,
    /// The level used when no assignment matches.
    pub default: String,
    /// Levels by name (minimal, standard, elevated, full, or your own).
    pub levels: BTreeMap<String, LevelSpec>,
}

/// One autonomy level.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LevelSpec {
    /// Per-action-type overrides at this level (on top of the autonomy-wide ones).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub action_types: BTreeMap<String, Outcome>,
    /// Upper bound per band name, replacing the band's own `upto` at this level.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub bands: BTreeMap<String, f64>,
    /// What the level is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A scope assignment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AssignmentSpec {
    /// The level assigned.
    pub level: String,
    /// The repository (`input.context.repository`); only with `user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// A role the actor holds (`input.actor.roles`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The actor id (`input.actor.id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// A first-match rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Who approves when this rule's verdict requires approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalSpec>,
    /// Identifier, unique in the policy.
    pub id: Text,
    /// Explanation; `{expr}` placeholders interpolate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Action types the rule applies to (`input.type`); all when omitted.
    #[serde(default, skip_serializing_if = "ActionTypes::is_empty")]
    pub on: ActionTypes,
    /// Short code recorded when the rule matches.
    #[serde(default)]
    pub reason_code: Text,
    /// Skip this rule when a valid signed override carries this flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unless_flag: Option<String>,
    /// The verdict (from `verdicts`, or auto/approval/block).
    pub verdict: Text,
    /// The condition.
    pub when: Text,
}

/// The action types a rule applies to (its `on:` list). Held inline when there is one, the
/// usual case, so reading a policy of many keyed rules allocates nothing for them; otherwise a
/// list. Reads, writes and validates exactly as a list of strings.
#[derive(Clone, Debug, Default)]
pub struct ActionTypes(TypesRepr);

#[derive(Clone, Debug, Default)]
enum TypesRepr {
    #[default]
    None,
    One(Text),
    /// Two or more.
    Many(Vec<Text>),
}

impl ActionTypes {
    /// The types, in the order written.
    pub fn as_slice(&self) -> &[Text] {
        match &self.0 {
            TypesRepr::None => &[],
            TypesRepr::One(one) => std::slice::from_ref(one),
            TypesRepr::Many(many) => many,
        }
    }

    /// Whether the rule names no type (it applies to all).
    pub fn is_empty(&self) -> bool {
        matches!(self.0, TypesRepr::None)
    }
}

impl std::ops::Deref for ActionTypes {
    type Target = [Text];

    fn deref(&self) -> &[Text] {
        self.as_slice()
    }
}

impl PartialEq for ActionTypes {
    fn eq(&self, other: &ActionTypes) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl From<Vec<Text>> for ActionTypes {
    fn from(mut types: Vec<Text>) -> ActionTypes {
        ActionTypes(match types.len() {
            0 => TypesRepr::None,
            1 => types.pop().map_or(TypesRepr::None, TypesRepr::One),
            _ => TypesRepr::Many(types),
        })
    }
}

impl Serialize for ActionTypes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.as_slice())
    }
}

impl<'de> Deserialize<'de> for ActionTypes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ActionTypes, D::Error> {
        struct Types;
        impl<'de> serde::de::Visitor<'de> for Types {
            type Value = ActionTypes;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                // What a list's reader says, so errors read as they did for `Vec<Text>`.
                f.write_str("a sequence")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ActionTypes, A::Error> {
                let Some(first) = seq.next_element::<Text>()? else {
                    return Ok(ActionTypes(TypesRepr::None));
                };
                let Some(second) = seq.next_element::<Text>()? else {
                    return Ok(ActionTypes(TypesRepr::One(first)));
                };
                let mut many = Vec::with_capacity(2 + seq.size_hint().unwrap_or(0).min(64));
                many.push(first);
                many.push(second);
                while let Some(more) = seq.next_element::<Text>()? {
                    many.push(more);
                }
                Ok(ActionTypes(TypesRepr::Many(many)))
            }
        }
        deserializer.deserialize_seq(Types)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for ActionTypes {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        <Vec<Text>>::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <Vec<Text>>::json_schema(generator)
    }
}

/// The verdict when no rule matches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DefaultVerdict {
    /// Its reason code.
    #[serde(default)]
    pub reason_code: String,
    /// The verdict.
    pub verdict: String,
}

/// A deny or warn rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MessageRuleSpec {
    /// The loop variable's name (default `item`).
    #[serde(default, rename = "as", skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    /// Evaluate once per item of this list (or key of this map), bound to `as`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub each: Option<String>,
    /// Identifier, unique in the policy; exceptions name it.
    pub id: Text,
    /// The message; `{expr}` and `{expr:.2}` placeholders interpolate.
    pub message: String,
    /// Action types the rule applies to (`input.type`); all when omitted.
    #[serde(default, skip_serializing_if = "ActionTypes::is_empty")]
    pub on: ActionTypes,
    /// The condition; over a missing field it is undefined and the rule does not fire.
    pub when: Text,
}

/// A waiver of a named rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ExceptionSpec {
    /// Who approved the waiver.
    pub approver: String,
    /// When it stops applying (RFC 3339, or a date meaning the end of that UTC day).
    pub expires: String,
    /// Why.
    pub reason: String,
    /// The id of the deny, warn or first-match rule waived.
    pub rule: String,
    /// Where the waiver applies; everywhere when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<ExceptionScope>,
}

/// Where a waiver applies: every given field must match.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ExceptionScope {
    /// `input.agent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// `input.context.repository`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// `input.type`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub action_type: Option<String>,
    /// `input.actor.id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Any condition over `input`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
}

/// Waivers carried in the input's annotations, as seed 001's manifests do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AnnotationExceptionSpec {
    /// The annotation key naming the waived rules (comma-separated); `-reason`, `-approver` and
    /// `-expires` suffixes name the rest (`policy.example.io/exception-reason`).
    pub key: String,
    /// Dotted path of the annotations map inside `input` (default `metadata.annotations`).
    #[serde(default = "default_annotations_path")]
    pub path: String,
}

fn default_annotations_path() -> String {
    "metadata.annotations".into()
}

/// Signed overrides.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct OverridesSpec {
    /// Ed25519 public keys trusted to sign overrides.
    pub trusted_keys: Vec<TrustedKeySpec>,
}

/// A trusted Ed25519 key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TrustedKeySpec {
    /// Key id, as overrides name it.
    pub id: String,
    /// The 32-byte public key, base64.
    pub public_key: String,
}

/// Policy tests.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TestSuiteSpec {
    /// Cases: an input and what the decision must be.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cases: Vec<TestCaseSpec>,
    /// Properties every decision must have.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invariants: Vec<InvariantSpec>,
    /// The policy file a `*_test.yaml` tests (relative to the test file); defaults to the file
    /// of the same name without `_test`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// A test case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TestCaseSpec {
    /// What the decision must be.
    pub expect: ExpectSpec,
    /// The action envelope or manifest.
    pub input: Value,
    /// Case name.
    pub name: String,
    /// The evaluation time (RFC 3339); defaults to 2026-01-01T00:00:00Z.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<String>,
    /// Parameter overrides for this case.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, Value>,
}

/// Expectations; only what is given is checked.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ExpectSpec {
    /// True: no unwaived deny; false: at least one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<bool>,
    /// The approval role required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_role: Option<String>,
    /// The band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band: Option<String>,
    /// Each must be one of the deny messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Vec<String>>,
    /// Evaluation errors the case expects, each a substring of one of the decision's errors;
    /// every error must be listed. Absent: the case fails if the decision has any error (a
    /// fail-safe outcome that happens to match `outcome` is not a pass); `[]` states that
    /// explicitly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<String>>,
    /// The effective outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Each must be one of the reason codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reason_codes: Vec<String>,
    /// Each must be (or start) one of the decision's reasons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// The score: a number (equal to 2 decimals) or `{min, max}` (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<ScoreExpectation>,
    /// Each trigger id must have fired.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<String>,
    /// The verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// Each must be one of the warn messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn: Option<Vec<String>>,
}

/// A score expectation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum ScoreExpectation {
    /// Equal, to 2 decimals.
    Exact(f64),
    /// Within an inclusive range.
    Range {
        /// Lowest accepted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        /// Highest accepted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
    },
}

/// A property every decision must have: where `when` holds, `assert` must hold. Both read
/// `decision` (the decision's JSON) and `input`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct InvariantSpec {
    /// What must hold.
    #[serde(rename = "assert")]
    pub check: String,
    /// Invariant name.
    pub name: String,
    /// Which decisions it constrains (all when omitted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
}
