//! govgate-core: the pure engine behind govgate.
//!
//! No I/O, no clock (time is an input), no panics; deterministic on every target.
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod value;

pub use value::{Map, Str, Value};
pub mod diagnostic;
pub mod expr;
pub mod source;

pub use diagnostic::{Diagnostic, Diagnostics, Location};
