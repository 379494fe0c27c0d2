//! JSON loading (RFC 8259) with a position for every node.
//!
//! A small hand-written parser rather than `serde_json`, so that every key and value gets a
//! location, duplicate keys are reported at the second key, and string offsets map back
//! through escapes.
//!
//! It is built for speed the way the YAML fast path is: it scans bytes (eight at a time
//! inside strings), slices strings without escapes straight from the text, shares one `Arc`
//! between repeated keys and short values through small per-parse caches, collects the
//! children of open containers on shared stacks so that each list is allocated once at its
//! size, sizes the span index from the text's length, and puts an object's span entries in
//! key order without comparing strings (reusing the last object's order when the keys are
//! the same). The tests compare it with the simpler parser it replaced (`json_reference.rs`)
//! on values, spans and errors.

use std::collections::btree_map::Entry;
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::scalar::ScalarKind;
use crate::source::span::{ScalarSpan, SourceText, SpanBuilder, SpanNode};
use crate::source::str_cache::StrCache;
use crate::source::{Document, MAX_DEPTH, MAX_ERRORS};
use crate::value::{Map, Str, Value};

/// Most entries of an object whose spans are put in key order by matching them up with the
/// object's map (quadratic, but cheaper than sorting for a few).
const SORT_BY_MATCHING: usize = 12;

/// The character a one-letter JSON escape (`\n`, `\"`, ...) stands for.
pub(crate) fn simple_escape(letter: u8) -> Option<char> {
    Some(match letter {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        _ => return None,
    })
}

/// How many bytes at the start of `tail` a string may hold as they are: up to the first `"`,
/// `\` or control character (or the end). Eight bytes at a time, then one by one.
pub(crate) fn plain_run(tail: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut skipped = 0;
    for chunk in tail.chunks_exact(8) {
        let Some(word) = chunk.first_chunk::<8>() else {
            break;
        };
        let w = u64::from_le_bytes(*word);
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        // A high bit for each byte that is zero (in `quote`, `backslash`) or below 0x20 (in
        // `w`). Borrows may also flag bytes after the first such byte, never before it, so
        // the lowest flag is exact.
        let zero = |x: u64| x.wrapping_sub(ONES) & !x;
        let low = w.wrapping_sub(ONES * 0x20) & !w;
        let found = (zero(quote) | zero(backslash) | low) & HIGHS;
        if found != 0 {
            return skipped + found.trailing_zeros() as usize / 8;
        }
        skipped += 8;
    }
    let rest = tail.get(skipped..).unwrap_or(&[]);
    skipped
        + rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .unwrap_or(rest.len())
}

struct JsonParser<'a> {
    file: &'a str,
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    source: &'a Arc<SourceText>,
    /// Errors that do not stop parsing (duplicate keys).
    errors: Vec<Diagnostic>,
    spans: SpanBuilder,
    /// The entries of every open object, innermost object's last.
    entries: Vec<(Str, SpanNode)>,
    /// The items' spans of every open array, innermost array's last.
    item_spans: Vec<SpanNode>,
    /// The items of every open array, innermost array's last.
    items: Vec<Value>,
    /// Keys allocated so far.
    keys: StrCache<'a>,
    /// String values allocated so far.
    values: StrCache<'a>,
    /// Where strings with escapes are decoded (one buffer for all of them).
    scratch: String,
    /// The keys of the last object whose entries were put in key order, as written...
    shape_keys: Vec<Str>,
    /// ...and the order: the index (in `shape_keys`) of its first key, second key, ...
    /// Objects in an array mostly have the same keys in the same order; for them the order
    /// is known without looking at the keys again.
    shape_order: Vec<usize>,
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
        // Written JSON takes some 16 bytes or more a node that has a body or an entry.
        spans: SpanBuilder::with_capacity(text.len() / 16),
        entries: Vec::with_capacity(32),
        item_spans: Vec::with_capacity(64),
        items: Vec::with_capacity(64),
        keys: StrCache::new(true),
        values: StrCache::new(false),
        scratch: String::new(),
        shape_keys: Vec::new(),
        shape_order: Vec::new(),
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

impl<'a> JsonParser<'a> {
    fn error_at(&self, offset: usize, message: impl Into<String>) -> Box<Diagnostic> {
        Box::new(Diagnostic::new(self.file, message).at(self.source.location(offset), self.text))
    }

    #[cold]
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

