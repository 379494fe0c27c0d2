//! RFC 8785 JSON Canonicalization Scheme (JCS) for [`Value`].
//!
//! What the output is:
//!
//! * no whitespace; object members sorted by their keys compared as sequences of UTF-16 code
//!   units (RFC 8785 §3.2.3), which differs from byte or code point order when a key holds a
//!   character above U+FFFF (a surrogate pair, `D800..DFFF`) next to one in `E000..FFFF`;
//! * strings escaped as ECMAScript's `JSON.stringify` does: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`,
//!   `\t`, every other character below U+0020 as `\u00xx` with lowercase hex, everything else
//!   (U+007F, U+2028, non-ASCII) written as itself in UTF-8;
//! * [`Value::Double`] written as ECMAScript's `Number.prototype.toString` writes it: the
//!   shortest digits that read back to the same double, plain notation for magnitudes in
//!   `[1e-6, 1e21)`, otherwise `d.ddde±x`; `-0` is written `0`;
//! * [`Value::Int`] written as its exact decimal digits.
//!
//! Two decisions where `Value` is wider than JSON-as-JCS-sees-it:
//!
//! * **Non-finite doubles** (NaN, ±∞) have no JSON form, and JCS forbids them. Rather than
//!   invent one (writing `null` would make `{"x": NaN}` and `{"x": null}` share a digest),
//!   canonicalization fails with [`CanonicalError::NonFinite`], naming where the number is.
//!   Values parsed from JSON never hold one; only values built in code can.
//! * **Ints beyond ±2^53.** JCS reads every number as an IEEE double, so a JCS implementation
//!   given `9007199254740993` prints `9007199254740992`. We print an `Int` as its exact digits
//!   instead. Within ±2^53 the two agree digit for digit (every such integer is a double, and
//!   ECMAScript prints integers below 1e21 in plain digits), so ordinary data canonicalizes
//!   exactly as RFC 8785 says. Beyond it we diverge on purpose: rounding would give two
//!   different actions (ids, amounts) the same fingerprint, and one signed override would then
//!   cover both. An `Int` and a `Double` of the same value below 2^53 (`1` and `1.0`) do share a
//!   form, as JSON intends.
//!
//! A number read from JSON text is only as exact as its parser: this crate turns on
//! `serde_json`'s `float_roundtrip`, without which `333333333.33333329` can land one ulp off
//! and canonicalize as `333333333.33333325` instead of RFC 8785's `333333333.3333333`.

use std::fmt;

use crate::value::{Map, Value};

/// How deep canonicalization follows nested lists and maps before giving up.
///
/// JSON parsed by `serde_json` stops at 128 levels, so this only bounds values built in code,
/// keeping recursion far from the stack's end on every target.
pub const MAX_DEPTH: usize = 512;

/// Why a value has no canonical JSON form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CanonicalError {
    /// A double is NaN or infinite.
    NonFinite {
        /// Where the number is, as a JSON Pointer (RFC 6901; `""` is the whole value).
        pointer: String,
    },
    /// Lists and maps nest deeper than [`MAX_DEPTH`].
    TooDeep {
        /// Where the limit was reached, as a JSON Pointer.
        pointer: String,
    },
}

impl CanonicalError {
    /// Where in the value the problem is, as a JSON Pointer.
    pub fn pointer(&self) -> &str {
        match self {
            CanonicalError::NonFinite { pointer } | CanonicalError::TooDeep { pointer } => pointer,
        }
    }

    /// Adds the segment of a parent container in front of the pointer.
    fn under(mut self, segment: &str) -> CanonicalError {
        let pointer = match &mut self {
            CanonicalError::NonFinite { pointer } | CanonicalError::TooDeep { pointer } => pointer,
        };
        let escaped = segment.replace('~', "~0").replace('/', "~1");
        pointer.insert_str(0, &escaped);
        pointer.insert(0, '/');
        self
    }
}

