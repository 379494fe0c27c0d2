//! The evaluator: walks the compiled tree, borrowing from the roots wherever it can.
//!
//! Every node evaluates to a `Cow<'_, Value>`: a field read hands back a reference into the
//! caller's values (no clone, no allocation), and only operators that build something new
//! (arithmetic, list literals, `map`) produce an owned value. Loop variables live in a linked
//! list of stack frames, so a comprehension over a borrowed list never copies it.

use std::borrow::Cow;
use std::cell::Cell;
use std::cmp::Ordering;
use std::sync::Arc;

use super::funcs::{self, Func};
use super::parser::BinOp;
use super::{EvalError, EvalErrorKind, Span};

/// An evaluation error, boxed so that results stay two words and travel in registers.
pub(crate) type Error = Box<EvalError>;
use crate::value::{Map, Str, Value};

/// A compiled node and the source range it came from.
#[derive(Clone, Debug)]
pub(crate) struct Expr {
    pub(crate) kind: Kind,
    pub(crate) span: Span,
}

/// Where a static field path starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Base {
    /// A scope root, by index.
    Root(u32),
    /// A loop variable, by how many loops out it was bound (0 = innermost).
    Local(u32),
}

/// One step of a static path: the key and the byte offset where the step ends in the source
/// (so an error can quote the path exactly as written).
#[derive(Clone, Debug)]
pub(crate) struct Step {
    pub(crate) key: Str,
    pub(crate) end: u32,
    /// Written as `["key"]` rather than `.key`.
    pub(crate) indexed: bool,
}

/// The steps of a static path; the common single step is kept inline, not allocated.
#[derive(Clone, Debug)]
pub(crate) enum Steps {
    One(Step),
    Many(Box<[Step]>),
}

impl Steps {
    /// The steps of `steps`, in order.
    pub(crate) fn from_vec(mut steps: Vec<Step>) -> Steps {
        if steps.len() == 1
            && let Some(one) = steps.pop()
        {
            return Steps::One(one);
        }
        Steps::Many(steps.into_boxed_slice())
    }

    /// These steps followed by `step`.
    pub(crate) fn then(self, step: Step) -> Steps {
        let mut steps = match self {
            Steps::One(one) => vec![one],
            Steps::Many(many) => many.into_vec(),
        };
        steps.push(step);
        Steps::Many(steps.into_boxed_slice())
    }
}

impl std::ops::Deref for Steps {
    type Target = [Step];

    fn deref(&self) -> &[Step] {
        match self {
            Steps::One(one) => std::slice::from_ref(one),
            Steps::Many(many) => many,
        }
    }
}

/// The two operands of a binary node, in one allocation.
pub(crate) type Pair = Box<[Expr; 2]>;

/// The compiled node kinds.
#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Const(Value),
    Var(Base),
    /// `base.a.b["c"]`: a chain of map lookups with keys known at compile time.
    Path(Base, Steps),
    Select(Box<Expr>, Str),
    Has(Box<Expr>, Str),
    Index(Pair),
    List(Box<[Expr]>),
    Map(Box<[(Expr, Expr)]>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    And(Pair),
    Or(Pair),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Binary(BinOp, Pair),
    /// A comparison against a constant, the most common shape in policies.
    CmpConst(BinOp, Box<Expr>, Value),
    /// Two or more comparisons of static paths with constants joined by `&&`
    /// (`input.type == "t7" && input.amount > 359`), the commonest whole condition, in one
    /// allocation. It evaluates exactly as the tree of `And` and `CmpConst` nodes it replaces.
    AllCmp(Box<[PathCmp]>),
    Call(Func, Box<[Expr]>),
    /// `s.matches(re)` with the pattern compiled ahead of time.
    Matches(Box<Expr>, Arc<regex_lite::Regex>),
    Loop(Box<Loop>),
}

/// One comparison of [`Kind::AllCmp`]: `base.steps <op> value`.
#[derive(Clone, Debug)]
pub(crate) struct PathCmp {
    pub(crate) op: BinOp,
    pub(crate) base: Base,
    pub(crate) steps: Steps,
    pub(crate) value: Value,
    /// Where the path is written.
    pub(crate) path_span: Span,
    /// Where the whole comparison is written.
    pub(crate) span: Span,
}

impl PathCmp {
    /// The comparison as a node of its own.
    pub(crate) fn into_expr(self) -> Expr {
        Expr {
            kind: Kind::CmpConst(
                self.op,
                Box::new(Expr {
                    kind: Kind::Path(self.base, self.steps),
                    span: self.path_span,
                }),
                self.value,
            ),
            span: self.span,
        }
    }
}

