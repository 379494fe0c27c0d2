//! The compiled-policy artifact: a [`CompiledPolicy`](crate::CompiledPolicy) written as bytes,
//! so that a program can load it without the policy language's readers and compiler (the npm
//! package's evaluate-only scorer, `govgate/scorer`, is built around it).
//!
//! Layout: the magic `GGCP`, one byte of format version ([`FORMAT_VERSION`]), the body, then the
//! SHA-256 of everything before it. The body is the compiled parts in a fixed order: unsigned
//! numbers as LEB128, signed ones zigzagged first, floats as their 8 little-endian IEEE bytes,
//! strings as a length and UTF-8, optional and enum values behind a one-byte tag. Maps are
//! written in key order, so the same policy always gives the same bytes.
//!
//! Reading trusts nothing: the checksum catches damage, every length is checked against the
//! bytes left before anything is allocated, nesting is bounded, every tag and index is
//! checked, regular expressions are compiled again and trusted keys validated again as the
//! compiler does. Any problem is an [`ArtifactError`] with the byte offset where it was found.

use crate::value::{Map, Str, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The magic bytes an artifact starts with.
pub const MAGIC: &[u8; 4] = b"GGCP";

/// The version of the layout. Bumped whenever the compiled parts or their order change; a
/// reader refuses any other version.
pub const FORMAT_VERSION: u8 = 1;

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
        let sum = Sha256::digest(&self.bytes);
        self.bytes.extend_from_slice(&sum);
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
pub(crate) struct In<'a> {
    bytes: &'a [u8],
    pos: usize,
    depth: u32,
}

pub(crate) type Read<T> = Result<T, ArtifactError>;

impl<'a> In<'a> {
    /// A reader of `artifact`'s body, once its header and checksum are checked.
    pub(crate) fn open(artifact: &'a [u8]) -> Read<In<'a>> {
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
        let body_end = artifact.len().saturating_sub(32);
        let (Some(covered), Some(sum)) = (artifact.get(..body_end), artifact.get(body_end..))
        else {
            return fail("it is cut short".into(), artifact.len());
        };
        if body_end < MAGIC.len() + 1 || Sha256::digest(covered).as_slice() != sum {
            return fail(
                "its checksum does not match: the file is damaged or cut short".into(),
                body_end,
            );
        }
        Ok(In {
            bytes: covered,
            pos: MAGIC.len() + 1,
            depth: 0,
        })
    }

    /// An error at the current position.
    pub(crate) fn error<T>(&self, message: impl Into<String>) -> Read<T> {
        Err(ArtifactError {
            message: message.into(),
            offset: self.pos,
        })
    }

    /// Succeeds when every byte was read.
    pub(crate) fn end(&self) -> Read<()> {
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            self.error("unexpected bytes after the last part")
        }
    }

