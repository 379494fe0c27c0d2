//! govgate's scorer for JavaScript: the npm package `govgate`.
//!
//! ```js
//! import { Policy } from "govgate";
//! const policy = Policy.fromYaml(source);          // compile once
//! const decision = policy.evaluate(action);        // decide many times, in microseconds
//! if (decision.outcome === "block") refuse(decision.reasons);
//! ```
//!
//! Inputs cross the boundary as JSON text: the JavaScript side stringifies them with
//! `JSON.stringify` (so circular objects, BigInts and the like fail there, with V8's message)
//! and govgate-core's serde types read the text. Decisions and batch results come back as a
//! tape (`src/tape.rs`, read by `src/tape.js`): exactly the objects `JSON.parse` of the JSON text
//! the CLI and the server write would give, without writing and parsing that text;
//! `evaluateJson` returns the text itself. TypeScript types come
//! from [`wire`] through tsify.
//!
//! **API Boundary:** every exported function returns `Result<_, Error>`; an error becomes a
//! JavaScript `Error` named `GovgateError`. Nothing here panics: a trap would leave a
//! `Policy` borrowed forever, and after an error the same `Policy` must keep working.
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

pub mod api;
mod engine;
pub mod error;
#[cfg(any(target_arch = "wasm32", test))]
mod tape;
/// The TypeScript declarations of every shape crossing the boundary (from the shared
/// `govgate-wire` crate).
pub use govgate_wire::ts as wire;

pub use error::{Error, ErrorKind};

#[cfg(target_arch = "wasm32")]
mod js;
#[cfg(target_arch = "wasm32")]
pub use js::*;