/// Copies the comparisons of `e`, an `&&` tree of static paths compared with constants, into
/// `out` in order; false (with `out` partly filled) when `e` is anything else.
fn copy_comparisons(e: &Expr, out: &mut Vec<PathCmp>) -> bool {
    match &e.kind {
        Kind::And(pair) => pair.iter().all(|side| copy_comparisons(side, out)),
        Kind::CmpConst(op, lhs, value) => match &lhs.kind {
            Kind::Path(base, steps) => {
                out.push(PathCmp {
                    op: *op,
                    base: *base,
                    steps: steps.clone(),
                    value: value.clone(),
                    path_span: lhs.span,
                    span: e.span,
                });
                true
            }
            _ => false,
        },
        _ => false,
    }
}

fn count_leaves(e: &Expr) -> usize {
    match &e.kind {
        Kind::And(pair) => pair.iter().map(count_leaves).sum(),
        _ => 1,
    }
}

/// `e` with an `&&` tree of two or more path comparisons at its root made one
/// [`Kind::AllCmp`] (their order kept); any other `e` as it is. (The condition fast path
/// builds that node directly; this serves the conditions the checker lowers.)
pub(crate) fn fuse_comparisons(e: Expr) -> Expr {
    if !matches!(e.kind, Kind::And(_)) {
        return e;
    }
    let mut all = Vec::with_capacity(count_leaves(&e));
    if !copy_comparisons(&e, &mut all) {
        return e;
    }
    Expr {
        kind: Kind::AllCmp(all.into_boxed_slice()),
        span: e.span,
    }
}

/// Which comprehension macro a loop is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LoopKind {
    All,
    Exists,
    ExistsOne,
    Map,
    Filter,
}

/// A comprehension: `range.kind(var, body)`; for the three-argument `map`, `body` is the
/// filter and `transform` the mapped expression.
#[derive(Clone, Debug)]
pub(crate) struct Loop {
    pub(crate) kind: LoopKind,
    pub(crate) range: Expr,
    pub(crate) body: Expr,
    pub(crate) transform: Option<Expr>,
}

/// One bound loop variable.
pub(crate) struct Frame<'c> {
    value: &'c Value,
    parent: Option<&'c Frame<'c>>,
}

/// What evaluation reads: the roots, the loop variables in scope, the step budget.
#[derive(Clone, Copy)]
pub(crate) struct Cx<'c> {
    pub(crate) roots: &'c [&'c Value],
    pub(crate) root_names: &'c [Str],
    pub(crate) frame: Option<&'c Frame<'c>>,
    pub(crate) steps: &'c Cell<u64>,
    pub(crate) max_steps: u64,
    pub(crate) src: &'c str,
}

pub(crate) type Res<T> = Result<T, Error>;

#[cold]
pub(crate) fn error(kind: EvalErrorKind, span: Span, message: String) -> Error {
    Box::new(EvalError {
        kind,
        message,
        missing_path: None,
        span: span.range(),
    })
}

#[cold]
pub(crate) fn mismatch(span: Span, message: String) -> Error {
    error(EvalErrorKind::TypeMismatch, span, message)
}

impl<'c> Cx<'c> {
    fn text(&self, start: u32, end: u32) -> &'c str {
        self.src.get(start as usize..end as usize).unwrap_or("")
    }

    #[cold]
    fn missing(&self, span: Span, what: &str) -> Error {
        let path = self.text(span.start, span.end).to_owned();
        Box::new(EvalError {
            kind: EvalErrorKind::Missing,
            message: format!("no such {what} `{path}`"),
            missing_path: Some(path),
            span: span.range(),
        })
    }

    #[inline]
    fn base(&self, base: Base, span: Span) -> Res<&'c Value> {
        match base {
            Base::Root(index) => match self.roots.get(index as usize) {
                Some(value) => Ok(*value),
                None => Err(self.no_root(index, span)),
            },
            Base::Local(depth) => self.local(depth, span),
        }
    }

    #[cold]
    #[inline(never)]
    fn no_root(&self, index: u32, span: Span) -> Error {
        let name = self.root_names.get(index as usize).map_or("", |n| &**n);
        Box::new(EvalError {
            kind: EvalErrorKind::Missing,
            message: format!("no value was given for `{name}`"),
            missing_path: Some(name.to_owned()),
            span: span.range(),
        })
    }

    fn local(&self, mut depth: u32, span: Span) -> Res<&'c Value> {
        let mut frame = self.frame;
        while let Some(f) = frame {
            if depth == 0 {
                return Ok(f.value);
            }
            depth -= 1;
            frame = f.parent;
        }
        Err(mismatch(
            span,
            "internal error: unbound loop variable".into(),
        ))
    }
}

