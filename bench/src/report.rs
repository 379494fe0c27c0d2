//! Reads criterion's `new/estimates.json` files and prints medians, ratios and the targets.
//!
//! Each benchmark directory under `target/criterion` holds `new/benchmark.json` (its id) and
//! `new/estimates.json` (its statistics); only the median and its 95% confidence interval are
//! used here. Ratios are "peer median / govgate median": above 1 means govgate is faster.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

/// One benchmark's median.
#[derive(Clone, Debug)]
pub struct Estimate {
    /// The criterion group (`B1_single_rule`).
    pub group: String,
    /// The function within the group (`cedar`).
    pub function: String,
    /// The parameter, if any (`50_last`).
    pub value: Option<String>,
    /// Median time per call, nanoseconds.
    pub median_ns: f64,
    /// Lower bound of the median's 95% confidence interval.
    pub low_ns: f64,
    /// Upper bound.
    pub high_ns: f64,
}

impl Estimate {
    /// `group/function[/value]`, criterion's full id.
    pub fn id(&self) -> String {
        id(&self.group, &self.function, self.value.as_deref())
    }
}

fn id(group: &str, function: &str, value: Option<&str>) -> String {
    match value {
        Some(v) => format!("{group}/{function}/{v}"),
        None => format!("{group}/{function}"),
    }
}

/// The criterion output directory: `$CARGO_TARGET_DIR/criterion`, else the workspace's
/// `target/criterion`.
pub fn default_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => PathBuf::from(t).join("criterion"),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/criterion"),
    }
}

/// Every estimate found under `dir`, sorted by id.
pub fn collect(dir: &Path) -> Result<Vec<Estimate>, String> {
    let mut found = Vec::new();
    walk(dir, &mut found)?;
    found.sort_by_key(Estimate::id);
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<Estimate>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            if let Some(e) = read_one(&path)? {
                found.push(e);
            }
        } else {
            walk(&path, found)?;
        }
    }
    Ok(())
}

fn read_json(path: &Path) -> Result<Json, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("`{}` is not JSON: {e}", path.display()))
}

fn read_one(new_dir: &Path) -> Result<Option<Estimate>, String> {
    let bench = new_dir.join("benchmark.json");
    let estimates = new_dir.join("estimates.json");
    if !bench.exists() || !estimates.exists() {
        return Ok(None);
    }
    let bench = read_json(&bench)?;
    let estimates = read_json(&estimates)?;
    let text = |v: &Json| v.as_str().map(str::to_owned);
    let median = &estimates["median"];
    let num = |v: &Json| v.as_f64().unwrap_or(f64::NAN);
    Ok(Some(Estimate {
        group: text(&bench["group_id"]).unwrap_or_default(),
        function: text(&bench["function_id"]).unwrap_or_default(),
        value: text(&bench["value_str"]),
        median_ns: num(&median["point_estimate"]),
        low_ns: num(&median["confidence_interval"]["lower_bound"]),
        high_ns: num(&median["confidence_interval"]["upper_bound"]),
    }))
}

/// A duration in a readable unit.
pub fn human(ns: f64) -> String {
    if !ns.is_finite() {
        "n/a".to_owned()
    } else if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.3} ms", ns / 1e6)
    }
}

/// The govgate benchmark a row is compared with (same group and parameter).
fn reference_function(group: &str) -> &'static str {
    if group.starts_with("B3") {
        "govgate_keyed"
    } else {
        "govgate"
    }
}

/// A target: `numerator / denominator` must be at least (or at most) `bound`.
#[derive(Clone, Debug)]
pub struct Target {
    /// What the target says.
    pub label: &'static str,
    /// Full id of the numerator.
    pub numerator: &'static str,
    /// Full id of the denominator.
    pub denominator: &'static str,
    /// `true`: ratio >= bound; `false`: ratio <= bound.
    pub at_least: bool,
    /// The bound.
    pub bound: f64,
}

