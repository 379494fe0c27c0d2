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

use std::fmt::{self, Write as _};

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
        sorted.sort_by(|(a, _), (b, _)| utf16_cmp(a, b));
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
fn write_i64(i: i64, out: &mut String) {
    if i < 0 {
        out.push('-');
    }
    write_u64(i.unsigned_abs(), out);
}

/// Appends an unsigned integer's decimal digits.
fn write_u64(mut n: u64, out: &mut String) {
    const DIGITS: &[u8; 10] = b"0123456789";
    let mut buf = [b'0'; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        let digit = DIGITS.get((n % 10) as usize).copied().unwrap_or(b'0');
        if let Some(slot) = buf.get_mut(at) {
            *slot = digit;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    let digits = buf.get(at..).unwrap_or(&[]);
    out.push_str(std::str::from_utf8(digits).unwrap_or("0"));
}

/// Appends `s` as a JSON string literal with JCS's escapes.
pub(crate) fn write_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push('"');
    let mut rest = s;
    // Runs of characters written as themselves are copied whole; only ASCII bytes need
    // escaping, so every split falls on a character boundary.
    while let Some(i) = rest
        .bytes()
        .position(|b| b < 0x20 || b == b'"' || b == b'\\')
    {
        out.push_str(rest.get(..i).unwrap_or(""));
        let b = rest.as_bytes().get(i).copied().unwrap_or(0);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => {
                out.push_str("\\u00");
                for nibble in [b >> 4, b & 0x0f] {
                    out.push(char::from(
                        HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
                    ));
                }
            }
        }
        rest = rest.get(i + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out.push('"');
}

/// Appends a finite double as ECMAScript's `Number.prototype.toString` (radix 10) writes it.
///
/// ECMAScript (ECMA-262 §6.1.6.1.20, Number::toString, and its note 2) asks for the fewest
/// digits that read back to the same double, the nearest of those to its exact value, and on a
/// tie the even one. `zmij` (Schubfach, the formatter `serde_json` already links) produces
/// exactly those digits, ties included (Rust's own `{:e}` rounds some ties up:
/// 1424953923781206.25 prints as ...206.3 where JavaScript prints ...206.2). Only the placement
/// of the point and the exponent differ, and that is done here.
pub(crate) fn write_es_number(d: f64, out: &mut String) {
    if d == 0.0 {
        // Both +0 and -0.
        out.push('0');
        return;
    }
    if d.is_sign_negative() {
        out.push('-');
    }
    let mut buffer = zmij::Buffer::new();
    let (digits, n) = split_decimal(buffer.format_finite(d.abs()));
    let k = digits.len() as i64;

    if k <= n && n <= 21 {
        // An integer: the digits, then zeros.
        out.push_str(&digits);
        push_zeros(out, n - k);
    } else if 0 < n && n <= 21 {
        // The point falls inside the digits.
        for (i, c) in digits.chars().enumerate() {
            if i as i64 == n {
                out.push('.');
            }
            out.push(c);
        }
    } else if -6 < n && n <= 0 {
        // A small fraction: 0.000ddd
        out.push_str("0.");
        push_zeros(out, -n);
        out.push_str(&digits);
    } else {
        // Exponential: d[.ddd]e±x
        let mut chars = digits.chars();
        if let Some(first) = chars.next() {
            out.push(first);
        }
        let rest = chars.as_str();
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let e = n - 1;
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        let _ = write!(out, "{}", e.unsigned_abs());
    }
}

/// Splits a positive decimal numeral (`123.45`, `0.001`, `1.0`, `1.5e-7`, `1e+21`) into its
/// significant digits without leading or trailing zeros (`12345`) and the `n` for which the
/// value is `0.d1d2... × 10^n` (`3`). Total: never fails, whatever the input.
fn split_decimal(text: &str) -> (String, i64) {
    let (mantissa, exponent) = text.split_once(['e', 'E']).unwrap_or((text, "0"));
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut n = parse_exponent(exponent).saturating_add(int_part.len() as i64);
    let all = int_part
        .bytes()
        .chain(frac_part.bytes())
        .filter(u8::is_ascii_digit);
    let mut digits = String::new();
    for b in all {
        if digits.is_empty() && b == b'0' {
            n -= 1;
        } else {
            digits.push(char::from(b));
        }
    }
    let significant = digits.trim_end_matches('0').len();
    digits.truncate(significant);
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

/// The canonical JSON of anything serializable, written as it is serialized, exactly as
/// `canonical_json(&Value::from_json(&serde_json::to_value(value)?))` would write it, with the
/// top-level member named `skip` left out: non-finite floats become `null` (as `to_value` makes
/// them), unsigned integers above `i64::MAX` are written as doubles, enum variants as
/// `serde_json` shapes them.
///
/// `None` when the value holds something this writer leaves to that longer road: 128-bit
/// integers, map keys that are not strings, integers or unit variants, a repeated map key,
/// nesting past [`MAX_DEPTH`], or a `Serialize` impl that fails. Callers then take that road,
/// which also reports the error if there is one.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn canonical_json_of<T: serde::Serialize + ?Sized>(
    value: &T,
    skip: Option<&str>,
) -> Option<String> {
    let mut w = Writer {
        out: String::with_capacity(1024),
        keys: String::new(),
        members: Vec::new(),
        scratch: String::new(),
        skip,
        depth: 0,
    };
    value.serialize(&mut w).ok()?;
    Some(w.out)
}

/// The direct writer gave up; see [`canonical_json_of`].
#[derive(Debug)]
pub(crate) struct Unsupported;

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not written directly")
    }
}

