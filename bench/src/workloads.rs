//! The workloads: one neutral JSON input generator and one policy text per engine.
//!
//! - **B1** a single rule, `mode == "live" && scope_count > 10`.
//! - **B3** first match over `n` rules of shape `type == "t<i>" && amount > <k_i>`; at most one
//!   rule can match a given input (the types are distinct), so "first match" and "the match"
//!   coincide and engines without first-match semantics (cedar) still compare exactly.
//! - **B4** a 16-factor weighted score placed in three bands.
//! - **B5** loading (parse + compile) the 50-rule B3 policy.
//!
//! Inputs only hold strings, integers and lists of strings, so every engine (cedar has no
//! floating point numbers) reads the same document.

use std::fmt::Write as _;

use serde_json::{Value as Json, json};

use crate::rng::SplitMix64;

/// What an engine decides for a B1 input: `true` when the rule denies.
pub type B1Outcome = bool;

/// What an engine decides for a B3 input: the index of the matching rule, if any.
pub type B3Outcome = Option<usize>;

/// What an engine decides for a B4 input: the score and the band name.
#[derive(Clone, Debug, PartialEq)]
pub struct B4Outcome {
    /// The weighted sum on a 0-100 scale.
    pub score: f64,
    /// `low`, `medium` or `high`.
    pub band: String,
}

// ---------------------------------------------------------------------------------------------
// B1

/// The condition, in govgate's language and CEL (the same text).
pub const B1_CONDITION: &str = r#"input.mode == "live" && input.scope_count > 10"#;

/// A govgate policy in the two formats the benchmark can load it from.
#[derive(Clone, Debug)]
pub struct GovgateSource {
    /// The policy's base name (`b1`), for file names.
    pub name: String,
    /// The YAML text (the authoring format).
    pub yaml: String,
    /// The same document as JSON.
    pub json: Json,
}

impl GovgateSource {
    /// `(file name, text)` in `format` (`yaml` or `json`).
    pub fn file(&self, format: &str) -> (String, String) {
        match format {
            "yaml" => (format!("{}.yaml", self.name), self.yaml.clone()),
            _ => (format!("{}.json", self.name), self.json.to_string()),
        }
    }
}

/// govgate's B1 policy.
pub fn b1_govgate() -> GovgateSource {
    GovgateSource {
        name: "b1".into(),
        yaml: b1_govgate_yaml(),
        json: json!({
            "govgate": 1, "name": "b1", "subject": "manifest",
            "verdicts": {"allow": "auto", "deny": "block"},
            "default_verdict": {"verdict": "allow"},
            "rules": [{"id": "live_wide", "when": B1_CONDITION, "verdict": "deny"}],
        }),
    }
}

fn b1_govgate_yaml() -> String {
    format!(
        r#"govgate: 1
name: b1
subject: manifest
verdicts: {{allow: auto, deny: block}}
default_verdict: {{verdict: allow}}
rules:
  - id: live_wide
    when: '{B1_CONDITION}'
    verdict: deny
"#
    )
}

/// cedar's B1 policy set: a permit for everything and the forbid that mirrors the rule.
pub const B1_CEDAR: &str = r#"
permit(principal, action, resource);
forbid(principal, action, resource) when { context.mode == "live" && context.scope_count > 10 };
"#;

/// regorus's B1 module; the decision is `data.b1.verdict`.
pub const B1_REGO: &str = r#"
package b1

default verdict := "allow"

verdict := "deny" if {
    input.mode == "live"
    input.scope_count > 10
}
"#;

/// The rule regorus evaluates for B1.
pub const B1_REGO_RULE: &str = "data.b1.verdict";

/// The B1 input that is timed: a live job over 12 scopes (the rule denies).
pub fn b1_timed_input() -> Json {
    b1_input("live", 12, 7)
}

fn b1_input(mode: &str, scope_count: i64, seq: u64) -> Json {
    json!({
        "kind": "Job",
        "name": format!("nightly-rebalance-{seq}"),
        "mode": mode,
        "scope_count": scope_count,
        "owner": "team-quant",
        "region": "eu-west-1",
        "tags": ["trading", "batch"],
    })
}

