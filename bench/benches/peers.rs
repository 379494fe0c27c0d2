//! govgate vs cedar-policy vs regorus vs cel. Run with `cargo xtask bench` (which is
//! `cargo bench -p govgate-bench`); the run ends by printing the `bench-report` table.
//!
//! Every engine is called through its public API on the same prepared input; see
//! `govgate_bench::engines` for exactly what is prepared once and what each timed call does.
//! Before anything is measured every engine decides the same generated inputs and must agree;
//! a disagreement aborts the run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use govgate_bench::agree;
use govgate_bench::engines::cedar::{self, CedarEngine};
use govgate_bench::engines::cel;
use govgate_bench::engines::govgate;
use govgate_bench::engines::rego::{self, RegoEngine};
use govgate_bench::workloads::{self as w, B3Case};

/// `GOVGATE_BENCH_PEERS_ONLY=1` measures the peers alone (while govgate's engine is unusable).
fn with_govgate() -> bool {
    std::env::var_os("GOVGATE_BENCH_PEERS_ONLY").is_none()
}

fn b1(c: &mut Criterion) {
    let mut g = c.benchmark_group("B1_single_rule");
    let input = w::b1_timed_input();

    if with_govgate() {
        let plain = govgate::from_source(&w::b1_govgate());
        let action = plain.input(&input);
        g.bench_function("govgate", |b| b.iter(|| plain.eval(black_box(&action))));
        let fingerprinted = govgate::from_source(&w::b1_govgate()).fingerprinted();
        g.bench_function("govgate_fingerprint", |b| {
            b.iter(|| fingerprinted.eval(black_box(&action)))
        });
    }

    let cedar = CedarEngine::new(w::B1_CEDAR);
    let request = cedar.input(&input);
    g.bench_function("cedar", |b| b.iter(|| cedar.eval(black_box(&request))));

    let mut rego = RegoEngine::new(w::B1_REGO, w::B1_REGO_RULE, &input);
    let value = rego.input(&input);
    g.bench_function("regorus", |b| b.iter(|| rego.eval(black_box(&value))));

    let cel_input = cel::input(&input);
    let cel_value = cel::input_value(&input);
    let root = cel::root_context();
    let program = cel::compile(w::B1_CONDITION);
    g.bench_function("cel", |b| {
        b.iter(|| cel::eval(&root, &program, black_box(&cel_input)))
    });
    g.bench_function("cel_bind_value", |b| {
        b.iter(|| cel::eval_bind_value(&root, &program, black_box(&cel_value)))
    });
    g.finish();
}

fn b3(c: &mut Criterion) {
    let mut g = c.benchmark_group("B3_first_match");
    for n in w::B3_SIZES {
        g.sample_size(if n >= 1000 { 20 } else { 50 });
        let cedar = CedarEngine::new(&w::b3_cedar(n));
        let mut rego = RegoEngine::new(
            &w::b3_rego(n),
            w::B3_REGO_RULE,
            &w::b3_timed_input(n, B3Case::Last),
        );
        let root = cel::root_context();
        let programs: Vec<_> = (0..n).map(|i| cel::compile(&w::b3_condition(i))).collect();
        let govgate = with_govgate().then(|| {
            (
                govgate::from_source(&w::b3_govgate(n, true)),
                govgate::from_source(&w::b3_govgate(n, false)),
            )
        });
        for case in B3Case::ALL {
            let param = format!("{n}_{}", case.name());
            let input = w::b3_timed_input(n, case);

            if let Some((keyed, unkeyed)) = &govgate {
                let action = keyed.input(&input);
                g.bench_with_input(
                    BenchmarkId::new("govgate_keyed", &param),
                    &action,
                    |b, a| b.iter(|| keyed.eval(black_box(a))),
                );
                g.bench_with_input(
                    BenchmarkId::new("govgate_unkeyed", &param),
                    &action,
                    |b, a| b.iter(|| unkeyed.eval(black_box(a))),
                );
            }

            let request = cedar.input(&input);
            g.bench_with_input(BenchmarkId::new("cedar", &param), &request, |b, r| {
                b.iter(|| cedar.eval(black_box(r)))
            });
            let value = rego.input(&input);
            g.bench_with_input(BenchmarkId::new("regorus", &param), &value, |b, v| {
                b.iter(|| rego.eval(black_box(v)))
            });
            let cel_input = cel::input(&input);
            g.bench_with_input(BenchmarkId::new("cel", &param), &cel_input, |b, i| {
                b.iter(|| cel::first_match(&root, &programs, black_box(i)))
            });
        }
    }
    g.finish();
}

