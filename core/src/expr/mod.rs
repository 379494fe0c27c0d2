//! The condition language: a documented subset of CEL plus a few declared extensions.
//!
//! CONTRACT (the policy compiler codes against exactly this API):
//! - [`compile`] turns source text into an immutable [`Program`], checking every name it reads
//!   against a [`Scope`] and bounding its size and nesting by [`Limits`].
//! - [`Program::eval`] runs it against root values given in the scope's order.
//!
//! The pipeline is a hand-written lexer (`lexer`), a recursive-descent parser with CEL's
//! precedence that bounds its own nesting (`parser`), a checker that resolves names, expands
//! macros and folds constants (`check`), and an evaluator that borrows from the inputs instead
//! of copying them (`eval`, `funcs`). The language itself is described in
//! `docs/condition-language.md`. A policy compiles its expressions in one `Session`, which
//! reuses the lexer's and parser's buffers and keeps one copy of each repeated string.
//!
//! ```
//! use govgate_core::expr::{compile, Limits, RootDecl, Scope};
//! use govgate_core::Value;
//!
//! let scope = Scope { roots: vec![RootDecl { name: "input".into(), fields: None }] };
//! let program = compile(r#"input.mode == "live" && input.scope_count > 10"#, &scope, &Limits::default())
//!     .unwrap();
//! let input = Value::map([("mode", Value::from("live")), ("scope_count", Value::Int(12))]);
//! assert_eq!(program.eval_bool(&[&input]), Ok(true));
//! ```

use std::cell::Cell;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;
use std::sync::Arc;

use crate::value::{Str, Value};

mod artifact;
mod check;
mod eval;
mod fast;
mod funcs;
mod lexer;
mod parser;

#[cfg(test)]
mod tests;

pub(crate) use artifact::{read_program, write_program};

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
        Limits {
            max_source_len: 16 * 1024,
            max_depth: 48,
            max_nodes: 4096,
            max_steps: 1_000_000,
        }
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
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    expr: eval::Expr,
    /// Shared by the programs a [`Session`] compiles in the same scope.
    root_names: Arc<[Str]>,
    max_steps: u64,
}

/// Nesting deeper than this is refused whatever [`Limits::max_depth`] says: evaluation recurses
/// once per level, and this keeps it well inside the smallest thread stack in use.
pub const MAX_DEPTH_CEILING: usize = 128;

/// A byte range in the source, kept small inside the compiled tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Span {
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    pub(crate) fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub(crate) fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Compiles `source` against `scope` within `limits`.
///
/// Fails on a syntax error, a name that is neither a scope root nor a loop variable, a field
/// not among a root's declared `fields`, an unknown function or method, a call with the wrong
/// number of arguments, an invalid literal regular expression, or a source beyond `limits`.
pub fn compile(source: &str, scope: &Scope, limits: &Limits) -> Result<Program, CompileError> {
    Session::single().compile(source, scope, limits)
}

const MIX: u64 = 0x9e37_79b9_7f4a_7c15;

/// A fast unkeyed hash for the names and short texts of one policy, used only while it
/// compiles (the texts are the policy author's own, and a collision only costs a probe).
#[derive(Clone, Copy, Default)]
pub(crate) struct NameHasher(u64);

impl NameHasher {
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(23) ^ word).wrapping_mul(MIX);
    }
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.mix(bytes.len() as u64);
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.mix(<[u8; 8]>::try_from(word).map_or(0, u64::from_le_bytes));
        }
        // The tail byte by byte: copying it into a zeroed word and loading that stalls the load.
        let mut tail = 0u64;
        for (i, b) in words.remainder().iter().enumerate() {
            tail |= u64::from(*b) << (8 * i);
        }
        self.mix(tail);
    }

    fn write_u8(&mut self, b: u8) {
        self.mix(u64::from(b));
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }

    fn finish(&self) -> u64 {
        // A multiply carries each bit only upwards; folding the high half of a widening
        // multiply back in spreads it over the low bits a table is indexed by.
        let wide = u128::from(self.0) * u128::from(MIX);
        (wide as u64) ^ ((wide >> 64) as u64)
    }
}