/// Evaluates `e`.
///
/// Kept a thin dispatcher: every bulky case lives in its own function, so that one level of
/// nesting costs little stack even in an unoptimised build.
pub(crate) fn eval<'c>(e: &'c Expr, cx: &Cx<'c>) -> Res<Cow<'c, Value>> {
    match &e.kind {
        Kind::Const(v) => Ok(Cow::Borrowed(v)),
        Kind::Var(base) => cx.base(*base, e.span).map(Cow::Borrowed),
        Kind::Path(base, steps) => path(*base, steps, e.span, cx).map(Cow::Borrowed),
        Kind::Select(operand, field) => eval_select(operand, field, e.span, cx),
        Kind::Has(operand, field) => eval_has(operand, field, e.span, cx),
        Kind::Index(pair) => {
            let [operand, index] = &**pair;
            eval_index(operand, index, e.span, cx)
        }
        Kind::List(items) => eval_list(items, cx),
        Kind::Map(entries) => eval_map(entries, cx),
        Kind::Not(_)
        | Kind::And(..)
        | Kind::Or(..)
        | Kind::CmpConst(..)
        | Kind::AllCmp(..)
        | Kind::Matches(..)
        | Kind::Binary(
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::In,
            ..,
        ) => eval_bool(e, cx).map(|b| Cow::Owned(Value::Bool(b))),
        Kind::Neg(operand) => eval_neg(operand, e.span, cx),
        Kind::Cond(cond, then, otherwise) => eval_cond(cond, then, otherwise, cx),
        Kind::Binary(op, pair) => {
            let [lhs, rhs] = &**pair;
            eval_arith(*op, lhs, rhs, e.span, cx)
        }
        Kind::Call(func, args) => call(*func, args, e.span, cx).map(Cow::Owned),
        Kind::Loop(lp) => eval_loop(lp, e.span, cx),
    }
}

#[inline(never)]
fn eval_select<'c>(operand: &'c Expr, field: &str, span: Span, cx: &Cx<'c>) -> Res<Cow<'c, Value>> {
    match eval(operand, cx)? {
        Cow::Borrowed(v) => select(v, field, span, cx).map(Cow::Borrowed),
        Cow::Owned(v) => select(&v, field, span, cx).map(|v| Cow::Owned(v.clone())),
    }
}

#[inline(never)]
fn eval_has<'c>(operand: &'c Expr, field: &str, _span: Span, cx: &Cx<'c>) -> Res<Cow<'c, Value>> {
    // The field is there only in a map that has it. A missing parent, or one that is null
    // (`spec:` left empty in YAML) or not a map, has no such field either:
    // `!has(input.spec.fairness)` fires on all of them, as `not input.spec.fairness` does in
    // OPA. (CEL makes these errors, which a deny rule would treat as "does not fire".)
    let value = match eval(operand, cx) {
        Ok(v) => v,
        Err(e) if e.kind == EvalErrorKind::Missing => return Ok(Cow::Owned(Value::Bool(false))),
        Err(e) => return Err(e),
    };
    let present = matches!(&*value, Value::Map(m) if m.contains_key(field));
    Ok(Cow::Owned(Value::Bool(present)))
}

#[inline(never)]
fn eval_index<'c>(
    operand: &'c Expr,
    index: &'c Expr,
    span: Span,
    cx: &Cx<'c>,
) -> Res<Cow<'c, Value>> {
    let value = eval(operand, cx)?;
    let index = eval(index, cx)?;
    match value {
        Cow::Borrowed(v) => lookup(v, &index, span, cx).map(Cow::Borrowed),
        Cow::Owned(v) => lookup(&v, &index, span, cx).map(|v| Cow::Owned(v.clone())),
    }
}

#[inline(never)]
fn eval_list<'c>(items: &'c [Expr], cx: &Cx<'c>) -> Res<Cow<'c, Value>> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(eval(item, cx)?.into_owned());
    }
    Ok(Cow::Owned(Value::List(Arc::new(out))))
}

#[inline(never)]
fn eval_map<'c>(entries: &'c [(Expr, Expr)], cx: &Cx<'c>) -> Res<Cow<'c, Value>> {
    let mut out = Map::new();
    for (key, value) in entries {
        let k = eval(key, cx)?;
        let Value::String(k) = &*k else {
            return Err(mismatch(
                key.span,
                format!(
                    "map keys must be strings, got a value of type `{}`",
                    k.type_name()
                ),
            ));
        };
        let v = eval(value, cx)?.into_owned();
        if out.insert(k.clone(), v).is_some() {
            return Err(mismatch(key.span, format!("duplicate map key `{k}`")));
        }
    }
    Ok(Cow::Owned(Value::Map(Arc::new(out))))
}