impl fmt::Display for CanonicalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |pointer: &str| {
            if pointer.is_empty() {
                "the top level".to_owned()
            } else {
                format!("`{pointer}`")
            }
        };
        match self {
            CanonicalError::NonFinite { pointer } => write!(
                f,
                "the number at {} is not finite (NaN or infinity has no JSON form)",
                at(pointer)
            ),
            CanonicalError::TooDeep { pointer } => write!(
                f,
                "the value nests deeper than {MAX_DEPTH} levels at {}",
                at(pointer)
            ),
        }
    }
}

impl std::error::Error for CanonicalError {}

/// The RFC 8785 canonical JSON text of `value`.
///
/// Fails only for a non-finite double or nesting deeper than [`MAX_DEPTH`]; see the module
/// docs for how `Int`s beyond ±2^53 are written.
pub fn canonical_json(value: &Value) -> Result<String, CanonicalError> {
    let mut out = String::new();
    write_value(value, &mut out, 0)?;
    Ok(out)
}

/// Appends the canonical JSON of `value` to `out`; on error `out` holds a partial text.
pub(crate) fn write_value(
    value: &Value,
    out: &mut String,
    depth: usize,
) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(i) => write_i64(*i, out),
        Value::Double(d) => {
            if !d.is_finite() {
                return Err(CanonicalError::NonFinite {
                    pointer: String::new(),
                });
            }
            write_es_number(*d, out);
        }
        Value::String(s) => write_string(s, out),
        Value::List(items) => {
            if depth >= MAX_DEPTH {
                return Err(CanonicalError::TooDeep {
                    pointer: String::new(),
                });
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out, depth + 1).map_err(|e| e.under(&i.to_string()))?;
            }
            out.push(']');
        }
        Value::Map(map) => {
            if depth >= MAX_DEPTH {
                return Err(CanonicalError::TooDeep {
                    pointer: String::new(),
                });
            }
            write_map(map, None, out, depth)?;
        }
    }
    Ok(())
}

/// Appends the canonical JSON of a map, leaving out the member named `skip` if given.
pub(crate) fn write_map(
    map: &Map,
    skip: Option<&str>,
    out: &mut String,
    depth: usize,
) -> Result<(), CanonicalError> {
    let entries = map
        .iter()
        .map(|(k, v)| (&**k, v))
        .filter(|(k, _)| Some(*k) != skip);
    out.push('{');
    // `BTreeMap` orders keys by UTF-8 bytes (code points); JCS wants UTF-16 code units. The
    // two agree unless some key holds a character at or above U+E000.
    if map.keys().all(|k| utf16_order_is_byte_order(k)) {
        write_members(entries, out, depth)?;
    } else {
        let mut sorted: Vec<(&str, &Value)> = entries.collect();
        crate::sorting::sort_by(&mut sorted, |(a, _), (b, _)| utf16_cmp(a, b));
        write_members(sorted.into_iter(), out, depth)?;
    }
    out.push('}');
    Ok(())
}

fn write_members<'a>(
    entries: impl Iterator<Item = (&'a str, &'a Value)>,
    out: &mut String,
    depth: usize,
) -> Result<(), CanonicalError> {
    for (i, (key, value)) in entries.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(key, out);
        out.push(':');
        write_value(value, out, depth + 1).map_err(|e| e.under(key))?;
    }
    Ok(())
}

/// Whether `key` has no character at or above U+E000: comparing such keys by their UTF-8
/// bytes gives the same order as comparing their UTF-16 code units. (The orders differ only
/// between a character above U+FFFF, a surrogate pair in UTF-16, and one in `E000..=FFFF`.)
fn utf16_order_is_byte_order(key: &str) -> bool {
    // U+E000 is `EE 80 80` in UTF-8; every lead byte of a larger character is >= 0xEE.
    key.bytes().all(|b| b < 0xEE)
}

/// RFC 8785 key order: by UTF-16 code units.
fn utf16_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Appends an integer's decimal digits.
pub(crate) fn write_i64(i: i64, out: &mut String) {
    if i < 0 {
        out.push('-');
    }
    write_u64(i.unsigned_abs(), out);
}

