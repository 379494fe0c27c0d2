//! The condition language: a documented subset of CEL plus a few declared extensions.
//!
//! CONTRACT (the policy compiler codes against exactly this API):
//! - [`compile`] turns source text into an immutable [`Program`], checking every name it reads
//!   against a [`Scope`] and bounding its size and nesting by [`Limits`].
//! - [`Program::eval`] runs it against root values given in the scope's order.
//!
//! This file is a placeholder until the real lexer/parser/evaluator lands.

use std::ops::Range;

use crate::value::{Str, Value};

/// A root variable a program may read (`input`, `params`, a loop variable).
#[derive(Clone, Debug)]
pub struct RootDecl {
    /// The variable's name.
    pub name: Str,
    /// The top-level fields the variable is known to have; `None` means any field may be read.
    /// Reading a field not in the list is a compile error that suggests the closest name.
    pub fields: Option<Vec<Str>>,
}

/// The variables a program may read, in the order their values are passed to `eval`.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// The roots, in evaluation order.
    pub roots: Vec<RootDecl>,
}

/// Bounds that keep a hostile policy from exhausting the stack or the clock.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Longest accepted source text, in bytes.
    pub max_source_len: usize,
    /// Deepest accepted nesting of the syntax tree.
    pub max_depth: usize,
    /// Most syntax-tree nodes accepted.
    pub max_nodes: usize,
    /// Most evaluation steps (comprehension iterations count) one `eval` may take.
    pub max_steps: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_source_len: 16 * 1024, max_depth: 48, max_nodes: 4096, max_steps: 1_000_000 }
    }
}

/// Why a source text did not compile.
#[derive(Clone, Debug, PartialEq)]
pub struct CompileError {
    /// What is wrong (lowercase, no trailing period).
    pub message: String,
    /// Byte range in the source text the error points at.
    pub span: Range<usize>,
    /// A suggestion, such as the closest declared name.
    pub help: Option<String>,
}

/// What went wrong while evaluating.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvalErrorKind {
    /// A field or map key that is not there (`input.spec.fairness` on a manifest without it).
    Missing,
    /// An operator or function applied to values of the wrong type.
    TypeMismatch,
    /// Integer division or modulo by zero.
    DivisionByZero,
    /// Integer overflow.
    Overflow,
    /// A list index outside the list.
    IndexOutOfRange,
    /// A regular expression that does not compile.
    InvalidRegex,
    /// The step budget ran out.
    LimitExceeded,
}

/// An evaluation error with the source range it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    /// The class of error.
    pub kind: EvalErrorKind,
    /// A readable message (for `Missing`: `no such field \`input.spec.fairness\``).
    pub message: String,
    /// For `Missing`, the dotted path that was not there (`input.spec.fairness`).
    pub missing_path: Option<String>,
    /// Byte range in the source text.
    pub span: Range<usize>,
}

/// A compiled expression: immutable, cheap to clone, safe to share between threads.
#[derive(Clone, Debug)]
pub struct Program {
    source: Str,
}

/// Compiles `source` against `scope` within `limits`.
pub fn compile(source: &str, _scope: &Scope, _limits: &Limits) -> Result<Program, CompileError> {
    Err(CompileError {
        message: "the condition language is not built yet".into(),
        span: 0..source.len(),
        help: None,
    })
}

impl Program {
    /// Evaluates with one value per scope root, in scope order.
    pub fn eval(&self, _roots: &[&Value]) -> Result<Value, EvalError> {
        Err(EvalError {
            kind: EvalErrorKind::TypeMismatch,
            message: "not built".into(),
            missing_path: None,
            span: 0..0,
        })
    }

    /// Evaluates to a bool (TypeMismatch otherwise).
    pub fn eval_bool(&self, roots: &[&Value]) -> Result<bool, EvalError> {
        self.eval(roots).map(|v| v == Value::Bool(true))
    }

    /// The source text the program was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// If the whole program is a plain field path on a root (`input.args.mode`), the root's
    /// index and the field names; used to patch an input when applying a suggestion.
    pub fn as_field_path(&self) -> Option<(usize, Vec<Str>)> {
        None
    }

    /// Every static field path the program reads, as (root index, field names) pairs.
    pub fn reads(&self) -> Vec<(usize, Vec<Str>)> {
        Vec::new()
    }
}