fn b4(c: &mut Criterion) {
    let mut g = c.benchmark_group("B4_score");
    let input = w::b4_timed_input();

    if with_govgate() {
        let full = govgate::from_source(&w::b4_govgate());
        let action = full.input(&input);
        g.bench_function("govgate", |b| b.iter(|| full.eval(black_box(&action))));
        let lean = govgate::from_source(&w::b4_govgate()).without_suggestions();
        g.bench_function("govgate_no_suggestions", |b| {
            b.iter(|| lean.eval(black_box(&action)))
        });
    }

    let mut rego = RegoEngine::new(&w::b4_rego(), w::B4_REGO_RULE, &input);
    let value = rego.input(&input);
    g.bench_function("regorus", |b| b.iter(|| rego.eval(black_box(&value))));

    let root = cel::root_context();
    let program = cel::compile(&w::b4_cel_expression());
    let cel_input = cel::input(&input);
    g.bench_function("cel", |b| {
        b.iter(|| cel::decide_b4(&root, &program, black_box(&cel_input)))
    });
    g.finish();
}

fn b5(c: &mut Criterion) {
    let mut g = c.benchmark_group("B5_load_50_rules");
    let n = w::B5_RULES;

    if with_govgate() {
        let source = w::b3_govgate(n, true);
        let format = govgate::format();
        let (file, text) = source.file(format);
        g.bench_function("govgate", |b| {
            b.iter(|| govgate::load(&file, black_box(&text)))
        });
        if format != "json" {
            let (file, text) = source.file("json");
            g.bench_function("govgate_json", |b| {
                b.iter(|| govgate::load(&file, black_box(&text)))
            });
        }
    }

    let cedar_text = w::b3_cedar(n);
    g.bench_function("cedar", |b| b.iter(|| cedar::load(black_box(&cedar_text))));

    let rego_text = w::b3_rego(n);
    let input = RegoEngine::new(
        &rego_text,
        w::B3_REGO_RULE,
        &w::b3_timed_input(n, B3Case::Last),
    )
    .input(&w::b3_timed_input(n, B3Case::Last));
    g.bench_function("regorus_parse", |b| {
        b.iter(|| rego::load_parse_only(black_box(&rego_text)))
    });
    g.bench_function("regorus_parse_prepare", |b| {
        b.iter(|| rego::load_and_prepare(black_box(&rego_text), w::B3_REGO_RULE, &input))
    });

    let sources: Vec<String> = (0..n).map(w::b3_condition).collect();
    g.bench_function("cel", |b| {
        b.iter(|| {
            sources
                .iter()
                .map(|s| cel::compile(black_box(s)))
                .collect::<Vec<_>>()
        })
    });
    g.finish();
}

/// The reference policies (examples/policies), each on one representative input from its
/// tests: govgate only (no peer expresses these policies).
fn reference(c: &mut Criterion) {
    if !with_govgate() {
        return;
    }
    let cases = govgate::reference_cases(&govgate::reference_dir());
    if cases.is_empty() {
        eprintln!(
            "no reference policies under {}",
            govgate::reference_dir().display()
        );
        return;
    }
    let mut g = c.benchmark_group("R_reference_policies");
    for case in &cases {
        eprintln!("reference policy {}: case `{}`", case.name, case.case);
        g.bench_function(case.name.as_str(), |b| {
            b.iter(|| case.engine.eval(black_box(&case.action)))
        });
    }
    g.finish();
}

/// The machine's load average (Linux), printed at the start and the end of a run: the numbers
/// are only comparable between runs on an equally quiet machine.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn main() {
    eprintln!("load average (1, 5, 15 min) at start: {}", load_average());
    // Agreement first: a disagreement panics here, before anything is measured.
    if with_govgate() {
        eprintln!("govgate policies are loaded from {}", govgate::format());
    } else {
        eprintln!("GOVGATE_BENCH_PEERS_ONLY is set: measuring the peers alone");
    }
    agree::all(with_govgate());

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
        .configure_from_args();
    b1(&mut c);
    b3(&mut c);
    b4(&mut c);
    b5(&mut c);
    reference(&mut c);
    c.final_summary();
    eprintln!("load average (1, 5, 15 min) at end: {}", load_average());

    // The summary step: medians, ratios and targets from every estimate criterion has stored.
    // The report binary is the one cargo built for this benchmark run (same profile, same
    // features), so nothing is compiled again. GOVGATE_BENCH_MARKDOWN=1 prints Markdown.
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let mut report = std::process::Command::new(env!("CARGO_BIN_EXE_bench-report"));
    if std::env::var_os("GOVGATE_BENCH_MARKDOWN").is_some() {
        report.arg("--markdown");
    }
    println!();
    match report.status() {
        Ok(status) if status.success() => {}
        other => eprintln!("bench-report failed: {other:?}"),
    }
}
