//! Canonical JSON written straight from a `serde::Serialize` type, without building a
//! [`Value`](crate::value::Value) first: what the policy digest uses natively.
//!
//! The text is exactly what [`canonical_json`](super::canonical_json) writes for the same data
//! gone through `serde_json::to_value` and `Value::from_json` (tests compare the two on every
//! reference policy and on generated data). How it stays fast:
//!
//! * one output buffer of bytes: every member of a map or struct is written in place,
//!   `"key":value`, as it is serialized, and its key and byte range are recorded on a shared
//!   stack;
//! * members that arrive in canonical key order (map keys always do unless a key holds a
//!   character at or above U+E000; struct fields do when declared in that order) are already
//!   where they belong, and nothing more happens;
//! * otherwise the object's members are sorted by key (UTF-16 order) when it closes and its
//!   text is put back in that order through one scratch copy (members already in place at its
//!   front stay). The permutation a struct needs depends only on its field names, so it is
//!   worked out once per set of fields and remembered, with each field's key as written
//!   (`,"name":`, up to [`KEY_INLINE`] bytes, kept inline so it is copied as one fixed-size
//!   block): a struct whose fields match the last ones of its type writes those keys as they
//!   are and takes the remembered order without looking it up;
//! * a string's bytes up to the next one to escape are found eight at a time and copied as one
//!   run; a string (or what is left of it) shorter than eight bytes is gathered into one word,
//!   written whole and cut back, without a call to `memcpy`;
//! * buffers and remembered orders are kept per thread from one run to the next.
//!
//! Not in the wasm build (see `policy::load::digest_of`).

use std::cmp::Ordering;
use std::fmt;

use super::canonical::{MAX_DEPTH, decimal_digits, escape_mask, escape_of, write_es_number};

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
#[cfg(test)]
pub(crate) fn canonical_json_of<T: serde::Serialize + ?Sized>(
    value: &T,
    skip: Option<&str>,
) -> Option<String> {
    with_writer(skip, |w| {
        value.serialize(&mut *w).ok()?;
        String::from_utf8(w.out.clone()).ok()
    })
}

/// The SHA-256 (lowercase hex) of the text [`canonical_json_of`] writes; `None` where it is.
pub(crate) fn canonical_digest_of<T: serde::Serialize + ?Sized>(
    value: &T,
    skip: Option<&str>,
) -> Option<String> {
    with_writer(skip, |w| {
        value.serialize(&mut *w).ok()?;
        Some(super::sha256_hex(&w.out))
    })
}

/// The struct types (by name) whose fields this thread's writer has had to put in canonical
/// order since its buffers were made: none, for the policy document's types, whose fields are
/// declared in that order so that they are written in place.
#[cfg(test)]
pub(crate) fn reordered_struct_types() -> Vec<&'static str> {
    SPARE.with(|spare| {
        let buffers = spare.take();
        let names = buffers.as_ref().map_or_else(Vec::new, |b| {
            b.orders
                .iter()
                .filter(|o| o.order.is_some())
                .map(|o| o.name)
                .collect()
        });
        spare.set(buffers);
        names
    })
}

/// What a writer allocates, kept per thread from one run to the next: its buffers, and the
/// struct member orders it has worked out (they depend only on field names, so they hold for
/// any value).
struct Buffers {
    out: Vec<u8>,
    keys: String,
    members: Vec<Member>,
    scratch: Vec<u8>,
    number: String,
    orders: Vec<StructOrder>,
    order_fields: Vec<Field>,
    order_slots: Vec<usize>,
}

impl Buffers {
    fn new() -> Buffers {
        Buffers {
            out: Vec::with_capacity(8 * 1024),
            keys: String::new(),
            members: Vec::with_capacity(64),
            scratch: Vec::with_capacity(8 * 1024),
            number: String::new(),
            orders: Vec::new(),
            order_fields: Vec::new(),
            order_slots: Vec::new(),
        }
    }
}

