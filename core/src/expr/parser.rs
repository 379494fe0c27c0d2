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

use super::lexer::{Tok, Token};
use super::{CompileError, Span};

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

/// A syntax-tree node with its byte span and nesting depth.
#[derive(Clone, Debug)]
pub(crate) struct Ast {
    pub(crate) kind: AstKind,
    pub(crate) span: Span,
    pub(crate) depth: u32,
}

/// The syntax-tree node kinds.
#[derive(Clone, Debug)]
pub(crate) enum AstKind {
    Null,
    Bool(bool),
    Int(i64),
    Double(f64),
    Str(String),
    /// A name; `leading_dot` for `.name`, which skips loop variables.
    Ident {
        name: String,
        leading_dot: bool,
    },
    Select {
        operand: Box<Ast>,
        field: String,
        field_span: Span,
    },
    Call {
        target: Option<Box<Ast>>,
        name: String,
        name_span: Span,
        args: Vec<Ast>,
    },
    Index {
        operand: Box<Ast>,
        index: Box<Ast>,
    },
    List(Vec<Ast>),
    Map(Vec<(Ast, Ast)>),
    Unary {
        op: UnOp,
        operand: Box<Ast>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Ast>,
        rhs: Box<Ast>,
    },
    Cond {
        cond: Box<Ast>,
        then: Box<Ast>,
        otherwise: Box<Ast>,
    },
}

/// Parses a token stream (ending with `Eof`) into one expression.
pub(crate) fn parse(
    tokens: Vec<Token>,
    max_depth: u32,
    max_nodes: usize,
) -> Result<(Ast, usize), CompileError> {
    let mut p = Parser {
        tokens,
        pos: 0,
        nest: 0,
        nodes: 0,
        max_depth,
        max_nodes,
    };
    let ast = p.expr()?;
    let tok = p.peek().clone();
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
    Ok((ast, p.nodes))
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    nest: u32,
    nodes: usize,
    max_depth: u32,
    max_nodes: usize,
}

const EOF_TOKEN: Token = Token {
    tok: Tok::Eof,
    span: Span { start: 0, end: 0 },
};

impl Parser {
    fn peek(&self) -> &Token {
        self.tokens
            .get(self.pos)
            .or_else(|| self.tokens.last())
            .unwrap_or(&EOF_TOKEN)
    }

    fn peek_tok(&self) -> &Tok {
        &self.peek().tok
    }