    #[cold]
    fn too_deep(&self, start: usize) -> Box<Diagnostic> {
        self.error_at(
            start,
            format!("the document nests deeper than {MAX_DEPTH} levels"),
        )
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        const SPACES: u64 = 0x2020_2020_2020_2020;
        let mut i = self.pos;
        // Most bytes after whitespace are above a space: one comparison for them.
        while let Some(&b) = self.bytes.get(i) {
            if b > b' ' || !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                break;
            }
            // Indentation: a run of spaces, eight at a time.
            let word = self.bytes.get(i..).and_then(|rest| rest.first_chunk::<8>());
            let spaces = word.map_or(0, |w| {
                (u64::from_le_bytes(*w) ^ SPACES).trailing_zeros() as usize / 8
            });
            i += spaces.max(1);
        }
        self.pos = i;
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

    /// An object's or array's member at `self.pos`: strings, the most common, without a call.
    #[inline(always)]
    fn member(&mut self, depth: usize) -> Result<(Value, SpanNode), Box<Diagnostic>> {
        if self.peek() == Some(b'"') {
            self.string_value()
        } else {
            self.value(depth)
        }
    }

    /// A string value at `self.pos` (on its opening quote).
    #[inline(always)]
    fn string_value(&mut self) -> Result<(Value, SpanNode), Box<Diagnostic>> {
        let start = self.pos;
        let (s, end) = self.string(false)?;
        let scalar = ScalarSpan {
            kind: ScalarKind::DoubleQuoted,
            start,
            end,
            value: s.clone(),
        };
        Ok((Value::String(s), self.spans.leaf(start, Some(scalar))))
    }

