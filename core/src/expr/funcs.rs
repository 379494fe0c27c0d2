//! The built-in functions and methods, and the table the checker resolves call names with.

use std::borrow::Cow;
use std::sync::Arc;

use super::eval::{Res, error, mismatch};
use super::{EvalErrorKind, Span};
use crate::value::Value;

/// A built-in function. For a method the receiver is the first argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Func {
    Size,
    StartsWith,
    EndsWith,
    Contains,
    Matches,
    Int,
    Double,
    String,
    Split,
    LowerAscii,
    UpperAscii,
    Trim,
    Glob,
    Greatest,
    Least,
    Sum,
    Mean,
    Variance,
}

/// How a function may be called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// `f(x)`.
    Global,
    /// `x.f()`.
    Method,
    /// `math.f(x)`.
    Math,
}

/// A callable name: how it is written, its arity (not counting a method's receiver).
pub(crate) struct Sig {
    pub(crate) name: &'static str,
    pub(crate) func: Func,
    pub(crate) style: Style,
    pub(crate) min_args: usize,
    /// `usize::MAX` for variadic.
    pub(crate) max_args: usize,
}

const fn sig(
    name: &'static str,
    func: Func,
    style: Style,
    min_args: usize,
    max_args: usize,
) -> Sig {
    Sig {
        name,
        func,
        style,
        min_args,
        max_args,
    }
}

/// Every function and method the language knows, besides the macros.
pub(crate) const SIGS: &[Sig] = &[
    sig("size", Func::Size, Style::Global, 1, 1),
    sig("matches", Func::Matches, Style::Global, 2, 2),
    sig("int", Func::Int, Style::Global, 1, 1),
    sig("double", Func::Double, Style::Global, 1, 1),
    sig("string", Func::String, Style::Global, 1, 1),
    sig("size", Func::Size, Style::Method, 0, 0),
    sig("startsWith", Func::StartsWith, Style::Method, 1, 1),
    sig("endsWith", Func::EndsWith, Style::Method, 1, 1),
    sig("contains", Func::Contains, Style::Method, 1, 1),
    sig("matches", Func::Matches, Style::Method, 1, 1),
    sig("split", Func::Split, Style::Method, 1, 2),
    sig("lowerAscii", Func::LowerAscii, Style::Method, 0, 0),
    sig("upperAscii", Func::UpperAscii, Style::Method, 0, 0),
    sig("trim", Func::Trim, Style::Method, 0, 0),
    sig("glob", Func::Glob, Style::Method, 1, 1),
    sig("greatest", Func::Greatest, Style::Math, 1, usize::MAX),
    sig("least", Func::Least, Style::Math, 1, usize::MAX),
    sig("sum", Func::Sum, Style::Math, 1, 1),
    sig("mean", Func::Mean, Style::Math, 1, 1),
    sig("variance", Func::Variance, Style::Math, 1, 1),
];

/// The comprehension macros, called as methods: name and argument counts.
pub(crate) const MACROS: &[(&str, usize, usize)] = &[
    ("all", 2, 2),
    ("exists", 2, 2),
    ("exists_one", 2, 2),
    ("existsOne", 2, 2),
    ("map", 2, 3),
    ("filter", 2, 2),
];

/// Largest compiled size accepted for a pattern built at evaluation time.
const DYNAMIC_REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Deepest group nesting accepted in a pattern.
pub(crate) const REGEX_NEST_LIMIT: u32 = 64;

/// Compiles a regular expression with the language's limits.
pub(crate) fn compile_regex(pattern: &str) -> Result<regex_lite::Regex, regex_lite::Error> {
    regex_lite::RegexBuilder::new(pattern)
        .size_limit(DYNAMIC_REGEX_SIZE_LIMIT)
        .nest_limit(REGEX_NEST_LIMIT)
        .build()
}

/// How many patterns built at evaluation time stay compiled (per thread).
const DYNAMIC_REGEX_CACHE: usize = 16;

std::thread_local! {
    /// Patterns that arrive as values (`input.x.matches(params.pattern)`) are usually the same
    /// on every evaluation; compiling one costs far more than the match. A small most-recent-
    /// first cache per thread keeps the result, so this stays deterministic and lock-free.
    static REGEX_CACHE: std::cell::RefCell<Vec<(crate::value::Str, std::rc::Rc<regex_lite::Regex>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Compiles a pattern built at evaluation time, reusing a recent compilation of it.
fn cached_regex(
    pattern: &crate::value::Str,
) -> Result<std::rc::Rc<regex_lite::Regex>, regex_lite::Error> {
    let hit = REGEX_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let at = cache.iter().position(|(p, _)| p == pattern)?;
        let entry = cache.remove(at);
        let re = std::rc::Rc::clone(&entry.1);
        cache.insert(0, entry);
        Some(re)
    });
    if let Some(re) = hit {
        return Ok(re);
    }
    let re = std::rc::Rc::new(compile_regex(pattern)?);
    REGEX_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        cache.insert(0, (pattern.clone(), std::rc::Rc::clone(&re)));
        cache.truncate(DYNAMIC_REGEX_CACHE);
    });
    Ok(re)
}