/// `count` generated B1 inputs covering every mode and both sides of the threshold.
pub fn b1_sample(count: usize, seed: u64) -> Vec<Json> {
    let mut rng = SplitMix64::new(seed);
    (0..count as u64)
        .map(|seq| {
            let mode = *rng.pick(&["live", "paper", "inactive", "Live"]);
            let scope_count = rng.below(21) as i64;
            b1_input(mode, scope_count, seq)
        })
        .collect()
}

/// The reference semantics of B1, for the agreement check.
pub fn b1_expected(input: &Json) -> B1Outcome {
    input["mode"] == "live" && input["scope_count"].as_i64().is_some_and(|n| n > 10)
}

// ---------------------------------------------------------------------------------------------
// B3

/// The rule sizes measured.
pub const B3_SIZES: [usize; 2] = [50, 1000];

/// The amount threshold of rule `i`.
pub fn b3_threshold(i: usize) -> i64 {
    100 + ((i as i64 * 37) % 1000)
}

/// The condition of rule `i`, in govgate's language and CEL (the same text).
pub fn b3_condition(i: usize) -> String {
    format!(
        r#"input.type == "t{i}" && input.amount > {}"#,
        b3_threshold(i)
    )
}

/// govgate's B3 policy with `n` rules, each keyed by `on: ["t<i>"]` when `keyed`.
pub fn b3_govgate(n: usize, keyed: bool) -> GovgateSource {
    let rules: Vec<Json> = (0..n)
        .map(|i| {
            let mut rule =
                json!({"id": format!("r{i}"), "when": b3_condition(i), "verdict": "deny"});
            if keyed {
                rule["on"] = json!([format!("t{i}")]);
            }
            rule
        })
        .collect();
    let name = format!("b3_{n}_{}", if keyed { "keyed" } else { "unkeyed" });
    GovgateSource {
        yaml: b3_govgate_yaml(n, keyed),
        json: json!({
            "govgate": 1, "name": name, "subject": "manifest",
            "verdicts": {"allow": "auto", "deny": "block"},
            "default_verdict": {"verdict": "allow"},
            "rules": rules,
        }),
        name,
    }
}

fn b3_govgate_yaml(n: usize, keyed: bool) -> String {
    let mut s = format!(
        "govgate: 1\nname: b3_{n}_{}\nsubject: manifest\nverdicts: {{allow: auto, deny: block}}\n\
         default_verdict: {{verdict: allow}}\nrules:\n",
        if keyed { "keyed" } else { "unkeyed" }
    );
    for i in 0..n {
        let _ = writeln!(s, "  - id: r{i}");
        if keyed {
            let _ = writeln!(s, "    on: [\"t{i}\"]");
        }
        let _ = writeln!(s, "    when: '{}'", b3_condition(i));
        let _ = writeln!(s, "    verdict: deny");
    }
    s
}

/// cedar's B3 policy set: `n` forbid policies (ids `policy0`..) and a final permit.
pub fn b3_cedar(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let _ = writeln!(
            s,
            r#"forbid(principal, action, resource) when {{ context.type == "t{i}" && context.amount > {} }};"#,
            b3_threshold(i)
        );
    }
    s.push_str("permit(principal, action, resource);\n");
    s
}

/// regorus's B3 module: ONE rule `data.b3.rule` written as an `else` chain, so the first body
/// that holds gives the value (Rego's own first-match construct); `"none"` when none does.
pub fn b3_rego(n: usize) -> String {
    let mut s = String::from("package b3\n\n");
    for i in 0..n {
        let head = if i == 0 { "rule := " } else { "else := " };
        let _ = writeln!(
            s,
            "{head}\"r{i}\" if {{\n    input.type == \"t{i}\"\n    input.amount > {}\n}}",
            b3_threshold(i)
        );
    }
    s.push_str("else := \"none\"\n");
    s
}

