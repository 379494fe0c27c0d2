//! JSON text read straight into a [`Value`], with no source positions: the reader for inputs
//! that arrive as JSON text (the npm package's actions, options, batches and test cases).
//!
//! It gives the value `serde_json::from_str::<Value>` gives (the tests compare the two on
//! generated texts): integers that fit in `i64` as `Int`; larger integers and every number with
//! a fraction or an exponent as the nearest `Double`; `-0` as `Double(-0.0)`. A repeated key,
//! a number beyond the `f64` range, a lone surrogate escape, a control character in a string
//! and anything after the value are errors, each saying what was expected and where (line and
//! column, columns counted in characters).
//!
//! Policy documents go through `source::json` instead, which records where every node is; this
//! reader skips that work, so it is what a decision pays for reading its action. Written here
//! rather than taken from `serde_json` because `serde_json`'s text reader goes through serde's
//! visitor (slower for building a `Value`) and, with the `float_roundtrip` feature the
//! fingerprints need, brings an arbitrary-precision float parser (about 25 KB of wasm) where
//! the standard library's `str::parse::<f64>`, correctly rounded too, is already linked.

use std::borrow::Cow;
use std::collections::btree_map::Entry;
use std::fmt;
use std::sync::Arc;

use crate::source::{plain_run, simple_escape};
use crate::value::{Map, Value};

/// Why a JSON text could not be read, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonTextError {
    /// What is wrong ("expected `,` or `}`").
    pub message: String,
    /// 1-based line of the offending character.
    pub line: usize,
    /// 1-based column of the offending character, in characters.
    pub column: usize,
}

impl fmt::Display for JsonTextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for JsonTextError {}