fn name(func: Func) -> &'static str {
    SIGS.iter().find(|s| s.func == func).map_or("?", |s| s.name)
}

fn wrong(func: Func, args: &[Cow<'_, Value>], span: Span) -> super::eval::Error {
    let types: Vec<&str> = args.iter().map(|a| a.type_name()).collect();
    let shown = name(func);
    let shown = if matches!(
        func,
        Func::Greatest | Func::Least | Func::Sum | Func::Mean | Func::Variance
    ) {
        format!("math.{shown}")
    } else {
        shown.to_owned()
    };
    mismatch(
        span,
        format!("no `{shown}` for arguments of type ({})", types.join(", ")),
    )
}

/// Calls `func` on evaluated arguments.
pub(crate) fn call(func: Func, args: &[Cow<'_, Value>], span: Span) -> Res<Value> {
    match (func, args) {
        (Func::Size, [v]) => match &**v {
            Value::String(s) => Ok(Value::Int(s.chars().count() as i64)),
            Value::List(l) => Ok(Value::Int(l.len() as i64)),
            Value::Map(m) => Ok(Value::Int(m.len() as i64)),
            _ => Err(wrong(func, args, span)),
        },
        (Func::StartsWith | Func::EndsWith | Func::Contains | Func::Glob, [s, t]) => {
            match (&**s, &**t) {
                (Value::String(s), Value::String(t)) => Ok(Value::Bool(match func {
                    Func::StartsWith => s.starts_with(&**t),
                    Func::EndsWith => s.ends_with(&**t),
                    Func::Contains => s.contains(&**t),
                    _ => glob(t, s),
                })),
                _ => Err(wrong(func, args, span)),
            }
        }
        (Func::Matches, [s, re]) => match (&**s, &**re) {
            (Value::String(s), Value::String(re)) => match cached_regex(re) {
                Ok(re) => Ok(Value::Bool(re.is_match(s))),
                Err(err) => Err(error(
                    EvalErrorKind::InvalidRegex,
                    span,
                    format!(
                        "invalid regular expression `{re}`: {}",
                        first_line(&err.to_string())
                    ),
                )),
            },
            _ => Err(wrong(func, args, span)),
        },
        (Func::Int, [v]) => match &**v {
            Value::Int(i) => Ok(Value::Int(*i)),
            Value::Double(d) => {
                if *d > -9_223_372_036_854_775_808.0 && *d < 9_223_372_036_854_775_807.0 {
                    Ok(Value::Int(*d as i64))
                } else {
                    Err(error(
                        EvalErrorKind::Overflow,
                        span,
                        format!("`{d}` is out of the range of int"),
                    ))
                }
            }
            Value::String(s) => s
                .parse::<i64>()
                .map(Value::Int)
                .map_err(|_| mismatch(span, format!("cannot convert the string `{s}` to int"))),
            _ => Err(wrong(func, args, span)),
        },
        (Func::Double, [v]) => match &**v {
            Value::Int(i) => Ok(Value::Double(*i as f64)),
            Value::Double(d) => Ok(Value::Double(*d)),
            Value::String(s) => s
                .parse::<f64>()
                .map(Value::Double)
                .map_err(|_| mismatch(span, format!("cannot convert the string `{s}` to double"))),
            _ => Err(wrong(func, args, span)),
        },
        (Func::String, [v]) => match &**v {
            Value::String(_) => Ok(v.clone().into_owned()),
            Value::Int(i) => Ok(Value::from(i.to_string())),
            Value::Double(d) => Ok(Value::from(d.to_string())),
            Value::Bool(b) => Ok(Value::from(b.to_string())),
            _ => Err(wrong(func, args, span)),
        },
        (Func::LowerAscii | Func::UpperAscii | Func::Trim, [v]) => match &**v {
            Value::String(s) => Ok(Value::from(match func {
                Func::LowerAscii => s.to_ascii_lowercase(),
                Func::UpperAscii => s.to_ascii_uppercase(),
                _ => s.trim().to_owned(),
            })),
            _ => Err(wrong(func, args, span)),
        },
        (Func::Split, [s, sep]) => match (&**s, &**sep) {
            (Value::String(s), Value::String(sep)) => Ok(split(s, sep, -1)),
            _ => Err(wrong(func, args, span)),
        },
        (Func::Split, [s, sep, n]) => match (&**s, &**sep, &**n) {
            (Value::String(s), Value::String(sep), Value::Int(n)) => Ok(split(s, sep, *n)),
            _ => Err(wrong(func, args, span)),
        },
        (Func::Greatest | Func::Least, [v]) => match &**v {
            Value::Int(_) | Value::Double(_) => Ok(v.clone().into_owned()),
            Value::List(items) => extreme(func, items, span),
            _ => Err(wrong(func, args, span)),
        },
        (Func::Sum | Func::Mean | Func::Variance, [v]) => match &**v {
            Value::List(items) => stats(func, items, span),
            _ => Err(wrong(func, args, span)),
        },
        _ => Err(wrong(func, args, span)),
    }
}

fn first_line(s: &str) -> &str {
    s.lines().find(|l| !l.trim().is_empty()).unwrap_or(s).trim()
}

/// `s.split(sep, n)` as CEL's strings extension (Go's `strings.SplitN`): `n < 0` splits at every
/// separator, `n == 0` gives an empty list, `n > 0` at most `n` parts; an empty separator splits
/// into characters.
fn split(s: &str, sep: &str, n: i64) -> Value {
    if n == 0 {
        return Value::list(Vec::new());
    }
    let limit = if n < 0 {
        usize::MAX
    } else {
        usize::try_from(n).unwrap_or(usize::MAX)
    };
    let parts: Vec<Value> = if sep.is_empty() {
        let mut parts = Vec::new();
        let mut rest = s;
        while let Some(c) = rest.chars().next() {
            if parts.len() + 1 == limit {
                parts.push(Value::string(rest));
                break;
            }
            parts.push(Value::string(c.encode_utf8(&mut [0; 4])));
            rest = rest.get(c.len_utf8()..).unwrap_or("");
        }
        parts
    } else {
        s.splitn(limit, sep).map(Value::string).collect()
    };
    Value::list(parts)
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Double(d) => Some(*d),
        _ => None,
    }
}

/// `math.greatest` / `math.least` over a list of numbers, keeping the winner's type.
fn extreme(func: Func, items: &Arc<Vec<Value>>, span: Span) -> Res<Value> {
    let mut best: Option<&Value> = None;
    for item in items.iter() {
        if number(item).is_none() {
            return Err(mismatch(
                span,
                format!(
                    "`math.{}` needs numbers, got a value of type `{}`",
                    name(func),
                    item.type_name()
                ),
            ));
        }
        best = Some(match best {
            None => item,
            Some(b) => {
                let Some(Ok(ord)) = super::eval::compare(item, b) else {
                    return Err(mismatch(
                        span,
                        format!("`math.{}` cannot order NaN", name(func)),
                    ));
                };
                let better = match func {
                    Func::Greatest => ord == std::cmp::Ordering::Greater,
                    _ => ord == std::cmp::Ordering::Less,
                };
                if better { item } else { b }
            }
        });
    }
    best.cloned()
        .ok_or_else(|| mismatch(span, format!("`math.{}` of an empty list", name(func))))
}

/// `math.sum`, `math.mean`, `math.variance`.
fn stats(func: Func, items: &Arc<Vec<Value>>, span: Span) -> Res<Value> {
    let mut int_sum: Option<i64> = Some(0);
    let mut all_ints = true;
    let mut sum = 0.0f64;
    for item in items.iter() {
        match item {
            Value::Int(i) => {
                int_sum = int_sum.and_then(|s| s.checked_add(*i));
                sum += *i as f64;
            }
            Value::Double(d) => {
                all_ints = false;
                sum += d;
            }
            other => {
                return Err(mismatch(
                    span,
                    format!(
                        "`math.{}` needs numbers, got a value of type `{}`",
                        name(func),
                        other.type_name()
                    ),
                ));
            }
        }
    }
    if func == Func::Sum {
        return if all_ints {
            int_sum.map(Value::Int).ok_or_else(|| {
                error(
                    EvalErrorKind::Overflow,
                    span,
                    "integer overflow in `math.sum`".into(),
                )
            })
        } else {
            Ok(Value::Double(sum))
        };
    }
    if items.is_empty() {
        return Err(mismatch(
            span,
            format!("`math.{}` of an empty list", name(func)),
        ));
    }
    let n = items.len() as f64;
    let mean = sum / n;
    if func == Func::Mean {
        return Ok(Value::Double(mean));
    }
    let squares: f64 = items
        .iter()
        .filter_map(number)
        .map(|x| (x - mean) * (x - mean))
        .sum();
    Ok(Value::Double(squares / n))
}

/// Whole-string glob match: `*` (and `**`) match any run of characters, `?` exactly one.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    // Where the last `*` was and which text position it is currently matched up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                while p.get(pi) == Some(&'*') {
                    pi += 1;
                }
                star = Some((pi, ti));
            }
            Some(c) if *c == '?' || Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    while p.get(pi) == Some(&'*') {
        pi += 1;
    }
    pi == p.len()
}
