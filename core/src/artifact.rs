//! The compiled-policy artifact: a [`CompiledPolicy`](crate::CompiledPolicy) written as bytes,
//! so that a program can load it without the policy language's readers and compiler (the npm
//! package's evaluate-only scorer, `govgate/scorer`, is built around it).
//!
//! Layout: the magic `GGCP`, one byte of format version ([`FORMAT_VERSION`]), the body, then the
//! CRC-32 of everything before it (4 bytes, little-endian). The body is the compiled parts in a
//! fixed order: unsigned numbers as LEB128, signed ones zigzagged first, floats as their 8
//! little-endian IEEE bytes, strings as a length and UTF-8, optional and enum values behind a
//! one-byte tag. Maps are written in key order, so the same policy always gives the same bytes.
//!
//! Reading trusts nothing: the checksum catches damage, every length is checked against the
//! bytes left before anything is allocated, nesting is bounded, every tag and index is
//! checked, regular expressions are compiled again and trusted keys validated again as the
//! compiler does. Any problem is an [`ArtifactError`] with the byte offset where it was found.

use crate::value::{Map, Str, Value};
use std::sync::Arc;

/// The magic bytes an artifact starts with.
pub const MAGIC: &[u8; 4] = b"GGCP";

/// The version of the layout. Bumped whenever the compiled parts or their order change; a
/// reader refuses any other version.
pub const FORMAT_VERSION: u8 = 1;

/// The length of the checksum at the end.
pub(crate) const CHECKSUM_LEN: usize = 4;

/// CRC-32 (IEEE 802.3, as zip and PNG use it) of `bytes`: the artifact's damage check. Bitwise,
/// without a table: an artifact is a few KB and read once, and this is a few dozen bytes of
/// wasm where a crate's tables would be kilobytes. It catches every single-bit error, every
/// burst of up to 32 bits and all but one in 2^32 of the rest; it is not a signature (anyone can
/// recompute it), which is not its job: whoever can replace the file can replace the policy.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// How deeply values and expressions may nest in an artifact (the compiler's own ceiling is
/// lower; this only keeps a crafted artifact from exhausting the stack).
const MAX_NESTING: u32 = 512;

/// Why an artifact could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactError {
    /// What is wrong.
    pub message: String,
    /// The byte offset where it was found.
    pub offset: usize,
}

impl std::fmt::Display for ArtifactError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "compiled policy: {} (at byte {})",
            self.message, self.offset
        )
    }
}

impl std::error::Error for ArtifactError {}

/// Writes an artifact's parts.
#[derive(Default)]
pub(crate) struct Out {
    bytes: Vec<u8>,
}

impl Out {
    /// A writer with the header already written.
    pub(crate) fn new() -> Out {
        let mut bytes = Vec::with_capacity(4096);
        bytes.extend_from_slice(MAGIC);
        bytes.push(FORMAT_VERSION);
        Out { bytes }
    }