/// Appends an unsigned integer's decimal digits.
pub(crate) fn write_u64(n: u64, out: &mut String) {
    if n < 10 {
        // The common case: one digit.
        out.push(char::from(b'0' + n as u8));
        return;
    }
    let mut buf = [b'0'; 20];
    out.push_str(std::str::from_utf8(decimal_digits(n, &mut buf)).unwrap_or("0"));
}

/// The decimal digits of `n`, written at the end of `buf`: what every integer writer of the
/// crate appends (canonical JSON, the digest's direct writer, explanations' numbers).
#[inline]
pub(crate) fn decimal_digits(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    for slot in buf.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        at -= 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.get(at..).unwrap_or(&[])
}

/// The escape JCS writes for a byte that needs one (`\"`, `\n`, `\u001f`), and its length.
pub(super) fn escape_of(b: u8) -> ([u8; 6], usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let short = match b {
        b'"' | b'\\' => b,
        0x08 => b'b',
        0x0c => b'f',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        _ => {
            let hex = |nibble: u8| HEX.get(usize::from(nibble)).copied().unwrap_or(b'0');
            return ([b'\\', b'u', b'0', b'0', hex(b >> 4), hex(b & 0x0f)], 6);
        }
    };
    ([b'\\', short, 0, 0, 0, 0], 2)
}

/// Whether a byte must be escaped in a JSON string: a control character, `"` or `\`.
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The high bit of every byte of `word` that needs escaping, and possibly of bytes above the
/// lowest such byte (borrows run upward): the lowest set bit is exact, and the mask is zero
/// exactly when no byte needs escaping.
pub(super) fn escape_mask(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // A byte below 0x20 (holds for thresholds up to 0x80).
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    // A byte equal to `"` or `\`: a zero byte after xor.
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let zero = |v: u64| v.wrapping_sub(ONES) & !v;
    (control | zero(quote) | zero(backslash)) & HIGHS
}

/// Whether any of the eight bytes of `word` needs escaping (exact, no false positives).
fn word_needs_escape(word: u64) -> bool {
    escape_mask(word) != 0
}

/// Reads eight bytes as a little-endian word (`bytes` must hold exactly eight).
fn word_of(bytes: &[u8]) -> u64 {
    <[u8; 8]>::try_from(bytes).map_or(u64::MAX, u64::from_le_bytes)
}

/// Reads four bytes as a little-endian word (`bytes` must hold exactly four).
fn half_of(bytes: &[u8]) -> u64 {
    <[u8; 4]>::try_from(bytes).map_or(u64::from(u32::MAX), |b| u64::from(u32::from_le_bytes(b)))
}

/// Whether any byte of `bytes` needs escaping, a word at a time: whole words, then the last
/// eight bytes (overlapping the words before); a shorter string as two overlapping halves, or
/// its first, middle and last bytes.
fn has_escape(bytes: &[u8]) -> bool {
    let n = bytes.len();
    if n >= 8 {
        let mut chunks = bytes.chunks_exact(8);
        if chunks.any(|c| word_needs_escape(word_of(c))) {
            return true;
        }
        bytes
            .get(n - 8..)
            .is_none_or(|last| word_needs_escape(word_of(last)))
    } else if n >= 4 {
        let (Some(first), Some(last)) = (bytes.get(..4), bytes.get(n - 4..)) else {
            return true;
        };
        word_needs_escape(half_of(first) | half_of(last) << 32)
    } else if let (Some(&a), Some(&b), Some(&c)) = (bytes.first(), bytes.get(n / 2), bytes.last()) {
        // The unused bytes are `A`, which needs no escape.
        word_needs_escape(
            0x4141_4141_4100_0000 | u64::from(a) | u64::from(b) << 8 | u64::from(c) << 16,
        )
    } else {
        false
    }
}