thread_local! {
    /// The buffers of the last finished run on this thread (taken while a run uses them, so
    /// a nested run simply starts with fresh ones).
    static SPARE: std::cell::Cell<Option<Box<Buffers>>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` with a writer over this thread's spare buffers (or fresh ones), then keeps the
/// buffers for the next run unless they grew past what is worth keeping.
fn with_writer<R>(skip: Option<&str>, f: impl FnOnce(&mut Writer<'_>) -> R) -> R {
    let b = SPARE
        .try_with(std::cell::Cell::take)
        .ok()
        .flatten()
        .map_or_else(Buffers::new, |b| *b);
    let mut w = Writer {
        out: b.out,
        keys: b.keys,
        members: b.members,
        scratch: b.scratch,
        number: b.number,
        orders: b.orders,
        order_fields: b.order_fields,
        order_slots: b.order_slots,
        pending: None,
        skip,
        depth: 0,
    };
    w.out.clear();
    w.keys.clear();
    w.members.clear();
    w.scratch.clear();
    let result = f(&mut w);
    const KEEP_BYTES: usize = 1 << 20;
    const KEEP_ORDERS: usize = 1024;
    if w.orders.len() > KEEP_ORDERS
        || w.order_fields.len() > 16 * KEEP_ORDERS
        || w.order_slots.len() > 16 * KEEP_ORDERS
    {
        w.orders.clear();
        w.order_fields.clear();
        w.order_slots.clear();
    }
    if w.out.capacity() <= KEEP_BYTES && w.scratch.capacity() <= KEEP_BYTES {
        let b = Buffers {
            out: w.out,
            keys: w.keys,
            members: w.members,
            scratch: w.scratch,
            number: w.number,
            orders: w.orders,
            order_fields: w.order_fields,
            order_slots: w.order_slots,
        };
        // A thread being torn down keeps nothing.
        let _ = SPARE.try_with(|spare| spare.set(Some(Box::new(b))));
    }
    result
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

/// When at most this much text precedes the members that move, [`MapWriter::rewrite`] swaps
/// buffers instead of copying the object's text out.
const SWAP_BELOW: usize = 64;

/// A member's key: a struct field's name, or a map key's raw text in [`Writer::keys`].
#[derive(Clone, Copy)]
enum Key {
    Field(&'static str),
    Raw(usize, usize),
}

/// A written member of an open map or struct: its key, and where `"key":value` (without the
/// comma before it) sits in [`Writer::out`].
#[derive(Clone, Copy)]
struct Member {
    key: Key,
    start: usize,
    end: usize,
}

/// How a struct type's members are put in canonical order, for one set of fields: the fields
/// as serialized are `Writer::order_fields[fields.0..fields.1]`; `order` is `None` when they
/// already come in canonical order, otherwise the range of `Writer::order_slots` holding, for
/// each member in canonical order, its position in serialized order.
struct StructOrder {
    name: &'static str,
    fields: (usize, usize),
    order: Option<(usize, usize)>,
}

/// The longest key text (with its comma) a remembered field keeps inline.
const KEY_INLINE: usize = 32;

/// A field of a remembered struct order: its name, and its key as written (`,"name":`, or
/// `"name":` for the first field) in `key[..len]`; a longer key is written from its name.
#[derive(Clone, Copy)]
struct Field {
    name: &'static str,
    key: [u8; KEY_INLINE],
    len: usize,
    /// Whether the key text starts with a comma (every field but the first).
    comma: bool,
}

impl Field {
    fn new(name: &'static str, comma: bool) -> Field {
        let mut text = Vec::with_capacity(name.len() + 4);
        if comma {
            text.push(b',');
        }
        write_str(name, &mut text);
        text.push(b':');
        let mut key = [0; KEY_INLINE];
        let len = match key.get_mut(..text.len()) {
            Some(slot) => {
                slot.copy_from_slice(&text);
                text.len()
            }
            None => usize::MAX,
        };
        Field {
            name,
            key,
            len,
            comma,
        }
    }
}

/// Whether two field names are the same; usually the same `'static` text, so its address says.
fn same_name(a: &str, b: &str) -> bool {
    std::ptr::eq(a, b) || a == b
}

struct Writer<'s> {
    out: Vec<u8>,
    /// Raw text of the keys of every open map.
    keys: String,
    /// Members of every open map or struct, the innermost one's last.
    members: Vec<Member>,
    /// Where an object's text is copied while its members are put in order.
    scratch: Vec<u8>,
    /// Where a double's digits are written before they are appended.
    number: String,
    /// Member orders of the struct types (and sets of fields) met so far.
    orders: Vec<StructOrder>,
    order_fields: Vec<Field>,
    order_slots: Vec<usize>,
    /// The current map member's key and where it starts in `out`, once its key is written
    /// (taken before its value is written, so nested maps use it in turn).
    pending: Option<(Key, usize)>,
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

    /// Opens `{"variant":` for an enum variant written as a one-member map.
    fn open_variant(&mut self, variant: &str) -> Result<(), Unsupported> {
        self.enter()?;
        self.out.push(b'{');
        write_str(variant, &mut self.out);
        self.out.push(b':');
        Ok(())
    }

    fn open_map<'a>(
        &'a mut self,
        name: Option<&'static str>,
        variant: Option<&str>,
    ) -> Result<MapWriter<'a, 's>, Unsupported> {
        if let Some(variant) = variant {
            self.open_variant(variant)?;
        }
        let skip = if self.depth == 0 { self.skip } else { None };
        self.enter()?;
        self.out.push(b'{');
        // Expect the fields this struct type had last time.
        let predicted = name.and_then(|name| {
            self.orders
                .iter()
                .enumerate()
                .rev()
                .find(|(_, o)| same_name(o.name, name))
                .map(|(i, o)| (i, o.fields))
        });
        let (order, (cursor, fields_end)) = predicted.unwrap_or((usize::MAX, (0, 0)));
        Ok(MapWriter {
            order,
            cursor,
            fields_end,
            predicting: predicted.is_some(),
            body: self.out.len(),
            keys_base: self.keys.len(),
            members_base: self.members.len(),
            name,
            skip,
            skipping: false,
            in_order: true,
            close_variant: variant.is_some(),
            w: self,
        })
    }

    fn open_seq<'a>(&'a mut self, variant: Option<&str>) -> Result<SeqWriter<'a, 's>, Unsupported> {
        if let Some(variant) = variant {
            self.open_variant(variant)?;
        }
        self.enter()?;
        self.out.push(b'[');
        Ok(SeqWriter {
            first: true,
            close_variant: variant.is_some(),
            w: self,
        })
    }

    fn float(&mut self, d: f64) {
        if d.is_finite() {
            self.number.clear();
            write_es_number(d, &mut self.number);
            self.out.extend_from_slice(self.number.as_bytes());
        } else {
            self.out.extend_from_slice(b"null");
        }
    }
}

