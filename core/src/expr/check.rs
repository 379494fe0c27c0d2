//! The checker: resolves names against the scope, expands macros, resolves calls to built-ins,
//! folds constants and picks specialised node shapes, turning the syntax tree into the tree
//! the evaluator runs.

use std::cell::Cell;
use std::sync::Arc;

use super::eval::{self, Base, Cx, Expr, Kind, Loop, LoopKind, Step, Steps};
use super::funcs::{self, Func, MACROS, SIGS, Style};
use super::lexer::RESERVED;
use super::parser::{Ast, AstKind, BinOp, Children, NodeId, Tree, UnOp};
use super::{CompileError, Scope, Session, Span};
use crate::value::{Str, Value};

pub(crate) struct Checker<'a, 's> {
    pub(crate) scope: &'a Scope,
    pub(crate) src: &'a str,
    /// The parsed expression.
    pub(crate) tree: &'a Tree<'a>,
    /// Loop variables in scope, innermost last.
    pub(crate) locals: Vec<&'a str>,
    /// Shares field names and string constants with the policy's other expressions.
    pub(crate) session: &'s mut Session,
}

/// Errors travel boxed, so that a result is no larger than the node it carries.
pub(crate) type Error = Box<CompileError>;

type Res<T> = Result<T, Error>;

#[cold]
fn cerr(message: String, span: Span, help: Option<String>) -> Error {
    Box::new(CompileError {
        message,
        span: span.range(),
        help,
    })
}

/// Edit distance over characters, counting a swap of neighbours as one edit (optimal string
/// alignment), so `inptu` is one edit from `input`.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    // Three rows: two back, one back, current.
    let mut rows = vec![0usize; 3 * width];
    for (j, cell) in rows.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    let at = |rows: &Vec<usize>, r: usize, j: usize| {
        rows.get((r % 3) * width + j)
            .copied()
            .unwrap_or(usize::MAX / 2)
    };
    for i in 1..=a.len() {
        if let Some(first) = rows.get_mut((i % 3) * width) {
            *first = i;
        }
        for j in 1..=b.len() {
            let ca = a.get(i - 1);
            let cb = b.get(j - 1);
            let cost = usize::from(ca != cb);
            let mut best = (at(&rows, i - 1, j) + 1)
                .min(at(&rows, i, j - 1) + 1)
                .min(at(&rows, i - 1, j - 1) + cost);
            if i > 1 && j > 1 && ca == b.get(j - 2) && a.get(i - 2) == cb {
                best = best.min(at(&rows, i - 2, j - 2) + 1);
            }
            if let Some(cell) = rows.get_mut((i % 3) * width + j) {
                *cell = best;
            }
        }
    }
    at(&rows, a.len(), b.len())
}