/// The targets the benchmark is held to.
pub const TARGETS: &[Target] = &[
    Target {
        label: "B1 cedar / govgate >= 5",
        numerator: "B1_single_rule/cedar",
        denominator: "B1_single_rule/govgate",
        at_least: true,
        bound: 5.0,
    },
    Target {
        label: "B1 regorus / govgate >= 7",
        numerator: "B1_single_rule/regorus",
        denominator: "B1_single_rule/govgate",
        at_least: true,
        bound: 7.0,
    },
    Target {
        label: "B1 govgate / cel <= 1.5",
        numerator: "B1_single_rule/govgate",
        denominator: "B1_single_rule/cel",
        at_least: false,
        bound: 1.5,
    },
    Target {
        label: "B3 50 rules, last matches: cedar / govgate >= 10",
        numerator: "B3_first_match/cedar/50_last",
        denominator: "B3_first_match/govgate_keyed/50_last",
        at_least: true,
        bound: 10.0,
    },
    Target {
        label: "B3 50 rules, last matches: regorus / govgate >= 10",
        numerator: "B3_first_match/regorus/50_last",
        denominator: "B3_first_match/govgate_keyed/50_last",
        at_least: true,
        bound: 10.0,
    },
    Target {
        label: "B3 50 rules, none matches: cedar / govgate >= 10",
        numerator: "B3_first_match/cedar/50_none",
        denominator: "B3_first_match/govgate_keyed/50_none",
        at_least: true,
        bound: 10.0,
    },
    Target {
        label: "B3 50 rules, none matches: regorus / govgate >= 10",
        numerator: "B3_first_match/regorus/50_none",
        denominator: "B3_first_match/govgate_keyed/50_none",
        at_least: true,
        bound: 10.0,
    },
    Target {
        label: "B3 keyed, last matches: 1000 rules / 50 rules <= 2",
        numerator: "B3_first_match/govgate_keyed/1000_last",
        denominator: "B3_first_match/govgate_keyed/50_last",
        at_least: false,
        bound: 2.0,
    },
    Target {
        label: "B3 keyed, none matches: 1000 rules / 50 rules <= 2",
        numerator: "B3_first_match/govgate_keyed/1000_none",
        denominator: "B3_first_match/govgate_keyed/50_none",
        at_least: false,
        bound: 2.0,
    },
    Target {
        label: "B5 cedar / govgate >= 5",
        numerator: "B5_load_50_rules/cedar",
        denominator: "B5_load_50_rules/govgate",
        at_least: true,
        bound: 5.0,
    },
    Target {
        label: "B5 regorus (parse + prepare) / govgate >= 5",
        numerator: "B5_load_50_rules/regorus_parse_prepare",
        denominator: "B5_load_50_rules/govgate",
        at_least: true,
        bound: 5.0,
    },
];

/// Ratios shown for context, with no target (`bound` is ignored).
pub const OTHER_RATIOS: &[Target] = &[
    Target {
        label: "B1 cedar / govgate fingerprinted",
        numerator: "B1_single_rule/cedar",
        denominator: "B1_single_rule/govgate_fingerprint",
        at_least: true,
        bound: 0.0,
    },
    Target {
        label: "B1 regorus / govgate fingerprinted",
        numerator: "B1_single_rule/regorus",
        denominator: "B1_single_rule/govgate_fingerprint",
        at_least: true,
        bound: 0.0,
    },
    Target {
        label: "B1 govgate fingerprinted / cel",
        numerator: "B1_single_rule/govgate_fingerprint",
        denominator: "B1_single_rule/cel",
        at_least: true,
        bound: 0.0,
    },
    Target {
        label: "B3 50 rules, last matches: cedar / govgate unkeyed",
        numerator: "B3_first_match/cedar/50_last",
        denominator: "B3_first_match/govgate_unkeyed/50_last",
        at_least: true,
        bound: 0.0,
    },
    Target {
        label: "B3 50 rules, last matches: regorus / govgate unkeyed",
        numerator: "B3_first_match/regorus/50_last",
        denominator: "B3_first_match/govgate_unkeyed/50_last",
        at_least: true,
        bound: 0.0,
    },
    Target {
        label: "B3 50 rules, last matches: cel scan / govgate unkeyed",
        numerator: "B3_first_match/cel/50_last",
        denominator: "B3_first_match/govgate_unkeyed/50_last",
        at_least: true,
        bound: 0.0,
    },
    Target {
        label: "B3 unkeyed, last matches: 1000 rules / 50 rules",
        numerator: "B3_first_match/govgate_unkeyed/1000_last",
        denominator: "B3_first_match/govgate_unkeyed/50_last",
        at_least: true,
        bound: 0.0,
    },
    Target {
        label: "B3 1000 rules, last matches: cedar / govgate",
        numerator: "B3_first_match/cedar/1000_last",
        denominator: "B3_first_match/govgate_keyed/1000_last",
        at_least: true,
        bound: 0.0,
    },
    Target {
        label: "B3 1000 rules, last matches: regorus / govgate",
        numerator: "B3_first_match/regorus/1000_last",
        denominator: "B3_first_match/govgate_keyed/1000_last",
        at_least: true,
        bound: 0.0,
    },
    Target {
        label: "B4 regorus / govgate (full, with suggestions)",
        numerator: "B4_score/regorus",
        denominator: "B4_score/govgate",
        at_least: true,
        bound: 0.0,
    },
    Target {
        label: "B4 cel / govgate (full, with suggestions)",
        numerator: "B4_score/cel",
        denominator: "B4_score/govgate",
        at_least: true,
        bound: 0.0,
    },
    Target {
        label: "B4 regorus / govgate without suggestions",
        numerator: "B4_score/regorus",
        denominator: "B4_score/govgate_no_suggestions",
        at_least: true,
        bound: 0.0,
    },
    Target {
        label: "B4 cel / govgate without suggestions",
        numerator: "B4_score/cel",
        denominator: "B4_score/govgate_no_suggestions",
        at_least: true,
        bound: 0.0,
    },
    Target {
        label: "B5 regorus (parse only) / govgate",
        numerator: "B5_load_50_rules/regorus_parse",
        denominator: "B5_load_50_rules/govgate",
        at_least: true,
        bound: 0.0,
    },
    Target {
        label: "B5 cel (50 programs) / govgate",
        numerator: "B5_load_50_rules/cel",
        denominator: "B5_load_50_rules/govgate",
        at_least: true,
        bound: 0.0,
    },
    Target {
        label: "B5 govgate JSON / govgate YAML",
        numerator: "B5_load_50_rules/govgate_json",
        denominator: "B5_load_50_rules/govgate",
        at_least: true,
        bound: 0.0,
    },
];