/// Builds [`NameHasher`]s, for hash sets and maps of names.
pub(crate) type NameBuild = BuildHasherDefault<NameHasher>;

fn text_hash(text: &str) -> u64 {
    let mut hasher = NameHasher::default();
    hasher.write(text.as_bytes());
    hasher.finish()
}

/// Byte equality in line: the texts are short, and a call to `memcmp` costs more than them.
fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// One copy of each distinct text handed out: the field names, constants and verdicts a
/// policy repeats then share one allocation. An open-addressing table keyed by [`NameHasher`].
#[derive(Default)]
pub(crate) struct Interner {
    /// Each text's hash and shared copy; a power-of-two length, at most three quarters full.
    slots: Vec<(u64, Option<Str>)>,
    len: usize,
}

impl Interner {
    /// A table with room for `texts` distinct texts before it grows.
    pub(crate) fn with_room(texts: usize) -> Interner {
        let size = (texts.saturating_mul(4) / 3 + 1)
            .next_power_of_two()
            .max(16);
        Interner {
            slots: vec![(0, None); size],
            len: 0,
        }
    }

    /// `text` as a shared string: the copy an earlier call made, if there was one.
    #[inline]
    pub(crate) fn share(&mut self, text: &str) -> Str {
        let hash = text_hash(text);
        // An empty table has no slot at any index: the first text goes to `insert`.
        let mask = self.slots.len().wrapping_sub(1);
        let mut at = hash as usize & mask;
        // The table is never full, so the probe ends at a free slot if not at the text.
        while let Some((kept_hash, Some(kept))) = self.slots.get(at) {
            if *kept_hash == hash && same_text(kept, text) {
                return Str::clone(kept);
            }
            at = (at + 1) & mask;
        }
        self.insert(text, hash)
    }