#[inline(never)]
fn eval_neg<'c>(operand: &'c Expr, span: Span, cx: &Cx<'c>) -> Res<Cow<'c, Value>> {
    let value = eval(operand, cx)?;
    match &*value {
        Value::Int(i) => i
            .checked_neg()
            .map(|n| Cow::Owned(Value::Int(n)))
            .ok_or_else(|| {
                error(
                    EvalErrorKind::Overflow,
                    span,
                    format!("integer overflow negating `{i}`"),
                )
            }),
        Value::Double(d) => Ok(Cow::Owned(Value::Double(-d))),
        other => Err(mismatch(
            span,
            format!("cannot negate a value of type `{}`", other.type_name()),
        )),
    }
}

#[inline(never)]
fn eval_cond<'c>(
    cond: &'c Expr,
    then: &'c Expr,
    otherwise: &'c Expr,
    cx: &Cx<'c>,
) -> Res<Cow<'c, Value>> {
    if eval_bool(cond, cx)? {
        eval(then, cx)
    } else {
        eval(otherwise, cx)
    }
}

#[inline(never)]
fn eval_arith<'c>(
    op: BinOp,
    lhs: &'c Expr,
    rhs: &'c Expr,
    span: Span,
    cx: &Cx<'c>,
) -> Res<Cow<'c, Value>> {
    let l = eval(lhs, cx)?;
    let r = eval(rhs, cx)?;
    arith(op, l, &r, span).map(Cow::Owned)
}

/// Evaluates `e`, which must produce a bool.
pub(crate) fn eval_bool<'c>(e: &'c Expr, cx: &Cx<'c>) -> Res<bool> {
    match &e.kind {
        Kind::Const(Value::Bool(b)) => Ok(*b),
        Kind::And(pair) => {
            let [lhs, rhs] = &**pair;
            eval_and(lhs, rhs, cx)
        }
        Kind::Or(pair) => {
            let [lhs, rhs] = &**pair;
            eval_or(lhs, rhs, cx)
        }
        Kind::CmpConst(op, lhs, rhs) => {
            // The hot shape: a field path compared with a literal.
            let l = match &lhs.kind {
                Kind::Path(base, steps) => Cow::Borrowed(path(*base, steps, lhs.span, cx)?),
                _ => eval(lhs, cx)?,
            };
            match fast_relation(*op, &l, rhs) {
                Some(b) => Ok(b),
                None => relation(*op, &l, rhs, e.span),
            }
        }
        Kind::AllCmp(all) => eval_all_cmp(all, cx),
        Kind::Binary(
            op
            @ (BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::In),
            pair,
        ) => {
            let [lhs, rhs] = &**pair;
            eval_relation(*op, lhs, rhs, e.span, cx)
        }
        Kind::Not(operand) => eval_not(operand, e.span, cx),
        Kind::Matches(target, re) => eval_matches(target, re, e.span, cx),
        _ => {
            let value = eval(e, cx)?;
            match &*value {
                Value::Bool(b) => Ok(*b),
                other => Err(expected_bool(other, e.span)),
            }
        }
    }
}

#[cold]
#[inline(never)]
fn expected_bool(value: &Value, span: Span) -> Error {
    mismatch(
        span,
        format!(
            "expected a bool, got a value of type `{}`",
            value.type_name()
        ),
    )
}

fn is_limit(err: &Error) -> bool {
    err.kind == EvalErrorKind::LimitExceeded
}

#[inline(never)]
fn eval_and<'c>(lhs: &'c Expr, rhs: &'c Expr, cx: &Cx<'c>) -> Res<bool> {
    match eval_bool(lhs, cx) {
        Ok(false) => Ok(false),
        Ok(true) => eval_bool(rhs, cx),
        Err(err) if is_limit(&err) => Err(err),
        // CEL's commutative `&&`: `error && false` is false.
        Err(err) => match eval_bool(rhs, cx) {
            Ok(false) => Ok(false),
            Err(limit) if is_limit(&limit) => Err(limit),
            _ => Err(err),
        },
    }
}

