//! The JSON parser as it was before it was tuned for speed, kept only for the tests: the
//! differential tests in `json_tests.rs` check that the tuned parser (`json.rs`) gives the
//! same values, spans and errors on every input.

use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::scalar::ScalarKind;
use crate::source::span::{ScalarSpan, SourceText, SpanBuilder, SpanNode};
use crate::source::{Document, MAX_DEPTH, MAX_ERRORS};
use crate::value::{Map, Str, Value};

struct JsonParser<'a> {
    file: &'a str,
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    source: &'a Arc<SourceText>,
    /// Errors that do not stop parsing (duplicate keys).
    errors: Vec<Diagnostic>,
    spans: SpanBuilder,
}

/// Parses a JSON text into one document.
pub(crate) fn parse(
    file: &str,
    text: &str,
    source: &Arc<SourceText>,
) -> Result<Vec<Document>, Diagnostics> {
    let mut p = JsonParser {
        file,
        text,
        bytes: text.as_bytes(),
        pos: 0,
        source,
        errors: Vec::new(),
        spans: SpanBuilder::default(),
    };
    if text.starts_with('\u{feff}') {
        p.pos = '\u{feff}'.len_utf8();
    }
    let result = p.document();
    let mut errors = p.errors;
    match result {
        Ok(doc) if errors.is_empty() => Ok(vec![doc]),
        Ok(_) => Err(Diagnostics(errors)),
        Err(d) => {
            errors.truncate(MAX_ERRORS.saturating_sub(1));
            errors.push(*d);
            Err(Diagnostics(errors))
        }
    }
}