/// Appends `s` as a JSON string literal with JCS's escapes.
pub(crate) fn write_string(s: &str, out: &mut String) {
    if has_escape(s.as_bytes()) {
        write_escaped(s, out);
    } else {
        // Most strings: written as they are.
        out.reserve(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
    }
}

/// [`write_string`] for a string with something to escape.
#[inline(never)]
fn write_escaped(s: &str, out: &mut String) {
    out.reserve(s.len() + 8);
    out.push('"');
    // Runs of characters written as themselves are copied whole; only ASCII bytes need
    // escaping, so every split falls on a character boundary.
    let bytes = s.as_bytes();
    let mut run = 0;
    let mut at = 0;
    loop {
        // Eight bytes at a time; the lowest flagged byte of a word is the next to escape.
        let next = loop {
            match bytes.get(at..at + 8) {
                Some(chunk) => {
                    let mask = escape_mask(word_of(chunk));
                    if mask != 0 {
                        break Some(at + (mask.trailing_zeros() / 8) as usize);
                    }
                    at += 8;
                }
                None => {
                    break bytes
                        .get(at..)
                        .and_then(|rest| rest.iter().position(|&b| needs_escape(b)))
                        .map(|i| at + i);
                }
            }
        };
        let Some(i) = next else {
            break;
        };
        let b = bytes.get(i).copied().unwrap_or(0);
        at = i + 1;
        out.push_str(s.get(run..i).unwrap_or(""));
        run = i + 1;
        let (escape, len) = escape_of(b);
        for &c in escape.get(..len).unwrap_or(&[]) {
            out.push(char::from(c));
        }
    }
    out.push_str(s.get(run..).unwrap_or(""));
    out.push('"');
}

/// 2^53: every integer of smaller magnitude is a double, written as its plain digits.
const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;

/// Appends a finite double as ECMAScript's `Number.prototype.toString` (radix 10) writes it.
///
/// ECMAScript (ECMA-262 §6.1.6.1.20, Number::toString, and its note 2) asks for the fewest
/// digits that read back to the same double, the nearest of those to its exact value, and on a
/// tie the even one. `zmij` (Schubfach, the formatter `serde_json` already links) produces
/// exactly those digits, ties included (Rust's own `{:e}` rounds some ties up:
/// 1424953923781206.25 prints as ...206.3 where JavaScript prints ...206.2). Only the placement
/// of the point and the exponent differ, and that is done here.
///
/// An integral double below 2^53 in magnitude is written as the integer it is: doubles are
/// one apart or closer there, so its own digits (trailing zeros aside) are the shortest that
/// read back to it, and below 1e21 ECMAScript writes them out with their zeros.
pub(crate) fn write_es_number(d: f64, out: &mut String) {
    if d == 0.0 {
        // Both +0 and -0.
        out.push('0');
        return;
    }
    if d.abs() < EXACT_INTEGERS && d.trunc() == d {
        write_i64(d as i64, out);
        return;
    }
    if d.is_sign_negative() {
        out.push('-');
    }
    let mut buffer = zmij::Buffer::new();
    let (digits, n) = split_decimal(buffer.format_finite(d.abs()));
    let digits = digits.as_str();
    let k = digits.len() as i64;

    if k <= n && n <= 21 {
        // An integer: the digits, then zeros.
        out.push_str(digits);
        push_zeros(out, n - k);
    } else if 0 < n && n <= 21 {
        // The point falls inside the digits.
        let (int_part, frac_part) = digits.split_at_checked(n as usize).unwrap_or((digits, ""));
        out.push_str(int_part);
        out.push('.');
        out.push_str(frac_part);
    } else if -6 < n && n <= 0 {
        // A small fraction: 0.000ddd
        out.push_str("0.");
        push_zeros(out, -n);
        out.push_str(digits);
    } else {
        // Exponential: d[.ddd]e±x
        let (first, rest) = digits.split_at_checked(1).unwrap_or((digits, ""));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let e = n - 1;
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        write_u64(e.unsigned_abs(), out);
    }
}

/// Significant decimal digits, kept on the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Digits {
    buf: [u8; 32],
    len: usize,
}

impl Digits {
    fn as_str(&self) -> &str {
        std::str::from_utf8(self.buf.get(..self.len).unwrap_or(&[])).unwrap_or("")
    }
}