/// [`Kind::AllCmp`]: as `eval_and` over the comparisons' `&&` tree: false when one is false
/// (even if another fails), a limit error at once, otherwise the first error in order.
#[inline(never)]
fn eval_all_cmp<'c>(all: &'c [PathCmp], cx: &Cx<'c>) -> Res<bool> {
    let mut first_error: Option<Error> = None;
    for c in all {
        let error = match path(c.base, &c.steps, c.path_span, cx) {
            Ok(l) => match fast_relation(c.op, l, &c.value) {
                Some(true) => continue,
                Some(false) => return Ok(false),
                None => match relation(c.op, l, &c.value, c.span) {
                    Ok(true) => continue,
                    Ok(false) => return Ok(false),
                    Err(err) => err,
                },
            },
            Err(err) => err,
        };
        if is_limit(&error) {
            return Err(error);
        }
        first_error.get_or_insert(error);
    }
    match first_error {
        Some(err) => Err(err),
        None => Ok(true),
    }
}

#[inline(never)]
fn eval_or<'c>(lhs: &'c Expr, rhs: &'c Expr, cx: &Cx<'c>) -> Res<bool> {
    match eval_bool(lhs, cx) {
        Ok(true) => Ok(true),
        Ok(false) => eval_bool(rhs, cx),
        Err(err) if is_limit(&err) => Err(err),
        Err(err) => match eval_bool(rhs, cx) {
            Ok(true) => Ok(true),
            Err(limit) if is_limit(&limit) => Err(limit),
            _ => Err(err),
        },
    }
}

#[inline(never)]
fn eval_relation<'c>(
    op: BinOp,
    lhs: &'c Expr,
    rhs: &'c Expr,
    span: Span,
    cx: &Cx<'c>,
) -> Res<bool> {
    let l = eval(lhs, cx)?;
    let r = eval(rhs, cx)?;
    relation(op, &l, &r, span)
}

#[inline(never)]
fn eval_not<'c>(operand: &'c Expr, span: Span, cx: &Cx<'c>) -> Res<bool> {
    let value = eval(operand, cx)?;
    match &*value {
        Value::Bool(b) => Ok(!b),
        other => Err(mismatch(
            span,
            format!(
                "`!` needs a bool, got a value of type `{}`",
                other.type_name()
            ),
        )),
    }
}

#[inline(never)]
fn eval_matches<'c>(
    target: &'c Expr,
    re: &regex_lite::Regex,
    span: Span,
    cx: &Cx<'c>,
) -> Res<bool> {
    let value = eval(target, cx)?;
    match &*value {
        Value::String(s) => Ok(re.is_match(s)),
        other => Err(mismatch(
            span,
            format!(
                "`matches` needs a string, got a value of type `{}`",
                other.type_name()
            ),
        )),
    }
}

/// `relation` for the common same-type cases, without building errors or closures.
#[inline(always)]
fn fast_relation(op: BinOp, l: &Value, r: &Value) -> Option<bool> {
    fn by<T: PartialOrd + ?Sized>(op: BinOp, a: &T, b: &T) -> Option<bool> {
        Some(match op {
            BinOp::Eq => a == b,
            BinOp::Ne => a != b,
            BinOp::Lt => a < b,
            BinOp::Le => a <= b,
            BinOp::Gt => a > b,
            BinOp::Ge => a >= b,
            _ => return None,
        })
    }
    match (l, r) {
        (Value::Int(a), Value::Int(b)) => by(op, a, b),
        (Value::String(a), Value::String(b)) => by(op, &**a, &**b),
        (Value::Bool(a), Value::Bool(b)) => by(op, a, b),
        (Value::Double(a), Value::Double(b)) if !a.is_nan() && !b.is_nan() => by(op, a, b),
        _ => None,
    }
}

/// The value of `key` in a map. Small maps (most inputs) are scanned comparing lengths
/// first, which avoids most string comparisons; larger ones are searched.
#[inline(always)]
pub(crate) fn get_field<'v>(m: &'v Map, key: &str) -> Option<&'v Value> {
    if m.len() <= 12 {
        m.iter()
            .find(|(k, _)| k.len() == key.len() && &***k == key)
            .map(|(_, v)| v)
    } else {
        m.get(key)
    }
}

fn path<'c>(base: Base, steps: &[Step], span: Span, cx: &Cx<'c>) -> Res<&'c Value> {
    let mut value = cx.base(base, span)?;
    for (i, step) in steps.iter().enumerate() {
        let next = match value {
            Value::Map(m) => get_field(m, &step.key),
            _ => None,
        };
        value = match next {
            Some(v) => v,
            None => return Err(path_error(value, steps, i, span, cx)),
        };
    }
    Ok(value)
}

