//! Scalars: YAML 1.2 core-schema resolution, and mapping offsets inside a decoded string
//! back to the source text it was written as.

use crate::source::lines::LineIndex;
use crate::source::span::ScalarSpan;
use crate::value::Value;

/// How a scalar was written, which decides how its text decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScalarKind {
    /// YAML plain scalar (may fold over lines).
    Plain,
    /// YAML `'...'` (`''` is a quote; folds over lines).
    SingleQuoted,
    /// YAML `"..."`, or a JSON string, or a TOML basic string (backslash escapes).
    DoubleQuoted,
    /// YAML `|` block.
    Literal,
    /// YAML `>` block.
    Folded,
    /// TOML `'...'`: verbatim.
    #[cfg_attr(not(feature = "toml"), allow(dead_code))]
    Verbatim,
    /// TOML `"""..."""`.
    MultiBasic,
    /// TOML `'''...'''`.
    #[cfg_attr(not(feature = "toml"), allow(dead_code))]
    MultiLiteral,
}

/// Resolves a plain YAML scalar by the YAML 1.2 core schema: null, bool, int, float, else
/// string. `Err` carries a message for an integer that does not fit in 64 bits, and for a
/// number that is not finite (`.inf`, `.nan`, `1e999`): govgate's data model is JSON's, which
/// has neither, and an action holding one could not be fingerprinted or logged faithfully.
pub(crate) fn resolve_plain(text: &str) -> Result<Value, String> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => {
            return Err(format!(
                "`{text}` is not a finite number, and JSON (govgate's data model) has no infinity or NaN"
            ));
        }
        _ => {}
    }
    // Every int and float form starts with a digit, a sign or a dot.
    if !matches!(
        text.as_bytes().first(),
        Some(b'0'..=b'9' | b'+' | b'-' | b'.')
    ) {
        return Ok(Value::string(text));
    }
    if let Some(int) = resolve_int(text) {
        return int;
    }
    if is_core_float(text)
        && let Ok(d) = text.parse::<f64>()
    {
        return finite(text, d);
    }
    Ok(Value::string(text))
}

/// A double, or an error for one too large to be finite.
fn finite(text: &str, d: f64) -> Result<Value, String> {
    if d.is_finite() {
        Ok(Value::Double(d))
    } else {
        Err(format!(
            "number `{text}` is out of range for a 64-bit float"
        ))
    }
}

/// `Some` when `text` matches the core schema's int forms: `[-+]?[0-9]+`, `0o[0-7]+`,
/// `0x[0-9a-fA-F]+`. A decimal too large for `i64` becomes a double (as JSON numbers do);
/// an octal or hex one is an error.
fn resolve_int(text: &str) -> Option<Result<Value, String>> {
    let (radix, digits) = if let Some(d) = text.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = text.strip_prefix("0o") {
        (8, d)
    } else {
        (10, text.strip_prefix(['-', '+']).unwrap_or(text))
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    Some(
        match (
            radix,
            i64::from_str_radix(if radix == 10 { text } else { digits }, radix),
        ) {
            (_, Ok(i)) => Ok(Value::Int(i)),
            (10, Err(_)) => finite(text, text.parse::<f64>().unwrap_or(f64::NAN)),
            (_, Err(_)) => Err(format!("integer `{text}` does not fit in 64 bits")),
        },
    )
}

/// The core schema's float form: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_core_float(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (s.get(..i).unwrap_or(""), Some(s.get(i + 1..).unwrap_or(""))),
        None => (s, None),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty()),
        None => !mantissa.is_empty() && digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// Builds a decoded string alongside the source offset of each character.
struct Decoder {
    out: String,
    /// `(offset in out, offset in source)` for each decoded character.
    map: Vec<(usize, usize)>,
}

impl Decoder {
    fn new() -> Decoder {
        Decoder {
            out: String::new(),
            map: Vec::new(),
        }
    }

    fn push(&mut self, c: char, src: usize) {
        self.map.push((self.out.len(), src));
        self.out.push(c);
    }

    /// The source offset of the character at decoded offset `off` (`end` for the end).
    fn lookup(&self, off: usize, end: usize) -> usize {
        if off >= self.out.len() {
            return end;
        }
        let i = match self.map.binary_search_by_key(&off, |&(o, _)| o) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        self.map.get(i).map_or(end, |&(_, s)| s)
    }
}