/// Splits a positive decimal numeral (`123.45`, `0.001`, `1.0`, `1.5e-7`, `1e+21`) into its
/// significant digits without leading or trailing zeros (`12345`) and the `n` for which the
/// value is `0.d1d2... × 10^n` (`3`). Total: never fails, whatever the input; digits past the
/// 32nd are dropped (a double needs at most 17).
fn split_decimal(text: &str) -> (Digits, i64) {
    let (mantissa, exponent) = text.split_once(['e', 'E']).unwrap_or((text, "0"));
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut n = parse_exponent(exponent).saturating_add(int_part.len() as i64);
    let all = int_part
        .bytes()
        .chain(frac_part.bytes())
        .filter(u8::is_ascii_digit);
    let mut digits = Digits {
        buf: [b'0'; 32],
        len: 0,
    };
    // Length without the trailing zeros.
    let mut significant = 0;
    for b in all {
        if digits.len == 0 && b == b'0' {
            n -= 1;
        } else if let Some(slot) = digits.buf.get_mut(digits.len) {
            *slot = b;
            digits.len += 1;
            if b != b'0' {
                significant = digits.len;
            }
        }
    }
    digits.len = significant;
    (digits, n)
}

/// Reads an exponent (`-7`, `+21`, `21`); total, never fails.
fn parse_exponent(s: &str) -> i64 {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let magnitude = digits
        .bytes()
        .filter(u8::is_ascii_digit)
        .fold(0i64, |acc, b| {
            acc.saturating_mul(10).saturating_add(i64::from(b - b'0'))
        });
    if negative { -magnitude } else { magnitude }
}