impl std::error::Error for Unsupported {}

impl serde::ser::Error for Unsupported {
    fn custom<T: fmt::Display>(_msg: T) -> Unsupported {
        Unsupported
    }
}

/// A written member of an open map: its raw key in [`Writer::keys`] and its canonical value
/// in [`Writer::out`], as byte ranges.
struct Member {
    key: (usize, usize),
    value: (usize, usize),
}

struct Writer<'s> {
    out: String,
    /// Raw keys of the members of every open map.
    keys: String,
    /// Members of every open map, the innermost map's last.
    members: Vec<Member>,
    /// Where a finished map is assembled in key order before it replaces its members.
    scratch: String,
    /// The top-level member to leave out.
    skip: Option<&'s str>,
    depth: usize,
}

impl<'s> Writer<'s> {
    fn enter(&mut self) -> Result<(), Unsupported> {
        if self.depth >= MAX_DEPTH {
            return Err(Unsupported);
        }
        self.depth += 1;
        Ok(())
    }

    fn open_map<'a>(&'a mut self, variant: Option<&str>) -> Result<MapWriter<'a, 's>, Unsupported> {
        if variant.is_some() {
            self.enter()?;
            self.out.push('{');
            write_string(variant.unwrap_or(""), &mut self.out);
            self.out.push(':');
        }
        let skip = if self.depth == 0 { self.skip } else { None };
        self.enter()?;
        Ok(MapWriter {
            out_base: self.out.len(),
            keys_base: self.keys.len(),
            members_base: self.members.len(),
            skip,
            skipping: false,
            key: None,
            close_variant: variant.is_some(),
            w: self,
        })
    }

    fn open_seq<'a>(&'a mut self, variant: Option<&str>) -> Result<SeqWriter<'a, 's>, Unsupported> {
        if variant.is_some() {
            self.enter()?;
            self.out.push('{');
            write_string(variant.unwrap_or(""), &mut self.out);
            self.out.push(':');
        }
        self.enter()?;
        self.out.push('[');
        Ok(SeqWriter {
            first: true,
            close_variant: variant.is_some(),
            w: self,
        })
    }

    fn float(&mut self, d: f64) {
        if d.is_finite() {
            write_es_number(d, &mut self.out);
        } else {
            self.out.push_str("null");
        }
    }
}

