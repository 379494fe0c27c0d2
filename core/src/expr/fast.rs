//! The commonest shape of a condition lowered straight from its tokens: field paths on a root
//! compared with literals, joined by `&&` (`input.type == "t7" && input.amount > 359`).
//!
//! It builds exactly the tree the parser and the checker build for such a text (same node
//! kinds, spans and shared strings; `tests` compare the two on generated texts), without the
//! syntax tree in between. Anything else — another operator, a call, parentheses, a name that is
//! not a root, a field a root does not declare, a literal out of range — gives `None`, and the
//! text takes the full path, which also reports every error. So this never fails a text.

use super::Session;
use super::eval::{Base, Expr, Kind, PathCmp, Step, Steps};
use super::lexer::{Lit, Tok, Token};
use super::parser::BinOp;
use crate::value::Value;

/// The tree of `tokens` (ending with `Eof`), if the text has the shape above. `strings` are the
/// lexer's decoded literals. `limit` is the smaller of the depth and node limits: every node of
/// the syntax tree consumes a token, so a text with no more tokens than that cannot reach
/// either limit (a longer one is left to the parser, which checks them).
pub(crate) fn lower(
    tokens: &[Token<'_>],
    strings: &[String],
    scope: &super::Scope,
    session: &mut Session,
    limit: usize,
) -> Option<Expr> {
    if tokens.len() > limit {
        return None;
    }
    let mut at = 0;
    // `a && b && c` is `(a && b) && c`, which the session makes one `AllCmp` of the
    // comparisons (`eval::fuse_comparisons`): built here as that directly.
    let first = comparison(tokens, &mut at, strings, scope, session)?;
    if let Tok::Eof = tokens.get(at)?.tok {
        return Some(first.into_expr());
    }
    let ands = tokens
        .iter()
        .filter(|t| matches!(t.tok, Tok::AndAnd))
        .count();
    let mut all = Vec::with_capacity(ands + 1);
    all.push(first);
    loop {
        match tokens.get(at)?.tok {
            Tok::Eof => break,
            Tok::AndAnd => at += 1,
            _ => return None,
        }
        all.push(comparison(tokens, &mut at, strings, scope, session)?);
    }
    let span = all.first()?.span.to(all.last()?.span);
    Some(Expr {
        kind: Kind::AllCmp(all.into_boxed_slice()),
        span,
    })
}

/// `root.a.b <op> literal` at `at`, which it moves past the literal.
fn comparison(
    tokens: &[Token<'_>],
    at: &mut usize,
    strings: &[String],
    scope: &super::Scope,
    session: &mut Session,
) -> Option<PathCmp> {
    let root = tokens.get(*at)?;
    let Tok::Ident(name) = root.tok else {
        return None;
    };
    let index = scope.roots.iter().position(|r| &*r.name == name)?;
    // The steps: `.` and a name, at least one; then the operator.
    let fields = tokens.get(*at + 1..)?;
    let mut len = 0;
    let op = loop {
        let (dot, field) = (fields.get(2 * len)?, fields.get(2 * len + 1)?);
        match dot.tok {
            Tok::Dot => {}
            Tok::EqEq => break BinOp::Eq,
            Tok::NotEq => break BinOp::Ne,
            Tok::Lt => break BinOp::Lt,
            Tok::Le => break BinOp::Le,
            Tok::Gt => break BinOp::Gt,
            Tok::Ge => break BinOp::Ge,
            _ => return None,
        }
        let Tok::Ident(field) = field.tok else {
            return None;
        };
        if len == 0
            && let Some(declared) = &scope.roots.get(index)?.fields
            && !declared.iter().any(|f| &**f == field)
        {
            return None;
        }
        len += 1;
    };
    // A bare root (`input == 1`) is left to the full path.
    let path_end = fields.get((2 * len).checked_sub(1)?)?.span.end;
    let literal = fields.get(2 * len + 1)?;
    if !matches!(fields.get(2 * len + 2)?.tok, Tok::AndAnd | Tok::Eof) {
        return None;
    }
    // Everything that can send the text to the full path is checked before a name is shared
    // (only a later comparison of the same text can still do so).
    let value = match literal.tok {
        Tok::Int(n) => Some(Value::Int(i64::try_from(n).ok()?)),
        Tok::Double(d) => Some(Value::Double(d)),
        Tok::True => Some(Value::Bool(true)),
        Tok::False => Some(Value::Bool(false)),
        Tok::Null => Some(Value::Null),
        Tok::Str(_) => None,
        _ => return None,
    };
    let step = |session: &mut Session, i: usize| -> Option<Step> {
        let field = fields.get(2 * i + 1)?;
        let Tok::Ident(key) = field.tok else {
            return None;
        };
        Some(Step {
            key: session.share(key),
            end: field.span.end,
            indexed: false,
        })
    };
    let steps = if len == 1 {
        Steps::One(step(session, 0)?)
    } else {
        let mut all = Vec::with_capacity(len);
        for i in 0..len {
            all.push(step(session, i)?);
        }
        Steps::Many(all.into_boxed_slice())
    };
    // A string is shared after the path's names, as the checker does.
    let value = match (value, literal.tok) {
        (Some(value), _) => value,
        (None, Tok::Str(Lit::Src(text))) => Value::String(session.share(text)),
        (None, Tok::Str(Lit::Decoded(i))) => Value::String(session.share(strings.get(i as usize)?)),
        (None, _) => return None,
    };
    *at += 2 * len + 3;
    let path_span = super::Span {
        start: root.span.start,
        end: path_end,
    };
    Some(PathCmp {
        op,
        base: Base::Root(u32::try_from(index).ok()?),
        steps,
        value,
        path_span,
        span: path_span.to(literal.span),
    })
}
