//! Agreement checks: before anything is measured, every engine decides a sample of generated
//! inputs and must agree with the workload's reference semantics (and so with every other
//! engine). A mismatch panics, which aborts the benchmark run.

use std::fmt::Debug;

use serde_json::Value as Json;

use crate::engines::{cedar::CedarEngine, cel, govgate, rego::RegoEngine};
use crate::workloads::{self as w, B3Case, B4Outcome};

/// How many generated inputs each workload's check decides.
pub const SAMPLE: usize = 1000;

/// One engine's decision procedure for a workload: converts the input and decides.
pub type Decider<'a, T> = Box<dyn FnMut(&Json) -> T + 'a>;

/// Checks every engine against `expected` on every input; panics on the first mismatch.
pub fn check<T: PartialEq + Debug>(
    workload: &str,
    inputs: &[Json],
    expected: impl Fn(&Json) -> T,
    engines: &mut [(&str, Decider<'_, T>)],
) {
    for input in inputs {
        let want = expected(input);
        for (name, decide) in engines.iter_mut() {
            let got = decide(input);
            assert!(
                got == want,
                "{workload}: {name} disagrees on {input}: got {got:?}, expected {want:?}"
            );
        }
    }
    let names: Vec<&str> = engines.iter().map(|(n, _)| *n).collect();
    eprintln!(
        "agreement {workload}: {} inputs, engines {names:?} all agree",
        inputs.len()
    );
}

/// B1 for the peers (govgate's decider is added by the caller).
pub fn b1_peers<'a>() -> Vec<(&'static str, Decider<'a, bool>)> {
    let cedar = CedarEngine::new(w::B1_CEDAR);
    let mut rego = RegoEngine::new(w::B1_REGO, w::B1_REGO_RULE, &w::b1_timed_input());
    let root = cel::root_context();
    let program = cel::compile(w::B1_CONDITION);
    vec![
        (
            "cedar",
            Box::new(move |j: &Json| cedar.decide_b1(&cedar.input(j))),
        ),
        (
            "regorus",
            Box::new(move |j: &Json| {
                let v = rego.input(j);
                rego.decide_b1(&v)
            }),
        ),
        (
            "cel",
            Box::new(move |j: &Json| cel::decide_b1(&root, &program, &cel::input(j))),
        ),
    ]
}

/// B3 with `n` rules for the peers.
pub fn b3_peers<'a>(n: usize) -> Vec<(&'static str, Decider<'a, Option<usize>>)> {
    let cedar = CedarEngine::new(&w::b3_cedar(n));
    let mut rego = RegoEngine::new(
        &w::b3_rego(n),
        w::B3_REGO_RULE,
        &w::b3_timed_input(n, B3Case::Last),
    );
    let root = cel::root_context();
    let programs: Vec<_> = (0..n).map(|i| cel::compile(&w::b3_condition(i))).collect();
    vec![
        (
            "cedar",
            Box::new(move |j: &Json| cedar.decide_b3(&cedar.input(j))),
        ),
        (
            "regorus",
            Box::new(move |j: &Json| {
                let v = rego.input(j);
                rego.decide_b3(&v)
            }),
        ),
        (
            "cel",
            Box::new(move |j: &Json| cel::first_match(&root, &programs, &cel::input(j))),
        ),
    ]
}

/// B4 for the peers.
pub fn b4_peers<'a>() -> Vec<(&'static str, Decider<'a, B4Outcome>)> {
    let mut rego = RegoEngine::new(&w::b4_rego(), w::B4_REGO_RULE, &w::b4_timed_input());
    let root = cel::root_context();
    let program = cel::compile(&w::b4_cel_expression());
    vec![
        (
            "regorus",
            Box::new(move |j: &Json| {
                let v = rego.input(j);
                rego.decide_b4(&v)
            }),
        ),
        (
            "cel",
            Box::new(move |j: &Json| cel::decide_b4(&root, &program, &cel::input(j))),
        ),
    ]
}