/// The rule regorus evaluates for B3.
pub const B3_REGO_RULE: &str = "data.b3.rule";

/// Which B3 input is timed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum B3Case {
    /// The last rule matches.
    Last,
    /// No rule matches: the action's type is one no rule names.
    None,
}

impl B3Case {
    /// Both cases.
    pub const ALL: [B3Case; 2] = [B3Case::Last, B3Case::None];

    /// `last` or `none`.
    pub fn name(self) -> &'static str {
        match self {
            B3Case::Last => "last",
            B3Case::None => "none",
        }
    }
}

/// The timed B3 input for `n` rules.
pub fn b3_timed_input(n: usize, case: B3Case) -> Json {
    match case {
        B3Case::Last => b3_input(&format!("t{}", n - 1), 5000, 1),
        B3Case::None => b3_input(&format!("t{n}"), 5000, 1),
    }
}

fn b3_input(kind: &str, amount: i64, seq: u64) -> Json {
    json!({
        "id": format!("act-{seq}"),
        "type": kind,
        "amount": amount,
        "currency": "EUR",
        "agent": "payments-bot",
    })
}

/// `count` generated B3 inputs for `n` rules: types inside and just outside the rule set,
/// amounts on both sides of every threshold.
pub fn b3_sample(n: usize, count: usize, seed: u64) -> Vec<Json> {
    let mut rng = SplitMix64::new(seed);
    (0..count as u64)
        .map(|seq| {
            let kind = rng.below(n as u64 + n as u64 / 10 + 1);
            let amount = rng.below(1200) as i64;
            b3_input(&format!("t{kind}"), amount, seq)
        })
        .collect()
}

/// The reference semantics of B3.
pub fn b3_expected(n: usize, input: &Json) -> B3Outcome {
    let kind = input["type"].as_str()?;
    let i: usize = kind.strip_prefix('t')?.parse().ok()?;
    (i < n && input["amount"].as_i64()? > b3_threshold(i)).then_some(i)
}

// ---------------------------------------------------------------------------------------------
// B4

/// Number of factors.
pub const B4_FACTORS: usize = 16;

/// Each factor's weight (1/16, exact in binary, so every summation order gives the same sum).
pub const B4_WEIGHT: f64 = 1.0 / B4_FACTORS as f64;

/// govgate's B4 policy: 16 tiered factors, a weighted sum, three bands.
pub fn b4_govgate() -> GovgateSource {
    let factors: Vec<Json> = (0..B4_FACTORS)
        .map(|i| {
            json!({
                "id": format!("f{i}"), "weight": B4_WEIGHT,
                "tiers": {"value": format!("input.f{i}"), "tiers": [
                    {"upto": 10, "points": 0, "label": "low"},
                    {"upto": 50, "points": 50, "label": "mid"},
                    {"points": 100, "label": "high"},
                ]},
            })
        })
        .collect();
    GovgateSource {
        name: "b4".into(),
        yaml: b4_govgate_yaml(),
        json: json!({
            "govgate": 1, "name": "b4", "subject": "manifest",
            "score": {"aggregate": "weighted_sum"},
            "factors": factors,
            "bands": [
                {"name": "low", "upto": 30, "outcome": "auto"},
                {"name": "medium", "upto": 70, "outcome": "approval", "approval": {"role": "reviewer"}},
                {"name": "high", "outcome": "block"},
            ],
        }),
    }
}

fn b4_govgate_yaml() -> String {
    let mut s = String::from(
        "govgate: 1\nname: b4\nsubject: manifest\nscore: {aggregate: weighted_sum}\nfactors:\n",
    );
    for i in 0..B4_FACTORS {
        let _ = writeln!(s, "  - id: f{i}");
        let _ = writeln!(s, "    weight: {B4_WEIGHT}");
        let _ = writeln!(
            s,
            "    tiers: {{value: input.f{i}, tiers: [{{upto: 10, points: 0, label: low}}, \
             {{upto: 50, points: 50, label: mid}}, {{points: 100, label: high}}]}}"
        );
    }
    s.push_str(
        "bands:\n  - {name: low, upto: 30, outcome: auto}\n  \
         - {name: medium, upto: 70, outcome: approval, approval: {role: reviewer}}\n  \
         - {name: high, outcome: block}\n",
    );
    s
}