/// Why step `i` of a path failed: the key is not in the map, or the value is not a map.
#[cold]
#[inline(never)]
fn path_error(value: &Value, steps: &[Step], i: usize, span: Span, cx: &Cx<'_>) -> Error {
    let Some(step) = steps.get(i) else {
        return mismatch(span, "internal error: bad path step".into());
    };
    let at = Span {
        start: span.start,
        end: step.end,
    };
    match value {
        Value::Map(_) => cx.missing(at, if step.indexed { "key" } else { "field" }),
        other => not_a_map(other, &step.key, at, cx),
    }
}

fn not_a_map(value: &Value, key: &str, at: Span, cx: &Cx<'_>) -> Error {
    // A null parent (`spec:` left empty in YAML, `"spec": null` in JSON) holds no fields: the
    // field is missing, as when the parent is absent, not a type error. So a deny rule over it
    // does not fire (as in OPA) and a decision lists it under `missing`.
    if matches!(value, Value::Null) {
        return cx.missing(at, "field");
    }
    let text = cx.text(at.start, at.end);
    mismatch(
        at,
        format!(
            "cannot read `{key}` in `{text}`: the value it is read from has type `{}`, not map",
            value.type_name()
        ),
    )
}

fn select<'v>(value: &'v Value, field: &str, span: Span, cx: &Cx<'_>) -> Res<&'v Value> {
    match value {
        Value::Map(m) => get_field(m, field).ok_or_else(|| cx.missing(span, "field")),
        other => Err(not_a_map(other, field, span, cx)),
    }
}

/// `value[index]`.
fn lookup<'v>(value: &'v Value, index: &Value, span: Span, cx: &Cx<'_>) -> Res<&'v Value> {
    match (value, index) {
        (Value::List(items), Value::Int(_) | Value::Double(_)) => {
            let i = match index {
                Value::Int(i) => *i,
                Value::Double(d) => double_to_int_exact(*d).ok_or_else(|| {
                    mismatch(span, format!("list index `{d}` is not a whole number"))
                })?,
                _ => 0,
            };
            usize::try_from(i)
                .ok()
                .and_then(|i| items.get(i))
                .ok_or_else(|| {
                    error(
                        EvalErrorKind::IndexOutOfRange,
                        span,
                        format!(
                            "index `{i}` is out of range for a list of size {}",
                            items.len()
                        ),
                    )
                })
        }
        (Value::Map(m), Value::String(k)) => get_field(m, k).ok_or_else(|| cx.missing(span, "key")),
        // Keys are strings: a number or bool is simply not there.
        (Value::Map(_), Value::Int(_) | Value::Double(_) | Value::Bool(_)) => {
            Err(cx.missing(span, "key"))
        }
        (Value::List(_) | Value::Map(_), _) => Err(mismatch(
            span,
            format!(
                "cannot index {} with a value of type `{}`",
                article(value),
                index.type_name()
            ),
        )),
        _ => Err(mismatch(
            span,
            format!("cannot index a value of type `{}`", value.type_name()),
        )),
    }
}

/// `d` as an `i64` if it is a whole number that converts without loss.
pub(crate) fn double_to_int_exact(d: f64) -> Option<i64> {
    if d.fract() == 0.0 && d > -9_223_372_036_854_775_808.0 && d < 9_223_372_036_854_775_808.0 {
        Some(d as i64)
    } else {
        None
    }
}

/// CEL equality: numbers compare across int and double, containers compare deeply, values of
/// different types are unequal.
pub(crate) fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Double(x), Value::Double(y)) => x == y,
        (Value::Int(x), Value::Double(y)) | (Value::Double(y), Value::Int(x)) => (*x as f64) == *y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| equal(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => false,
    }
}

/// CEL ordering: ints, doubles (across each other), strings, bools. `None` for NaN.
pub(crate) fn compare(a: &Value, b: &Value) -> Option<Result<Ordering, ()>> {
    Some(match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(x.cmp(y)),
        (Value::Double(x), Value::Double(y)) => x.partial_cmp(y).ok_or(()),
        (Value::Int(x), Value::Double(y)) => (*x as f64).partial_cmp(y).ok_or(()),
        (Value::Double(x), Value::Int(y)) => x.partial_cmp(&(*y as f64)).ok_or(()),
        (Value::String(x), Value::String(y)) => Ok(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Ok(x.cmp(y)),
        _ => return None,
    })
}

