//! Side-by-side benchmarks of govgate's engine against cedar-policy, regorus (OPA/Rego) and cel.
//!
//! Every workload is defined once, as a neutral JSON input generator plus one policy text per
//! engine (see [`workloads`]). Each engine adapter in [`engines`] turns the policy text into the
//! engine's prepared form and the JSON input into the engine's own input type ONCE, outside the
//! timed loop; the timed call is the engine's public evaluation API on that prepared input.
//! [`agree`] checks, before anything is measured, that every engine decides the same on a
//! sample of generated inputs; a mismatch aborts the run.
//!
//! [`report`] reads criterion's estimates and prints medians, ratios and the targets.

// A benchmark harness: a setup failure or a disagreement between engines must abort the run
// loudly, so panicking on them is the intended behaviour here (not in library code).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod agree;
pub mod engines;
pub mod report;
pub mod rng;
pub mod workloads;
