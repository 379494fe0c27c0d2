//! Compiled programs in the compiled-policy artifact ([`crate::artifact`]): each node with the
//! source range it came from, so an evaluation error quotes the condition exactly as a program
//! compiled from the text would.

use super::eval::{Base, Expr, Kind, Loop, LoopKind, PathCmp, Step, Steps};
use super::funcs::{self, Func};
use super::parser::BinOp;
use super::{Inner, Program, Span};
use crate::artifact::{In, Out};
use crate::value::Str;
use crate::value::Value;
use std::sync::Arc;

const FUNCS: [Func; 18] = [
    Func::Size,
    Func::StartsWith,
    Func::EndsWith,
    Func::Contains,
    Func::Matches,
    Func::Int,
    Func::Double,
    Func::String,
    Func::Split,
    Func::LowerAscii,
    Func::UpperAscii,
    Func::Trim,
    Func::Glob,
    Func::Greatest,
    Func::Least,
    Func::Sum,
    Func::Mean,
    Func::Variance,
];

const BIN_OPS: [BinOp; 14] = [
    BinOp::Add,
    BinOp::Sub,
    BinOp::Mul,
    BinOp::Div,
    BinOp::Rem,
    BinOp::Eq,
    BinOp::Ne,
    BinOp::Lt,
    BinOp::Le,
    BinOp::Gt,
    BinOp::Ge,
    BinOp::In,
    BinOp::And,
    BinOp::Or,
];

const LOOP_KINDS: [LoopKind; 5] = [
    LoopKind::All,
    LoopKind::Exists,
    LoopKind::ExistsOne,
    LoopKind::Map,
    LoopKind::Filter,
];

/// Node tags, in the order of [`Kind`]'s variants.
mod tag {
    pub(super) const CONST: u8 = 0;
    pub(super) const VAR: u8 = 1;
    pub(super) const PATH: u8 = 2;
    pub(super) const SELECT: u8 = 3;
    pub(super) const HAS: u8 = 4;
    pub(super) const INDEX: u8 = 5;
    pub(super) const LIST: u8 = 6;
    pub(super) const MAP: u8 = 7;
    pub(super) const NOT: u8 = 8;
    pub(super) const NEG: u8 = 9;
    pub(super) const AND: u8 = 10;
    pub(super) const OR: u8 = 11;
    pub(super) const COND: u8 = 12;
    pub(super) const BINARY: u8 = 13;
    pub(super) const CMP_CONST: u8 = 14;
    pub(super) const ALL_CMP: u8 = 15;
    pub(super) const CALL: u8 = 16;
    pub(super) const MATCHES: u8 = 17;
    pub(super) const LOOP: u8 = 18;
}

/// Writes `program`: its source text, the names of its scope's roots, its step budget and
/// its compiled tree.
pub(crate) fn write_program(out: &mut Out, program: &Program) {
    out.str(&program.source);
    out.list(&program.inner.root_names, |o, n| o.str(n));
    out.uint(program.inner.max_steps);
    write_expr(out, &program.inner.expr);
}

/// Reads a program [`write_program`] wrote. Consecutive programs of one scope share their root
/// names, as a compiling session's do: `last_roots` carries them from one call to the next.
pub(crate) fn read_program(r: &mut In<'_>, last_roots: &mut Option<Arc<[Str]>>) -> Program {
    let source = r.shared();
    let names = r.list(In::shared);
    let root_names = match last_roots {
        Some(last) if **last == *names => Arc::clone(last),
        _ => {
            let fresh: Arc<[Str]> = names.into();
            *last_roots = Some(Arc::clone(&fresh));
            fresh
        }
    };
    let max_steps = r.uint();
    let expr = read_expr(r);
    Program {
        source,
        inner: Arc::new(Inner {
            expr,
            root_names,
            max_steps,
        }),
    }
}

fn write_span(out: &mut Out, span: Span) {
    out.uint(u64::from(span.start));
    out.uint(u64::from(span.end));
}