fn relation(op: BinOp, l: &Value, r: &Value, span: Span) -> Res<bool> {
    let ordering = |l: &Value, r: &Value| match compare(l, r) {
        Some(Ok(o)) => Ok(o),
        Some(Err(())) => Err(mismatch(
            span,
            format!("cannot order NaN with `{}`", op.symbol()),
        )),
        None => Err(mismatch(
            span,
            format!(
                "cannot compare {} with {} using `{}`",
                article(l),
                article(r),
                op.symbol()
            ),
        )),
    };
    match op {
        BinOp::Eq => Ok(equal(l, r)),
        BinOp::Ne => Ok(!equal(l, r)),
        BinOp::Lt => Ok(ordering(l, r)? == Ordering::Less),
        BinOp::Le => Ok(ordering(l, r)? != Ordering::Greater),
        BinOp::Gt => Ok(ordering(l, r)? == Ordering::Greater),
        BinOp::Ge => Ok(ordering(l, r)? != Ordering::Less),
        BinOp::In => match r {
            Value::List(items) => Ok(items.iter().any(|item| equal(l, item))),
            Value::Map(m) => match l {
                Value::String(k) => Ok(m.contains_key(&**k)),
                Value::Int(_) | Value::Double(_) | Value::Bool(_) => Ok(false),
                other => Err(mismatch(
                    span,
                    format!(
                        "a value of type `{}` cannot be a map key",
                        other.type_name()
                    ),
                )),
            },
            other => Err(mismatch(
                span,
                format!(
                    "`in` needs a list or a map on its right, got a value of type `{}`",
                    other.type_name()
                ),
            )),
        },
        _ => Err(mismatch(
            span,
            format!("`{}` is not a comparison", op.symbol()),
        )),
    }
}

/// `+ - * / %`.
fn arith(op: BinOp, l: Cow<'_, Value>, r: &Value, span: Span) -> Res<Value> {
    let overflow = || {
        error(
            EvalErrorKind::Overflow,
            span,
            format!("integer overflow in `{}`", op.symbol()),
        )
    };
    match (&*l, r) {
        (Value::Int(x), Value::Int(y)) => {
            let (x, y) = (*x, *y);
            match op {
                BinOp::Add => x.checked_add(y).map(Value::Int).ok_or_else(overflow),
                BinOp::Sub => x.checked_sub(y).map(Value::Int).ok_or_else(overflow),
                BinOp::Mul => x.checked_mul(y).map(Value::Int).ok_or_else(overflow),
                BinOp::Div | BinOp::Rem if y == 0 => Err(error(
                    EvalErrorKind::DivisionByZero,
                    span,
                    format!(
                        "{} by zero",
                        if op == BinOp::Div {
                            "division"
                        } else {
                            "modulo"
                        }
                    ),
                )),
                BinOp::Div => x.checked_div(y).map(Value::Int).ok_or_else(overflow),
                BinOp::Rem => x.checked_rem(y).map(Value::Int).ok_or_else(overflow),
                _ => Err(no_overload(op, &l, r, span)),
            }
        }
        (Value::Double(x), Value::Double(y)) => match op {
            BinOp::Add => Ok(Value::Double(x + y)),
            BinOp::Sub => Ok(Value::Double(x - y)),
            BinOp::Mul => Ok(Value::Double(x * y)),
            BinOp::Div => Ok(Value::Double(x / y)),
            _ => Err(no_overload(op, &l, r, span)),
        },
        (Value::String(x), Value::String(y)) if op == BinOp::Add => {
            let mut s = String::with_capacity(x.len() + y.len());
            s.push_str(x);
            s.push_str(y);
            Ok(Value::from(s))
        }
        (Value::List(x), Value::List(y)) if op == BinOp::Add => {
            if y.is_empty() {
                return Ok(l.into_owned());
            }
            let mut items = Vec::with_capacity(x.len() + y.len());
            items.extend(x.iter().cloned());
            items.extend(y.iter().cloned());
            Ok(Value::list(items))
        }
        _ => Err(no_overload(op, &l, r, span)),
    }
}

/// The value's type with its article: "an `int`", "a `string`".
pub(crate) fn article(value: &Value) -> String {
    let name = value.type_name();
    let an = matches!(
        name.as_bytes().first(),
        Some(b'a' | b'e' | b'i' | b'o' | b'u')
    );
    format!("{} `{name}`", if an { "an" } else { "a" })
}

fn no_overload(op: BinOp, l: &Value, r: &Value, span: Span) -> Error {
    let help = match (l, r) {
        (Value::Int(_), Value::Double(_)) | (Value::Double(_), Value::Int(_)) => {
            ": convert one side with `double()` or `int()`"
        }
        _ => "",
    };
    mismatch(
        span,
        format!(
            "no `{}` for {} and {}{help}",
            op.symbol(),
            article(l),
            article(r)
        ),
    )
}