    fn peek2_tok(&self) -> &Tok {
        self.tokens.get(self.pos + 1).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn bump(&mut self) -> Token {
        let tok = self.peek().clone();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        tok
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek_tok() == tok {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes `tok` or fails with "unexpected X, expected `what`".
    fn expect_span(&mut self, tok: &Tok, what: &str) -> Result<Span, CompileError> {
        if self.peek_tok() == tok {
            let span = self.peek().span;
            self.pos += 1;
            Ok(span)
        } else {
            Err(self.unexpected(what))
        }
    }

    #[cold]
    #[inline(never)]
    fn unexpected(&self, what: &str) -> CompileError {
        let found = self.peek();
        CompileError {
            message: format!("unexpected {}, expected {what}", found.tok.describe()),
            span: found.span.range(),
            help: None,
        }
    }

    fn too_deep(&self, span: Span) -> CompileError {
        CompileError {
            message: format!(
                "expression is nested too deeply (more than {} levels)",
                self.max_depth
            ),
            span: span.range(),
            help: Some("split the condition into simpler ones".into()),
        }
    }

    /// Builds a node, checking the depth and node-count limits.
    fn node(&mut self, kind: AstKind, span: Span, child_depth: u32) -> Result<Ast, CompileError> {
        let depth = child_depth.saturating_add(1);
        if depth > self.max_depth {
            return Err(self.too_deep(span));
        }
        self.nodes += 1;
        if self.nodes > self.max_nodes {
            return Err(CompileError {
                message: format!(
                    "expression is too large (more than {} nodes)",
                    self.max_nodes
                ),
                span: span.range(),
                help: Some("split the condition into smaller ones".into()),
            });
        }
        Ok(Ast { kind, span, depth })
    }

    fn enter(&mut self) -> Result<(), CompileError> {
        self.nest += 1;
        if self.nest > self.max_depth {
            return Err(self.too_deep(self.peek().span));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Ast, CompileError> {
        self.enter()?;
        let result = self.conditional();
        self.nest -= 1;
        result
    }

    fn conditional(&mut self) -> Result<Ast, CompileError> {
        let cond = self.binary(0)?;
        if self.peek_tok() != &Tok::Question {
            return Ok(cond);
        }
        self.conditional_rest(cond)
    }

    #[inline(never)]
    fn conditional_rest(&mut self, cond: Ast) -> Result<Ast, CompileError> {
        self.pos += 1;
        let then = self.binary(0)?;
        self.expect_span(&Tok::Colon, "`:` of the conditional")?;
        let otherwise = self.expr()?;
        let span = cond.span.to(otherwise.span);
        let depth = cond.depth.max(then.depth).max(otherwise.depth);
        self.node(
            AstKind::Cond {
                cond: Box::new(cond),
                then: Box::new(then),
                otherwise: Box::new(otherwise),
            },
            span,
            depth,
        )
    }

    #[inline(never)]
    fn binary_node(&mut self, lhs: Ast, op: BinOp, rhs: Ast) -> Result<Ast, CompileError> {
        let span = lhs.span.to(rhs.span);
        let depth = lhs.depth.max(rhs.depth);
        self.node(
            AstKind::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
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
    fn binary(&mut self, min_prec: u8) -> Result<Ast, CompileError> {
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

    fn unary(&mut self) -> Result<Ast, CompileError> {
        if !matches!(self.peek_tok(), Tok::Bang | Tok::Minus) {
            return self.member();
        }
        self.unary_ops()
    }

    #[inline(never)]
    fn unary_ops(&mut self) -> Result<Ast, CompileError> {
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
            let full = span.to(operand.span);
            let depth = operand.depth;
            operand = self.node(
                AstKind::Unary {
                    op,
                    operand: Box::new(operand),
                },
                full,
                depth,
            )?;
        }
        Ok(operand)
    }

    fn member(&mut self) -> Result<Ast, CompileError> {
        let mut operand = self.primary()?;
        loop {
            operand = match self.peek_tok() {
                Tok::Dot => self.member_dot(operand)?,
                Tok::LBracket => self.member_index(operand)?,
                _ => return Ok(operand),
            };
        }
    }

    #[inline(never)]
    fn member_dot(&mut self, operand: Ast) -> Result<Ast, CompileError> {
        self.pos += 1;
        let (field, field_span) = self.ident("a field or method name after `.`")?;
        if self.peek_tok() == &Tok::LParen {
            let (args, close) = self.args()?;
            let span = operand.span.to(close);
            let depth = args.iter().map(|a| a.depth).fold(operand.depth, u32::max);
            let kind = AstKind::Call {
                target: Some(Box::new(operand)),
                name: field,
                name_span: field_span,
                args,
            };
            self.node(kind, span, depth)
        } else {
            let span = operand.span.to(field_span);
            let depth = operand.depth;
            self.node(
                AstKind::Select {
                    operand: Box::new(operand),
                    field,
                    field_span,
                },
                span,
                depth,
            )
        }
    }

    #[inline(never)]
    fn member_index(&mut self, operand: Ast) -> Result<Ast, CompileError> {
        self.pos += 1;
        let index = self.expr()?;
        let close = self.expect_span(&Tok::RBracket, "`]`")?;
        let span = operand.span.to(close);
        let depth = operand.depth.max(index.depth);
        self.node(
            AstKind::Index {
                operand: Box::new(operand),
                index: Box::new(index),
            },
            span,
            depth,
        )
    }

    fn ident(&mut self, what: &str) -> Result<(String, Span), CompileError> {
        let token = self.peek().clone();
        match token.tok {
            Tok::Ident(name) => {
                self.pos += 1;
                Ok((name, token.span))
            }
            // `in`, `true`, `false` and `null` are keywords, but a map's keys may spell them.
            Tok::In | Tok::True | Tok::False | Tok::Null if what.contains("field") => {
                self.pos += 1;
                let name = token.tok.describe().trim_matches('`').to_owned();
                Ok((name, token.span))
            }
            other => Err(CompileError {
                message: format!("unexpected {}, expected {what}", other.describe()),
                span: token.span.range(),
                help: None,
            }),
        }
    }

    /// Parses `( args )`, returning the arguments and the span of `)`.
    #[inline(never)]
    fn args(&mut self) -> Result<(Vec<Ast>, Span), CompileError> {
        self.expect_span(&Tok::LParen, "`(`")?;
        let mut args = Vec::new();
        loop {
            if let Some(close) = self.close(&Tok::RParen) {
                return Ok((args, close));
            }
            args.push(self.expr()?);
            if !self.eat(&Tok::Comma) {
                let close = self.expect_span(&Tok::RParen, "`,` or `)`")?;
                return Ok((args, close));
            }
        }
    }

    fn close(&mut self, tok: &Tok) -> Option<Span> {
        if self.peek_tok() == tok {
            let span = self.peek().span;
            self.pos += 1;
            Some(span)
        } else {
            None
        }
    }

    fn primary(&mut self) -> Result<Ast, CompileError> {
        match self.peek_tok() {
            Tok::LParen => self.paren(),
            Tok::LBracket => self.list_literal(),
            Tok::LBrace => self.map_literal(),
            Tok::Ident(_) | Tok::Dot => self.name(),
            _ => self.literal(),
        }
    }

    #[inline(never)]
    fn paren(&mut self) -> Result<Ast, CompileError> {
        self.pos += 1;
        let inner = self.expr()?;
        self.expect_span(&Tok::RParen, "`)`")?;
        Ok(inner)
    }

    #[inline(never)]
    fn list_literal(&mut self) -> Result<Ast, CompileError> {
        let open = self.peek().span;
        self.pos += 1;
        let mut items = Vec::new();
        let close = loop {
            if let Some(close) = self.close(&Tok::RBracket) {
                break close;
            }
            items.push(self.expr()?);
            if !self.eat(&Tok::Comma) {
                break self.expect_span(&Tok::RBracket, "`,` or `]`")?;
            }
        };
        let depth = items.iter().map(|a| a.depth).max().unwrap_or(0);
        self.node(AstKind::List(items), open.to(close), depth)
    }

    #[inline(never)]
    fn map_literal(&mut self) -> Result<Ast, CompileError> {
        let open = self.peek().span;
        self.pos += 1;
        let mut entries = Vec::new();
        let close = loop {
            if let Some(close) = self.close(&Tok::RBrace) {
                break close;
            }
            let key = self.expr()?;
            self.expect_span(&Tok::Colon, "`:` after the map key")?;
            let value = self.expr()?;
            entries.push((key, value));
            if !self.eat(&Tok::Comma) {
                break self.expect_span(&Tok::RBrace, "`,` or `}`")?;
            }
        };
        let depth = entries
            .iter()
            .map(|(k, v)| k.depth.max(v.depth))
            .max()
            .unwrap_or(0);
        self.node(AstKind::Map(entries), open.to(close), depth)
    }

    #[inline(never)]
    fn name(&mut self) -> Result<Ast, CompileError> {
        let start = self.peek().span;
        let leading_dot = self.eat(&Tok::Dot);
        let (name, name_span) = self.ident(if leading_dot {
            "a name after `.`"
        } else {
            "a name"
        })?;
        self.ident_or_call(name, start.to(name_span), name_span, leading_dot)
    }

    #[inline(never)]
    fn literal(&mut self) -> Result<Ast, CompileError> {
        let token = self.bump();
        let span = token.span;
        match token.tok {
            Tok::Int(value) => {
                let value = i64::try_from(value).map_err(|_| CompileError {
                    message: format!("integer literal `{value}` is out of range"),
                    span: span.range(),
                    help: Some(
                        "integers are signed 64-bit; write a double (`1.0e19`) for larger numbers"
                            .into(),
                    ),
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
                        let value =
                            0i64.checked_sub_unsigned(magnitude)
                                .ok_or_else(|| CompileError {
                                    message: format!(
                                        "integer literal `-{magnitude}` is out of range"
                                    ),
                                    span: full.range(),
                                    help: None,
                                })?;
                        self.node(AstKind::Int(value), full, 0)
                    }
                    Tok::Double(value) => self.node(AstKind::Double(-value), full, 0),
                    other => Err(CompileError {
                        message: format!("unexpected {}, expected a number", other.describe()),
                        span: number.span.range(),
                        help: None,
                    }),
                }
            }
            Tok::Str(s) => self.node(AstKind::Str(s), span, 0),
            Tok::True => self.node(AstKind::Bool(true), span, 0),
            Tok::False => self.node(AstKind::Bool(false), span, 0),
            Tok::Null => self.node(AstKind::Null, span, 0),
            other => Err(CompileError {
                message: format!("unexpected {}, expected an expression", other.describe()),
                span: span.range(),
                help: None,
            }),
        }
    }

    #[inline(never)]
    fn ident_or_call(
        &mut self,
        name: String,
        span: Span,
        name_span: Span,
        leading_dot: bool,
    ) -> Result<Ast, CompileError> {
        if self.peek_tok() == &Tok::LParen {
            let (args, close) = self.args()?;
            let depth = args.iter().map(|a| a.depth).max().unwrap_or(0);
            return self.node(
                AstKind::Call {
                    target: None,
                    name,
                    name_span,
                    args,
                },
                span.to(close),
                depth,
            );
        }
        self.node(AstKind::Ident { name, leading_dot }, span, 0)
    }
}