fn push_zeros(out: &mut String, count: i64) {
    for _ in 0..count {
        out.push('0');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn es(d: f64) -> String {
        let mut s = String::new();
        write_es_number(d, &mut s);
        s
    }

    fn canon(json: &str) -> String {
        let v: Value = serde_json::from_str(json).unwrap();
        canonical_json(&v).unwrap()
    }

    /// RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical forms.
    #[test]
    fn rfc8785_appendix_b_numbers() {
        let cases: &[(u64, &str)] = &[
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for &(bits, want) in cases {
            assert_eq!(es(f64::from_bits(bits)), want, "bits {bits:#018x}");
        }
    }

    #[test]
    fn split_decimal_forms() {
        let cases: &[(&str, &str, i64)] = &[
            ("1.0", "1", 1),
            ("123.456", "123456", 3),
            ("0.001", "1", -2),
            ("100.0", "1", 3),
            ("1e+21", "1", 22),
            ("1.5e-7", "15", -6),
            ("9007199254740992.0", "9007199254740992", 16),
        ];
        for &(text, digits, n) in cases {
            let (got, got_n) = split_decimal(text);
            assert_eq!((got.as_str(), got_n), (digits, n), "{text}");
        }
    }

    #[test]
    fn ties_go_to_even_like_javascript() {
        // 1424953923781206.25 and -1149636667324797.25 exactly: halfway between two 17-digit
        // candidates, where Rust's `{:e}` rounds up.
        let (a, b) = (
            f64::from_bits(0x43143ff3c1cb0959),
            f64::from_bits(0xc310565a94b4e5f5),
        );
        assert_eq!(format!("{a:e}"), "1.4249539237812063e15");
        assert_eq!(es(a), "1424953923781206.2");
        assert_eq!(es(b), "-1149636667324797.2");
    }

    #[test]
    #[allow(clippy::excessive_precision)] // the RFC's 333333333.33333329, on purpose
    fn es_number_forms() {
        assert_eq!(es(1.0), "1");
        assert_eq!(es(-1.0), "-1");
        assert_eq!(es(-0.0), "0");
        assert_eq!(es(0.1), "0.1");
        assert_eq!(es(4.5), "4.5");
        assert_eq!(es(2e-3), "0.002");
        assert_eq!(es(0.000001), "0.000001");
        assert_eq!(es(1e-7), "1e-7");
        assert_eq!(es(1.5e-7), "1.5e-7");
        assert_eq!(es(1e21), "1e+21");
        assert_eq!(es(1e20), "100000000000000000000");
        assert_eq!(es(1e30), "1e+30");
        assert_eq!(es(1e-27), "1e-27");
        assert_eq!(es(123.456), "123.456");
        assert_eq!(es(-123e-10), "-1.23e-8");
        assert_eq!(es(333333333.33333329), "333333333.3333333");
        assert_eq!(es(f64::MIN_POSITIVE), "2.2250738585072014e-308");
    }

    /// Doubles printed by a JavaScript engine's `String(x)`, generated once (see the file's
    /// header) and kept as a fixture.
    #[test]
    fn matches_javascript_on_fixture() {
        let fixture = include_str!("testdata/es_numbers.txt");
        let mut checked = 0;
        for line in fixture
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (hex, want) = line.split_once(' ').unwrap();
            let d = f64::from_bits(u64::from_str_radix(hex, 16).unwrap());
            assert_eq!(es(d), want, "bits {hex}");
            checked += 1;
        }
        assert!(checked > 1000, "fixture too small: {checked}");
    }

    /// RFC 8785 §3.2.2's sample input and output.
    #[test]
    fn rfc8785_sample_object() {
        let input = r#"{
          "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"#;
        let want = concat!(
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"#,
            r#""string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
        assert_eq!(canon(input), want);
    }

    /// RFC 8785 §3.2.3's sorting sample: UTF-16 order puts the emoji (a surrogate pair)
    /// before U+FB33, although its code point is higher.
    #[test]
    fn rfc8785_sorting_sample() {
        let input = r#"{
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        let want = concat!(
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",",
            "\"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",",
            "\"\u{1f600}\":\"Emoji: Grinning Face\",",
            "\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        );
        assert_eq!(canon(input), want);
    }

    #[test]
    fn utf16_order_differs_from_byte_order() {
        // U+E000 sorts before U+10000 by bytes and code points, after it by UTF-16 units.
        let v = Value::map([("\u{e000}", Value::Int(1)), ("\u{10000}", Value::Int(2))]);
        let keys: Vec<&str> = v.as_map().unwrap().keys().map(|k| &**k).collect();
        assert_eq!(keys, ["\u{e000}", "\u{10000}"]);
        assert_eq!(
            canonical_json(&v).unwrap(),
            "{\"\u{10000}\":2,\"\u{e000}\":1}"
        );
        // A shared prefix still compares by the first differing unit.
        let v = Value::map([
            ("a\u{ffff}", Value::Null),
            ("a\u{1f600}", Value::Null),
            ("a", Value::Null),
        ]);
        assert_eq!(
            canonical_json(&v).unwrap(),
            "{\"a\":null,\"a\u{1f600}\":null,\"a\u{ffff}\":null}"
        );
    }

    #[test]
    fn string_escapes() {
        let s: String =
            (0u32..0x20).filter_map(char::from_u32).collect::<String>() + "\"\\/\u{7f}\u{2028}é";
        let mut out = String::new();
        write_string(&s, &mut out);
        assert_eq!(
            out,
            concat!(
                "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r",
                "\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018",
                "\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\\\"\\\\/\u{7f}\u{2028}é\""
            )
        );
    }

    #[test]
    fn ints_are_exact() {
        assert_eq!(canonical_json(&Value::Int(0)).unwrap(), "0");
        assert_eq!(canonical_json(&Value::Int(-42)).unwrap(), "-42");
        // Within ±2^53 an Int and the equal Double agree, as JCS would print them.
        for i in [
            1i64,
            9_007_199_254_740_992,
            -9_007_199_254_740_992,
            1_000_000,
        ] {
            assert_eq!(
                canonical_json(&Value::Int(i)).unwrap(),
                canonical_json(&Value::Double(i as f64)).unwrap()
            );
        }
        // Beyond it, exact digits: neighbours stay apart (JCS would print both as ...992).
        assert_eq!(
            canonical_json(&Value::Int(9_007_199_254_740_993)).unwrap(),
            "9007199254740993"
        );
        assert_eq!(
            canonical_json(&Value::Int(i64::MIN)).unwrap(),
            "-9223372036854775808"
        );
        assert_eq!(
            canonical_json(&Value::Int(i64::MAX)).unwrap(),
            "9223372036854775807"
        );
    }

    #[test]
    fn non_finite_is_an_error_with_a_pointer() {
        assert_eq!(
            canonical_json(&Value::Double(f64::NAN)),
            Err(CanonicalError::NonFinite {
                pointer: String::new()
            })
        );
        let v = Value::map([(
            "a/b",
            Value::list(vec![
                Value::Null,
                Value::map([("~x", Value::Double(f64::INFINITY))]),
            ]),
        )]);
        let err = canonical_json(&v).unwrap_err();
        assert_eq!(err.pointer(), "/a~1b/1/~0x");
        assert!(err.to_string().contains("`/a~1b/1/~0x`"), "{err}");
        assert!(canonical_json(&Value::Double(f64::NEG_INFINITY)).is_err());
    }

    #[test]
    fn depth_is_bounded() {
        let mut v = Value::Null;
        for _ in 0..MAX_DEPTH {
            v = Value::list(vec![v]);
        }
        assert!(canonical_json(&v).is_ok());
        let v = Value::list(vec![v]);
        assert!(matches!(
            canonical_json(&v),
            Err(CanonicalError::TooDeep { .. })
        ));
    }

    #[test]
    fn empty_containers_and_literals() {
        assert_eq!(
            canon(r#"{"b": [], "a": {}, "c": [null, true, false, ""]}"#),
            r#"{"a":{},"b":[],"c":[null,true,false,""]}"#
        );
    }

    /// The word-at-a-time escape check finds every byte to escape, wherever it sits, in
    /// strings of every length around the word size.
    #[test]
    fn string_escapes_at_every_position() {
        fn reference(s: &str) -> String {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\u{8}' => out.push_str("\\b"),
                    '\u{c}' => out.push_str("\\f"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        let specials = [
            '"', '\\', '\0', '\u{1f}', '\n', '\u{7f}', ' ', '!', '#', '[', ']', 'é',
        ];
        for len in 0..20 {
            for at in 0..len.max(1) {
                for &c in &specials {
                    for fill in ['a', '\u{80}', '\u{1f600}'] {
                        let s: String = (0..len).map(|i| if i == at { c } else { fill }).collect();
                        let mut out = String::new();
                        write_string(&s, &mut out);
                        assert_eq!(out, reference(&s), "{s:?}");
                    }
                }
            }
        }
        // Every byte value next to every other in a short string.
        for b in 0u8..=0x7f {
            for fill in ["", "x", "xxx", "xxxxxxx", "xxxxxxxxxxxxxxx"] {
                let s = format!("{fill}{}{fill}", char::from(b));
                let mut out = String::new();
                write_string(&s, &mut out);
                assert_eq!(out, reference(&s), "{s:?}");
            }
        }
    }

    /// Integral doubles below 2^53 are written as integers; that shortcut agrees with the
    /// shortest-digits path everywhere it applies.
    #[test]
    fn integral_doubles_match_shortest_digits() {
        fn slow(d: f64) -> String {
            let mut out = String::new();
            if d.is_sign_negative() {
                out.push('-');
            }
            let mut buffer = zmij::Buffer::new();
            let (digits, n) = split_decimal(buffer.format_finite(d.abs()));
            let digits = digits.as_str();
            let k = digits.len() as i64;
            assert!(k <= n && n <= 21, "{d}");
            out.push_str(digits);
            push_zeros(&mut out, n - k);
            out
        }
        let mut samples: Vec<f64> = vec![
            1.0,
            9.0,
            10.0,
            100.0,
            1e15,
            1e16 - 2.0,
            EXACT_INTEGERS - 1.0,
        ];
        let mut x = 1.0f64;
        while x < EXACT_INTEGERS {
            samples.extend([x, x - 1.0, x + 1.0, x * 3.0, (x * 1.7).round()]);
            x *= 2.0;
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            samples.push((state >> 11) as f64);
            samples.push((state >> (11 + state % 50)) as f64);
        }
        for d in samples {
            for d in [d, -d] {
                if d != 0.0 && d.abs() < EXACT_INTEGERS {
                    assert_eq!(es(d), slow(d), "{d}");
                }
            }
        }
    }
}