#[inline(never)]
fn call<'c>(func: Func, args: &'c [Expr], span: Span, cx: &Cx<'c>) -> Res<Value> {
    match args {
        [] => funcs::call(func, &[], span),
        [a] => {
            let a = eval(a, cx)?;
            funcs::call(func, &[a], span)
        }
        [a, b] => {
            let a = eval(a, cx)?;
            let b = eval(b, cx)?;
            funcs::call(func, &[a, b], span)
        }
        _ => {
            let mut values = Vec::with_capacity(args.len());
            for arg in args {
                values.push(eval(arg, cx)?);
            }
            funcs::call(func, &values, span)
        }
    }
}

enum Flow {
    Continue,
    Break,
}

/// Calls `f` with each element of a list, or each key of a map, counting one step each.
fn for_each(
    range: &Value,
    span: Span,
    cx: &Cx<'_>,
    mut f: impl FnMut(&Value) -> Res<Flow>,
) -> Res<()> {
    let tick = || {
        let steps = cx.steps.get() + 1;
        cx.steps.set(steps);
        if steps > cx.max_steps {
            Err(error(
                EvalErrorKind::LimitExceeded,
                span,
                format!("evaluation took more than {} steps", cx.max_steps),
            ))
        } else {
            Ok(())
        }
    };
    match range {
        Value::List(items) => {
            for item in items.iter() {
                tick()?;
                if let Flow::Break = f(item)? {
                    break;
                }
            }
        }
        Value::Map(m) => {
            for key in m.keys() {
                tick()?;
                if let Flow::Break = f(&Value::String(key.clone()))? {
                    break;
                }
            }
        }
        other => {
            return Err(mismatch(
                span,
                format!(
                    "a comprehension needs a list or a map, got a value of type `{}`",
                    other.type_name()
                ),
            ));
        }
    }
    Ok(())
}

#[inline(never)]
fn eval_loop<'c>(lp: &'c Loop, span: Span, cx: &Cx<'c>) -> Res<Cow<'c, Value>> {
    let range = eval(&lp.range, cx)?;
    let body = &lp.body;
    match lp.kind {
        LoopKind::All | LoopKind::Exists => {
            // `all` stops at the first false, `exists` at the first true; an error is kept
            // and reported only if no later element decides the result (CEL's absorption).
            let decisive = lp.kind == LoopKind::Exists;
            let mut decided = false;
            let mut pending: Option<Error> = None;
            for_each(&range, span, cx, |item| {
                let frame = Frame {
                    value: item,
                    parent: cx.frame,
                };
                let inner = Cx {
                    frame: Some(&frame),
                    ..*cx
                };
                match eval_bool(body, &inner) {
                    Ok(b) if b == decisive => {
                        decided = true;
                        Ok(Flow::Break)
                    }
                    Ok(_) => Ok(Flow::Continue),
                    Err(err) if err.kind == EvalErrorKind::LimitExceeded => Err(err),
                    Err(err) => {
                        pending.get_or_insert(err);
                        Ok(Flow::Continue)
                    }
                }
            })?;
            if decided {
                Ok(Cow::Owned(Value::Bool(decisive)))
            } else if let Some(err) = pending {
                Err(err)
            } else {
                Ok(Cow::Owned(Value::Bool(!decisive)))
            }
        }
        LoopKind::ExistsOne => {
            let mut count = 0u64;
            for_each(&range, span, cx, |item| {
                let frame = Frame {
                    value: item,
                    parent: cx.frame,
                };
                let inner = Cx {
                    frame: Some(&frame),
                    ..*cx
                };
                if eval_bool(body, &inner)? {
                    count += 1;
                }
                Ok(Flow::Continue)
            })?;
            Ok(Cow::Owned(Value::Bool(count == 1)))
        }
        LoopKind::Map | LoopKind::Filter => {
            let mut out = Vec::new();
            for_each(&range, span, cx, |item| {
                let frame = Frame {
                    value: item,
                    parent: cx.frame,
                };
                let inner = Cx {
                    frame: Some(&frame),
                    ..*cx
                };
                match (lp.kind, &lp.transform) {
                    (LoopKind::Filter, _) => {
                        if eval_bool(body, &inner)? {
                            out.push(item.clone());
                        }
                    }
                    (_, Some(transform)) => {
                        if eval_bool(body, &inner)? {
                            out.push(eval(transform, &inner)?.into_owned());
                        }
                    }
                    (_, None) => out.push(eval(body, &inner)?.into_owned()),
                }
                Ok(Flow::Continue)
            })?;
            Ok(Cow::Owned(Value::list(out)))
        }
    }
}