    pub(crate) fn byte(&mut self) -> Read<u8> {
        match self.bytes.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => self.error("unexpected end"),
        }
    }

    fn take(&mut self, n: usize) -> Read<&'a [u8]> {
        let end = self.pos.saturating_add(n);
        match self.bytes.get(self.pos..end) {
            Some(b) => {
                self.pos = end;
                Ok(b)
            }
            None => self.error(format!("{n} bytes announced, fewer left")),
        }
    }

    pub(crate) fn bool(&mut self) -> Read<bool> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            b => self.error(format!("expected a flag (0 or 1), found {b}")),
        }
    }

    pub(crate) fn uint(&mut self) -> Read<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        self.error("a number longer than 64 bits")
    }

    /// A count of things each at least one byte long: never more than the bytes left, so a
    /// damaged count cannot make the reader allocate more than the artifact's size.
    pub(crate) fn count(&mut self) -> Read<usize> {
        let n = self.usize()?;
        if n > self.bytes.len().saturating_sub(self.pos) {
            return self.error(format!("a count of {n}, more than the bytes left"));
        }
        Ok(n)
    }

    pub(crate) fn usize(&mut self) -> Read<usize> {
        let n = self.uint()?;
        match usize::try_from(n) {
            Ok(n) => Ok(n),
            Err(_) => self.error(format!("{n} is too large here")),
        }
    }

    pub(crate) fn u32(&mut self) -> Read<u32> {
        let n = self.uint()?;
        match u32::try_from(n) {
            Ok(n) => Ok(n),
            Err(_) => self.error(format!("{n} is too large here")),
        }
    }

    pub(crate) fn int(&mut self) -> Read<i64> {
        let z = self.uint()?;
        Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
    }

    pub(crate) fn float(&mut self) -> Read<f64> {
        let bytes = self.take(8)?;
        let mut b = [0u8; 8];
        b.iter_mut().zip(bytes).for_each(|(to, from)| *to = *from);
        Ok(f64::from_bits(u64::from_le_bytes(b)))
    }

    pub(crate) fn str(&mut self) -> Read<&'a str> {
        let n = self.usize()?;
        let at = self.pos;
        let bytes = self.take(n)?;
        std::str::from_utf8(bytes).map_err(|_| ArtifactError {
            message: "a string that is not UTF-8".into(),
            offset: at,
        })
    }

    pub(crate) fn string(&mut self) -> Read<String> {
        self.str().map(String::from)
    }

    pub(crate) fn shared(&mut self) -> Read<Str> {
        self.str().map(Str::from)
    }

    pub(crate) fn opt_string(&mut self) -> Read<Option<String>> {
        if self.bool()? {
            self.string().map(Some)
        } else {
            Ok(None)
        }
    }

    pub(crate) fn opt_float(&mut self) -> Read<Option<f64>> {
        if self.bool()? {
            self.float().map(Some)
        } else {
            Ok(None)
        }
    }

    /// A list [`Out::list`] wrote.
    pub(crate) fn list<T>(&mut self, mut each: impl FnMut(&mut In<'a>) -> Read<T>) -> Read<Vec<T>> {
        let n = self.count()?;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(each(self)?);
        }
        Ok(items)
    }

    /// A value of `table` [`Out::choice`] wrote; `what` names it in the error.
    pub(crate) fn choice<T: Copy>(&mut self, table: &[T], what: &str) -> Read<T> {
        let at = self.usize()?;
        match table.get(at) {
            Some(&t) => Ok(t),
            None => self.error(format!("unknown {what} number {at}")),
        }
    }

    /// Runs `read` one nesting level deeper, refusing past [`MAX_NESTING`].
    pub(crate) fn nested<T>(&mut self, read: impl FnOnce(&mut In<'a>) -> Read<T>) -> Read<T> {
        if self.depth >= MAX_NESTING {
            return self.error("nested too deeply");
        }
        self.depth += 1;
        let out = read(self);
        self.depth -= 1;
        out
    }

    pub(crate) fn value(&mut self) -> Read<Value> {
        self.nested(|r| {
            Ok(match r.byte()? {
                0 => Value::Null,
                1 => Value::Bool(false),
                2 => Value::Bool(true),
                3 => Value::Int(r.int()?),
                4 => Value::Double(r.float()?),
                5 => Value::String(r.shared()?),
                6 => Value::List(Arc::new(r.list(In::value)?)),
                7 => {
                    let n = r.count()?;
                    let mut m = Map::new();
                    for _ in 0..n {
                        let k = r.shared()?;
                        let v = r.value()?;
                        m.insert(k, v);
                    }
                    Value::Map(Arc::new(m))
                }
                tag => return r.error(format!("unknown value tag {tag}")),
            })
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
            assert_eq!(r.int().unwrap(), n);
        }
        assert_eq!(r.uint().unwrap(), u64::MAX);
        assert_eq!(r.float().unwrap().to_bits(), (-0.0f64).to_bits());
        assert!(r.float().unwrap().is_nan());
        assert_eq!(r.str().unwrap(), "héllo");
        assert_eq!(r.opt_string().unwrap(), None);
        r.end().unwrap();
    }

    #[test]
    fn values_read_back() {
        let v: Value = serde_json::from_str(
            r#"{"a": [1, -2, 2.5, "x", null, true, false, {"b": {}}], "c": [], "": 18446744073709551615}"#,
        )
        .unwrap();
        let bytes = round_trip(|o| o.value(&v));
        let mut r = In::open(&bytes).unwrap();
        assert_eq!(r.value().unwrap(), v);
        r.end().unwrap();
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
        let e = r.list(In::value).err().unwrap();
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
        let e = In::open(&bytes).unwrap().value().err().unwrap();
        assert!(e.message.contains("nested too deeply"), "{e}");
    }
}