/// The source byte offset of the character at `offset` of the scalar's decoded value, or
/// `None` when the source does not decode to the value (then only the start is known).
pub(crate) fn source_offset(
    text: &str,
    lines: &LineIndex,
    scalar: &ScalarSpan,
    offset: usize,
) -> Option<usize> {
    let region = text.get(scalar.start..scalar.end.max(scalar.start))?;
    let value = &*scalar.value;
    let (dec, end, block) = match scalar.kind {
        ScalarKind::Plain => {
            let d = decode_flow(region, scalar.start, FlowStyle::Plain)?;
            (d, scalar.end, false)
        }
        ScalarKind::SingleQuoted => (
            decode_flow(region, scalar.start, FlowStyle::Single)?,
            scalar.end.saturating_sub(1),
            false,
        ),
        ScalarKind::DoubleQuoted => (
            decode_flow(region, scalar.start, FlowStyle::Double)?,
            scalar.end.saturating_sub(1),
            false,
        ),
        ScalarKind::Verbatim => {
            let mut d = Decoder::new();
            let inner = region.strip_prefix('\'')?.strip_suffix('\'')?;
            for (i, c) in inner.char_indices() {
                d.push(c, scalar.start + 1 + i);
            }
            (d, scalar.end.saturating_sub(1), false)
        }
        ScalarKind::MultiBasic | ScalarKind::MultiLiteral => {
            let d = decode_toml_multi(region, scalar.start, scalar.kind == ScalarKind::MultiBasic)?;
            (d, scalar.end.saturating_sub(3), false)
        }
        ScalarKind::Literal | ScalarKind::Folded => {
            let d = decode_block(text, lines, scalar, scalar.kind == ScalarKind::Folded)?;
            let end = d.map.last().map_or(scalar.start, |&(_, s)| s);
            (d, end, true)
        }
    };
    let matches = if block {
        // Chomping may drop trailing line breaks, or the file may end without one.
        let common = dec.out.len().min(value.len());
        dec.out.get(..common) == value.get(..common) && value.len() <= dec.out.len() + 1
    } else {
        dec.out == value
    };
    if !matches {
        return None;
    }
    Some(dec.lookup(offset, end))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FlowStyle {
    Plain,
    Single,
    Double,
}

/// Decodes a YAML flow scalar (plain, `'...'`, `"..."`; also JSON and TOML basic strings),
/// including line folding: a single line break becomes a space, `n` breaks with empty lines
/// between become `n - 1` newlines, and whitespace around breaks is dropped.
fn decode_flow(region: &str, base: usize, style: FlowStyle) -> Option<Decoder> {
    let (body, body_base) = match style {
        FlowStyle::Plain => (region, base),
        FlowStyle::Single => (region.strip_prefix('\'')?.strip_suffix('\'')?, base + 1),
        FlowStyle::Double => (region.strip_prefix('"')?.strip_suffix('"')?, base + 1),
    };
    let mut d = Decoder::new();
    // Split into lines, remembering each line's offset in the body.
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut start = 0;
    for (i, _) in body.match_indices('\n') {
        lines.push((start, body.get(start..i)?.trim_end_matches('\r')));
        start = i + 1;
    }
    lines.push((start, body.get(start..)?));
    let last = lines.len().saturating_sub(1);
    let mut idx = 0;
    while let Some(&(line_off, line)) = lines.get(idx) {
        let mut content = line;
        let mut off = line_off;
        if idx > 0 {
            let trimmed = content.trim_start_matches([' ', '\t']);
            off += content.len() - trimmed.len();
            content = trimmed;
        }
        if idx < last {
            content = content.trim_end_matches([' ', '\t']);
        }
        let mut escaped_break = false;
        let mut chars = content.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let src = body_base + off + i;
            match (style, c) {
                (FlowStyle::Single, '\'') => {
                    if chars.next().map(|(_, c)| c) != Some('\'') {
                        return None;
                    }
                    d.push('\'', src);
                }
                (FlowStyle::Double, '\\') => match chars.next() {
                    None if idx < last => escaped_break = true,
                    None => return None,
                    Some((_, e)) => {
                        let decoded = match e {
                            '0' => '\0',
                            'a' => '\u{7}',
                            'b' => '\u{8}',
                            't' | '\t' => '\t',
                            'n' => '\n',
                            'v' => '\u{b}',
                            'f' => '\u{c}',
                            'r' => '\r',
                            'e' => '\u{1b}',
                            ' ' => ' ',
                            '"' => '"',
                            '/' => '/',
                            '\\' => '\\',
                            'N' => '\u{85}',
                            '_' => '\u{a0}',
                            'L' => '\u{2028}',
                            'P' => '\u{2029}',
                            'x' | 'u' | 'U' => {
                                let n = match e {
                                    'x' => 2,
                                    'u' => 4,
                                    _ => 8,
                                };
                                let mut code = read_hex(&mut chars, n)?;
                                if (0xD800..0xDC00).contains(&code) {
                                    // A JSON surrogate pair: `\uD83D\uDE00`.
                                    let mut ahead = chars.clone();
                                    if ahead.next().map(|(_, c)| c) == Some('\\')
                                        && ahead.next().map(|(_, c)| c) == Some('u')
                                    {
                                        let low = read_hex(&mut ahead, 4)?;
                                        if (0xDC00..0xE000).contains(&low) {
                                            code =
                                                0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                                            chars = ahead;
                                        }
                                    }
                                }
                                char::from_u32(code)?
                            }
                            _ => return None,
                        };
                        d.push(decoded, src);
                    }
                },
                _ => d.push(c, src),
            }
        }
        if idx == last {
            break;
        }
        // Fold the line break(s) that follow.
        let break_src = body_base + off + content.len();
        let mut next = idx + 1;
        let mut empties = Vec::new();
        while next < last
            && lines
                .get(next)
                .is_some_and(|(_, l)| l.trim_matches([' ', '\t']).is_empty())
        {
            empties.push(lines.get(next).map_or(0, |(o, _)| *o));
            next += 1;
        }
        if escaped_break {
            for o in &empties {
                d.push('\n', body_base + o);
            }
        } else if empties.is_empty() {
            d.push(' ', break_src);
        } else {
            for o in &empties {
                d.push('\n', body_base + o);
            }
        }
        idx = next;
    }
    Some(d)
}

