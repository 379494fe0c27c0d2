//! The parser: tokens to a syntax tree, by recursive descent with CEL's precedence.
//!
//! ```text
//! expr     = or ("?" or ":" expr)?
//! or       = and ("||" and)*
//! and      = relation ("&&" relation)*
//! relation = sum (("<" | "<=" | ">" | ">=" | "==" | "!=" | "in") sum)*
//! sum      = product (("+" | "-") product)*
//! product  = unary (("*" | "/" | "%") unary)*
//! unary    = member | "!"+ member | "-"+ member
//! member   = primary ("." IDENT ("(" args ")")? | "[" expr "]")*
//! primary  = "."? IDENT ("(" args ")")? | "(" expr ")" | "[" list "]" | "{" map "}" | literal
//! ```
//!
//! The parser never recurses deeper than `max_depth`: every nested `expr` and every unary
//! operator counts, and so does each level of the tree built by the loops (a long `a.b.c...`
//! chain or `1 + 1 + ...` is as deep as it is long), so a hostile input gets an error, not a
//! stack overflow.
//!
//! The tree lives in one arena ([`Tree`]): nodes refer to their children by index, and the
//! arguments of calls and the items of list and map literals are runs in a shared list, so
//! parsing allocates a few vectors per expression rather than a box per node, and none at all
//! when it is handed the emptied vectors of the previous expression ([`Spare`]). Names and string
//! literals borrow from the source.

use super::lexer::{Lit, Tok, Token};
use super::{CompileError, Span};

/// Errors travel boxed inside the parser, so that a result is two words and comes back in
/// registers from the many small functions of the descent.
type Error = Box<CompileError>;

fn error(message: String, span: Span, help: Option<String>) -> Error {
    Box::new(CompileError {
        message,
        span: span.range(),
        help,
    })
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    And,
    Or,
}

impl BinOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::And => "&&",
            BinOp::Or => "||",
        }
    }
}

/// A unary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UnOp {
    Not,
    Neg,
}

/// The index of a node in its [`Tree`].
pub(crate) type NodeId = u32;

/// A run of node indices in [`Tree::lists`]: the arguments of a call, the items of a list, the
/// keys and values of a map (alternating).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Children {
    start: u32,
    len: u32,
}

/// A syntax-tree node with its byte span.
#[derive(Clone, Debug)]
pub(crate) struct Ast<'s> {
    pub(crate) kind: AstKind<'s>,
    pub(crate) span: Span,
}

/// The syntax-tree node kinds.
#[derive(Clone, Debug)]
pub(crate) enum AstKind<'s> {
    Null,
    Bool(bool),
    Int(i64),
    Double(f64),
    Str(Lit<'s>),
    /// A name; `leading_dot` for `.name`, which skips loop variables.
    Ident {
        name: &'s str,
        leading_dot: bool,
    },
    Select {
        operand: NodeId,
        field: &'s str,
        field_span: Span,
    },
    Call {
        target: Option<NodeId>,
        name: &'s str,
        name_span: Span,
        args: Children,
    },
    Index {
        operand: NodeId,
        index: NodeId,
    },
    List(Children),
    /// Keys and values, alternating.
    Map(Children),
    Unary {
        op: UnOp,
        operand: NodeId,
    },
    Binary {
        op: BinOp,
        lhs: NodeId,
        rhs: NodeId,
    },
    Cond {
        cond: NodeId,
        then: NodeId,
        otherwise: NodeId,
    },
}

/// A parsed expression: the node arena, the shared child lists, and the decoded text of
/// string literals that had escapes.
pub(crate) struct Tree<'s> {
    nodes: Vec<Ast<'s>>,
    lists: Vec<NodeId>,
    strings: Vec<String>,
}

/// Stands in for a node index that is out of range (which the parser never produces).
const MISSING: Ast<'static> = Ast {
    kind: AstKind::Null,
    span: Span { start: 0, end: 0 },
};

/// Emptied vectors whose allocations the next parse reuses: nodes and lists borrow from their
/// source, so a vector changes its lifetime through [`recycle`] rather than being kept as is.
#[derive(Default)]
pub(crate) struct Spare<'s> {
    pub(crate) nodes: Vec<Ast<'s>>,
    pub(crate) lists: Vec<NodeId>,
}

/// `buf` emptied and retyped; the standard library collects a vector's own iterator into the
/// same allocation when the element layouts agree, as they do for one type under two lifetimes.
pub(crate) fn recycle<A, B>(mut buf: Vec<A>) -> Vec<B> {
    buf.clear();
    buf.into_iter().filter_map(|_| None).collect()
}