    fn value(&mut self, depth: usize) -> Result<(Value, SpanNode), Box<Diagnostic>> {
        let start = self.pos;
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string_value(),
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

    /// An object at `self.pos` (on its `{`).
    fn object(&mut self, depth: usize) -> Result<(Value, SpanNode), Box<Diagnostic>> {
        let start = self.pos;
        if depth >= MAX_DEPTH {
            return Err(self.too_deep(start));
        }
        self.pos += 1;
        let mut map = Map::new();
        let first = self.entries.len();
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
                let (key, _) = self.string(true)?;
                self.skip_ws();
                if self.peek() != Some(b':') {
                    return Err(self.syntax(self.pos, "`:` after the key"));
                }
                self.pos += 1;
                self.skip_ws();
                let (value, span) = self.member(depth + 1)?;
                match map.entry(key) {
                    Entry::Vacant(slot) => {
                        let key = slot.key().clone();
                        slot.insert(value);
                        self.entries.push((key, span.with_key(key_start)));
                    }
                    Entry::Occupied(slot) => {
                        if self.errors.len() < MAX_ERRORS {
                            let d =
                                self.error_at(key_start, format!("duplicate key `{}`", slot.key()));
                            self.errors.push(d.with_help(
                                "each key may appear once in an object; remove or rename one",
                            ));
                        }
                    }
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
        let added = self.entries.get(first..).unwrap_or(&[]);
        let node = if added.len() <= SORT_BY_MATCHING {
            // The same keys (the very `Arc`s, so the same strings) in the same order as the
            // last object's go in the same order.
            let same_shape = added.len() == self.shape_keys.len()
                && added
                    .iter()
                    .zip(&self.shape_keys)
                    .all(|((k, _), shape)| Arc::ptr_eq(k, shape));
            if !same_shape {
                // The map's keys are in order, and are the very `Arc`s the entries hold:
                // match them up by address rather than sort the entries comparing strings.
                self.shape_keys.clear();
                self.shape_keys.extend(added.iter().map(|(k, _)| k.clone()));
                self.shape_order.clear();
                for key in map.keys() {
                    if let Some(i) = added.iter().position(|(k, _)| Arc::ptr_eq(k, key)) {
                        self.shape_order.push(i);
                    }
                }
            }
            let sorted = self
                .shape_order
                .iter()
                .filter_map(|&i| added.get(i))
                .map(|(k, node)| (k.clone(), *node));
            self.spans.sorted_map(start, sorted)
        } else {
            self.spans.map(
                start,
                self.entries.get(first..).unwrap_or(&[]).iter().cloned(),
            )
        };
        self.entries.truncate(first);
        Ok((Value::Map(Arc::new(map)), node))
    }

    /// An array at `self.pos` (on its `[`).
    fn array(&mut self, depth: usize) -> Result<(Value, SpanNode), Box<Diagnostic>> {
        let start = self.pos;
        if depth >= MAX_DEPTH {
            return Err(self.too_deep(start));
        }
        self.pos += 1;
        let first = self.items.len();
        let first_span = self.item_spans.len();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                let (value, span) = self.member(depth + 1)?;
                self.items.push(value);
                self.item_spans.push(span);
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
        let node = self.spans.list(start, self.item_spans.drain(first_span..));
        let items: Vec<Value> = self.items.drain(first..).collect();
        Ok((Value::List(Arc::new(items)), node))
    }

    /// Reads a string at `self.pos` (on its opening quote); returns it and the offset just
    /// past its closing quote. `key`: whether it is an object's key (for the caches).
    #[inline(always)]
    fn string(&mut self, key: bool) -> Result<(Str, usize), Box<Diagnostic>> {
        let open = self.pos;
        let content = open + 1;
        let run = plain_run(self.bytes.get(content..).unwrap_or(&[]));
        self.pos = content + run;
        if self.peek() == Some(b'"') {
            // No escapes: the text itself.
            let s = self.text.get(content..self.pos).unwrap_or("");
            self.pos += 1;
            let cache = if key {
                &mut self.keys
            } else {
                &mut self.values
            };
            return Ok((cache.get(s), self.pos));
        }
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        out.push_str(self.text.get(content..self.pos).unwrap_or(""));
        loop {
            match self.peek() {
                None => return Err(self.error_at(open, "invalid json: unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    let s = Str::from(out.as_str());
                    self.scratch = out;
                    return Ok((s, self.pos));
                }
                Some(b'\\') => self.escape(&mut out)?,
                Some(_) => {
                    return Err(self.error_at(
                        self.pos,
                        "invalid json: control character in string (escape it)",
                    ));
                }
            }
            let from = self.pos;
            let run = plain_run(self.bytes.get(from..).unwrap_or(&[]));
            self.pos += run;
            out.push_str(self.text.get(from..self.pos).unwrap_or(""));
        }
    }

    /// Decodes the escape at `self.pos` (on its `\`) into `out`.
    fn escape(&mut self, out: &mut String) -> Result<(), Box<Diagnostic>> {
        let esc = self.pos;
        self.pos += 1;
        let c = match self.peek() {
            Some(b'u') => {
                self.pos += 1;
                let hi = self.hex4(esc)?;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u".as_slice()) {
                        return Err(self.unpaired(esc));
                    }
                    self.pos += 2;
                    let lo = self.hex4(esc)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(self.unpaired(esc));
                    }
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                let Some(c) = char::from_u32(code) else {
                    return Err(self.unpaired(esc));
                };
                out.push(c);
                return Ok(());
            }
            other => match other.and_then(simple_escape) {
                Some(c) => c,
                None => {
                    return Err(self.error_at(esc, "invalid json: unknown escape sequence"));
                }
            },
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    #[cold]
    fn unpaired(&self, esc: usize) -> Box<Diagnostic> {
        self.error_at(esc, "invalid json: unpaired surrogate in `\\u` escape")
    }

    /// The four hex digits at `self.pos` of the `\u` escape at `esc`.
    fn hex4(&mut self, esc: usize) -> Result<u32, Box<Diagnostic>> {
        let mut code = 0;
        for i in 0..4 {
            let digit = self
                .bytes
                .get(self.pos + i)
                .and_then(|&b| char::from(b).to_digit(16));
            let Some(digit) = digit else {
                return Err(self.error_at(esc, "invalid json: `\\u` needs four hex digits"));
            };
            code = code * 16 + digit;
        }
        self.pos += 4;
        Ok(code)
    }

    /// Skips the digits at `self.pos`; gives how many there were and (while it cannot
    /// overflow, for up to 18 of them) their value.
    fn digits(&mut self) -> (usize, u64) {
        let start = self.pos;
        let mut value = 0u64;
        while let Some(&b) = self.bytes.get(self.pos) {
            if !b.is_ascii_digit() {
                break;
            }
            value = value.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
            self.pos += 1;
        }
        (self.pos - start, value)
    }

    fn number(&mut self) -> Result<Value, Box<Diagnostic>> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        let (n, magnitude) = self.digits();
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
            if self.digits().0 == 0 {
                return Err(self.syntax(self.pos, "a digit after `.`"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integer = false;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits().0 == 0 {
                return Err(self.syntax(self.pos, "a digit in the exponent"));
            }
        }
        if integer && n <= 18 {
            // Up to 18 digits always fit; `-0` stays a double, as `serde_json` reads it, to
            // keep its sign.
            if let Ok(m) = i64::try_from(magnitude) {
                if !negative {
                    return Ok(Value::Int(m));
                }
                if m != 0 {
                    return Ok(Value::Int(-m));
                }
            }
        }
        let text = self.text.get(start..self.pos).unwrap_or("");
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

#[cfg(test)]
#[path = "json_reference.rs"]
mod reference;
#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