/// B1 for govgate: the plain and the fingerprinted evaluation.
pub fn b1_govgate<'a>() -> Vec<(&'static str, Decider<'a, bool>)> {
    let plain = govgate::from_source(&w::b1_govgate());
    let fingerprinted = govgate::from_source(&w::b1_govgate()).fingerprinted();
    vec![
        (
            "govgate",
            Box::new(move |j: &Json| plain.decide_b1(&plain.input(j))),
        ),
        (
            "govgate_fingerprint",
            Box::new(move |j: &Json| fingerprinted.decide_b1(&fingerprinted.input(j))),
        ),
    ]
}

/// B3 with `n` rules for govgate, keyed by `on` and unkeyed.
pub fn b3_govgate<'a>(n: usize) -> Vec<(&'static str, Decider<'a, Option<usize>>)> {
    let keyed = govgate::from_source(&w::b3_govgate(n, true));
    let unkeyed = govgate::from_source(&w::b3_govgate(n, false));
    vec![
        (
            "govgate_keyed",
            Box::new(move |j: &Json| keyed.decide_b3(&keyed.input(j))),
        ),
        (
            "govgate_unkeyed",
            Box::new(move |j: &Json| unkeyed.decide_b3(&unkeyed.input(j))),
        ),
    ]
}

/// B4 for govgate, with and without suggestions.
pub fn b4_govgate<'a>() -> Vec<(&'static str, Decider<'a, B4Outcome>)> {
    let full = govgate::from_source(&w::b4_govgate());
    let lean = govgate::from_source(&w::b4_govgate()).without_suggestions();
    vec![
        (
            "govgate",
            Box::new(move |j: &Json| full.decide_b4(&full.input(j))),
        ),
        (
            "govgate_no_suggestions",
            Box::new(move |j: &Json| lean.decide_b4(&lean.input(j))),
        ),
    ]
}

/// govgate's YAML and JSON forms of each workload policy must be the same policy: the policy
/// digest (SHA-256 of the normalized document's canonical JSON) must match.
pub fn govgate_formats() {
    let mut sources = vec![w::b1_govgate(), w::b4_govgate()];
    for n in w::B3_SIZES {
        sources.push(w::b3_govgate(n, true));
        sources.push(w::b3_govgate(n, false));
    }
    for source in &sources {
        let digests: Vec<_> = ["yaml", "json"]
            .iter()
            .map(|format| {
                let (file, text) = source.file(format);
                govgate::GovgateEngine::new(&file, &text)
                    .policy()
                    .digest()
                    .to_owned()
            })
            .collect();
        assert_eq!(
            digests[0], digests[1],
            "{}: the YAML and JSON policies differ",
            source.name
        );
    }
    eprintln!(
        "agreement govgate: YAML and JSON forms of {} policies have equal digests",
        sources.len()
    );
}

/// Runs every check; govgate's side too unless `with_govgate` is false.
pub fn all(with_govgate: bool) {
    if with_govgate {
        govgate_formats();
    }
    let mut engines = b1_peers();
    if with_govgate {
        engines.extend(b1_govgate());
    }
    check("B1", &w::b1_sample(SAMPLE, 1), w::b1_expected, &mut engines);
    for n in w::B3_SIZES {
        let mut engines = b3_peers(n);
        if with_govgate {
            engines.extend(b3_govgate(n));
        }
        let mut inputs = w::b3_sample(n, SAMPLE, 3);
        inputs.extend(B3Case::ALL.map(|c| w::b3_timed_input(n, c)));
        check(
            &format!("B3/{n}"),
            &inputs,
            |j| w::b3_expected(n, j),
            &mut engines,
        );
    }
    let mut engines = b4_peers();
    if with_govgate {
        engines.extend(b4_govgate());
    }
    let mut inputs = w::b4_sample(SAMPLE, 4);
    inputs.push(w::b4_timed_input());
    check("B4", &inputs, w::b4_expected, &mut engines);
}