impl<'s> Tree<'s> {
    /// The tree's vectors, emptied, for the next parse.
    pub(crate) fn into_spare<'n>(self) -> Spare<'n> {
        Spare {
            nodes: recycle(self.nodes),
            lists: recycle(self.lists),
        }
    }

    /// The node at `id`.
    pub(crate) fn get(&self, id: NodeId) -> &Ast<'s> {
        self.nodes.get(id as usize).unwrap_or(&MISSING)
    }

    /// The node indices of a run.
    pub(crate) fn children(&self, run: Children) -> &[NodeId] {
        let start = run.start as usize;
        self.lists
            .get(start..start + run.len as usize)
            .unwrap_or_default()
    }

    /// The text of a string literal.
    pub(crate) fn text<'t>(&'t self, lit: Lit<'s>) -> &'t str {
        match lit {
            Lit::Src(text) => text,
            Lit::Decoded(index) => self.strings.get(index as usize).map_or("", String::as_str),
        }
    }
}

/// Parses a token stream (ending with `Eof`) into one expression: the tree and its root.
/// `strings` are the lexer's decoded string literals; `spare` lends its allocations.
pub(crate) fn parse<'s>(
    tokens: &[Token<'s>],
    strings: Vec<String>,
    spare: Spare<'s>,
    max_depth: u32,
    max_nodes: usize,
) -> Result<(Tree<'s>, NodeId), CompileError> {
    let Spare {
        mut nodes,
        mut lists,
    } = spare;
    nodes.clear();
    lists.clear();
    // Every node consumes at least one token of its own, so this is enough for the whole tree.
    nodes.reserve(tokens.len().min(max_nodes.saturating_add(1)));
    let mut p = Parser {
        tokens,
        pos: 0,
        nest: 0,
        max_depth,
        max_nodes,
        nodes,
        lists,
        scratch: Vec::new(),
    };
    let root = p.expr().map_err(|e| *e)?;
    let tok = *p.peek();
    if tok.tok != Tok::Eof {
        return Err(CompileError {
            message: format!(
                "unexpected {}, expected an operator or the end of the expression",
                tok.tok.describe()
            ),
            span: tok.span.range(),
            help: None,
        });
    }
    let tree = Tree {
        nodes: p.nodes,
        lists: p.lists,
        strings,
    };
    Ok((tree, root.id))
}

/// A node just built: its index and the depth its parent needs (its span is the node's).
#[derive(Clone, Copy)]
struct Built {
    id: NodeId,
    depth: u32,
}

struct Parser<'t, 's> {
    tokens: &'t [Token<'s>],
    pos: usize,
    nest: u32,
    max_depth: u32,
    max_nodes: usize,
    nodes: Vec<Ast<'s>>,
    lists: Vec<NodeId>,
    /// Children of the lists being parsed, innermost last; moved to `lists` when one closes.
    scratch: Vec<NodeId>,
}

const EOF_TOKEN: Token<'static> = Token {
    tok: Tok::Eof,
    span: Span { start: 0, end: 0 },
};

