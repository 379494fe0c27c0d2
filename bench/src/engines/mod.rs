//! One adapter per engine. Each splits its work the same way:
//!
//! - `new(policy text)` parses and compiles the policy: prepared ONCE, outside the timed loop;
//! - `input(&Json)` converts the neutral JSON input into the engine's own input type: prepared
//!   ONCE per input, outside the timed loop;
//! - `eval(&prepared input)` is the timed call: the engine's public evaluation API, returning
//!   the engine's own result type (criterion keeps it from being optimised away);
//! - `decide*` maps that result to the workload's outcome, for the agreement check only.

pub mod cedar;
pub mod cel;
pub mod govgate;
pub mod rego;