fn read_span(r: &mut In<'_>) -> Span {
    Span {
        start: r.u32(),
        end: r.u32(),
    }
}

fn write_base(out: &mut Out, base: Base) {
    match base {
        Base::Root(n) => out.uint(u64::from(n) << 1),
        Base::Local(n) => out.uint((u64::from(n) << 1) | 1),
    }
}

fn read_base(r: &mut In<'_>) -> Base {
    let n = r.uint();
    let Ok(at) = u32::try_from(n >> 1) else {
        r.fail(format!("variable number {n} is too large"));
        return Base::Root(0);
    };
    if n & 1 == 0 {
        Base::Root(at)
    } else {
        Base::Local(at)
    }
}

fn write_steps(out: &mut Out, steps: &Steps) {
    out.list(steps, |o, s| {
        o.str(&s.key);
        o.uint(u64::from(s.end));
        o.bool(s.indexed);
    });
}

fn read_steps(r: &mut In<'_>) -> Steps {
    let steps = r.list(|r| Step {
        key: r.shared(),
        end: r.u32(),
        indexed: r.bool(),
    });
    if steps.is_empty() {
        r.fail("a field path without steps");
    }
    Steps::from_vec(steps)
}

fn write_exprs(out: &mut Out, items: &[Expr]) {
    out.list(items, write_expr);
}

fn write_expr(out: &mut Out, e: &Expr) {
    write_span(out, e.span);
    match &e.kind {
        Kind::Const(v) => {
            out.byte(tag::CONST);
            out.value(v);
        }
        Kind::Var(base) => {
            out.byte(tag::VAR);
            write_base(out, *base);
        }
        Kind::Path(base, steps) => {
            out.byte(tag::PATH);
            write_base(out, *base);
            write_steps(out, steps);
        }
        Kind::Select(x, key) => {
            out.byte(tag::SELECT);
            write_expr(out, x);
            out.str(key);
        }
        Kind::Has(x, key) => {
            out.byte(tag::HAS);
            write_expr(out, x);
            out.str(key);
        }
        Kind::Index(pair) => {
            out.byte(tag::INDEX);
            write_exprs(out, pair.as_slice());
        }
        Kind::List(items) => {
            out.byte(tag::LIST);
            write_exprs(out, items);
        }
        Kind::Map(entries) => {
            out.byte(tag::MAP);
            out.list(entries, |o, (k, v)| {
                write_expr(o, k);
                write_expr(o, v);
            });
        }
        Kind::Not(x) => {
            out.byte(tag::NOT);
            write_expr(out, x);
        }
        Kind::Neg(x) => {
            out.byte(tag::NEG);
            write_expr(out, x);
        }
        Kind::And(pair) => {
            out.byte(tag::AND);
            write_exprs(out, pair.as_slice());
        }
        Kind::Or(pair) => {
            out.byte(tag::OR);
            write_exprs(out, pair.as_slice());
        }
        Kind::Cond(c, t, f) => {
            out.byte(tag::COND);
            write_expr(out, c);
            write_expr(out, t);
            write_expr(out, f);
        }
        Kind::Binary(op, pair) => {
            out.byte(tag::BINARY);
            out.choice(&BIN_OPS, op);
            write_exprs(out, pair.as_slice());
        }
        Kind::CmpConst(op, x, v) => {
            out.byte(tag::CMP_CONST);
            out.choice(&BIN_OPS, op);
            write_expr(out, x);
            out.value(v);
        }
        Kind::AllCmp(all) => {
            out.byte(tag::ALL_CMP);
            out.list(all, |o, c| {
                o.choice(&BIN_OPS, &c.op);
                write_base(o, c.base);
                write_steps(o, &c.steps);
                o.value(&c.value);
                write_span(o, c.path_span);
                write_span(o, c.span);
            });
        }
        Kind::Call(func, args) => {
            out.byte(tag::CALL);
            out.choice(&FUNCS, func);
            write_exprs(out, args);
        }
        Kind::Matches(x, re) => {
            out.byte(tag::MATCHES);
            write_expr(out, x);
            out.str(re.as_str());
        }
        Kind::Loop(l) => {
            out.byte(tag::LOOP);
            out.choice(&LOOP_KINDS, &l.kind);
            write_expr(out, &l.range);
            write_expr(out, &l.body);
            match &l.transform {
                Some(t) => {
                    out.bool(true);
                    write_expr(out, t);
                }
                None => out.bool(false),
            }
        }
    }
}

