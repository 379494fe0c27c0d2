//! govgate-core: the pure engine behind govgate.
//!
//! No I/O, no clock (time is an input), no panics; deterministic on every target.
//!
//! ```
//! use govgate_core::{Action, CompiledPolicy, EvalContext, Outcome};
//! let policy = CompiledPolicy::compile_str("p.json", r#"{
//!   "govgate": 1, "name": "demo", "subject": "manifest",
//!   "rules": [{"id": "live", "when": "input.mode == 'live'", "verdict": "block"}],
//!   "default_verdict": {"verdict": "auto"}
//! }"#).unwrap();
//! let action = Action::new(serde_json::from_str(r#"{"mode": "live"}"#).unwrap());
//! let now = chrono::DateTime::from_timestamp(0, 0).unwrap();
//! assert_eq!(policy.evaluate(&action, &EvalContext::new(now)).outcome, Outcome::Block);
//! ```
#![deny(missing_docs)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod artifact;
pub mod decision;
pub mod diagnostic;
pub mod expr;
pub mod identity;
pub mod json_text;
pub mod policy;
pub(crate) mod sorting;
pub mod source;
pub mod value;

pub use decision::Decision;
pub use diagnostic::{Diagnostic, Diagnostics, Location};
pub use policy::document::{Mode, Outcome, PolicyDocument};
pub use policy::{Action, CompiledPolicy, EvalContext};
pub use value::{Map, Str, Value};