/// The report as text (`markdown`: as Markdown tables).
pub fn render(estimates: &[Estimate], markdown: bool) -> String {
    let by_id: BTreeMap<String, &Estimate> = estimates.iter().map(|e| (e.id(), e)).collect();
    let mut out = String::new();

    let rows: Vec<[String; 5]> = estimates
        .iter()
        .map(|e| {
            let reference = id(&e.group, reference_function(&e.group), e.value.as_deref());
            let ratio = match by_id.get(&reference) {
                Some(r) if r.id() != e.id() => format!("{:.2}x", e.median_ns / r.median_ns),
                Some(_) => "1x (ref)".to_owned(),
                None => "-".to_owned(),
            };
            [
                e.group.clone(),
                match &e.value {
                    Some(v) => format!("{} / {v}", e.function),
                    None => e.function.clone(),
                },
                human(e.median_ns),
                format!("{} .. {}", human(e.low_ns), human(e.high_ns)),
                ratio,
            ]
        })
        .collect();
    table(
        &mut out,
        markdown,
        &[
            "group",
            "benchmark",
            "median",
            "95% CI of median",
            "÷ govgate",
        ],
        &rows,
    );
    out.push('\n');

    let rows: Vec<[String; 5]> = TARGETS
        .iter()
        .map(|t| {
            let (n, d) = (by_id.get(t.numerator), by_id.get(t.denominator));
            match (n, d) {
                (Some(n), Some(d)) => {
                    let ratio = n.median_ns / d.median_ns;
                    let met = if t.at_least {
                        ratio >= t.bound
                    } else {
                        ratio <= t.bound
                    };
                    [
                        t.label.to_owned(),
                        human(n.median_ns),
                        human(d.median_ns),
                        format!("{ratio:.2}"),
                        if met { "met" } else { "MISSED" }.to_owned(),
                    ]
                }
                _ => [
                    t.label.to_owned(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    "not measured".into(),
                ],
            }
        })
        .collect();
    table(
        &mut out,
        markdown,
        &["target", "numerator", "denominator", "ratio", "status"],
        &rows,
    );
    out.push('\n');

    let rows: Vec<[String; 4]> = OTHER_RATIOS
        .iter()
        .filter_map(|t| {
            let (n, d) = (by_id.get(t.numerator)?, by_id.get(t.denominator)?);
            Some([
                t.label.to_owned(),
                human(n.median_ns),
                human(d.median_ns),
                format!("{:.2}", n.median_ns / d.median_ns),
            ])
        })
        .collect();
    table(
        &mut out,
        markdown,
        &[
            "other ratio (no target)",
            "numerator",
            "denominator",
            "ratio",
        ],
        &rows,
    );
    out
}

fn table<const N: usize>(
    out: &mut String,
    markdown: bool,
    header: &[&str; N],
    rows: &[[String; N]],
) {
    if markdown {
        let _ = writeln!(out, "| {} |", header.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(N));
        for row in rows {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        return;
    }
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        cells
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let _ = writeln!(out, "{}", line(&mut header.iter().copied()));
    let _ = writeln!(out, "{}", widths.map(|w| "-".repeat(w)).join("  "));
    for row in rows {
        let _ = writeln!(out, "{}", line(&mut row.iter().map(String::as_str)));
    }
}