/// The node a failed read stands in with (never evaluated: the whole read fails).
fn placeholder() -> Expr {
    Expr {
        kind: Kind::Const(Value::Null),
        span: Span { start: 0, end: 0 },
    }
}

fn read_pair(r: &mut In<'_>) -> Box<[Expr; 2]> {
    if r.usize() != 2 {
        r.fail("a binary node without exactly two operands");
        return Box::new([placeholder(), placeholder()]);
    }
    Box::new([read_expr(r), read_expr(r)])
}

fn read_boxed(r: &mut In<'_>) -> Box<Expr> {
    Box::new(read_expr(r))
}

fn read_op(r: &mut In<'_>) -> BinOp {
    r.choice(&BIN_OPS, BinOp::Eq, "operator")
}

fn read_expr(r: &mut In<'_>) -> Expr {
    r.nested(placeholder(), |r| {
        let span = read_span(r);
        let kind = match r.byte() {
            tag::CONST => Kind::Const(r.value()),
            tag::VAR => Kind::Var(read_base(r)),
            tag::PATH => Kind::Path(read_base(r), read_steps(r)),
            tag::SELECT => Kind::Select(read_boxed(r), r.shared()),
            tag::HAS => Kind::Has(read_boxed(r), r.shared()),
            tag::INDEX => Kind::Index(read_pair(r)),
            tag::LIST => Kind::List(r.list(read_expr).into_boxed_slice()),
            tag::MAP => Kind::Map(r.list(|r| (read_expr(r), read_expr(r))).into_boxed_slice()),
            tag::NOT => Kind::Not(read_boxed(r)),
            tag::NEG => Kind::Neg(read_boxed(r)),
            tag::AND => Kind::And(read_pair(r)),
            tag::OR => Kind::Or(read_pair(r)),
            tag::COND => Kind::Cond(read_boxed(r), read_boxed(r), read_boxed(r)),
            tag::BINARY => Kind::Binary(read_op(r), read_pair(r)),
            tag::CMP_CONST => Kind::CmpConst(read_op(r), read_boxed(r), r.value()),
            tag::ALL_CMP => Kind::AllCmp(
                r.list(|r| PathCmp {
                    op: read_op(r),
                    base: read_base(r),
                    steps: read_steps(r),
                    value: r.value(),
                    path_span: read_span(r),
                    span: read_span(r),
                })
                .into_boxed_slice(),
            ),
            tag::CALL => Kind::Call(
                r.choice(&FUNCS, Func::Size, "function"),
                r.list(read_expr).into_boxed_slice(),
            ),
            tag::MATCHES => {
                let x = read_boxed(r);
                let pattern = r.str();
                match funcs::compile_regex(pattern) {
                    Ok(re) => Kind::Matches(x, Arc::new(re)),
                    Err(e) => {
                        r.fail(format!("regular expression `{pattern}`: {e}"));
                        Kind::Const(Value::Null)
                    }
                }
            }
            tag::LOOP => {
                let kind = r.choice(&LOOP_KINDS, LoopKind::All, "comprehension");
                let range = read_expr(r);
                let body = read_expr(r);
                let transform = r.bool().then(|| read_expr(r));
                Kind::Loop(Box::new(Loop {
                    kind,
                    range,
                    body,
                    transform,
                }))
            }
            t => {
                r.fail(format!("unknown expression node {t}"));
                Kind::Const(Value::Null)
            }
        };
        Expr { kind, span }
    })
}
