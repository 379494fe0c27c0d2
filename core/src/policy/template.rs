//! Message templates: text with `{expr}` and `{expr:.2}` placeholders.
//!
//! `{{` and `}}` write literal braces. A placeholder's expression is compiled with the same
//! scope as the rule it belongs to; `:.N` after it prints a number with N decimals (as
//! `sprintf("%.Nf")` would).

use crate::expr::{self, CompileError, EvalError, Limits, Program, Scope};
use crate::value::Value;

#[derive(Clone, Debug)]
enum Piece {
    Text(String),
    Value {
        program: Program,
        decimals: Option<usize>,
    },
}

/// A compiled message template.
#[derive(Clone, Debug)]
pub struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    /// Writes the template to a compiled-policy artifact.
    pub(crate) fn write(&self, out: &mut crate::artifact::Out) {
        out.list(&self.pieces, |o, piece| match piece {
            Piece::Text(text) => {
                o.byte(0);
                o.str(text);
            }
            Piece::Value { program, decimals } => {
                o.byte(1);
                crate::expr::write_program(o, program);
                o.bool(decimals.is_some());
                o.usize(decimals.unwrap_or(0));
            }
        });
    }

    /// Reads a template [`Template::write`] wrote.
    pub(crate) fn read(
        r: &mut crate::artifact::In<'_>,
        roots: &mut Option<std::sync::Arc<[crate::value::Str]>>,
    ) -> Template {
        let pieces = r.list(|r| match r.byte() {
            1 => {
                let program = crate::expr::read_program(r, roots);
                let has = r.bool();
                let n = r.usize();
                Piece::Value {
                    program,
                    decimals: has.then_some(n),
                }
            }
            t => {
                if t != 0 {
                    r.fail(format!("unknown template piece {t}"));
                }
                Piece::Text(r.string())
            }
        });
        Template { pieces }
    }

    /// Compiles `text`; errors carry byte offsets into `text`.
    pub fn compile(text: &str, scope: &Scope, limits: &Limits) -> Result<Template, CompileError> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        let mut offset = 0usize;
        while let Some(c) = rest.chars().next() {
            let width = c.len_utf8();
            match c {
                '{' if rest.starts_with("{{") => {
                    literal.push('{');
                    rest = rest.get(2..).unwrap_or("");
                    offset += 2;
                }
                '}' if rest.starts_with("}}") => {
                    literal.push('}');
                    rest = rest.get(2..).unwrap_or("");
                    offset += 2;
                }
                '{' => {
                    let body = rest.get(1..).unwrap_or("");
                    let end = placeholder_end(body).ok_or_else(|| CompileError {
                        message: "unclosed `{` in message".into(),
                        span: offset..text.len(),
                        help: Some("write `{{` for a literal brace".into()),
                    })?;
                    let inner = body.get(..end).unwrap_or("");
                    let (source, decimals) = split_format(inner);
                    if source.trim().is_empty() {
                        return Err(CompileError {
                            message: "empty `{}` placeholder in message".into(),
                            span: offset..offset + end + 2,
                            help: Some("write `{{}}` for literal braces".into()),
                        });
                    }
                    let program =
                        expr::compile(source, scope, limits).map_err(|e| CompileError {
                            span: (e.span.start + offset + 1)..(e.span.end + offset + 1),
                            ..e
                        })?;
                    if !literal.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut literal)));
                    }
                    pieces.push(Piece::Value { program, decimals });
                    rest = body.get(end + 1..).unwrap_or("");
                    offset += end + 2;
                }
                '}' => {
                    return Err(CompileError {
                        message: "unmatched `}` in message".into(),
                        span: offset..offset + 1,
                        help: Some("write `}}` for a literal brace".into()),
                    });
                }
                _ => {
                    literal.push(c);
                    rest = rest.get(width..).unwrap_or("");
                    offset += width;
                }
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Template { pieces })
    }

    /// Every static field path the placeholders read (see [`Program::reads`]).
    pub fn reads(&self) -> Vec<(usize, Vec<crate::value::Str>)> {
        self.pieces
            .iter()
            .flat_map(|p| match p {
                Piece::Value { program, .. } => program.reads(),
                Piece::Text(_) => Vec::new(),
            })
            .collect()
    }

    /// Whether the template has no placeholders.
    pub fn is_static(&self) -> bool {
        self.pieces.iter().all(|p| matches!(p, Piece::Text(_)))
    }

    /// Renders with the given roots.
    pub fn render(&self, roots: &[&Value]) -> Result<String, EvalError> {
        let mut out = String::with_capacity(64);
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Value { program, decimals } => {
                    let v = program.eval(roots)?;
                    match (decimals, &v) {
                        (Some(n), Value::Int(_) | Value::Double(_)) => {
                            let x = v.as_f64().unwrap_or(f64::NAN);
                            out.push_str(&format!("{x:.prec$}", prec = *n));
                        }
                        (_, Value::String(s)) => out.push_str(s),
                        (_, Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
                        _ => out.push_str(&v.to_string()),
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Finds the `}` closing a placeholder, skipping nested braces and string literals.
fn placeholder_end(body: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '{' => depth += 1,
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Splits `expr:.2` into the expression and the decimals.
fn split_format(inner: &str) -> (&str, Option<usize>) {
    if let Some(colon) = inner.rfind(':') {
        let spec = inner.get(colon + 1..).unwrap_or("");
        if let Some(digits) = spec.strip_prefix('.')
            && !digits.is_empty()
            && digits.len() <= 2
            && digits.bytes().all(|b| b.is_ascii_digit())
            && let Ok(n) = digits.parse::<usize>()
        {
            return (inner.get(..colon).unwrap_or(""), Some(n));
        }
    }
    (inner, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_format_spec_only_at_a_trailing_decimals_spec() {
        assert_eq!(split_format("input.a:.2"), ("input.a", Some(2)));
        assert_eq!(split_format("x ? 1 : 2"), ("x ? 1 : 2", None));
        assert_eq!(split_format("{'a': 1}['a']"), ("{'a': 1}['a']", None));
    }

    #[test]
    fn finds_placeholder_end_past_strings_and_maps() {
        assert_eq!(placeholder_end("a}"), Some(1));
        assert_eq!(placeholder_end("'}'}"), Some(3));
        assert_eq!(placeholder_end("{'k': 1}['k']} tail"), Some(13));
        assert_eq!(placeholder_end("open"), None);
    }
}