/// Reads one JSON value (RFC 8259) from `text`, surrounded by optional whitespace. Arrays and
/// objects nested more than `max_depth` levels deep are an error, found before the reader
/// recurses past them.
pub fn parse_value(text: &str, max_depth: usize) -> Result<Value, JsonTextError> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        max_depth,
    };
    let value = reader.value(0)?;
    reader.skip_whitespace();
    if reader.pos < reader.bytes.len() {
        return Err(reader.error("expected the end of the text after the value"));
    }
    Ok(value)
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    max_depth: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    #[cold]
    #[inline(never)]
    fn error(&self, message: &str) -> JsonTextError {
        self.error_at(self.pos, message.to_owned())
    }

    #[cold]
    #[inline(never)]
    fn error_at(&self, at: usize, message: String) -> JsonTextError {
        let before = self.text.get(..at).unwrap_or(self.text);
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let message = match self.text.get(at..).and_then(|s| s.chars().next()) {
            _ if message.starts_with("duplicate") || message.starts_with("number") => message,
            None => format!("{message}, found the end of the text"),
            Some(c) if c.is_control() => format!("{message}, found `{}`", c.escape_default()),
            Some(c) => format!("{message}, found `{c}`"),
        };
        JsonTextError {
            message,
            line: before.matches('\n').count() + 1,
            column: before.get(line_start..).map_or(0, |s| s.chars().count()) + 1,
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonTextError> {
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                self.pos += 1;
                Ok(Value::String(Arc::from(self.string()?)))
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.word("true", Value::Bool(true)),
            Some(b'f') => self.word("false", Value::Bool(false)),
            Some(b'n') => self.word("null", Value::Null),
            _ => Err(self.error("expected a value")),
        }
    }

    fn word(&mut self, word: &str, value: Value) -> Result<Value, JsonTextError> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    /// Enters an array or object at `self.pos` (its bracket), checking the depth.
    fn enter(&mut self, depth: usize) -> Result<(), JsonTextError> {
        if depth >= self.max_depth {
            return Err(self.error_at(
                self.pos,
                format!("nested more than {} levels deep", self.max_depth),
            ));
        }
        self.pos += 1;
        self.skip_whitespace();
        Ok(())
    }

    fn array(&mut self, depth: usize) -> Result<Value, JsonTextError> {
        self.enter(depth)?;
        let mut items = Vec::new();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::list(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::list(items));
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, JsonTextError> {
        self.enter(depth)?;
        let mut map = Map::new();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Map(Arc::new(map)));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key_at = self.pos;
            self.pos += 1;
            let key = self.string()?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:`"));
            }
            self.pos += 1;
            let value = self.value(depth + 1)?;
            match map.entry(Arc::from(key.as_ref())) {
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                Entry::Occupied(_) => {
                    return Err(self.error_at(key_at, format!("duplicate key `{key}`")));
                }
            }
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Map(Arc::new(map)));
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    /// The string whose opening quote is just before `self.pos`; leaves `self.pos` after its
    /// closing quote. Borrowed from the text when it has no escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, JsonTextError> {
        let start = self.pos;
        let mut owned: Option<String> = None;
        loop {
            let run = plain_run(self.bytes.get(self.pos..).unwrap_or(&[]));
            let run_start = self.pos;
            self.pos += run;
            match self.peek() {
                Some(b'"') => {
                    let tail = self.text.get(run_start..self.pos).unwrap_or("");
                    self.pos += 1;
                    return Ok(match owned {
                        None => Cow::Borrowed(self.text.get(start..self.pos - 1).unwrap_or("")),
                        Some(mut s) => {
                            s.push_str(tail);
                            Cow::Owned(s)
                        }
                    });
                }
                Some(b'\\') => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(self.text.get(run_start..self.pos).unwrap_or(""));
                    self.pos += 1;
                    let c = self.escape()?;
                    if let Some(s) = owned.as_mut() {
                        s.push(c);
                    }
                }
                None => return Err(self.error("expected the closing `\"` of the string")),
                Some(_) => return Err(self.error("expected no control character in a string")),
            }
        }
    }

    /// The character an escape stands for; `self.pos` is just after its backslash.
    fn escape(&mut self) -> Result<char, JsonTextError> {
        let c = match self.peek() {
            Some(b'u') => {
                let at = self.pos - 1;
                self.pos += 1;
                let first = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                        return Err(self.error_at(at, "lone surrogate in a `\\u` escape".into()));
                    }
                    self.pos += 2;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(self.error_at(at, "lone surrogate in a `\\u` escape".into()));
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else {
                    first
                };
                return char::from_u32(code)
                    .ok_or_else(|| self.error_at(at, "lone surrogate in a `\\u` escape".into()));
            }
            other => match other.and_then(simple_escape) {
                Some(c) => c,
                None => {
                    return Err(self.error("expected an escape (`\\\"`, `\\n`, `\\u00e9`, ...)"));
                }
            },
        };
        self.pos += 1;
        Ok(c)
    }

    fn hex4(&mut self) -> Result<u32, JsonTextError> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| self.error("expected four hexadecimal digits"))?;
            code = code * 16 + digit;
            self.pos += 1;
        }
        Ok(code)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Value, JsonTextError> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.error("expected no leading zero in a number"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error("expected a digit")),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("expected a digit after `.`"));
            }
            integer = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("expected a digit in the exponent"));
            }
            integer = false;
        }
        let text = self.text.get(start..self.pos).unwrap_or("");
        if integer {
            // As serde_json reads integers: `-0` is a double, an integer beyond `i64` the
            // nearest double.
            if negative {
                match text.parse::<i64>() {
                    Ok(0) => return Ok(Value::Double(-0.0)),
                    Ok(i) => return Ok(Value::Int(i)),
                    Err(_) => {}
                }
            } else if let Ok(u) = text.parse::<u64>() {
                return Ok(i64::try_from(u).map_or(Value::Double(u as f64), Value::Int));
            }
        }
        match text.parse::<f64>() {
            Ok(d) if d.is_finite() => Ok(Value::Double(d)),
            _ => Err(self.error_at(start, format!("number `{text}` out of range"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn theirs(text: &str) -> Result<Value, String> {
        serde_json::from_str::<Value>(text).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_what_serde_json_reads() {
        for text in [
            "null",
            " true ",
            "false",
            "0",
            "-0",
            "-0.0",
            "12",
            "-12",
            "1.5",
            "1e3",
            "1E+3",
            "2.5e-3",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "123456789012345678901234567890",
            "0.1",
            "0.30000000000000004",
            "2.2250738585072011e-308",
            "1e-400",
            r#""""#,
            r#""plain""#,
            r#""a\"b\\c\/d\b\f\n\r\t""#,
            r#""\u00e9\u20ac\ud83d\ude00""#,
            r#""é€😀""#,
            "[]",
            "[1, [2, [3]], {}]",
            r#"{"a": 1, "b": [true, null], "c": {"d": "e"}}"#,
            "\t\r\n {\"k\" :\n 1 } \n",
        ] {
            assert_eq!(parse_value(text, 64).ok(), theirs(text).ok(), "{text}");
            let ours = parse_value(text, 64).unwrap();
            // Doubles compared by bits: -0.0 and 0.0 differ.
            assert_eq!(
                format!("{ours:?}"),
                format!("{:?}", theirs(text).unwrap()),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_what_serde_json_rejects_saying_where() {
        for (text, message) in [
            (
                "",
                "expected a value, found the end of the text at line 1 column 1",
            ),
            (
                "{not json",
                "expected a string key, found `n` at line 1 column 2",
            ),
            ("[1,]", "expected a value, found `]` at line 1 column 4"),
            ("[1 2]", "expected `,` or `]`, found `2` at line 1 column 4"),
            ("{\"a\" 1}", "expected `:`, found `1` at line 1 column 6"),
            (
                "{\"a\": 1,}",
                "expected a string key, found `}` at line 1 column 9",
            ),
            (
                "{\"a\": 1 \"b\"}",
                "expected `,` or `}`, found `\"` at line 1 column 9",
            ),
            (
                "{\"a\": 1,\n \"a\": 2}",
                "duplicate key `a` at line 2 column 2",
            ),
            (
                "01",
                "expected no leading zero in a number, found `1` at line 1 column 2",
            ),
            (
                "-",
                "expected a digit, found the end of the text at line 1 column 2",
            ),
            (
                "1.",
                "expected a digit after `.`, found the end of the text at line 1 column 3",
            ),
            (
                "1e",
                "expected a digit in the exponent, found the end of the text at line 1 column 3",
            ),
            ("1e400", "number `1e400` out of range at line 1 column 1"),
            ("-1e400", "number `-1e400` out of range at line 1 column 1"),
            ("tru", "expected a value, found `t` at line 1 column 1"),
            (
                "\"abc",
                "expected the closing `\"` of the string, found the end of the text at line 1 column 5",
            ),
            (
                "\"a\u{1}\"",
                "expected no control character in a string, found `\\u{1}` at line 1 column 3",
            ),
            (
                "\"\\x\"",
                "expected an escape (`\\\"`, `\\n`, `\\u00e9`, ...), found `x` at line 1 column 3",
            ),
            (
                "\"\\u12\"",
                "expected four hexadecimal digits, found `\"` at line 1 column 6",
            ),
            (
                "\"\\ud800\"",
                "lone surrogate in a `\\u` escape, found `\\` at line 1 column 2",
            ),
            (
                "\"\\udc00\"",
                "lone surrogate in a `\\u` escape, found `\\` at line 1 column 2",
            ),
            (
                "\"\\ud800\\u0041\"",
                "lone surrogate in a `\\u` escape, found `\\` at line 1 column 2",
            ),
            (
                "1 2",
                "expected the end of the text after the value, found `2` at line 1 column 3",
            ),
            (
                "\u{feff}1",
                "expected a value, found `\u{feff}` at line 1 column 1",
            ),
            (
                "[\"é\", x]",
                "expected a value, found `x` at line 1 column 7",
            ),
        ] {
            assert!(theirs(text).is_err(), "serde_json accepts {text:?}");
            assert_eq!(
                parse_value(text, 64).map_err(|e| e.to_string()),
                Err(message.to_owned()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn depth_is_bounded_before_recursing() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse_value(&deep(64), 64).is_ok());
        assert_eq!(
            parse_value(&deep(65), 64).map_err(|e| e.to_string()),
            Err("nested more than 64 levels deep, found `[` at line 1 column 65".to_owned())
        );
        let objects = format!("{}1{}", "{\"a\":".repeat(3), "}".repeat(3));
        assert!(parse_value(&objects, 3).is_ok());
        assert!(parse_value(&objects, 2).is_err());
        // Far deeper than any stack allows recursing: an error, not a crash.
        assert!(parse_value(&deep(100_000), 64).is_err());
    }

    /// JSON texts built from a generated value, written compactly or with spaces, escapes and
    /// number spellings serde_json must agree on.
    fn json_text() -> impl Strategy<Value = String> {
        let number = prop_oneof![
            any::<i64>().prop_map(|i| i.to_string()),
            any::<u64>().prop_map(|u| u.to_string()),
            any::<f64>()
                .prop_filter("finite", |d| d.is_finite())
                .prop_map(|d| format!("{d:e}")),
            any::<f64>()
                .prop_filter("finite", |d| d.is_finite())
                .prop_map(|d| d.to_string()),
            "-?(0|[1-9][0-9]{0,25})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?",
        ];
        let string = prop_oneof![
            "[a-zA-Z0-9 _é€😀]{0,12}".prop_map(|s| format!("{s:?}")),
            prop::collection::vec(any::<char>(), 0..6).prop_map(|cs| {
                let mut s = String::from("\"");
                for c in cs {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        s.push_str(&format!("\\u{unit:04x}"));
                    }
                }
                s.push('"');
                s
            }),
        ];
        let leaf = prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("false".to_owned()),
            number,
            string.clone(),
        ];
        leaf.prop_recursive(4, 40, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6)
                    .prop_map(|items| format!("[{}]", items.join(", "))),
                prop::collection::vec(("[a-d]{1,2}", inner), 0..6).prop_map(|entries| {
                    let body: Vec<String> =
                        entries.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
                    format!("{{{}}}", body.join(","))
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn agrees_with_serde_json(text in json_text()) {
            let ours = parse_value(&text, 128);
            let theirs = theirs(&text);
            prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{} -> {:?} / {:?}", text, ours, theirs);
            if let (Ok(a), Ok(b)) = (ours, theirs) {
                prop_assert_eq!(format!("{a:?}"), format!("{b:?}"), "{}", text);
            }
        }
    }
}