    /// A new copy of `text`, kept for the next call (a text not in the table).
    #[cold]
    #[inline(never)]
    fn insert(&mut self, text: &str, hash: u64) -> Str {
        if self.len * 4 >= self.slots.len() * 3 {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        loop {
            match self.slots.get_mut(at) {
                Some((_, Some(_))) => {}
                Some(free) => {
                    let kept = Str::from(text);
                    *free = (hash, Some(Str::clone(&kept)));
                    self.len += 1;
                    return kept;
                }
                None => return Str::from(text),
            }
            at = (at + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, vec![(0, None); size]);
        let mask = size - 1;
        for (hash, kept) in old {
            let Some(kept) = kept else { continue };
            let mut at = hash as usize & mask;
            while let Some((_, Some(_))) = self.slots.get(at) {
                at = (at + 1) & mask;
            }
            if let Some(free) = self.slots.get_mut(at) {
                *free = (hash, Some(kept));
            }
        }
    }
}

/// What the expressions of one policy share while they compile: the lexer's and parser's
/// vectors (emptied and reused), one copy of each field name, string constant and other
/// repeated text ([`Session::share`]), and the list of root names of the last scope used.
pub(crate) struct Session {
    tokens: Vec<lexer::Token<'static>>,
    spare: parser::Spare<'static>,
    /// `None` when strings are not shared (a single compile gains nothing from it).
    strings: Option<Interner>,
    root_names: Option<Arc<[Str]>>,
}

impl Session {
    /// A session for the expressions of one policy, which has about `texts` distinct field
    /// names, string constants and other texts to share (more only cost the table a resize).
    pub(crate) fn new(texts: usize) -> Session {
        Session {
            strings: Some(Interner::with_room(texts)),
            ..Session::single()
        }
    }

    /// A session for one expression: nothing kept is reused, so nothing is kept.
    fn single() -> Session {
        Session {
            tokens: Vec::new(),
            spare: parser::Spare::default(),
            strings: None,
            root_names: None,
        }
    }

    /// `text` as a shared string: the copy an earlier call made, if there was one.
    #[inline]
    pub(crate) fn share(&mut self, text: &str) -> Str {
        match &mut self.strings {
            Some(strings) => strings.share(text),
            None => Str::from(text),
        }
    }

    /// The root names of `scope`: the list the previous program got when its scope had the
    /// same names.
    fn root_names(&mut self, scope: &Scope) -> Arc<[Str]> {
        if let Some(names) = &self.root_names
            && names.len() == scope.roots.len()
            // A policy's scopes share their names, so comparing pointers usually settles it.
            && names
                .iter()
                .zip(&scope.roots)
                .all(|(n, r)| Arc::ptr_eq(n, &r.name) || n == &r.name)
        {
            return Arc::clone(names);
        }
        let names: Arc<[Str]> = scope.roots.iter().map(|r| r.name.clone()).collect();
        self.root_names = Some(Arc::clone(&names));
        names
    }

    /// [`compile`], reusing what earlier compiles in this session left.
    pub(crate) fn compile(
        &mut self,
        source: &str,
        scope: &Scope,
        limits: &Limits,
    ) -> Result<Program, CompileError> {
        self.compile_with(source, None, scope, limits, true)
    }

    /// [`Session::compile`] of a text the program may keep as its own `source` (a shared
    /// pointer when the text is longer than an inline one) instead of a copy.
    pub(crate) fn compile_text(
        &mut self,
        source: &crate::policy::document::Text,
        scope: &Scope,
        limits: &Limits,
    ) -> Result<Program, CompileError> {
        let kept = source
            .is_heap_allocated()
            .then(|| Str::from(source.clone()));
        self.compile_with(source, kept, scope, limits, true)
    }

    /// [`Session::compile`]; `fast` lets the commonest shape of condition skip the syntax tree
    /// (`fast.rs`; tests turn it off to compare).
    fn compile_with(
        &mut self,
        source: &str,
        kept: Option<Str>,
        scope: &Scope,
        limits: &Limits,
        fast: bool,
    ) -> Result<Program, CompileError> {
        let max_len = limits.max_source_len.min(u32::MAX as usize);
        if source.len() > max_len {
            return Err(CompileError {
                message: format!(
                    "expression is too long ({} bytes, the limit is {})",
                    source.len(),
                    limits.max_source_len
                ),
                span: 0..source.len(),
                help: Some("split the condition into smaller ones".into()),
            });
        }
        let lexed = lexer::lex(source, parser::recycle(std::mem::take(&mut self.tokens)))?;
        let max_depth = limits.max_depth.min(MAX_DEPTH_CEILING) as u32;
        if fast
            && let Some(expr) = fast::lower(
                &lexed.tokens,
                &lexed.strings,
                scope,
                self,
                (max_depth as usize).min(limits.max_nodes),
            )
        {
            self.tokens = parser::recycle(lexed.tokens);
            return Ok(self.program(source, kept, expr, scope, limits));
        }
        let spare = std::mem::take(&mut self.spare);
        let parsed = parser::parse(
            &lexed.tokens,
            lexed.strings,
            parser::Spare {
                nodes: parser::recycle(spare.nodes),
                lists: parser::recycle(spare.lists),
            },
            max_depth,
            limits.max_nodes,
        );
        self.tokens = parser::recycle(lexed.tokens);
        let (tree, root) = parsed?;
        let mut checker = check::Checker {
            scope,
            src: source,
            tree: &tree,
            locals: Vec::new(),
            session: self,
        };
        let expr = checker.lower(root).map_err(|e| *e);
        self.spare = tree.into_spare();
        Ok(self.program(source, kept, expr?, scope, limits))
    }

    fn program(
        &mut self,
        source: &str,
        kept: Option<Str>,
        expr: eval::Expr,
        scope: &Scope,
        limits: &Limits,
    ) -> Program {
        Program {
            source: kept.unwrap_or_else(|| Str::from(source)),
            inner: Arc::new(Inner {
                expr: eval::fuse_comparisons(expr),
                root_names: self.root_names(scope),
                max_steps: limits.max_steps,
            }),
        }
    }
}

impl Program {
    fn cx<'c>(&'c self, roots: &'c [&'c Value], steps: &'c Cell<u64>) -> eval::Cx<'c> {
        eval::Cx {
            roots,
            root_names: &self.inner.root_names,
            frame: None,
            steps,
            max_steps: self.inner.max_steps,
            src: &self.source,
        }
    }

    /// Evaluates with one value per scope root, in scope order.
    pub fn eval(&self, roots: &[&Value]) -> Result<Value, EvalError> {
        let steps = Cell::new(0);
        let cx = self.cx(roots, &steps);
        eval::eval(&self.inner.expr, &cx)
            .map(std::borrow::Cow::into_owned)
            .map_err(|e| *e)
    }

    /// Evaluates a condition: like [`Program::eval`], but the result must be a bool (a
    /// `TypeMismatch` otherwise), and nothing is allocated on the way for the common shapes.
    pub fn eval_bool(&self, roots: &[&Value]) -> Result<bool, EvalError> {
        let steps = Cell::new(0);
        let cx = self.cx(roots, &steps);
        eval::eval_bool(&self.inner.expr, &cx).map_err(|e| *e)
    }

    /// The source text the program was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// If the whole program is a plain field path on a root (`input.args.mode`), the root's
    /// index and the field names; used to patch an input when applying a suggestion.
    /// A bare root (`input`) gives an empty list of fields.
    pub fn as_field_path(&self) -> Option<(usize, Vec<Str>)> {
        match &self.inner.expr.kind {
            eval::Kind::Var(eval::Base::Root(index)) => Some((*index as usize, Vec::new())),
            eval::Kind::Path(eval::Base::Root(index), steps) => Some((
                *index as usize,
                steps.iter().map(|s| s.key.clone()).collect(),
            )),
            _ => None,
        }
    }

    /// Every static field path the program reads, as (root index, field names) pairs: for a
    /// read through a dynamic index (`input.items[i].name`) the part before the index;
    /// for `has(input.a.b)` the tested path. Deduplicated, in order of first appearance.
    pub fn reads(&self) -> Vec<(usize, Vec<Str>)> {
        let mut out = Vec::new();
        collect_reads(&self.inner.expr, &mut out);
        out
    }
}

fn collect_reads(e: &eval::Expr, out: &mut Vec<(usize, Vec<Str>)>) {
    use eval::{Base, Kind};
    let mut push = |read: (usize, Vec<Str>)| {
        if !out.contains(&read) {
            out.push(read);
        }
    };
    match &e.kind {
        Kind::Var(Base::Root(index)) => push((*index as usize, Vec::new())),
        Kind::Path(Base::Root(index), steps) => push((
            *index as usize,
            steps.iter().map(|s| s.key.clone()).collect(),
        )),
        Kind::Has(operand, field) => match &operand.kind {
            Kind::Var(Base::Root(index)) => push((*index as usize, vec![field.clone()])),
            Kind::Path(Base::Root(index), steps) => {
                let mut fields: Vec<Str> = steps.iter().map(|s| s.key.clone()).collect();
                fields.push(field.clone());
                push((*index as usize, fields))
            }
            _ => collect_reads(operand, out),
        },
        Kind::Const(_) | Kind::Var(_) | Kind::Path(..) => {}
        Kind::AllCmp(all) => {
            for c in all.iter() {
                if let Base::Root(index) = c.base {
                    push((
                        index as usize,
                        c.steps.iter().map(|s| s.key.clone()).collect(),
                    ));
                }
            }
        }
        Kind::Select(a, _)
        | Kind::Not(a)
        | Kind::Neg(a)
        | Kind::Matches(a, _)
        | Kind::CmpConst(_, a, _) => collect_reads(a, out),
        Kind::Index(p) | Kind::And(p) | Kind::Or(p) | Kind::Binary(_, p) => {
            p.iter().for_each(|e| collect_reads(e, out))
        }
        Kind::Cond(a, b, c) => {
            collect_reads(a, out);
            collect_reads(b, out);
            collect_reads(c, out);
        }
        Kind::List(items) | Kind::Call(_, items) => {
            items.iter().for_each(|i| collect_reads(i, out))
        }
        Kind::Map(entries) => entries.iter().for_each(|(k, v)| {
            collect_reads(k, out);
            collect_reads(v, out);
        }),
        Kind::Loop(lp) => {
            collect_reads(&lp.range, out);
            collect_reads(&lp.body, out);
            if let Some(t) = &lp.transform {
                collect_reads(t, out);
            }
        }
    }
}