/// The candidate closest to `name`, if it is close enough to be a plausible typo.
pub(crate) fn closest<'n>(
    name: &str,
    candidates: impl IntoIterator<Item = &'n str>,
) -> Option<&'n str> {
    let lower = name.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            // A difference only in case is the likeliest typo of all.
            let d = if c.to_ascii_lowercase() == lower {
                0
            } else {
                distance(name, c)
            };
            (d, c)
        })
        .filter(|(d, c)| *d <= (name.chars().count().max(c.chars().count()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn list_names<'n>(names: impl IntoIterator<Item = &'n str>) -> String {
    let names: Vec<String> = names.into_iter().map(|n| format!("`{n}`")).collect();
    names.join(", ")
}

fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

fn pair(a: Expr, b: Expr) -> super::eval::Pair {
    Box::new([a, b])
}

/// Whether a `math.greatest`/`math.least` argument can be a number: a number literal or
/// anything that is not another literal (as CEL's math extension checks).
fn may_be_numeric(arg: &Ast<'_>) -> bool {
    !matches!(
        arg.kind,
        AstKind::Null | AstKind::Bool(_) | AstKind::Str(_) | AstKind::List(_) | AstKind::Map(_)
    )
}

/// CEL's math extension rejects literal arguments that cannot be numbers when it expands the
/// call: `math.greatest([])`, `math.greatest('a')`, `math.least(1, [2])`.
fn check_extreme_args(shown: &str, tree: &Tree<'_>, args: &[NodeId]) -> Res<()> {
    match args {
        [arg] => {
            let arg = tree.get(*arg);
            let numeric_list = matches!(&arg.kind, AstKind::List(items)
                if !tree.children(*items).is_empty()
                    && tree.children(*items).iter().all(|i| may_be_numeric(tree.get(*i))));
            if numeric_list || may_be_numeric(arg) {
                Ok(())
            } else {
                Err(cerr(
                    format!("`{shown}` needs a number or a non-empty list of numbers"),
                    arg.span,
                    None,
                ))
            }
        }
        args => match args
            .iter()
            .map(|a| tree.get(*a))
            .find(|a| !may_be_numeric(a))
        {
            Some(arg) => Err(cerr(
                format!("the arguments of `{shown}` must be numbers"),
                arg.span,
                None,
            )),
            None => Ok(()),
        },
    }
}

fn constant(value: Value, span: Span) -> Expr {
    Expr {
        kind: Kind::Const(value),
        span,
    }
}

fn is_const(e: &Expr) -> bool {
    matches!(e.kind, Kind::Const(_))
}

/// Whether `e` is an operation on constants only (which [`Checker::fold`] evaluates).
fn foldable(e: &Expr) -> bool {
    match &e.kind {
        Kind::Const(_) | Kind::Var(_) | Kind::Path(..) | Kind::AllCmp(_) | Kind::Loop(_) => false,
        Kind::Select(a, _)
        | Kind::Has(a, _)
        | Kind::Not(a)
        | Kind::Neg(a)
        | Kind::Matches(a, _) => is_const(a),
        Kind::CmpConst(_, a, _) => is_const(a),
        Kind::Index(p) | Kind::And(p) | Kind::Or(p) | Kind::Binary(_, p) => p.iter().all(is_const),
        Kind::Cond(a, b, c) => is_const(a) && is_const(b) && is_const(c),
        Kind::List(items) => items.iter().all(is_const),
        Kind::Map(entries) => entries.iter().all(|(k, v)| is_const(k) && is_const(v)),
        Kind::Call(_, args) => args.iter().all(is_const),
    }
}

impl<'a> Checker<'a, '_> {
    /// Lowers one node. A thin dispatcher, so that one level of nesting costs little stack.
    pub(crate) fn lower(&mut self, id: NodeId) -> Res<Expr> {
        let tree = self.tree;
        let ast = tree.get(id);
        let span = ast.span;
        match ast.kind {
            AstKind::Null => Ok(constant(Value::Null, span)),
            AstKind::Bool(b) => Ok(constant(Value::Bool(b), span)),
            AstKind::Int(i) => Ok(constant(Value::Int(i), span)),
            AstKind::Double(d) => Ok(constant(Value::Double(d), span)),
            AstKind::Str(s) => Ok(constant(
                Value::String(self.session.share(tree.text(s))),
                span,
            )),
            AstKind::Ident { name, leading_dot } => Ok(Expr {
                kind: Kind::Var(self.resolve(name, span, leading_dot)?),
                span,
            }),
            AstKind::Select {
                operand,
                field,
                field_span,
            } => self.lower_select(operand, field, field_span, span),
            AstKind::Index { operand, index } => self.lower_index(operand, index, span),
            AstKind::List(items) => self.lower_list(items, span),
            AstKind::Map(entries) => self.lower_map(entries, span),
            AstKind::Unary { op, operand } => self.lower_unary(op, operand, span),
            AstKind::Binary { op, lhs, rhs } => self.lower_binary(op, lhs, rhs, span),
            AstKind::Cond {
                cond,
                then,
                otherwise,
            } => self.lower_cond(cond, then, otherwise),
            AstKind::Call {
                target,
                name,
                name_span,
                args,
            } => self.call(target, name, name_span, args, span),
        }
    }

    #[inline(never)]
    fn lower_select(
        &mut self,
        operand: NodeId,
        field: &str,
        field_span: Span,
        span: Span,
    ) -> Res<Expr> {
        if let AstKind::Select { .. } = self.tree.get(operand).kind {
            return self.lower_path(operand, field, span);
        }
        let operand = self.lower(operand)?;
        self.check_field(&operand, field, field_span)?;
        let field = self.session.share(field);
        Ok(self.select(operand, field, span, false))
    }

    /// `a.b.c...`: a chain of two or more selections. When it starts at a name it becomes one
    /// static path, built at its final length (what selecting one field at a time gives, without
    /// growing the path once per field); otherwise it is lowered one field at a time.
    #[inline(never)]
    fn lower_path(&mut self, inner: NodeId, field: &str, span: Span) -> Res<Expr> {
        let tree = self.tree;
        let mut len = 1;
        let mut base = inner;
        while let AstKind::Select { operand, .. } = tree.get(base).kind {
            base = operand;
            len += 1;
        }
        if !matches!(tree.get(base).kind, AstKind::Ident { .. }) {
            let AstKind::Select {
                operand,
                field: inner_field,
                field_span,
            } = tree.get(inner).kind
            else {
                return Err(cerr("internal error: not a selection".into(), span, None));
            };
            let operand = self.lower(operand)?;
            self.check_field(&operand, inner_field, field_span)?;
            let inner_field = self.session.share(inner_field);
            let operand = self.select(operand, inner_field, tree.get(inner).span, false);
            let field = self.session.share(field);
            return Ok(self.select(operand, field, span, false));
        }
        let root = self.lower(base)?;
        let Kind::Var(base_var) = root.kind else {
            return Err(cerr("internal error: not a variable".into(), span, None));
        };
        // The steps from the outermost in, reversed at the end.
        let mut steps = Vec::with_capacity(len);
        steps.push(Step {
            key: self.session.share(field),
            end: span.end,
            indexed: false,
        });
        let mut at = inner;
        while let Ast {
            kind:
                AstKind::Select {
                    operand,
                    field,
                    field_span,
                },
            span: step_span,
        } = *tree.get(at)
        {
            if operand == base {
                // The first step is the one checked against the root's declared fields.
                self.check_field(&root, field, field_span)?;
            }
            steps.push(Step {
                key: self.session.share(field),
                end: step_span.end,
                indexed: false,
            });
            at = operand;
        }
        steps.reverse();
        Ok(Expr {
            kind: Kind::Path(base_var, Steps::from_vec(steps)),
            span,
        })
    }

    #[inline(never)]
    fn lower_index(&mut self, operand: NodeId, index: NodeId, span: Span) -> Res<Expr> {
        let operand = self.lower(operand)?;
        let index = self.lower(index)?;
        if let Kind::Const(Value::String(key)) = &index.kind
            && matches!(operand.kind, Kind::Var(_) | Kind::Path(..))
        {
            return Ok(self.select(operand, key.clone(), span, true));
        }
        Ok(self.fold(Expr {
            kind: Kind::Index(pair(operand, index)),
            span,
        }))
    }

    #[inline(never)]
    fn lower_list(&mut self, items: Children, span: Span) -> Res<Expr> {
        let items = self.lower_all(self.tree.children(items))?;
        Ok(self.fold(Expr {
            kind: Kind::List(items.into()),
            span,
        }))
    }

    #[inline(never)]
    fn lower_map(&mut self, entries: Children, span: Span) -> Res<Expr> {
        let entries = self.tree.children(entries);
        let mut out = Vec::with_capacity(entries.len() / 2);
        let mut seen: Vec<Str> = Vec::new();
        for pair in entries.chunks_exact(2) {
            let [key, value] = *pair else { continue };
            let key = self.lower(key)?;
            match &key.kind {
                Kind::Const(Value::String(k)) => {
                    if seen.contains(k) {
                        return Err(cerr(format!("duplicate map key `{k}`"), key.span, None));
                    }
                    seen.push(k.clone());
                }
                Kind::Const(other) => {
                    return Err(cerr(
                        format!("map keys must be strings, not `{}`", other.type_name()),
                        key.span,
                        Some(format!("write the key as a string: `\"{other}\"`")),
                    ));
                }
                _ => {}
            }
            let value = self.lower(value)?;
            out.push((key, value));
        }
        Ok(self.fold(Expr {
            kind: Kind::Map(out.into()),
            span,
        }))
    }

    #[inline(never)]
    fn lower_unary(&mut self, op: UnOp, operand: NodeId, span: Span) -> Res<Expr> {
        let operand = boxed(self.lower(operand)?);
        let kind = match op {
            UnOp::Not => Kind::Not(operand),
            UnOp::Neg => Kind::Neg(operand),
        };
        Ok(self.fold(Expr { kind, span }))
    }

    #[inline(never)]
    fn lower_binary(&mut self, op: BinOp, lhs: NodeId, rhs: NodeId, span: Span) -> Res<Expr> {
        let lhs = self.lower(lhs)?;
        let rhs = self.lower(rhs)?;
        let kind = match op {
            BinOp::And | BinOp::Or => {
                // `false && x` and `x && false` are false whatever `x` does (CEL's
                // commutative absorption); likewise `true || x`.
                let absorbing = Value::Bool(op == BinOp::Or);
                for side in [&lhs, &rhs] {
                    if let Kind::Const(v) = &side.kind
                        && *v == absorbing
                    {
                        return Ok(constant(absorbing, span));
                    }
                }
                if op == BinOp::And {
                    Kind::And(pair(lhs, rhs))
                } else {
                    Kind::Or(pair(lhs, rhs))
                }
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
                if !is_const(&lhs) =>
            {
                match rhs.kind {
                    // Its operand is not a constant, so it does not fold.
                    Kind::Const(v) => {
                        return Ok(Expr {
                            kind: Kind::CmpConst(op, boxed(lhs), v),
                            span,
                        });
                    }
                    other => Kind::Binary(
                        op,
                        pair(
                            lhs,
                            Expr {
                                kind: other,
                                span: rhs.span,
                            },
                        ),
                    ),
                }
            }
            _ => Kind::Binary(op, pair(lhs, rhs)),
        };
        Ok(self.fold(Expr { kind, span }))
    }

    #[inline(never)]
    fn lower_cond(&mut self, cond: NodeId, then: NodeId, otherwise: NodeId) -> Res<Expr> {
        let span = self.tree.get(cond).span.to(self.tree.get(otherwise).span);
        let cond = self.lower(cond)?;
        let then = self.lower(then)?;
        let otherwise = self.lower(otherwise)?;
        if let Kind::Const(Value::Bool(b)) = cond.kind {
            return Ok(if b { then } else { otherwise });
        }
        Ok(Expr {
            kind: Kind::Cond(boxed(cond), boxed(then), boxed(otherwise)),
            span,
        })
    }

    /// Resolves a free name: a loop variable, else a root.
    fn resolve(&self, name: &str, span: Span, leading_dot: bool) -> Res<Base> {
        if !leading_dot && let Some(pos) = self.locals.iter().rposition(|l| *l == name) {
            let depth = self.locals.len() - 1 - pos;
            return Ok(Base::Local(depth as u32));
        }
        if let Some(index) = self.scope.roots.iter().position(|r| &*r.name == name) {
            return Ok(Base::Root(index as u32));
        }
        let mut candidates: Vec<&str> = self.scope.roots.iter().map(|r| &*r.name).collect();
        if !leading_dot {
            candidates.extend(self.locals.iter().copied());
        }
        let help = if let Some(best) = closest(name, candidates.iter().copied()) {
            Some(format!("did you mean `{best}`?"))
        } else if candidates.is_empty() {
            Some("no variables are declared here".to_owned())
        } else {
            Some(format!(
                "the variables in scope are {}",
                list_names(candidates.iter().copied())
            ))
        };
        let message = if RESERVED.contains(&name) {
            format!("`{name}` is a reserved word, not a variable")
        } else if SIGS
            .iter()
            .any(|s| s.name == name && s.style == Style::Global)
        {
            format!("`{name}` is a function: call it as `{name}(...)`")
        } else {
            format!("unknown variable `{name}`")
        };
        Err(cerr(message, span, help))
    }

    /// For `root.field` on a root whose fields are declared, checks `field` is one of them.
    fn check_field(&self, operand: &Expr, field: &str, field_span: Span) -> Res<()> {
        let Kind::Var(Base::Root(index)) = operand.kind else {
            return Ok(());
        };
        let Some(root) = self.scope.roots.get(index as usize) else {
            return Ok(());
        };
        let Some(fields) = &root.fields else {
            return Ok(());
        };
        if fields.iter().any(|f| &**f == field) {
            return Ok(());
        }
        let help = match closest(field, fields.iter().map(|f| &**f)) {
            Some(best) => format!("did you mean `{best}`?"),
            None if fields.is_empty() => format!("`{}` has no fields", root.name),
            None => format!(
                "the fields of `{}` are {}",
                root.name,
                list_names(fields.iter().map(|f| &**f))
            ),
        };
        Err(cerr(
            format!("unknown field `{field}` on `{}`", root.name),
            field_span,
            Some(help),
        ))
    }

    /// `operand.field` (or `operand["field"]`), extending a static path where possible.
    fn select(&self, operand: Expr, field: Str, span: Span, indexed: bool) -> Expr {
        let step = Step {
            key: field,
            end: span.end,
            indexed,
        };
        // A path reads the roots, so it never folds.
        let kind = match operand.kind {
            Kind::Var(base) => {
                return Expr {
                    kind: Kind::Path(base, Steps::One(step)),
                    span,
                };
            }
            Kind::Path(base, steps) => {
                return Expr {
                    kind: Kind::Path(base, steps.then(step)),
                    span,
                };
            }
            other => {
                let operand = Expr {
                    kind: other,
                    span: operand.span,
                };
                if indexed {
                    let key = Expr {
                        kind: Kind::Const(Value::String(step.key)),
                        span,
                    };
                    Kind::Index(pair(operand, key))
                } else {
                    Kind::Select(boxed(operand), step.key)
                }
            }
        };
        self.fold(Expr { kind, span })
    }

    fn arity_error(&self, shown: &str, min: usize, max: usize, got: usize, span: Span) -> Error {
        let expected = if min == max {
            format!("{min} argument{}", if min == 1 { "" } else { "s" })
        } else if max == usize::MAX {
            format!("at least {min} argument{}", if min == 1 { "" } else { "s" })
        } else {
            format!("{min} to {max} arguments")
        };
        cerr(format!("`{shown}` takes {expected}, got {got}"), span, None)
    }

    #[inline(never)]
    fn call(
        &mut self,
        target: Option<NodeId>,
        name: &'a str,
        name_span: Span,
        args: Children,
        span: Span,
    ) -> Res<Expr> {
        let args = self.tree.children(args);
        let Some(target) = target else {
            return self.global_call(name, name_span, args, span);
        };
        // `math.f(...)`: a namespaced function, unless `math` is a loop variable.
        if let AstKind::Ident {
            name: ns,
            leading_dot: _,
        } = self.tree.get(target).kind
            && ns == "math"
            && !self.locals.contains(&"math")
        {
            return self.math_call(name, name_span, args, span);
        }
        if let Some((_, min, max)) = MACROS.iter().find(|(m, _, _)| *m == name) {
            if args.len() < *min || args.len() > *max {
                return Err(self.arity_error(name, *min, *max, args.len(), span));
            }
            return self.comprehension(target, name, args, span);
        }
        let Some(sig) = SIGS
            .iter()
            .find(|s| s.name == name && s.style == Style::Method)
        else {
            let methods = SIGS
                .iter()
                .filter(|s| s.style == Style::Method)
                .map(|s| s.name)
                .chain(MACROS.iter().map(|(m, _, _)| *m));
            let help = if SIGS
                .iter()
                .any(|s| s.name == name && s.style == Style::Global)
            {
                Some(format!("`{name}` is a function: write `{name}(x)`"))
            } else if SIGS
                .iter()
                .any(|s| s.name == name && s.style == Style::Math)
            {
                Some(format!(
                    "`{name}` is in the math extension: write `math.{name}(x)`"
                ))
            } else {
                closest(name, methods).map(|m| format!("did you mean `{m}`?"))
            };
            return Err(cerr(format!("unknown method `{name}`"), name_span, help));
        };
        if args.len() < sig.min_args || args.len() > sig.max_args {
            return Err(self.arity_error(name, sig.min_args, sig.max_args, args.len(), span));
        }
        let mut lowered = Vec::with_capacity(args.len() + 1);
        lowered.push(self.lower(target)?);
        for arg in args {
            lowered.push(self.lower(*arg)?);
        }
        self.finish_call(sig.func, lowered, span)
    }

    #[inline(never)]
    fn global_call(
        &mut self,
        name: &str,
        name_span: Span,
        args: &[NodeId],
        span: Span,
    ) -> Res<Expr> {
        if name == "has" {
            return self.has(args, span);
        }
        let Some(sig) = SIGS
            .iter()
            .find(|s| s.name == name && s.style == Style::Global)
        else {
            let help = if SIGS
                .iter()
                .any(|s| s.name == name && s.style == Style::Method)
                || MACROS.iter().any(|(m, _, _)| *m == name)
            {
                Some(format!("`{name}` is a method: write `x.{name}(...)`"))
            } else if SIGS
                .iter()
                .any(|s| s.name == name && s.style == Style::Math)
            {
                Some(format!("write `math.{name}(...)`"))
            } else {
                let globals = SIGS
                    .iter()
                    .filter(|s| s.style == Style::Global)
                    .map(|s| s.name);
                closest(name, globals.chain(["has"])).map(|f| format!("did you mean `{f}`?"))
            };
            return Err(cerr(format!("unknown function `{name}`"), name_span, help));
        };
        if args.len() < sig.min_args || args.len() > sig.max_args {
            return Err(self.arity_error(name, sig.min_args, sig.max_args, args.len(), span));
        }
        let lowered = self.lower_all(args)?;
        self.finish_call(sig.func, lowered, span)
    }

    #[inline(never)]
    fn math_call(&mut self, name: &str, name_span: Span, args: &[NodeId], span: Span) -> Res<Expr> {
        let Some(sig) = SIGS
            .iter()
            .find(|s| s.name == name && s.style == Style::Math)
        else {
            let known = SIGS
                .iter()
                .filter(|s| s.style == Style::Math)
                .map(|s| s.name);
            let help = closest(name, known.clone())
                .map(|f| format!("did you mean `math.{f}`?"))
                .unwrap_or_else(|| {
                    let all: Vec<String> = known.map(|k| format!("`math.{k}`")).collect();
                    format!("the math functions are {}", all.join(", "))
                });
            return Err(cerr(
                format!("unknown function `math.{name}`"),
                name_span,
                Some(help),
            ));
        };
        let shown = format!("math.{name}");
        if args.len() < sig.min_args || args.len() > sig.max_args {
            return Err(self.arity_error(&shown, sig.min_args, sig.max_args, args.len(), span));
        }
        if matches!(sig.func, Func::Greatest | Func::Least) {
            check_extreme_args(&shown, self.tree, args)?;
        }
        let mut lowered = self.lower_all(args)?;
        if lowered.len() > 1 {
            // `math.greatest(a, b, c)` is `math.greatest([a, b, c])`.
            let list = self.fold(Expr {
                kind: Kind::List(lowered.into()),
                span,
            });
            lowered = vec![list];
        }
        self.finish_call(sig.func, lowered, span)
    }

    fn finish_call(&self, func: Func, mut args: Vec<Expr>, span: Span) -> Res<Expr> {
        if func == Func::Matches
            && args.len() == 2
            && let Some(Expr {
                kind: Kind::Const(Value::String(p)),
                span: pattern_span,
            }) = args.get(1)
        {
            let re = funcs::compile_regex(p).map_err(|err| {
                let detail = err.to_string();
                let detail = detail
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .trim();
                cerr(
                    format!("invalid regular expression `{p}`"),
                    *pattern_span,
                    Some(detail.to_owned()).filter(|d| !d.is_empty()),
                )
            })?;
            args.truncate(1);
            if let Some(target) = args.pop() {
                return Ok(self.fold(Expr {
                    kind: Kind::Matches(boxed(target), Arc::new(re)),
                    span,
                }));
            }
        }
        Ok(self.fold(Expr {
            kind: Kind::Call(func, args.into()),
            span,
        }))
    }

    /// `has(a.b.c)`: whether the map `a.b` has the key `c`.
    #[inline(never)]
    fn has(&mut self, args: &[NodeId], span: Span) -> Res<Expr> {
        let usage = || {
            cerr(
                "`has` takes one field selection".into(),
                span,
                Some("write it like `has(input.spec.fairness)`".into()),
            )
        };
        let [arg] = *args else {
            return Err(usage());
        };
        let arg = self.tree.get(arg);
        let AstKind::Select {
            operand,
            field,
            field_span,
        } = arg.kind
        else {
            return Err(cerr(
                "the argument of `has` must be a field selection".into(),
                arg.span,
                Some("write it like `has(input.spec.fairness)`".into()),
            ));
        };
        let operand = self.lower(operand)?;
        self.check_field(&operand, field, field_span)?;
        let kind = Kind::Has(boxed(operand), self.session.share(field));
        Ok(self.fold(Expr { kind, span }))
    }

    #[inline(never)]
    fn comprehension(
        &mut self,
        target: NodeId,
        name: &str,
        args: &[NodeId],
        span: Span,
    ) -> Res<Expr> {
        let kind = match name {
            "all" => LoopKind::All,
            "exists" => LoopKind::Exists,
            "exists_one" | "existsOne" => LoopKind::ExistsOne,
            "map" => LoopKind::Map,
            _ => LoopKind::Filter,
        };
        let mut args = args.iter().copied();
        let (Some(var), Some(body)) = (args.next(), args.next()) else {
            return Err(cerr(
                format!("`{name}` needs a variable and an expression"),
                span,
                None,
            ));
        };
        let transform = args.next();
        let var = self.tree.get(var);
        let AstKind::Ident {
            name: var_name,
            leading_dot: false,
        } = var.kind
        else {
            return Err(cerr(
                format!("the first argument of `{name}` must be a variable name"),
                var.span,
                Some(format!("write it like `list.{name}(x, x > 0)`")),
            ));
        };
        if RESERVED.contains(&var_name) {
            return Err(cerr(
                format!("`{var_name}` is a reserved word"),
                var.span,
                None,
            ));
        }
        let range = self.lower(target)?;
        self.locals.push(var_name);
        let body = self.lower(body);
        let transform = match (body.is_ok(), transform) {
            (true, Some(t)) => Some(self.lower(t)),
            _ => None,
        };
        self.locals.pop();
        let body = body?;
        let transform = transform.transpose()?;
        Ok(Expr {
            kind: Kind::Loop(Box::new(Loop {
                kind,
                range,
                body,
                transform,
            })),
            span,
        })
    }

    /// Lowers each of `ids`, in order.
    fn lower_all(&mut self, ids: &[NodeId]) -> Res<Vec<Expr>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.lower(*id)?);
        }
        Ok(out)
    }

    /// Evaluates a node whose operands are all constants, when that succeeds; a node that
    /// fails is kept, so the error surfaces at evaluation (where `false && 1/0 == 1` absorbs it).
    #[inline]
    fn fold(&self, e: Expr) -> Expr {
        if foldable(&e) { self.fold_now(e) } else { e }
    }

    /// [`Checker::fold`] of a node whose operands are all constants.
    #[inline(never)]
    fn fold_now(&self, e: Expr) -> Expr {
        let steps = Cell::new(0);
        let cx = Cx {
            roots: &[],
            root_names: &[],
            frame: None,
            steps: &steps,
            max_steps: 0,
            src: self.src,
        };
        let value = match eval::eval(&e, &cx) {
            Ok(v) => v.into_owned(),
            Err(_) => return e,
        };
        Expr {
            kind: Kind::Const(value),
            span: e.span,
        }
    }
}