/// Appends an unsigned integer's decimal digits.
fn write_u64(n: u64, out: &mut Vec<u8>) {
    if n < 10 {
        // The common case: one digit.
        out.push(b'0' + n as u8);
        return;
    }
    let mut buf = [b'0'; 20];
    out.extend_from_slice(decimal_digits(n, &mut buf));
}

/// Appends a signed integer's decimal digits.
fn write_i64(i: i64, out: &mut Vec<u8>) {
    if i < 0 {
        out.push(b'-');
    }
    write_u64(i.unsigned_abs(), out);
}

/// What [`write_str`] pads a string's last few bytes with: a byte that needs no escape.
const PAD: u64 = 0x4141_4141_4141_4141;

/// The bytes of `tail` (one to seven of them) as a little-endian word, the bytes past them
/// [`PAD`]: read as two overlapping halves, or as the first, middle and last bytes.
fn tail_word(tail: &[u8]) -> u64 {
    let n = tail.len();
    let raw = if n >= 4 {
        let half = |b: Option<&[u8]>| {
            b.and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map_or(0, |b| u64::from(u32::from_le_bytes(b)))
        };
        half(tail.get(..4)) | half(tail.get(n - 4..)) << (8 * (n - 4))
    } else {
        let byte = |i: usize| u64::from(tail.get(i).copied().unwrap_or(0));
        byte(0) | byte(n / 2) << (8 * (n / 2)) | byte(n - 1) << (8 * (n - 1))
    };
    raw | PAD.checked_shl(8 * n as u32).unwrap_or(0)
}

/// Appends `s` as a JSON string literal with JCS's escapes, exactly as
/// [`write_string`](super::canonical::write_string) does. The bytes up to the next one to
/// escape are found eight at a time (the last eight overlapping the words before) and copied
/// as one run; a run of fewer than eight bytes is gathered into one word, written whole and cut
/// back, so short strings cost no call to `memcpy`. Only ASCII bytes need escaping, so every
/// cut falls on a character boundary.
fn write_str(s: &str, out: &mut Vec<u8>) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let mut rest = s.as_bytes();
    loop {
        let n = rest.len();
        if n < 8 {
            if n == 0 {
                break;
            }
            let word = tail_word(rest);
            let at = out.len();
            out.extend_from_slice(&word.to_le_bytes());
            let mask = escape_mask(word);
            if mask == 0 {
                out.truncate(at + n);
                break;
            }
            // The lowest flagged byte is exact: the first to escape.
            let i = (mask.trailing_zeros() / 8) as usize;
            out.truncate(at + i);
            write_escape(rest.get(i).copied().unwrap_or(0), out);
            rest = rest.get(i + 1..).unwrap_or(&[]);
            continue;
        }
        let next = first_escape(rest);
        let (run, after) = rest.split_at_checked(next).unwrap_or((rest, &[]));
        out.extend_from_slice(run);
        let Some((&b, after)) = after.split_first() else {
            break;
        };
        write_escape(b, out);
        rest = after;
    }
    out.push(b'"');
}