/// The one CEL expression computing the B4 score (the band is placed from it by
/// [`b4_band`], a few comparisons in Rust; CEL has no `let` to reuse the sum).
pub fn b4_cel_expression() -> String {
    (0..B4_FACTORS)
        .map(|i| {
            format!("(input.f{i} <= 10 ? 0.0 : (input.f{i} <= 50 ? 50.0 : 100.0)) * {B4_WEIGHT:?}")
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// regorus's B4 module; `data.b4.result` is `{"score": .., "band": ..}`.
pub fn b4_rego() -> String {
    let mut s = String::from(
        "package b4\n\n\
         points(x) := 0 if x <= 10\n\
         points(x) := 50 if {\n    x > 10\n    x <= 50\n}\n\
         points(x) := 100 if x > 50\n\n\
         score := (",
    );
    let terms: Vec<String> = (0..B4_FACTORS)
        .map(|i| format!("points(input.f{i})"))
        .collect();
    s.push_str(&terms.join(" + "));
    let _ = writeln!(s, ") * {B4_WEIGHT:?}\n");
    s.push_str(
        "band := \"low\" if score <= 30\n\
         band := \"medium\" if {\n    score > 30\n    score <= 70\n}\n\
         band := \"high\" if score > 70\n\n\
         result := {\"score\": score, \"band\": band}\n",
    );
    s
}

/// The rule regorus evaluates for B4.
pub const B4_REGO_RULE: &str = "data.b4.result";

/// The band a score falls in (inclusive upper bounds 30 and 70).
pub fn b4_band(score: f64) -> &'static str {
    if score <= 30.0 {
        "low"
    } else if score <= 70.0 {
        "medium"
    } else {
        "high"
    }
}

fn b4_input(values: &[i64]) -> Json {
    let mut map = serde_json::Map::new();
    map.insert("id".into(), json!("deploy-42"));
    for (i, v) in values.iter().enumerate() {
        map.insert(format!("f{i}"), json!(v));
    }
    Json::Object(map)
}

/// The timed B4 input (score 53.125, band medium).
pub fn b4_timed_input() -> Json {
    b4_input(&[5, 20, 60, 45, 10, 11, 50, 51, 99, 0, 30, 70, 8, 12, 49, 88])
}

/// `count` generated B4 inputs, values 0..=100 (both sides of each tier bound).
pub fn b4_sample(count: usize, seed: u64) -> Vec<Json> {
    let mut rng = SplitMix64::new(seed);
    (0..count)
        .map(|_| {
            let values: Vec<i64> = (0..B4_FACTORS).map(|_| rng.below(101) as i64).collect();
            b4_input(&values)
        })
        .collect()
}

/// The reference semantics of B4.
pub fn b4_expected(input: &Json) -> B4Outcome {
    let score: f64 = (0..B4_FACTORS)
        .map(|i| {
            let x = input[format!("f{i}")].as_i64().unwrap_or(0);
            let points = if x <= 10 {
                0.0
            } else if x <= 50 {
                50.0
            } else {
                100.0
            };
            points * B4_WEIGHT
        })
        .sum();
    B4Outcome {
        score,
        band: b4_band(score).to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// B5

/// The rule count loaded in B5 (the B3 policy of that size, keyed, for govgate).
pub const B5_RULES: usize = 50;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b3_reference_matches_only_its_type() {
        assert_eq!(b3_expected(50, &b3_timed_input(50, B3Case::Last)), Some(49));
        assert_eq!(b3_expected(50, &b3_timed_input(50, B3Case::None)), None);
    }

    #[test]
    fn b4_timed_input_is_medium() {
        let out = b4_expected(&b4_timed_input());
        assert_eq!(out.band, "medium");
    }
}