impl<'a, 's> serde::Serializer for &'a mut Writer<'s> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = SeqWriter<'a, 's>;
    type SerializeTuple = SeqWriter<'a, 's>;
    type SerializeTupleStruct = SeqWriter<'a, 's>;
    type SerializeTupleVariant = SeqWriter<'a, 's>;
    type SerializeMap = MapWriter<'a, 's>;
    type SerializeStruct = MapWriter<'a, 's>;
    type SerializeStructVariant = MapWriter<'a, 's>;

    fn serialize_bool(self, v: bool) -> Result<(), Unsupported> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Unsupported> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Unsupported> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Unsupported> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Unsupported> {
        write_i64(v, &mut self.out);
        Ok(())
    }
    fn serialize_i128(self, _v: i128) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Unsupported> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Unsupported> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Unsupported> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Unsupported> {
        if i64::try_from(v).is_ok() {
            write_u64(v, &mut self.out);
        } else {
            // `Value::from_json` makes such a number a double.
            self.float(v as f64);
        }
        Ok(())
    }
    fn serialize_u128(self, _v: u128) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_f32(self, v: f32) -> Result<(), Unsupported> {
        self.float(f64::from(v));
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Unsupported> {
        self.float(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Unsupported> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        write_string(v, &mut self.out);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Unsupported> {
        use serde::ser::SerializeSeq as _;
        let mut seq = self.open_seq(None)?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<(), Unsupported> {
        self.serialize_unit()
    }
    fn serialize_some<T: serde::Serialize + ?Sized>(self, value: &T) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Unsupported> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Unsupported> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Unsupported> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: serde::Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: serde::Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        if self.depth == 0 && self.skip == Some(variant) {
            return Err(Unsupported);
        }
        self.enter()?;
        self.out.push('{');
        write_string(variant, &mut self.out);
        self.out.push(':');
        value.serialize(&mut *self)?;
        self.out.push('}');
        self.depth -= 1;
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<SeqWriter<'a, 's>, Unsupported> {
        self.open_seq(None)
    }
    fn serialize_tuple(self, _len: usize) -> Result<SeqWriter<'a, 's>, Unsupported> {
        self.open_seq(None)
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<SeqWriter<'a, 's>, Unsupported> {
        self.open_seq(None)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<SeqWriter<'a, 's>, Unsupported> {
        if self.depth == 0 && self.skip == Some(variant) {
            return Err(Unsupported);
        }
        self.open_seq(Some(variant))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapWriter<'a, 's>, Unsupported> {
        self.open_map(None)
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<MapWriter<'a, 's>, Unsupported> {
        self.open_map(None)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<MapWriter<'a, 's>, Unsupported> {
        if self.depth == 0 && self.skip == Some(variant) {
            return Err(Unsupported);
        }
        self.open_map(Some(variant))
    }
}

pub(crate) struct SeqWriter<'a, 's> {
    w: &'a mut Writer<'s>,
    first: bool,
    close_variant: bool,
}

impl SeqWriter<'_, '_> {
    fn element<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        if !self.first {
            self.w.out.push(',');
        }
        self.first = false;
        value.serialize(&mut *self.w)
    }

    fn finish(self) -> Result<(), Unsupported> {
        self.w.out.push(']');
        self.w.depth -= 1;
        if self.close_variant {
            self.w.out.push('}');
            self.w.depth -= 1;
        }
        Ok(())
    }
}

impl serde::ser::SerializeSeq for SeqWriter<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: serde::Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), Unsupported> {
        self.element(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.finish()
    }
}

impl serde::ser::SerializeTuple for SeqWriter<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_element<T: serde::Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), Unsupported> {
        self.element(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.finish()
    }
}

impl serde::ser::SerializeTupleStruct for SeqWriter<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: serde::Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), Unsupported> {
        self.element(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.finish()
    }
}

impl serde::ser::SerializeTupleVariant for SeqWriter<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: serde::Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), Unsupported> {
        self.element(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.finish()
    }
}

/// Writes a map's members as they come, then puts them in key order at its end.
pub(crate) struct MapWriter<'a, 's> {
    w: &'a mut Writer<'s>,
    out_base: usize,
    keys_base: usize,
    members_base: usize,
    /// The member to leave out (at the top level).
    skip: Option<&'s str>,
    /// The current member is the one left out.
    skipping: bool,
    /// The current member's key, once written.
    key: Option<(usize, usize)>,
    close_variant: bool,
}

impl MapWriter<'_, '_> {
    fn key_written(&mut self, start: usize) {
        let end = self.w.keys.len();
        let key = self.w.keys.get(start..end).unwrap_or("");
        if self.skip.is_some_and(|s| s == key) {
            self.w.keys.truncate(start);
            self.skipping = true;
        } else {
            self.key = Some((start, end));
        }
    }

    fn value<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        if std::mem::take(&mut self.skipping) {
            return Ok(());
        }
        let key = self.key.take().ok_or(Unsupported)?;
        let start = self.w.out.len();
        value.serialize(&mut *self.w)?;
        self.w.members.push(Member {
            key,
            value: (start, self.w.out.len()),
        });
        Ok(())
    }

    fn finish(self) -> Result<(), Unsupported> {
        let Writer {
            out,
            keys,
            members,
            scratch,
            depth,
            ..
        } = &mut *self.w;
        let key_of = |m: &Member| keys.get(m.key.0..m.key.1).unwrap_or("");
        let own = members.get_mut(self.members_base..).unwrap_or(&mut []);
        if keys
            .get(self.keys_base..)
            .is_some_and(utf16_order_is_byte_order)
        {
            own.sort_unstable_by(|a, b| key_of(a).cmp(key_of(b)));
        } else {
            own.sort_unstable_by(|a, b| utf16_cmp(key_of(a), key_of(b)));
        }
        scratch.clear();
        scratch.push('{');
        let mut previous: Option<&str> = None;
        for (i, m) in own.iter().enumerate() {
            let key = key_of(m);
            if previous == Some(key) {
                // `serde_json` would keep the last; leave that to it.
                return Err(Unsupported);
            }
            previous = Some(key);
            if i > 0 {
                scratch.push(',');
            }
            write_string(key, scratch);
            scratch.push(':');
            scratch.push_str(out.get(m.value.0..m.value.1).unwrap_or(""));
        }
        scratch.push('}');
        out.truncate(self.out_base);
        out.push_str(scratch);
        keys.truncate(self.keys_base);
        members.truncate(self.members_base);
        *depth -= 1;
        if self.close_variant {
            out.push('}');
            *depth -= 1;
        }
        Ok(())
    }
}

impl serde::ser::SerializeMap for MapWriter<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_key<T: serde::Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unsupported> {
        let start = self.w.keys.len();
        key.serialize(KeyWriter(&mut self.w.keys))?;
        self.key_written(start);
        Ok(())
    }
    fn serialize_value<T: serde::Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), Unsupported> {
        self.value(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.finish()
    }
}

impl serde::ser::SerializeStruct for MapWriter<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: serde::Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        let start = self.w.keys.len();
        self.w.keys.push_str(key);
        self.key_written(start);
        self.value(value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.finish()
    }
}