/// Where the first byte to escape is in `bytes` (eight or more of them), or its length: whole
/// words, then the last eight bytes.
fn first_escape(bytes: &[u8]) -> usize {
    let word = |c: &[u8]| <[u8; 8]>::try_from(c).map_or(0, u64::from_le_bytes);
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let mask = escape_mask(word(chunk));
        if mask != 0 {
            return at + (mask.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let n = bytes.len();
    if at == n {
        return n;
    }
    // The bytes before `at` are clean, so the lowest flagged byte of the last word is the
    // first to escape.
    let last = n.saturating_sub(8);
    let mask = bytes.get(last..).map_or(0, |c| escape_mask(word(c)));
    if mask == 0 {
        n
    } else {
        last + (mask.trailing_zeros() / 8) as usize
    }
}

/// Appends the escape of a byte that needs one.
#[inline]
fn write_escape(b: u8, out: &mut Vec<u8>) {
    if b == b'"' || b == b'\\' {
        out.extend_from_slice(&[b'\\', b]);
    } else {
        write_control(b, out);
    }
}

/// Appends the escape of a control character (or of any byte that needs one).
#[inline(never)]
fn write_control(b: u8, out: &mut Vec<u8>) {
    let (escape, len) = escape_of(b);
    out.extend_from_slice(escape.get(..len).unwrap_or(&[]));
}

/// The text of a member's key.
fn key_text(keys: &str, key: Key) -> &str {
    match key {
        Key::Field(name) => name,
        Key::Raw(start, end) => keys.get(start..end).unwrap_or(""),
    }
}

/// RFC 8785 key order: by UTF-16 code units, found from the UTF-8 bytes.
///
/// Byte order is code point order; UTF-16 order differs from it only where the first
/// difference is between a character above U+FFFF (a surrogate pair, `D800..DBFF` first,
/// lead byte `F0..F4`) and one in `E000..FFFF` (lead byte `EE` or `EF`). Both strings agree up
/// to that point, so the differing bytes are both lead bytes or both continuation bytes
/// (`80..BF`, where the two orders agree).
pub(crate) fn utf16_key_cmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    match a.iter().zip(b).find(|(x, y)| x != y) {
        None => a.len().cmp(&b.len()),
        Some((&x, &y)) => {
            if x >= 0xEE && y >= 0xEE && ((x >= 0xF0) != (y >= 0xF0)) {
                // The supplementary character's high surrogate sorts first.
                y.cmp(&x)
            } else {
                x.cmp(&y)
            }
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
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
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
        write_str(v, &mut self.out);
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
        self.out.extend_from_slice(b"null");
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
        self.open_variant(variant)?;
        value.serialize(&mut *self)?;
        self.out.push(b'}');
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
        self.open_map(None, None)
    }
    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<MapWriter<'a, 's>, Unsupported> {
        self.open_map(Some(name), None)
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
        // Variants of one enum share its name but not their fields: no remembered order.
        self.open_map(None, Some(variant))
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
            self.w.out.push(b',');
        }
        self.first = false;
        value.serialize(&mut *self.w)
    }

    fn finish(self) -> Result<(), Unsupported> {
        self.w.out.push(b']');
        self.w.depth -= 1;
        if self.close_variant {
            self.w.out.push(b'}');
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

/// Writes a map's or struct's members in place as they come; puts them in key order at its
/// end if they did not come in it.
pub(crate) struct MapWriter<'a, 's> {
    w: &'a mut Writer<'s>,
    /// Where the members start in `out`, just after `{`.
    body: usize,
    keys_base: usize,
    members_base: usize,
    /// The struct's type name (for its remembered member order); `None` for maps.
    name: Option<&'static str>,
    /// Every field so far matched the remembered order `Writer::orders[order]` (the last one
    /// of this struct type), whose next field is `Writer::order_fields[cursor]` and whose
    /// fields end at `fields_end`.
    predicting: bool,
    order: usize,
    cursor: usize,
    fields_end: usize,
    /// The member to leave out (at the top level).
    skip: Option<&'s str>,
    /// The current map member is the one left out.
    skipping: bool,
    /// Every member so far came after the one before it in canonical order.
    in_order: bool,
    close_variant: bool,
}

impl MapWriter<'_, '_> {
    /// Writes the comma (if needed), the key and the colon of a member about to be written;
    /// returns where the member starts.
    fn begin(&mut self, key: Key) -> usize {
        let w = &mut *self.w;
        let previous = if w.members.len() > self.members_base {
            w.members.last().map(|m| m.key)
        } else {
            None
        };
        if let Some(previous) = previous {
            w.out.push(b',');
            // A struct's order is looked up when it ends.
            if self.name.is_none()
                && self.in_order
                && utf16_key_cmp(key_text(&w.keys, previous), key_text(&w.keys, key))
                    != Ordering::Less
            {
                self.in_order = false;
            }
        }
        let start = w.out.len();
        write_str(key_text(&w.keys, key), &mut w.out);
        w.out.push(b':');
        start
    }

    /// [`MapWriter::begin`] for a struct field that is the next one of the predicted order:
    /// its key as written last time. `None` (and no prediction from now on) otherwise.
    #[inline(always)]
    fn begin_predicted(&mut self, key: &'static str) -> Option<usize> {
        if !self.predicting {
            return None;
        }
        let w = &mut *self.w;
        let field = w
            .order_fields
            .get(self.cursor)
            .filter(|f| self.cursor < self.fields_end && same_name(f.name, key));
        let Some(field) = field else {
            self.predicting = false;
            return None;
        };
        self.cursor += 1;
        let at = w.out.len();
        if field.len <= KEY_INLINE {
            // One fixed-size copy, cut back to the key's length.
            w.out.extend_from_slice(&field.key);
            w.out.truncate(at + field.len);
        } else {
            if field.comma {
                w.out.push(b',');
            }
            write_str(key, &mut w.out);
            w.out.push(b':');
        }
        Some(at + usize::from(field.comma))
    }

    #[inline(always)]
    fn member<T: serde::Serialize + ?Sized>(
        &mut self,
        key: Key,
        start: usize,
        value: &T,
    ) -> Result<(), Unsupported> {
        value.serialize(&mut *self.w)?;
        let end = self.w.out.len();
        self.w.members.push(Member { key, start, end });
        Ok(())
    }

    fn finish(mut self) -> Result<(), Unsupported> {
        match self.name {
            Some(name) => self.order_struct(name)?,
            None if !self.in_order => self.order_map()?,
            None => {}
        }
        let w = &mut *self.w;
        w.out.push(b'}');
        w.keys.truncate(self.keys_base);
        w.members.truncate(self.members_base);
        w.depth -= 1;
        if self.close_variant {
            w.out.push(b'}');
            w.depth -= 1;
        }
        Ok(())
    }

    /// Puts a struct's members in canonical order, through the order remembered for its type
    /// and fields, found (and remembered) the first time they are met.
    fn order_struct(&mut self, name: &'static str) -> Result<(), Unsupported> {
        // Every field matched the prediction, and none is missing: its order is the one.
        if self.predicting && self.cursor == self.fields_end {
            return match self.w.orders.get(self.order).and_then(|o| o.order) {
                Some(slots) => self.rewrite(slots),
                None => Ok(()),
            };
        }
        let Writer {
            members,
            orders,
            order_fields,
            ..
        } = &mut *self.w;
        let own = members.get(self.members_base..).unwrap_or(&[]);
        let same_fields = |o: &StructOrder| {
            same_name(o.name, name)
                && order_fields
                    .get(o.fields.0..o.fields.1)
                    .is_some_and(|fields| {
                        fields.len() == own.len()
                            && fields.iter().zip(own).all(|(f, m)| match m.key {
                                Key::Field(k) => same_name(f.name, k),
                                Key::Raw(..) => false,
                            })
                    })
        };
        let order = match orders.iter().find(|o| same_fields(o)) {
            Some(known) => known.order,
            None => self.remember_order(name)?,
        };
        match order {
            Some(slots) => self.rewrite(slots),
            None => Ok(()),
        }
    }

    /// Finds a struct's member order by sorting its keys, and remembers it.
    fn remember_order(
        &mut self,
        name: &'static str,
    ) -> Result<Option<(usize, usize)>, Unsupported> {
        let Writer {
            members,
            orders,
            order_fields,
            order_slots,
            ..
        } = &mut *self.w;
        let own = members.get(self.members_base..).unwrap_or(&[]);
        let mut fields = Vec::with_capacity(own.len());
        for m in own {
            match m.key {
                Key::Field(k) => fields.push(k),
                Key::Raw(..) => return Err(Unsupported),
            }
        }
        let mut order: Vec<usize> = (0..fields.len()).collect();
        let field = |i: &usize| fields.get(*i).copied().unwrap_or("");
        order.sort_by(|a, b| utf16_key_cmp(field(a), field(b)));
        if order
            .windows(2)
            .any(|pair| matches!(pair, [a, b] if field(a) == field(b)))
        {
            return Err(Unsupported);
        }
        let in_order = order.iter().enumerate().all(|(n, &i)| n == i);
        let slots = if in_order {
            None
        } else {
            let start = order_slots.len();
            order_slots.extend_from_slice(&order);
            Some((start, order_slots.len()))
        };
        let start = order_fields.len();
        for (n, name) in fields.into_iter().enumerate() {
            order_fields.push(Field::new(name, n > 0));
        }
        orders.push(StructOrder {
            name,
            fields: (start, order_fields.len()),
            order: slots,
        });
        Ok(slots)
    }

    /// Puts a map's members in canonical order by sorting their keys.
    fn order_map(&mut self) -> Result<(), Unsupported> {
        let Writer {
            keys,
            members,
            order_slots,
            ..
        } = &mut *self.w;
        let own = members.get(self.members_base..).unwrap_or(&[]);
        let start = order_slots.len();
        order_slots.extend(0..own.len());
        let order = order_slots.get_mut(start..).unwrap_or(&mut []);
        let text = |i: &usize| own.get(*i).map_or("", |m| key_text(keys, m.key));
        order.sort_by(|a, b| utf16_key_cmp(text(a), text(b)));
        if order
            .windows(2)
            .any(|pair| matches!(pair, [a, b] if text(a) == text(b)))
        {
            // `serde_json` would keep the last; leave that to it.
            return Err(Unsupported);
        }
        let end = order_slots.len();
        let result = self.rewrite((start, end));
        self.w.order_slots.truncate(start);
        result
    }

    /// Rewrites the members in the order held in `order_slots[slots.0..slots.1]`.
    fn rewrite(&mut self, slots: (usize, usize)) -> Result<(), Unsupported> {
        let Writer {
            out,
            members,
            scratch,
            order_slots,
            ..
        } = &mut *self.w;
        let own = members.get(self.members_base..).unwrap_or(&[]);
        let order = order_slots.get(slots.0..slots.1).unwrap_or(&[]);
        // Members already in their place at the front stay where they are.
        let kept = order
            .iter()
            .enumerate()
            .take_while(|&(n, &i)| n == i)
            .count();
        let (Some(rest), Some(first_moved)) = (order.get(kept..), own.get(kept)) else {
            return Ok(());
        };
        let cut = first_moved.start;
        // What stays: up to the first moved member, without the comma before it if any.
        let stays = if kept > 0 { cut - 1 } else { cut };
        // Where `scratch` holds the text from.
        let from = if stays <= SWAP_BELOW {
            // The object is (nearly) all the text so far, as the top-level one is: swap the
            // buffers rather than copy it, and copy back what stays.
            std::mem::swap(out, scratch);
            out.clear();
            out.extend_from_slice(scratch.get(..stays).ok_or(Unsupported)?);
            0
        } else {
            scratch.clear();
            scratch.extend_from_slice(out.get(cut..).ok_or(Unsupported)?);
            out.truncate(stays);
            cut
        };
        for &i in rest {
            let m = own.get(i).ok_or(Unsupported)?;
            if out.len() > self.body {
                out.push(b',');
            }
            out.extend_from_slice(
                scratch
                    .get(m.start - from..m.end - from)
                    .ok_or(Unsupported)?,
            );
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
        let end = self.w.keys.len();
        if self
            .skip
            .is_some_and(|s| self.w.keys.get(start..end) == Some(s))
        {
            self.w.keys.truncate(start);
            self.skipping = true;
        } else {
            let key = Key::Raw(start, end);
            let member_start = self.begin(key);
            self.w.pending = Some((key, member_start));
        }
        Ok(())
    }
    fn serialize_value<T: serde::Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), Unsupported> {
        if std::mem::take(&mut self.skipping) {
            return Ok(());
        }
        let (key, start) = self.w.pending.take().ok_or(Unsupported)?;
        self.member(key, start, value)
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
        if self.skip.is_some_and(|s| s == key) {
            return Ok(());
        }
        if let Some(start) = self.begin_predicted(key) {
            return self.member(Key::Field(key), start, value);
        }
        let start = self.begin(Key::Field(key));
        self.member(Key::Field(key), start, value)
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
        super::canonical::write_i64(v, self.0);
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
        super::canonical::write_u64(v, self.0);
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
    use crate::identity::canonical_json;
    use crate::value::Value;

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

    /// Strings of every length up to past five words, with a character to escape (or a
    /// multi-byte one) at every position, and random ones: written as the reference writer
    /// writes them.
    #[test]
    fn strings_written_as_the_reference_writes_them() {
        let check = |s: &str| {
            let mut reference = String::new();
            crate::identity::canonical::write_string(s, &mut reference);
            let mut out = b"prefix".to_vec();
            write_str(s, &mut out);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("prefix{reference}"),
                "{s:?}"
            );
        };
        let specials = [
            "\"",
            "\\",
            "\u{0}",
            "\u{1}",
            "\u{8}",
            "\t",
            "\n",
            "\u{c}",
            "\r",
            "\u{1f}",
            " ",
            "\u{7f}",
            "é",
            "\u{2028}",
            "\u{e000}",
            "\u{1f600}",
        ];
        for len in 0..44 {
            let plain: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            check(&plain);
            for special in specials {
                for at in 0..=len {
                    let mut s = plain.clone();
                    s.insert_str(at, special);
                    check(&s);
                    // And a second one further on.
                    s.push_str(special);
                    check(&s);
                }
                check(&special.repeat(len));
            }
        }
        let mut rng = crate::source::test_rng::Rng(0x9e37_79b9_7f4a_7c15);
        let alphabet = ["a", "b", "\"", "\\", "\n", "\u{3}", "é", "\u{1f600}", "xyz"];
        for _ in 0..2000 {
            let len = rng.below(40);
            let s: String = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            check(&s);
        }
    }

    /// Key order: the byte-based comparison agrees with comparing UTF-16 code units.
    #[test]
    fn utf16_key_cmp_is_utf16_order() {
        let pieces = [
            "",
            "a",
            "b",
            "\u{7f}",
            "\u{80}",
            "\u{7ff}",
            "\u{800}",
            "\u{d7ff}",
            "\u{e000}",
            "\u{efff}",
            "\u{f000}",
            "\u{fb33}",
            "\u{ffff}",
            "\u{10000}",
            "\u{1f600}",
            "\u{10ffff}",
            "\"",
            "\n",
        ];
        let mut keys = Vec::new();
        for a in pieces {
            for b in pieces {
                keys.push(format!("{a}{b}"));
                keys.push(format!("x{a}{b}y"));
            }
        }
        for a in &keys {
            for b in &keys {
                assert_eq!(
                    utf16_key_cmp(a, b),
                    a.encode_utf16().cmp(b.encode_utf16()),
                    "{a:?} {b:?}"
                );
            }
        }
    }

    /// Structs whose fields come out of canonical order, maps whose keys need UTF-16 order,
    /// escapes and numbers of every form, at several depths and in repeated instances (so the
    /// remembered struct orders are exercised with different fields present).
    #[test]
    fn generated_data_written_as_through_value() {
        use std::collections::BTreeMap;

        #[derive(serde::Serialize)]
        struct Inner {
            zulu: f64,
            #[serde(skip_serializing_if = "Option::is_none")]
            alpha: Option<String>,
            mike: Vec<Value>,
            #[serde(rename = "\u{e000}")]
            private: bool,
            #[serde(rename = "\u{1f600}")]
            emoji: i64,
            #[serde(skip_serializing_if = "Option::is_none")]
            bravo: Option<Box<Inner>>,
        }
        /// Its first members are already in place; the rest are not.
        #[derive(serde::Serialize)]
        struct Tail {
            a: u8,
            #[serde(skip_serializing_if = "Option::is_none")]
            b: Option<String>,
            z: Vec<Value>,
            #[serde(skip_serializing_if = "Option::is_none")]
            y: Option<f64>,
            c: bool,
        }
        #[derive(serde::Serialize)]
        struct Outer {
            tests: u8,
            name: String,
            items: Vec<Inner>,
            map: BTreeMap<String, Inner>,
            #[serde(skip_serializing_if = "Option::is_none")]
            again: Option<Inner>,
            tails: Vec<Tail>,
        }

        let keys = [
            "",
            "a",
            "\u{e000}",
            "\u{ffff}",
            "\u{10000}",
            "\u{1f600}",
            "a\u{fb33}",
            "a\u{1f600}",
            "q\"",
            "b\\",
            "\n",
            "\u{1}",
            "\u{7f}",
            "é",
            "tests",
        ];
        let numbers = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            1e21,
            1e20,
            1e-7,
            1.5e-7,
            0.000001,
            123.456,
            9_007_199_254_740_992.0,
            9_007_199_254_740_993.0,
            -4_503_599_627_370_495.5,
            1e300,
            5e-324,
            f64::MAX,
            f64::NAN,
            f64::INFINITY,
            333_333_333.333_333_3,
        ];
        let strings = [
            "",
            "plain",
            "tab\there",
            "quote\"",
            "\\",
            "\u{0}\u{1f}",
            "\u{2028}\u{7f}",
            "long text without anything to escape at all, longer than eight bytes",
            "long text with a \"quote\" and a \\ past the eighth byte\n",
            "é\u{1f600}\u{e000}\"",
            "1234567\"",
            "12345678\"",
            "\"2345678",
        ];
        // A small deterministic generator, so failures reproduce.
        let mut rng = crate::source::test_rng::Rng(0x2545_f491_4f6c_dd1d);
        let mut next = move |n: usize| rng.below(n);
        let mut value = |next: &mut dyn FnMut(usize) -> usize, depth: usize| -> Value {
            let mut v = Value::Null;
            for _ in 0..=depth {
                v = match next(6) {
                    0 => Value::Double(numbers[next(numbers.len())]),
                    1 => Value::Int([0, -1, 7, i64::MIN, i64::MAX, 1 << 53][next(6)]),
                    2 => Value::string(strings[next(strings.len())]),
                    3 => Value::list(vec![v, Value::Bool(next(2) == 0)]),
                    _ => Value::map((0..next(5)).map(|_| {
                        (
                            keys[next(keys.len())],
                            Value::string(strings[next(strings.len())]),
                        )
                    })),
                };
            }
            v
        };
        #[allow(clippy::type_complexity)]
        fn inner(
            next: &mut dyn FnMut(usize) -> usize,
            value: &mut dyn FnMut(&mut dyn FnMut(usize) -> usize, usize) -> Value,
            strings: &[&str],
            numbers: &[f64],
            depth: usize,
        ) -> Inner {
            Inner {
                zulu: numbers[next(numbers.len())],
                alpha: (next(2) == 0).then(|| strings[next(strings.len())].to_owned()),
                mike: (0..next(4)).map(|_| value(next, 2)).collect(),
                private: next(2) == 0,
                emoji: -(next(1000) as i64),
                bravo: (depth > 0 && next(2) == 0)
                    .then(|| Box::new(inner(next, value, strings, numbers, depth - 1))),
            }
        }
        for round in 0..300 {
            let outer = Outer {
                tests: 1,
                name: strings[next(strings.len())].to_owned(),
                items: (0..next(4))
                    .map(|_| inner(&mut next, &mut value, &strings, &numbers, 3))
                    .collect(),
                map: (0..next(6))
                    .map(|_| {
                        (
                            keys[next(keys.len())].to_owned(),
                            inner(&mut next, &mut value, &strings, &numbers, 1),
                        )
                    })
                    .collect(),
                again: (next(2) == 0).then(|| inner(&mut next, &mut value, &strings, &numbers, 2)),
                tails: (0..next(4))
                    .map(|_| Tail {
                        a: next(3) as u8,
                        b: (next(2) == 0).then(|| strings[next(strings.len())].to_owned()),
                        z: (0..next(3)).map(|_| value(&mut next, 1)).collect(),
                        y: (next(2) == 0).then(|| numbers[next(numbers.len())]),
                        c: next(2) == 0,
                    })
                    .collect(),
            };
            for skip in [None, Some("tests"), Some("map")] {
                assert_eq!(
                    canonical_json_of(&outer, skip).unwrap(),
                    via_value(&outer, skip),
                    "round {round}, skip {skip:?}"
                );
            }
            // At the top level, where reordering swaps buffers.
            for tail in &outer.tails {
                assert_eq!(
                    canonical_json_of(tail, None).unwrap(),
                    via_value(tail, None)
                );
            }
            let v = value(&mut next, 4);
            assert_eq!(
                canonical_json_of(&v, Some("tests")).unwrap(),
                via_value(&v, Some("tests")),
                "round {round}: {v:?}"
            );
        }
    }

    /// A `Serialize` impl that itself writes canonical JSON (a nested run) gets buffers of its
    /// own, and leaves the outer run's text and remembered orders intact.
    #[test]
    fn nested_runs_do_not_share_buffers() {
        struct Nested;
        impl serde::Serialize for Nested {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let inner = Value::map([("z", Value::Int(1)), ("a", Value::Int(2))]);
                let text = canonical_json_of(&inner, None).unwrap_or_default();
                s.serialize_str(&text)
            }
        }
        #[derive(serde::Serialize)]
        struct Outer {
            z: Nested,
            a: Vec<Nested>,
        }
        let outer = Outer {
            z: Nested,
            a: vec![Nested, Nested],
        };
        for _ in 0..3 {
            assert_eq!(
                canonical_json_of(&outer, None).unwrap(),
                via_value(&outer, None)
            );
            assert_eq!(
                canonical_digest_of(&outer, None).unwrap(),
                crate::identity::sha256_hex(via_value(&outer, None))
            );
        }
    }
}
