//! Policies: the authoring document and its compiled, immutable form.
//!
//! [`CompiledPolicy::compile_str`] turns a YAML/JSON/TOML document into a [`CompiledPolicy`];
//! [`CompiledPolicy::evaluate`] decides on an [`Action`] given an [`EvalContext`].

mod artifact;
mod compile;
pub mod document;
mod eval;
mod load;
mod suggest;
mod template;
pub mod testing;
mod waivers;

pub use compile::{CompileIssue, CompiledPolicy, ENVELOPE_FIELDS};
pub use eval::{Action, EvalContext};
pub use load::load_test_suite;