fn read_hex(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, n: usize) -> Option<u32> {
    let mut code = 0u32;
    for _ in 0..n {
        let (_, h) = chars.next()?;
        code = code * 16 + h.to_digit(16)?;
    }
    Some(code)
}

/// Decodes a YAML block scalar's content lines (without chomping the end).
///
/// The span of a block scalar starts at its first non-empty content line, at its content
/// indentation; the value's leading line breaks are the empty lines before it.
fn decode_block(
    text: &str,
    lines: &LineIndex,
    scalar: &ScalarSpan,
    folded: bool,
) -> Option<Decoder> {
    let value = &*scalar.value;
    let first_loc = lines.location(text, scalar.start);
    let indent = usize::try_from(first_loc.column).ok()?.checked_sub(1)?;
    let leading = value.bytes().take_while(|&b| b == b'\n').count();
    let first_line = usize::try_from(first_loc.line).ok()?.checked_sub(leading)?;
    let mut d = Decoder::new();
    let mut line_no = first_line;
    // For folding: whether the previous line was a "normal" (non-empty, not more-indented)
    // line, and the pending break after it.
    let mut prev_normal = false;
    let mut pending_break: Option<usize> = None;
    let mut pending_empties: Vec<usize> = Vec::new();
    while let Some(start) = lines.line_start(line_no) {
        if start >= text.len() {
            break;
        }
        let rest = text.get(start..)?;
        let raw = rest
            .get(..rest.find('\n').unwrap_or(rest.len()))?
            .trim_end_matches('\r');
        let spaces = raw.bytes().take_while(|&b| b == b' ').count();
        if spaces < indent && !raw.trim_matches([' ', '\t']).is_empty() {
            break; // a less-indented line ends the scalar
        }
        let content = raw.get(indent..).unwrap_or("");
        let content_src = start + indent.min(raw.len());
        if !folded {
            for (i, c) in content.char_indices() {
                d.push(c, content_src + i);
            }
            d.push('\n', content_src + content.len());
        } else {
            let empty = content.is_empty();
            let more_indented = content.starts_with([' ', '\t']);
            if empty {
                pending_empties.push(content_src);
            } else {
                if let Some(b) = pending_break.take() {
                    if prev_normal && !more_indented && pending_empties.is_empty() {
                        d.push(' ', b);
                    } else {
                        if !prev_normal || more_indented {
                            d.push('\n', b);
                        }
                        for &e in &pending_empties {
                            d.push('\n', e);
                        }
                    }
                } else {
                    for &e in &pending_empties {
                        d.push('\n', e);
                    }
                }
                pending_empties.clear();
                for (i, c) in content.char_indices() {
                    d.push(c, content_src + i);
                }
                pending_break = Some(content_src + content.len());
                prev_normal = !more_indented;
            }
        }
        if d.out.len() > value.len() + 1 {
            break;
        }
        line_no += 1;
    }
    if folded {
        if let Some(b) = pending_break {
            d.push('\n', b);
        }
        for &e in &pending_empties {
            d.push('\n', e);
        }
    }
    Some(d)
}