impl JsonParser<'_> {
    fn error_at(&self, offset: usize, message: impl Into<String>) -> Box<Diagnostic> {
        Box::new(Diagnostic::new(self.file, message).at(self.source.location(offset), self.text))
    }

    fn syntax(&self, offset: usize, what: &str) -> Box<Diagnostic> {
        let found = match self.text.get(offset..).and_then(|s| s.chars().next()) {
            None => "the end of the file".to_owned(),
            Some(c) if c.is_control() => format!("`{}`", c.escape_default()),
            Some(c) => format!("`{c}`"),
        };
        self.error_at(
            offset,
            format!("invalid json: expected {what}, found {found}"),
        )
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn document(&mut self) -> Result<Document, Box<Diagnostic>> {
        self.skip_ws();
        let (value, span) = self.value(0)?;
        self.skip_ws();
        if self.pos < self.bytes.len() {
            return Err(self.syntax(self.pos, "the end of the file after the value"));
        }
        let spans = std::mem::take(&mut self.spans).finish(span, self.source.clone());
        Ok(Document { value, spans })
    }

    fn value(&mut self, depth: usize) -> Result<(Value, SpanNode), Box<Diagnostic>> {
        let start = self.pos;
        match self.peek() {
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return Err(self.error_at(
                        start,
                        format!("the document nests deeper than {MAX_DEPTH} levels"),
                    ));
                }
                self.pos += 1;
                let mut map = Map::new();
                let mut spans = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                } else {
                    loop {
                        self.skip_ws();
                        let key_start = self.pos;
                        if self.peek() != Some(b'"') {
                            return Err(self.syntax(self.pos, "a string key"));
                        }
                        let (key, _) = self.string()?;
                        let key: Str = Arc::from(key.as_str());
                        self.skip_ws();
                        if self.peek() != Some(b':') {
                            return Err(self.syntax(self.pos, "`:` after the key"));
                        }
                        self.pos += 1;
                        self.skip_ws();
                        let (value, span) = self.value(depth + 1)?;
                        if map.contains_key(&key) {
                            if self.errors.len() < MAX_ERRORS {
                                let d = self.error_at(key_start, format!("duplicate key `{key}`"));
                                self.errors.push(d.with_help(
                                    "each key may appear once in an object; remove or rename one",
                                ));
                            }
                        } else {
                            map.insert(key.clone(), value);
                            spans.push((key, span.with_key(key_start)));
                        }
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => self.pos += 1,
                            Some(b'}') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err(self.syntax(self.pos, "`,` or `}`")),
                        }
                    }
                }
                let node = self.spans.map(start, spans);
                Ok((Value::Map(Arc::new(map)), node))
            }
            Some(b'[') => {
                if depth >= MAX_DEPTH {
                    return Err(self.error_at(
                        start,
                        format!("the document nests deeper than {MAX_DEPTH} levels"),
                    ));
                }
                self.pos += 1;
                let mut items = Vec::new();
                let mut spans = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                } else {
                    loop {
                        self.skip_ws();
                        let (value, span) = self.value(depth + 1)?;
                        items.push(value);
                        spans.push(span);
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => self.pos += 1,
                            Some(b']') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err(self.syntax(self.pos, "`,` or `]`")),
                        }
                    }
                }
                let node = self.spans.list(start, spans);
                Ok((Value::List(Arc::new(items)), node))
            }
            Some(b'"') => {
                let (s, end) = self.string()?;
                let s: Str = Arc::from(s.as_str());
                let scalar = ScalarSpan {
                    kind: ScalarKind::DoubleQuoted,
                    start,
                    end,
                    value: s.clone(),
                };
                Ok((Value::String(s), self.spans.leaf(start, Some(scalar))))
            }
            Some(b'-' | b'0'..=b'9') => {
                let value = self.number()?;
                Ok((value, self.spans.leaf(start, None)))
            }
            Some(b't' | b'f' | b'n') => {
                let rest = self.bytes.get(start..).unwrap_or(&[]);
                let (value, len) = if rest.starts_with(b"true") {
                    (Value::Bool(true), 4)
                } else if rest.starts_with(b"false") {
                    (Value::Bool(false), 5)
                } else if rest.starts_with(b"null") {
                    (Value::Null, 4)
                } else {
                    return Err(self.syntax(start, "a value"));
                };
                self.pos += len;
                if self.peek().is_some_and(|b| b.is_ascii_alphanumeric()) {
                    return Err(self.syntax(start, "a value"));
                }
                Ok((value, self.spans.leaf(start, None)))
            }
            _ => Err(self.syntax(start, "a value")),
        }
    }

    /// Reads a string at `self.pos` (on its opening quote); returns it and the offset just
    /// past its closing quote.
    fn string(&mut self) -> Result<(String, usize), Box<Diagnostic>> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = self.text.get(self.pos..).unwrap_or("");
            // Copy the run of ordinary characters in one go.
            let run = rest
                .find(|c: char| c == '"' || c == '\\' || c < ' ')
                .unwrap_or(rest.len());
            out.push_str(rest.get(..run).unwrap_or(""));
            self.pos += run;
            match self.peek() {
                None => return Err(self.error_at(open, "invalid json: unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok((out, self.pos));
                }
                Some(b'\\') => {
                    let esc = self.pos;
                    self.pos += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let hi = self.hex4(esc)?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u".as_slice())
                                {
                                    return Err(self.error_at(
                                        esc,
                                        "invalid json: unpaired surrogate in `\\u` escape",
                                    ));
                                }
                                self.pos += 2;
                                let lo = self.hex4(esc)?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.error_at(
                                        esc,
                                        "invalid json: unpaired surrogate in `\\u` escape",
                                    ));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            let Some(c) = char::from_u32(code) else {
                                return Err(self.error_at(
                                    esc,
                                    "invalid json: unpaired surrogate in `\\u` escape",
                                ));
                            };
                            out.push(c);
                            continue;
                        }
                        _ => {
                            return Err(self.error_at(esc, "invalid json: unknown escape sequence"));
                        }
                    };
                    self.pos += 1;
                    out.push(c);
                }
                Some(_) => {
                    return Err(self.error_at(
                        self.pos,
                        "invalid json: control character in string (escape it)",
                    ));
                }
            }
        }
    }

    fn hex4(&mut self, esc: usize) -> Result<u32, Box<Diagnostic>> {
        let digits = self.text.get(self.pos..self.pos + 4).unwrap_or("");
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.error_at(esc, "invalid json: `\\u` needs four hex digits"));
        }
        self.pos += 4;
        u32::from_str_radix(digits, 16)
            .map_err(|_| self.error_at(esc, "invalid json: `\\u` needs four hex digits"))
    }

    fn number(&mut self) -> Result<Value, Box<Diagnostic>> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let s = p.pos;
            while p.peek().is_some_and(|b| b.is_ascii_digit()) {
                p.pos += 1;
            }
            p.pos - s
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let n = digits(self);
        if n == 0 {
            return Err(self.syntax(self.pos, "a digit"));
        }
        if n > 1 && self.bytes.get(int_start) == Some(&b'0') {
            return Err(self.error_at(int_start, "invalid json: numbers cannot have leading zeros"));
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.syntax(self.pos, "a digit after `.`"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integer = false;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.syntax(self.pos, "a digit in the exponent"));
            }
        }
        let text = self.text.get(start..self.pos).unwrap_or("");
        // `-0` stays a double, as `serde_json` reads it, to keep its sign.
        if integer
            && text != "-0"
            && let Ok(i) = text.parse::<i64>()
        {
            return Ok(Value::Int(i));
        }
        match text.parse::<f64>() {
            Ok(d) if d.is_finite() => Ok(Value::Double(d)),
            _ => Err(self.error_at(
                start,
                format!("invalid json: number `{text}` is out of range"),
            )),
        }
    }
}