impl<'s> Parser<'_, 's> {
    fn peek(&self) -> &Token<'s> {
        self.tokens
            .get(self.pos)
            .or_else(|| self.tokens.last())
            .unwrap_or(&EOF_TOKEN)
    }

    fn peek_tok(&self) -> &Tok<'s> {
        &self.peek().tok
    }

    fn peek2_tok(&self) -> &Tok<'s> {
        self.tokens.get(self.pos + 1).map_or(&Tok::Eof, |t| &t.tok)
    }

    /// Whether the token at the cursor is `tok`, a punctuation token (one without a payload,
    /// so comparing the kinds is comparing the tokens).
    fn at(&self, tok: &Tok<'_>) -> bool {
        std::mem::discriminant(self.peek_tok()) == std::mem::discriminant(tok)
    }

    fn bump(&mut self) -> Token<'s> {
        let tok = *self.peek();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        tok
    }

    fn eat(&mut self, tok: &Tok<'_>) -> bool {
        if self.at(tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes `tok` or fails with "unexpected X, expected `what`".
    fn expect_span(&mut self, tok: &Tok<'_>, what: &str) -> Result<Span, Error> {
        if self.at(tok) {
            let span = self.peek().span;
            self.pos += 1;
            Ok(span)
        } else {
            Err(self.unexpected(what))
        }
    }

    #[cold]
    #[inline(never)]
    fn unexpected(&self, what: &str) -> Error {
        let found = self.peek();
        error(
            format!("unexpected {}, expected {what}", found.tok.describe()),
            found.span,
            None,
        )
    }

    #[cold]
    #[inline(never)]
    fn too_deep(&self, span: Span) -> Error {
        error(
            format!(
                "expression is nested too deeply (more than {} levels)",
                self.max_depth
            ),
            span,
            Some("split the condition into simpler ones".into()),
        )
    }

    #[cold]
    #[inline(never)]
    fn too_large(&self, span: Span) -> Error {
        error(
            format!(
                "expression is too large (more than {} nodes)",
                self.max_nodes
            ),
            span,
            Some("split the condition into smaller ones".into()),
        )
    }

    /// Builds a node, checking the depth and node-count limits.
    fn node(&mut self, kind: AstKind<'s>, span: Span, child_depth: u32) -> Result<Built, Error> {
        let depth = child_depth.saturating_add(1);
        if depth > self.max_depth {
            return Err(self.too_deep(span));
        }
        if self.nodes.len() >= self.max_nodes {
            return Err(self.too_large(span));
        }
        let id = u32::try_from(self.nodes.len()).map_err(|_| self.too_large(span))?;
        self.nodes.push(Ast { kind, span });
        Ok(Built { id, depth })
    }

    /// The span of a node built earlier.
    fn span(&self, built: Built) -> Span {
        self.nodes.get(built.id as usize).unwrap_or(&MISSING).span
    }

    /// Moves the children collected in `scratch` since `base` to `lists`.
    fn finish_list(&mut self, base: usize) -> Children {
        let start = u32::try_from(self.lists.len()).unwrap_or(u32::MAX);
        let tail = self.scratch.get(base..).unwrap_or_default();
        let len = u32::try_from(tail.len()).unwrap_or(0);
        self.lists.extend_from_slice(tail);
        self.scratch.truncate(base);
        Children { start, len }
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.nest += 1;
        if self.nest > self.max_depth {
            return Err(self.too_deep(self.peek().span));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Built, Error> {
        self.enter()?;
        let result = self.conditional();
        self.nest -= 1;
        result
    }

    fn conditional(&mut self) -> Result<Built, Error> {
        let cond = self.binary(0)?;
        if !matches!(self.peek_tok(), Tok::Question) {
            return Ok(cond);
        }
        self.conditional_rest(cond)
    }

    #[inline(never)]
    fn conditional_rest(&mut self, cond: Built) -> Result<Built, Error> {
        self.pos += 1;
        let then = self.binary(0)?;
        self.expect_span(&Tok::Colon, "`:` of the conditional")?;
        let otherwise = self.expr()?;
        let span = self.span(cond).to(self.span(otherwise));
        let depth = cond.depth.max(then.depth).max(otherwise.depth);
        self.node(
            AstKind::Cond {
                cond: cond.id,
                then: then.id,
                otherwise: otherwise.id,
            },
            span,
            depth,
        )
    }

    fn binary_node(&mut self, lhs: Built, op: BinOp, rhs: Built) -> Result<Built, Error> {
        let span = self.span(lhs).to(self.span(rhs));
        let depth = lhs.depth.max(rhs.depth);
        self.node(
            AstKind::Binary {
                op,
                lhs: lhs.id,
                rhs: rhs.id,
            },
            span,
            depth,
        )
    }

    /// The binary operator at the cursor and its precedence (higher binds tighter).
    fn binary_op(&self) -> Option<(BinOp, u8)> {
        Some(match self.peek_tok() {
            Tok::OrOr => (BinOp::Or, 1),
            Tok::AndAnd => (BinOp::And, 2),
            Tok::Lt => (BinOp::Lt, 3),
            Tok::Le => (BinOp::Le, 3),
            Tok::Gt => (BinOp::Gt, 3),
            Tok::Ge => (BinOp::Ge, 3),
            Tok::EqEq => (BinOp::Eq, 3),
            Tok::NotEq => (BinOp::Ne, 3),
            Tok::In => (BinOp::In, 3),
            Tok::Plus => (BinOp::Add, 4),
            Tok::Minus => (BinOp::Sub, 4),
            Tok::Star => (BinOp::Mul, 5),
            Tok::Slash => (BinOp::Div, 5),
            Tok::Percent => (BinOp::Rem, 5),
            _ => return None,
        })
    }

    /// Precedence climbing: every operator is left-associative.
    fn binary(&mut self, min_prec: u8) -> Result<Built, Error> {
        let mut lhs = self.unary()?;
        while let Some((op, prec)) = self.binary_op() {
            if prec < min_prec {
                break;
            }
            self.pos += 1;
            let rhs = self.binary(prec + 1)?;
            lhs = self.binary_node(lhs, op, rhs)?;
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Built, Error> {
        if !matches!(self.peek_tok(), Tok::Bang | Tok::Minus) {
            return self.member();
        }
        self.unary_ops()
    }

    #[inline(never)]
    fn unary_ops(&mut self) -> Result<Built, Error> {
        let mut ops: Vec<(UnOp, Span)> = Vec::new();
        loop {
            let span = self.peek().span;
            let op = match self.peek_tok() {
                Tok::Bang => UnOp::Not,
                // A minus right before a number literal is the literal's sign (CEL's grammar),
                // so `-9223372036854775808` can be written and `-1.size()` means `(-1).size()`.
                Tok::Minus if matches!(self.peek2_tok(), Tok::Int(_) | Tok::Double(_)) => break,
                Tok::Minus => UnOp::Neg,
                _ => break,
            };
            if ops.len() as u32 >= self.max_depth {
                return Err(self.too_deep(span));
            }
            self.pos += 1;
            ops.push((op, span));
        }
        let mut operand = self.member()?;
        while let Some((op, span)) = ops.pop() {
            let full = span.to(self.span(operand));
            operand = self.node(
                AstKind::Unary {
                    op,
                    operand: operand.id,
                },
                full,
                operand.depth,
            )?;
        }
        Ok(operand)
    }

    fn member(&mut self) -> Result<Built, Error> {
        let mut operand = self.primary()?;
        loop {
            operand = match self.peek_tok() {
                Tok::Dot => self.member_dot(operand)?,
                Tok::LBracket => self.member_index(operand)?,
                _ => return Ok(operand),
            };
        }
    }

    fn member_dot(&mut self, operand: Built) -> Result<Built, Error> {
        self.pos += 1;
        let (field, field_span) = self.ident("a field or method name after `.`")?;
        if matches!(self.peek_tok(), Tok::LParen) {
            let (args, close, depth) = self.args()?;
            let kind = AstKind::Call {
                target: Some(operand.id),
                name: field,
                name_span: field_span,
                args,
            };
            let span = self.span(operand).to(close);
            self.node(kind, span, depth.max(operand.depth))
        } else {
            let span = self.span(operand).to(field_span);
            self.node(
                AstKind::Select {
                    operand: operand.id,
                    field,
                    field_span,
                },
                span,
                operand.depth,
            )
        }
    }

    #[inline(never)]
    fn member_index(&mut self, operand: Built) -> Result<Built, Error> {
        self.pos += 1;
        let index = self.expr()?;
        let close = self.expect_span(&Tok::RBracket, "`]`")?;
        let span = self.span(operand).to(close);
        let depth = operand.depth.max(index.depth);
        self.node(
            AstKind::Index {
                operand: operand.id,
                index: index.id,
            },
            span,
            depth,
        )
    }

    fn ident(&mut self, what: &str) -> Result<(&'s str, Span), Error> {
        let token = *self.peek();
        let keyword = match token.tok {
            Tok::Ident(name) => {
                self.pos += 1;
                return Ok((name, token.span));
            }
            Tok::In => "in",
            Tok::True => "true",
            Tok::False => "false",
            Tok::Null => "null",
            _ => "",
        };
        // `in`, `true`, `false` and `null` are keywords, but a map's keys may spell them.
        if !keyword.is_empty() && what.contains("field") {
            self.pos += 1;
            return Ok((keyword, token.span));
        }
        Err(error(
            format!("unexpected {}, expected {what}", token.tok.describe()),
            token.span,
            None,
        ))
    }

    /// Parses `( args )`, returning the arguments, the span of `)` and the deepest argument.
    #[inline(never)]
    fn args(&mut self) -> Result<(Children, Span, u32), Error> {
        self.expect_span(&Tok::LParen, "`(`")?;
        let base = self.scratch.len();
        let mut depth = 0;
        let close = loop {
            if let Some(close) = self.close(&Tok::RParen) {
                break close;
            }
            let arg = self.expr()?;
            depth = depth.max(arg.depth);
            self.scratch.push(arg.id);
            if !self.eat(&Tok::Comma) {
                break self.expect_span(&Tok::RParen, "`,` or `)`")?;
            }
        };
        Ok((self.finish_list(base), close, depth))
    }

    fn close(&mut self, tok: &Tok<'_>) -> Option<Span> {
        if self.at(tok) {
            let span = self.peek().span;
            self.pos += 1;
            Some(span)
        } else {
            None
        }
    }

    fn primary(&mut self) -> Result<Built, Error> {
        match self.peek_tok() {
            Tok::LParen => self.paren(),
            Tok::LBracket => self.list_literal(),
            Tok::LBrace => self.map_literal(),
            Tok::Ident(_) | Tok::Dot => self.name(),
            _ => self.literal(),
        }
    }

    #[inline(never)]
    fn paren(&mut self) -> Result<Built, Error> {
        self.pos += 1;
        let inner = self.expr()?;
        self.expect_span(&Tok::RParen, "`)`")?;
        Ok(inner)
    }

    #[inline(never)]
    fn list_literal(&mut self) -> Result<Built, Error> {
        let open = self.peek().span;
        self.pos += 1;
        let base = self.scratch.len();
        let mut depth = 0;
        let close = loop {
            if let Some(close) = self.close(&Tok::RBracket) {
                break close;
            }
            let item = self.expr()?;
            depth = depth.max(item.depth);
            self.scratch.push(item.id);
            if !self.eat(&Tok::Comma) {
                break self.expect_span(&Tok::RBracket, "`,` or `]`")?;
            }
        };
        let items = self.finish_list(base);
        self.node(AstKind::List(items), open.to(close), depth)
    }

    #[inline(never)]
    fn map_literal(&mut self) -> Result<Built, Error> {
        let open = self.peek().span;
        self.pos += 1;
        let base = self.scratch.len();
        let mut depth = 0;
        let close = loop {
            if let Some(close) = self.close(&Tok::RBrace) {
                break close;
            }
            let key = self.expr()?;
            self.expect_span(&Tok::Colon, "`:` after the map key")?;
            let value = self.expr()?;
            depth = depth.max(key.depth).max(value.depth);
            self.scratch.push(key.id);
            self.scratch.push(value.id);
            if !self.eat(&Tok::Comma) {
                break self.expect_span(&Tok::RBrace, "`,` or `}`")?;
            }
        };
        let entries = self.finish_list(base);
        self.node(AstKind::Map(entries), open.to(close), depth)
    }

    fn name(&mut self) -> Result<Built, Error> {
        let start = self.peek().span;
        let leading_dot = self.eat(&Tok::Dot);
        let (name, name_span) = self.ident(if leading_dot {
            "a name after `.`"
        } else {
            "a name"
        })?;
        let span = start.to(name_span);
        if matches!(self.peek_tok(), Tok::LParen) {
            return self.global_call(name, span, name_span);
        }
        self.node(AstKind::Ident { name, leading_dot }, span, 0)
    }

    #[inline(never)]
    fn global_call(&mut self, name: &'s str, span: Span, name_span: Span) -> Result<Built, Error> {
        let (args, close, depth) = self.args()?;
        self.node(
            AstKind::Call {
                target: None,
                name,
                name_span,
                args,
            },
            span.to(close),
            depth,
        )
    }

    #[inline(never)]
    fn literal(&mut self) -> Result<Built, Error> {
        let token = self.bump();
        let span = token.span;
        match token.tok {
            Tok::Int(value) => {
                let value = i64::try_from(value).map_err(|_| {
                    error(
                        format!("integer literal `{value}` is out of range"),
                        span,
                        Some(
                            "integers are signed 64-bit; write a double (`1.0e19`) for larger numbers"
                                .into(),
                        ),
                    )
                })?;
                self.node(AstKind::Int(value), span, 0)
            }
            Tok::Double(value) => self.node(AstKind::Double(value), span, 0),
            Tok::Minus => {
                // Only reached for a minus directly before a number literal (see `unary`).
                let number = self.bump();
                let full = span.to(number.span);
                match number.tok {
                    Tok::Int(magnitude) => {
                        let value = 0i64.checked_sub_unsigned(magnitude).ok_or_else(|| {
                            error(
                                format!("integer literal `-{magnitude}` is out of range"),
                                full,
                                None,
                            )
                        })?;
                        self.node(AstKind::Int(value), full, 0)
                    }
                    Tok::Double(value) => self.node(AstKind::Double(-value), full, 0),
                    other => Err(error(
                        format!("unexpected {}, expected a number", other.describe()),
                        number.span,
                        None,
                    )),
                }
            }
            Tok::Str(s) => self.node(AstKind::Str(s), span, 0),
            Tok::True => self.node(AstKind::Bool(true), span, 0),
            Tok::False => self.node(AstKind::Bool(false), span, 0),
            Tok::Null => self.node(AstKind::Null, span, 0),
            other => Err(error(
                format!("unexpected {}, expected an expression", other.describe()),
                span,
                None,
            )),
        }
    }
}