/// Decodes a TOML multi-line string: a newline right after the opening quotes is dropped; in
/// basic strings, escapes decode and a line-ending backslash drops the following whitespace.
fn decode_toml_multi(region: &str, base: usize, basic: bool) -> Option<Decoder> {
    let quotes = if basic { "\"\"\"" } else { "'''" };
    let inner = region.strip_prefix(quotes)?.strip_suffix(quotes)?;
    let mut inner_base = base + 3;
    let inner = if let Some(s) = inner.strip_prefix("\r\n") {
        inner_base += 2;
        s
    } else if let Some(s) = inner.strip_prefix('\n') {
        inner_base += 1;
        s
    } else {
        inner
    };
    let mut d = Decoder::new();
    let mut chars = inner.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let src = inner_base + i;
        if !basic || c != '\\' {
            d.push(c, src);
            continue;
        }
        let (_, e) = chars.next()?;
        let decoded = match e {
            'b' => '\u{8}',
            't' => '\t',
            'n' => '\n',
            'f' => '\u{c}',
            'r' => '\r',
            'e' => '\u{1b}',
            '"' => '"',
            '\\' => '\\',
            'x' => char::from_u32(read_hex(&mut chars, 2)?)?,
            'u' => char::from_u32(read_hex(&mut chars, 4)?)?,
            'U' => char::from_u32(read_hex(&mut chars, 8)?)?,
            ' ' | '\t' | '\r' | '\n' => {
                while chars.peek().is_some_and(|&(_, c)| c.is_whitespace()) {
                    chars.next();
                }
                continue;
            }
            _ => return None,
        };
        d.push(decoded, src);
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_schema() {
        assert_eq!(resolve_plain("yes").unwrap(), Value::string("yes"));
        assert_eq!(resolve_plain("on").unwrap(), Value::string("on"));
        assert_eq!(resolve_plain("True").unwrap(), Value::Bool(true));
        assert_eq!(resolve_plain("~").unwrap(), Value::Null);
        assert_eq!(resolve_plain("").unwrap(), Value::Null);
        assert_eq!(resolve_plain("12").unwrap(), Value::Int(12));
        assert_eq!(resolve_plain("-12").unwrap(), Value::Int(-12));
        assert_eq!(resolve_plain("+12").unwrap(), Value::Int(12));
        assert_eq!(resolve_plain("012").unwrap(), Value::Int(12));
        assert_eq!(resolve_plain("0x10").unwrap(), Value::Int(16));
        assert_eq!(resolve_plain("0o17").unwrap(), Value::Int(15));
        assert_eq!(resolve_plain("1.0").unwrap(), Value::Double(1.0));
        assert_eq!(resolve_plain("1e3").unwrap(), Value::Double(1000.0));
        assert_eq!(resolve_plain(".5").unwrap(), Value::Double(0.5));
        assert_eq!(resolve_plain("5.").unwrap(), Value::Double(5.0));
        for not_finite in [
            ".inf",
            "-.inf",
            "+.INF",
            ".NaN",
            "1e999",
            "-1e400",
            &"9".repeat(400),
        ] {
            assert!(resolve_plain(not_finite).is_err(), "{not_finite}");
        }
        assert_eq!(resolve_plain(".").unwrap(), Value::string("."));
        assert_eq!(resolve_plain("1_000").unwrap(), Value::string("1_000"));
        assert_eq!(resolve_plain("0b1").unwrap(), Value::string("0b1"));
        assert_eq!(resolve_plain("1e").unwrap(), Value::string("1e"));
        assert_eq!(resolve_plain("e3").unwrap(), Value::string("e3"));
        assert_eq!(resolve_plain("0x").unwrap(), Value::string("0x"));
        assert_eq!(resolve_plain("inf").unwrap(), Value::string("inf"));
        assert_eq!(resolve_plain("nan").unwrap(), Value::string("nan"));
        assert_eq!(
            resolve_plain("99999999999999999999").unwrap(),
            Value::Double(1e20)
        );
        assert!(resolve_plain("0xffffffffffffffffff").is_err());
    }
}