impl serde::ser::SerializeStructVariant for MapWriter<'_, '_> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: serde::Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        serde::ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<(), Unsupported> {
        self.finish()
    }
}

/// Writes a map key's raw text: strings, characters, integers and unit variants, as
/// `serde_json` turns them into object keys.
struct KeyWriter<'a>(&'a mut String);

impl serde::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = serde::ser::Impossible<(), Unsupported>;
    type SerializeTuple = serde::ser::Impossible<(), Unsupported>;
    type SerializeTupleStruct = serde::ser::Impossible<(), Unsupported>;
    type SerializeTupleVariant = serde::ser::Impossible<(), Unsupported>;
    type SerializeMap = serde::ser::Impossible<(), Unsupported>;
    type SerializeStruct = serde::ser::Impossible<(), Unsupported>;
    type SerializeStructVariant = serde::ser::Impossible<(), Unsupported>;

    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        self.0.push_str(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Unsupported> {
        self.0.push(v);
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Unsupported> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Unsupported> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Unsupported> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Unsupported> {
        write_i64(v, self.0);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Unsupported> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Unsupported> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Unsupported> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Unsupported> {
        write_u64(v, self.0);
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Unsupported> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: serde::Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        value.serialize(self)
    }

    fn serialize_bool(self, _v: bool) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_f32(self, _v: f32) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_f64(self, _v: f64) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_none(self) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_some<T: serde::Serialize + ?Sized>(self, _value: &T) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit(self) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_newtype_variant<T: serde::Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_seq(
        self,
        _len: Option<usize>,
    ) -> Result<serde::ser::Impossible<(), Unsupported>, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple(
        self,
        _len: usize,
    ) -> Result<serde::ser::Impossible<(), Unsupported>, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<serde::ser::Impossible<(), Unsupported>, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<serde::ser::Impossible<(), Unsupported>, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(
        self,
        _len: Option<usize>,
    ) -> Result<serde::ser::Impossible<(), Unsupported>, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<serde::ser::Impossible<(), Unsupported>, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<serde::ser::Impossible<(), Unsupported>, Unsupported> {
        Err(Unsupported)
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
            assert_eq!(split_decimal(text), (digits.to_owned(), n), "{text}");
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

    /// What `canonical_json_of` must equal: through `serde_json`'s tree and `Value`.
    fn via_value<T: serde::Serialize>(value: &T, skip: Option<&str>) -> String {
        let mut v = Value::from_json(&serde_json::to_value(value).unwrap());
        if let (Some(skip), Value::Map(m)) = (skip, &mut v) {
            std::sync::Arc::make_mut(m).remove(skip);
        }
        canonical_json(&v).unwrap()
    }

    #[test]
    fn written_directly_as_through_value() {
        use std::collections::BTreeMap;

        #[derive(serde::Serialize)]
        enum E {
            Unit,
            New(i8),
            Pair(u8, String),
            Fields { z: bool, a: Option<f32> },
        }
        #[derive(serde::Serialize)]
        struct Inner(u16);
        #[derive(serde::Serialize)]
        struct Unit;
        #[derive(serde::Serialize)]
        struct S {
            zeta: Vec<E>,
            alpha: BTreeMap<String, f64>,
            tests: BTreeMap<u32, Inner>,
            big: u64,
            small: i64,
            c: char,
            #[serde(with = "serde_bytes_like")]
            bytes: Vec<u8>,
            unit: (),
            unit_struct: Unit,
            tuple: (i32, &'static str),
            text: &'static str,
            value: Value,
            nothing: Option<u8>,
        }
        mod serde_bytes_like {
            pub fn serialize<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(b)
            }
        }
        let s = S {
            zeta: vec![
                E::Unit,
                E::New(-3),
                E::Pair(7, "p".into()),
                E::Fields {
                    z: true,
                    a: Some(0.1),
                },
                E::Fields { z: false, a: None },
            ],
            alpha: BTreeMap::from([
                ("\u{e000}".to_owned(), 1.5),
                ("\u{1f600}".to_owned(), f64::NAN),
                ("b\"\\\n\u{1}".to_owned(), -0.0),
                ("a".to_owned(), 1e21),
            ]),
            tests: BTreeMap::from([(10, Inner(1)), (9, Inner(2))]),
            big: u64::MAX,
            small: i64::MIN,
            c: '\u{e9}',
            bytes: vec![0, 255],
            unit: (),
            unit_struct: Unit,
            tuple: (-1, "t"),
            text: "tab\there \u{2028} \u{7f}",
            value: serde_json::from_str(
                r#"{"tests": [1, 2.5, null, {"b": "x", "a": true}], "\u00e9": {}}"#,
            )
            .unwrap(),
            nothing: None,
        };
        for skip in [None, Some("tests"), Some("value")] {
            assert_eq!(
                canonical_json_of(&s, skip).unwrap(),
                via_value(&s, skip),
                "{skip:?}"
            );
        }
        for v in [
            Value::Int(3),
            Value::Double(f64::INFINITY),
            Value::map([("tests", Value::Int(1)), ("x", Value::Null)]),
        ] {
            assert_eq!(
                canonical_json_of(&v, Some("tests")).unwrap(),
                via_value(&v, Some("tests"))
            );
        }
        // Left to the longer road: 128-bit integers, float keys, and too deep nesting.
        assert_eq!(canonical_json_of(&1i128, None), None);
        assert_eq!(canonical_json_of(&BTreeMap::from([(true, 1)]), None), None);
        let mut deep = Value::Null;
        for _ in 0..=MAX_DEPTH {
            deep = Value::list(vec![deep]);
        }
        assert_eq!(canonical_json_of(&deep, None), None);
    }
}