    /// The finished artifact: the parts and their checksum.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        let sum = crc32(&self.bytes);
        self.bytes.extend_from_slice(&sum.to_le_bytes());
        self.bytes
    }

    pub(crate) fn byte(&mut self, b: u8) {
        self.bytes.push(b);
    }

    pub(crate) fn bool(&mut self, b: bool) {
        self.byte(u8::from(b));
    }

    pub(crate) fn uint(&mut self, mut n: u64) {
        loop {
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.byte(low);
                return;
            }
            self.byte(low | 0x80);
        }
    }

    pub(crate) fn usize(&mut self, n: usize) {
        self.uint(n as u64);
    }

    pub(crate) fn int(&mut self, n: i64) {
        self.uint(((n << 1) ^ (n >> 63)) as u64);
    }

    pub(crate) fn float(&mut self, x: f64) {
        self.bytes.extend_from_slice(&x.to_bits().to_le_bytes());
    }

    pub(crate) fn str(&mut self, s: &str) {
        self.usize(s.len());
        self.bytes.extend_from_slice(s.as_bytes());
    }

    pub(crate) fn opt_str(&mut self, s: Option<&str>) {
        self.bool(s.is_some());
        if let Some(s) = s {
            self.str(s);
        }
    }

    pub(crate) fn opt_float(&mut self, x: Option<f64>) {
        self.bool(x.is_some());
        if let Some(x) = x {
            self.float(x);
        }
    }

    /// A list: its length, then each item as `each` writes it.
    pub(crate) fn list<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Out, &T)) {
        self.usize(items.len());
        for item in items {
            each(self, item);
        }
    }

    /// One of `table`'s values, by its position there.
    pub(crate) fn choice<T: PartialEq>(&mut self, table: &[T], value: &T) {
        let at = table.iter().position(|t| t == value).unwrap_or(table.len());
        self.usize(at);
    }

    pub(crate) fn value(&mut self, v: &Value) {
        match v {
            Value::Null => self.byte(0),
            Value::Bool(false) => self.byte(1),
            Value::Bool(true) => self.byte(2),
            Value::Int(n) => {
                self.byte(3);
                self.int(*n);
            }
            Value::Double(x) => {
                self.byte(4);
                self.float(*x);
            }
            Value::String(s) => {
                self.byte(5);
                self.str(s);
            }
            Value::List(items) => {
                self.byte(6);
                self.list(items, Out::value);
            }
            Value::Map(m) => {
                self.byte(7);
                self.usize(m.len());
                for (k, v) in m.iter() {
                    self.str(k);
                    self.value(v);
                }
            }
        }
    }
}

/// Reads an artifact's parts, in the order [`Out`] wrote them.
///
/// The first problem is kept ([`In::failed`]) and every read after it gives an empty or zero
/// value without reading: callers read straight through, and the caller of the whole read
/// checks [`In::finish`] once. (Threading a `Result` through every field read made this reader
/// about twice the code in the npm package's scorer, where size is the point.) An empty read
/// never loops or allocates: counts come back 0.
pub(crate) struct In<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: u32,
    error: Option<ArtifactError>,
}

impl<'a> In<'a> {
    /// A reader of `artifact`'s body, once its header and checksum are checked.
    pub(crate) fn open(artifact: &'a [u8]) -> Result<In<'a>, ArtifactError> {
        let fail = |message: String, offset| Err(ArtifactError { message, offset });
        if artifact.get(..MAGIC.len()) != Some(MAGIC.as_slice()) {
            return fail(
                "not a compiled govgate policy (it does not start with `GGCP`)".into(),
                0,
            );
        }
        match artifact.get(MAGIC.len()) {
            Some(&FORMAT_VERSION) => {}
            Some(v) => {
                return fail(
                    format!(
                        "format version {v}, but this govgate reads version {FORMAT_VERSION}; \
                         compile the policy again with this version"
                    ),
                    MAGIC.len(),
                );
            }
            None => return fail("it ends after the magic bytes".into(), MAGIC.len()),
        }
        let body_end = artifact.len().saturating_sub(CHECKSUM_LEN);
        let (Some(covered), Some(sum)) = (artifact.get(..body_end), artifact.get(body_end..))
        else {
            return fail("it is cut short".into(), artifact.len());
        };
        if body_end < MAGIC.len() + 1 || crc32(covered).to_le_bytes().as_slice() != sum {
            return fail(
                "its checksum does not match: the file is damaged or cut short".into(),
                body_end,
            );
        }
        Ok(In {
            bytes: covered,
            pos: MAGIC.len() + 1,
            depth: 0,
            error: None,
        })
    }

    /// Records a problem at the current position (the first one is kept) and stops reading.
    pub(crate) fn fail(&mut self, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(ArtifactError {
                message: message.into(),
                offset: self.pos,
            });
        }
        self.pos = self.bytes.len();
    }

    /// Whether a problem was found.
    pub(crate) fn failed(&self) -> bool {
        self.error.is_some()
    }

    /// `value` when every byte was read without a problem; the first problem otherwise.
    pub(crate) fn finish<T>(mut self, value: T) -> Result<T, ArtifactError> {
        if self.error.is_none() && self.pos != self.bytes.len() {
            self.fail("unexpected bytes after the last part");
        }
        match self.error {
            Some(e) => Err(e),
            None => Ok(value),
        }
    }

    pub(crate) fn byte(&mut self) -> u8 {
        match self.bytes.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                b
            }
            None => {
                self.fail("unexpected end");
                0
            }
        }
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let end = self.pos.saturating_add(n);
        match self.bytes.get(self.pos..end) {
            Some(b) => {
                self.pos = end;
                b
            }
            None => {
                self.fail(format!("{n} bytes announced, fewer left"));
                &[]
            }
        }
    }

    pub(crate) fn bool(&mut self) -> bool {
        match self.byte() {
            0 => false,
            1 => true,
            b => {
                self.fail(format!("expected a flag (0 or 1), found {b}"));
                false
            }
        }
    }

    pub(crate) fn uint(&mut self) -> u64 {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte();
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return n;
            }
        }
        self.fail("a number longer than 64 bits");
        0
    }

    /// A count of things each at least one byte long: never more than the bytes left, so a
    /// damaged count cannot make the reader allocate more than the artifact's size.
    pub(crate) fn count(&mut self) -> usize {
        let n = self.usize();
        if n > self.bytes.len().saturating_sub(self.pos) {
            self.fail(format!("a count of {n}, more than the bytes left"));
            return 0;
        }
        n
    }

    pub(crate) fn usize(&mut self) -> usize {
        let n = self.uint();
        usize::try_from(n).unwrap_or_else(|_| {
            self.fail(format!("{n} is too large here"));
            0
        })
    }

    pub(crate) fn u32(&mut self) -> u32 {
        let n = self.uint();
        u32::try_from(n).unwrap_or_else(|_| {
            self.fail(format!("{n} is too large here"));
            0
        })
    }

    pub(crate) fn int(&mut self) -> i64 {
        let z = self.uint();
        ((z >> 1) as i64) ^ -((z & 1) as i64)
    }

    pub(crate) fn float(&mut self) -> f64 {
        let bytes = self.take(8);
        let mut b = [0u8; 8];
        b.iter_mut().zip(bytes).for_each(|(to, from)| *to = *from);
        f64::from_bits(u64::from_le_bytes(b))
    }

    pub(crate) fn str(&mut self) -> &'a str {
        let n = self.usize();
        let at = self.pos;
        let bytes = self.take(n);
        std::str::from_utf8(bytes).unwrap_or_else(|_| {
            self.pos = at;
            self.fail("a string that is not UTF-8");
            ""
        })
    }

    pub(crate) fn string(&mut self) -> String {
        self.str().into()
    }

    pub(crate) fn shared(&mut self) -> Str {
        self.str().into()
    }

    pub(crate) fn opt_string(&mut self) -> Option<String> {
        self.bool().then(|| self.string())
    }

    pub(crate) fn opt_float(&mut self) -> Option<f64> {
        self.bool().then(|| self.float())
    }

    /// A list [`Out::list`] wrote.
    pub(crate) fn list<T>(&mut self, mut each: impl FnMut(&mut In<'a>) -> T) -> Vec<T> {
        let n = self.count();
        let mut items = Vec::with_capacity(n.min(256));
        for _ in 0..n {
            if self.failed() {
                break;
            }
            items.push(each(self));
        }
        items
    }

    /// A value of `table` [`Out::choice`] wrote (`fallback` after a problem); `what` names it in
    /// the error.
    pub(crate) fn choice<T: Copy>(&mut self, table: &[T], fallback: T, what: &str) -> T {
        let at = self.usize();
        match table.get(at) {
            Some(&t) => t,
            None => {
                self.fail(format!("unknown {what} number {at}"));
                fallback
            }
        }
    }

    /// Runs `read` one nesting level deeper; past [`MAX_NESTING`] it fails and gives
    /// `fallback`.
    pub(crate) fn nested<T>(&mut self, fallback: T, read: impl FnOnce(&mut In<'a>) -> T) -> T {
        if self.depth >= MAX_NESTING {
            self.fail("nested too deeply");
            return fallback;
        }
        self.depth += 1;
        let out = read(self);
        self.depth -= 1;
        out
    }

    pub(crate) fn value(&mut self) -> Value {
        self.nested(Value::Null, |r| match r.byte() {
            0 => Value::Null,
            1 => Value::Bool(false),
            2 => Value::Bool(true),
            3 => Value::Int(r.int()),
            4 => Value::Double(r.float()),
            5 => Value::String(r.shared()),
            6 => Value::List(Arc::new(r.list(In::value))),
            7 => {
                let n = r.count();
                let mut m = Map::new();
                for _ in 0..n {
                    let k = r.shared();
                    let v = r.value();
                    m.insert(k, v);
                }
                Value::Map(Arc::new(m))
            }
            tag => {
                r.fail(format!("unknown value tag {tag}"));
                Value::Null
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(write: impl FnOnce(&mut Out)) -> Vec<u8> {
        let mut out = Out::new();
        write(&mut out);
        out.finish()
    }

    #[test]
    fn crc32_is_the_standard_one() {
        // The check value of CRC-32/ISO-HDLC, and the empty input.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn numbers_and_strings_read_back() {
        let ints = [0i64, 1, -1, 63, -64, 64, i64::MAX, i64::MIN, 300, -300];
        let bytes = round_trip(|o| {
            for n in ints {
                o.int(n);
            }
            o.uint(u64::MAX);
            o.float(-0.0);
            o.float(f64::NAN);
            o.str("héllo");
            o.opt_str(None);
        });
        let mut r = In::open(&bytes).unwrap();
        for n in ints {
            assert_eq!(r.int(), n);
        }
        assert_eq!(r.uint(), u64::MAX);
        assert_eq!(r.float().to_bits(), (-0.0f64).to_bits());
        assert!(r.float().is_nan());
        assert_eq!(r.str(), "héllo");
        assert_eq!(r.opt_string(), None);
        r.finish(()).unwrap();
    }

    #[test]
    fn values_read_back() {
        let v: Value = serde_json::from_str(
            r#"{"a": [1, -2, 2.5, "x", null, true, false, {"b": {}}], "c": [], "": 18446744073709551615}"#,
        )
        .unwrap();
        let bytes = round_trip(|o| o.value(&v));
        let mut r = In::open(&bytes).unwrap();
        assert_eq!(r.value(), v);
        r.finish(()).unwrap();
    }

    #[test]
    fn damage_is_refused_with_where() {
        let bytes = round_trip(|o| o.str("a string"));
        let e = In::open(&bytes[..bytes.len() - 1]).err().unwrap();
        assert!(e.message.contains("checksum"), "{e}");
        let e = In::open(b"GGCQ").err().unwrap();
        assert_eq!(e.offset, 0);
        let mut other = bytes.clone();
        other[4] = FORMAT_VERSION + 1;
        let e = In::open(&other).err().unwrap();
        assert!(e.message.contains("format version"), "{e}");
        let mut flipped = bytes.clone();
        flipped[7] ^= 1;
        assert!(In::open(&flipped).is_err());
        for cut in 0..bytes.len() {
            assert!(In::open(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn counts_beyond_the_bytes_left_are_refused_before_allocating() {
        let bytes = round_trip(|o| o.uint(1 << 40));
        let mut r = In::open(&bytes).unwrap();
        assert!(r.list(In::value).is_empty());
        let e = r.finish(()).unwrap_err();
        assert!(e.message.contains("more than the bytes left"), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let bytes = round_trip(|o| {
            for _ in 0..(MAX_NESTING + 1) {
                o.byte(6);
                o.uint(1);
            }
            o.byte(0);
        });
        let mut r = In::open(&bytes).unwrap();
        assert!(matches!(r.value(), Value::List(_)));
        let e = r.finish(()).unwrap_err();
        assert!(e.message.contains("nested too deeply"), "{e}");
    }
}
