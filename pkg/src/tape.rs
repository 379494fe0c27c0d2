//! Results handed to JavaScript as a *tape* instead of JSON text.
//!
//! `JSON.parse` of a 250-byte decision costs V8 about 0.7 µs, more than govgate takes to decide
//! the action, and writing the JSON text costs the wasm side another 0.2-0.3 µs of string
//! escaping. A tape is cheaper on both sides: a flat list of numbers (opcodes, counts, string
//! lengths and the values of numbers) and one string holding every string's characters in
//! order, which `src/tape.js` turns back into objects and arrays in one pass, with one
//! `TextDecoder` call. Names (struct fields, enum variants, map keys) are sent once per module
//! instance and referred to by number afterwards, so JavaScript sees the same interned strings
//! every time: V8 stores a property under any other string only after looking it up in its
//! string table.
//!
//! The objects are exactly what `JSON.parse` of `serde_json::to_string` of the same value gives
//! (the package's vector tests check this on every core vector): the same member order, `null`
//! for non-finite floats and for `None`, integers as the nearest double (as `JSON.parse` rounds
//! them), enums in serde_json's shapes, and a member named `__proto__` defined as an own
//! property as `JSON.parse` does.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use serde::ser::{self, Serialize};

/// The opcodes. Shared with `src/tape.js`; each is followed by its operands.
pub(crate) mod op {
    /// `null`.
    pub const NULL: f64 = 0.0;
    /// `false`.
    pub const FALSE: f64 = 1.0;
    /// `true`.
    pub const TRUE: f64 = 2.0;
    /// A number: `[NUMBER, value]`.
    pub const NUMBER: f64 = 3.0;
    /// A string: `[STRING, length]`, its UTF-16 code units next in the text.
    pub const STRING: f64 = 4.0;
    /// An array: `[ARRAY, count]`, then `count` values.
    pub const ARRAY: f64 = 5.0;
    /// An object: `[OBJECT, count]`, then `count` (key, value) pairs.
    pub const OBJECT: f64 = 6.0;
    /// A key sent before: `[KEY, id]`.
    pub const KEY: f64 = 7.0;
    /// A key sent for the first time, to be remembered under `id`: `[NEW_KEY, id, length]`,
    /// its characters next in the text.
    pub const NEW_KEY: f64 = 8.0;
    /// A string value sent before as a name (a unit variant such as `"block"`): `[NAME, id]`.
    pub const NAME: f64 = 10.0;
    /// A string value that is a name sent for the first time: `[NEW_NAME, id, length]`, its
    /// characters next in the text.
    pub const NEW_NAME: f64 = 11.0;
    /// A key that is not remembered (a map's key once the table is full): `[KEY_STRING,
    /// length]`, then its text.
    pub const KEY_STRING: f64 = 9.0;
    /// A string value that is what `slot` of the recent values holds: `[RECENT, slot]`.
    pub const RECENT: f64 = 12.0;
    /// A string value that replaces what `slot` of the recent values holds:
    /// `[NEW_RECENT, slot, length]`, its characters next in the text.
    pub const NEW_RECENT: f64 = 13.0;
}

/// A serialized value, ready for `src/tape.js`.
#[derive(Default)]
pub(crate) struct Tape {
    /// Opcodes and operands.
    pub(crate) codes: Vec<f64>,
    /// Every string's characters, in tape order.
    pub(crate) text: String,
}

/// Object keys already sent to this module instance's JavaScript side, which keeps them as
/// V8 keeps property names (internalized): storing a property under any other string makes V8
/// look it up in its string table, every time, which cost more than the rest of the tape.
///
/// Struct field and variant names are found by the address and length of the `&'static str`
/// serde hands out (the same name always comes from the same place; two places with the same
/// text just get two ids). Map keys, which serde hands out as plain `&str` (`#[serde(flatten)]`
/// members too), are found by their text, up to [`MAX_MAP_KEYS`] of them.
#[derive(Default)]
pub(crate) struct KeyTable {
    ids: HashMap<(usize, usize), u32>,
    /// A direct-mapped cache in front of `ids`, indexed by a hash of the address.
    recent: Vec<(usize, usize, u32)>,
    map_keys: HashMap<Box<str>, u32, BuildHasherDefault<Fnv1a>>,
    /// A direct-mapped cache in front of `map_keys`, indexed by length and end bytes: the
    /// few keys `#[serde(flatten)]` members give come every time.
    recent_map_keys: Vec<Option<(Box<str>, u32)>>,
    /// String values sent lately, by slot (JavaScript keeps the same slots): a decision repeats
    /// its policy's strings (name, digest, rule ids, verdicts, bands, labels) every time. The
    /// slot comes from the string's address, which only spreads them out: a value is sent by
    /// slot only when its text equals the slot's, so an address reused for other text is just
    /// a miss.
    recent_values: Vec<String>,
    /// Ids handed out so far.
    count: u32,
}

/// Slots in [`KeyTable::recent`].
const RECENT_SLOTS: usize = 256;

/// The slot of a string at `address` with `len` bytes in a [`RECENT_SLOTS`]-slot table:
/// Fibonacci hashing, so nearby addresses (a policy's strings are allocated together) spread
/// over the table instead of sharing their low bits.
fn slot_of(address: usize, len: usize) -> usize {
    let mixed = (address as u64 ^ (len as u64).rotate_left(32)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    // The top 8 bits: RECENT_SLOTS is 256.
    (mixed >> 56) as usize % RECENT_SLOTS
}

/// Longest string value kept in a recent-values slot (a digest is 64).
const MAX_RECENT_VALUE: usize = 128;

/// Distinct map keys remembered at most: past that, new ones are sent as text each time, so
/// data with many distinct keys cannot grow the table (or JavaScript's copy) without bound.
pub(crate) const MAX_MAP_KEYS: usize = 1024;

/// FNV-1a, for the map-key table: keys are a few bytes long and not attacker-chosen in bulk
/// (the table stops growing at [`MAX_MAP_KEYS`]), where std's SipHash costs several times more
/// in wasm. Written here because it is ten lines.
#[derive(Default)]
pub(crate) struct Fnv1a(u64);

impl Hasher for Fnv1a {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

impl KeyTable {
    /// The id of `name`, and whether it is new (JavaScript has not seen it yet).
    fn id(&mut self, name: &'static str) -> (u32, bool) {
        let place = (name.as_ptr() as usize, name.len());
        let slot = slot_of(place.0, place.1);
        if self.recent.is_empty() {
            self.recent = vec![(0, usize::MAX, 0); RECENT_SLOTS];
        }
        if let Some(&(address, len, id)) = self.recent.get(slot)
            && (address, len) == place
        {
            return (id, false);
        }
        let next = self.count;
        let mut new = false;
        let id = *self.ids.entry(place).or_insert_with(|| {
            new = true;
            next
        });
        if new {
            self.count += 1;
        }
        if let Some(entry) = self.recent.get_mut(slot) {
            *entry = (place.0, place.1, id);
        }
        (id, new)
    }

    /// The id of a map key, and whether it is new; `None` once the table is full.
    fn map_key(&mut self, key: &str) -> Option<(u32, bool)> {
        let bytes = key.as_bytes();
        let ends = usize::from(*bytes.first().unwrap_or(&0)) * 7
            + usize::from(*bytes.last().unwrap_or(&0));
        let slot = (bytes.len().wrapping_mul(31) ^ ends) % RECENT_SLOTS;
        if self.recent_map_keys.is_empty() {
            self.recent_map_keys = vec![None; RECENT_SLOTS];
        }
        if let Some(Some((text, id))) = self.recent_map_keys.get(slot)
            && **text == *key
        {
            return Some((*id, false));
        }
        let found = match self.map_keys.get(key) {
            Some(&id) => (id, false),
            None if self.map_keys.len() >= MAX_MAP_KEYS => return None,
            None => {
                let id = self.count;
                self.count += 1;
                self.map_keys.insert(key.into(), id);
                (id, true)
            }
        };
        if let Some(entry) = self.recent_map_keys.get_mut(slot) {
            *entry = Some((key.into(), found.0));
        }
        Some(found)
    }

    /// The recent-values slot for `value`, and whether it already holds that text (else it
    /// does from now on); `None` for values not worth a slot.
    fn recent_value(&mut self, value: &str) -> Option<(usize, bool)> {
        if value.is_empty() || value.len() > MAX_RECENT_VALUE {
            return None;
        }
        if self.recent_values.is_empty() {
            self.recent_values = vec![String::new(); RECENT_SLOTS];
        }
        let slot = slot_of(value.as_ptr() as usize, value.len());
        let held = self.recent_values.get_mut(slot)?;
        if held == value {
            return Some((slot, true));
        }
        held.clear();
        held.push_str(value);
        Some((slot, false))
    }

    /// Forgets every key and recent value: after JavaScript failed to read a tape, its tables
    /// may be behind.
    pub(crate) fn clear(&mut self) {
        self.ids.clear();
        self.recent.clear();
        self.map_keys.clear();
        self.recent_map_keys.clear();
        self.recent_values.clear();
        self.count = 0;
    }
}

thread_local! {
    /// The key table of this module instance (wasm has one thread).
    pub(crate) static KEYS: RefCell<KeyTable> = RefCell::new(KeyTable::default());
}

/// Most opcodes and operands a tape keeps room for between values (512 KB): a large batch
/// gives its memory back instead of holding it for the module's life.
const KEPT_CODES: usize = 1 << 16;
/// Most text bytes a tape keeps room for between values.
const KEPT_TEXT: usize = 1 << 19;

impl Tape {
    /// Gives back the buffers' memory when a value made them larger than a decision needs.
    pub(crate) fn trim(&mut self) {
        if self.codes.capacity() > KEPT_CODES {
            self.codes = Vec::new();
        }
        if self.text.capacity() > KEPT_TEXT {
            self.text = String::new();
        }
    }

    /// Puts `value` on this tape in place of what it held, with struct field and variant names
    /// remembered in `keys`. The buffers keep their capacity from one value to the next.
    pub(crate) fn write<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
        keys: &mut KeyTable,
    ) -> Result<(), TapeError> {
        self.codes.clear();
        self.text.clear();
        let mut writer = Writer {
            tape: std::mem::take(self),
            keys,
            key_text: String::new(),
        };
        let result = value.serialize(&mut writer);
        *self = writer.tape;
        result
    }
}

/// Why a value could not go on a tape (what `serde_json` would also refuse).
#[derive(Debug)]
pub(crate) struct TapeError(String);

impl fmt::Display for TapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TapeError {}

impl ser::Error for TapeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        TapeError(msg.to_string())
    }
}

struct Writer<'k> {
    tape: Tape,
    keys: &'k mut KeyTable,
    /// Scratch space for a map key's text.
    key_text: String,
}

/// How many UTF-16 code units `s` takes in JavaScript.
fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

impl Writer<'_> {
    fn code(&mut self, code: f64) {
        self.tape.codes.push(code);
    }

    fn string(&mut self, code: f64, s: &str) {
        self.tape.codes.push(code);
        self.tape.codes.push(utf16_len(s) as f64);
        self.tape.text.push_str(s);
    }

    fn name(&mut self, name: &'static str) {
        let (id, new) = self.keys.id(name);
        self.key(id, new, name);
    }

    fn map_key(&mut self, key: &str) {
        match self.keys.map_key(key) {
            Some((id, new)) => self.key(id, new, key),
            None => self.string(op::KEY_STRING, key),
        }
    }

    /// A key by id, with its text when JavaScript has not seen it yet.
    fn key(&mut self, id: u32, new: bool, text: &str) {
        self.remembered([op::KEY, op::NEW_KEY], f64::from(id), new, text);
    }

    /// Something JavaScript keeps under `id` (a name or a recent value): `[known, id]` when it
    /// has it already, else `[fresh, id, length]` and the text.
    fn remembered(&mut self, [known, fresh]: [f64; 2], id: f64, new: bool, text: &str) {
        self.tape.codes.push(if new { fresh } else { known });
        self.tape.codes.push(id);
        if new {
            self.string_tail(text);
        }
    }

    /// A length and the characters, for an opcode already pushed.
    fn string_tail(&mut self, s: &str) {
        self.tape.codes.push(utf16_len(s) as f64);
        self.tape.text.push_str(s);
    }

    /// Starts an array or object whose count is patched in by [`Writer::close`].
    fn open(&mut self, code: f64) -> usize {
        self.tape.codes.push(code);
        self.tape.codes.push(0.0);
        self.tape.codes.len() - 1
    }

    fn close(&mut self, count_at: usize, count: usize) {
        if let Some(slot) = self.tape.codes.get_mut(count_at) {
            *slot = count as f64;
        }
    }

    fn number(&mut self, n: f64) {
        if n.is_finite() {
            self.tape.codes.push(op::NUMBER);
            self.tape.codes.push(n);
        } else {
            self.tape.codes.push(op::NULL);
        }
    }

    /// `{variant: ...}`: an object of one member, its value to follow.
    fn variant_object(&mut self, variant: &'static str) {
        self.tape.codes.push(op::OBJECT);
        self.tape.codes.push(1.0);
        self.name(variant);
    }
}

/// An array or object being written: where its count goes and how many members so far.
struct Compound<'a, 'k> {
    writer: &'a mut Writer<'k>,
    count_at: usize,
    count: usize,
}

impl Compound<'_, '_> {
    fn end(self) {
        self.writer.close(self.count_at, self.count);
    }
}

/// Serializer methods for integers a double holds exactly.
macro_rules! exact_numbers {
    ($($method:ident: $t:ty),*) => {$(
        fn $method(self, v: $t) -> Result<(), TapeError> {
            self.number(f64::from(v));
            Ok(())
        }
    )*};
}

/// Serializer methods for integers that may not fit a double: the nearest double, as
/// `JSON.parse` of their digits gives.
macro_rules! nearest_numbers {
    ($($method:ident: $t:ty),*) => {$(
        #[allow(clippy::cast_precision_loss)]
        fn $method(self, v: $t) -> Result<(), TapeError> {
            self.number(v as f64);
            Ok(())
        }
    )*};
}

impl<'a, 'k> ser::Serializer for &'a mut Writer<'k> {
    type Ok = ();
    type Error = TapeError;
    type SerializeSeq = Compound<'a, 'k>;
    type SerializeTuple = Compound<'a, 'k>;
    type SerializeTupleStruct = Compound<'a, 'k>;
    type SerializeTupleVariant = Compound<'a, 'k>;
    type SerializeMap = Compound<'a, 'k>;
    type SerializeStruct = Compound<'a, 'k>;
    type SerializeStructVariant = Compound<'a, 'k>;

    fn serialize_bool(self, v: bool) -> Result<(), TapeError> {
        self.code(if v { op::TRUE } else { op::FALSE });
        Ok(())
    }

    exact_numbers!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32);
    exact_numbers!(serialize_u8: u8, serialize_u16: u16, serialize_u32: u32);
    nearest_numbers!(serialize_i64: i64, serialize_i128: i128);
    nearest_numbers!(serialize_u64: u64, serialize_u128: u128);

    /// serde_json writes an `f32` with the fewest digits that read back as that `f32`;
    /// `JSON.parse` then reads those digits as a double. Do the same.
    fn serialize_f32(self, v: f32) -> Result<(), TapeError> {
        let n = if v.is_finite() {
            v.to_string().parse::<f64>().unwrap_or(f64::NAN)
        } else {
            f64::NAN
        };
        self.number(n);
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), TapeError> {
        self.number(v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), TapeError> {
        let mut buf = [0; 4];
        self.string(op::STRING, v.encode_utf8(&mut buf));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), TapeError> {
        match self.keys.recent_value(v) {
            Some((slot, held)) => {
                self.remembered([op::RECENT, op::NEW_RECENT], slot as f64, !held, v)
            }
            None => self.string(op::STRING, v),
        }
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), TapeError> {
        let count_at = self.open(op::ARRAY);
        for &b in v {
            self.number(f64::from(b));
        }
        self.close(count_at, v.len());
        Ok(())
    }

    fn serialize_none(self) -> Result<(), TapeError> {
        self.code(op::NULL);
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), TapeError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), TapeError> {
        self.code(op::NULL);
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), TapeError> {
        self.code(op::NULL);
        Ok(())
    }

    /// A unit variant is a name like a field's (`"block"`, `"enforce"`): sent once, then by id.
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), TapeError> {
        let (id, new) = self.keys.id(variant);
        self.remembered([op::NAME, op::NEW_NAME], f64::from(id), new, variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), TapeError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), TapeError> {
        self.variant_object(variant);
        value.serialize(self)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a, 'k>, TapeError> {
        let count_at = self.open(op::ARRAY);
        Ok(Compound {
            writer: self,
            count_at,
            count: 0,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'k>, TapeError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'k>, TapeError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'k>, TapeError> {
        self.variant_object(variant);
        self.serialize_seq(Some(len))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a, 'k>, TapeError> {
        let count_at = self.open(op::OBJECT);
        Ok(Compound {
            writer: self,
            count_at,
            count: 0,
        })
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'k>, TapeError> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'k>, TapeError> {
        self.variant_object(variant);
        self.serialize_map(Some(len))
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = TapeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), TapeError> {
        self.count += 1;
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<(), TapeError> {
        Compound::end(self);
        Ok(())
    }
}

/// The tuple kinds, written as arrays like sequences.
macro_rules! array_like {
    ($($kind:ident: $method:ident),*) => {$(
        impl ser::$kind for Compound<'_, '_> {
            type Ok = ();
            type Error = TapeError;

            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), TapeError> {
                ser::SerializeSeq::serialize_element(self, value)
            }

            fn end(self) -> Result<(), TapeError> {
                Compound::end(self);
                Ok(())
            }
        }
    )*};
}

array_like!(
    SerializeTuple: serialize_element,
    SerializeTupleStruct: serialize_field,
    SerializeTupleVariant: serialize_field
);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = TapeError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), TapeError> {
        self.count += 1;
        let mut text = std::mem::take(&mut self.writer.key_text);
        text.clear();
        key.serialize(MapKey(&mut text))?;
        self.writer.map_key(&text);
        self.writer.key_text = text;
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), TapeError> {
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<(), TapeError> {
        Compound::end(self);
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = TapeError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), TapeError> {
        self.count += 1;
        self.writer.name(key);
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<(), TapeError> {
        Compound::end(self);
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = TapeError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), TapeError> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }

    fn end(self) -> Result<(), TapeError> {
        Compound::end(self);
        Ok(())
    }
}

/// A map key as serde_json writes it: strings as they are, integers, booleans, chars and finite
/// floats as their JSON text, unit variants as their name; anything else is refused, as
/// serde_json refuses it.
struct MapKey<'b>(&'b mut String);

fn key_must_be_a_string() -> TapeError {
    TapeError("key must be a string".to_owned())
}

/// A finite float key in serde_json's digits (`1.0`, not Rust's `1`).
fn float_key<F: Serialize + Into<f64> + Copy>(v: F) -> Result<String, TapeError> {
    if v.into().is_finite() {
        serde_json::to_string(&v).map_err(|e| TapeError(e.to_string()))
    } else {
        Err(TapeError(
            "float key must be finite (got NaN or +/-inf)".to_owned(),
        ))
    }
}

/// Map-key serializer methods for what serde_json writes as the value's text.
macro_rules! keys_as_text {
    ($($method:ident: $t:ty),*) => {$(
        fn $method(self, v: $t) -> Result<(), TapeError> {
            use std::fmt::Write;
            write!(self.0, "{v}").map_err(|e| TapeError(e.to_string()))
        }
    )*};
}

impl ser::Serializer for MapKey<'_> {
    type Ok = ();
    type Error = TapeError;
    type SerializeSeq = ser::Impossible<(), TapeError>;
    type SerializeTuple = ser::Impossible<(), TapeError>;
    type SerializeTupleStruct = ser::Impossible<(), TapeError>;
    type SerializeTupleVariant = ser::Impossible<(), TapeError>;
    type SerializeMap = ser::Impossible<(), TapeError>;
    type SerializeStruct = ser::Impossible<(), TapeError>;
    type SerializeStructVariant = ser::Impossible<(), TapeError>;

    fn serialize_str(self, v: &str) -> Result<(), TapeError> {
        self.0.push_str(v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), TapeError> {
        self.0.push(v);
        Ok(())
    }

    keys_as_text!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16);
    keys_as_text!(serialize_i32: i32, serialize_i64: i64, serialize_i128: i128);
    keys_as_text!(serialize_u8: u8, serialize_u16: u16, serialize_u32: u32);
    keys_as_text!(serialize_u64: u64, serialize_u128: u128);

    fn serialize_f32(self, v: f32) -> Result<(), TapeError> {
        self.0.push_str(&float_key(v)?);
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), TapeError> {
        self.0.push_str(&float_key(v)?);
        Ok(())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), TapeError> {
        Err(key_must_be_a_string())
    }

    fn serialize_none(self) -> Result<(), TapeError> {
        Err(key_must_be_a_string())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), TapeError> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit(self) -> Result<(), TapeError> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), TapeError> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), TapeError> {
        self.0.push_str(variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), TapeError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), TapeError> {
        Err(key_must_be_a_string())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, TapeError> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, TapeError> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, TapeError> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, TapeError> {
        Err(key_must_be_a_string())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, TapeError> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, TapeError> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, TapeError> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Number, Value as Json, json};

    /// What `src/tape.js` does, in Rust: the tape back into a JSON value (UTF-16 lengths and
    /// all), with the key table it keeps between tapes.
    /// What JavaScript keeps between tapes: the names by id and the recent values by slot.
    #[derive(Clone, Default)]
    struct Seen {
        names: Vec<String>,
        recent: Vec<Option<String>>,
    }

    struct Reader<'t> {
        codes: std::slice::Iter<'t, f64>,
        text: Vec<u16>,
        text_at: usize,
        seen: &'t mut Seen,
        /// The key opcodes met, in order.
        key_codes: Vec<f64>,
    }

    impl Reader<'_> {
        fn next(&mut self) -> f64 {
            *self.codes.next().expect("tape ended early")
        }

        fn slice(&mut self) -> String {
            let len = self.next() as usize;
            let s = String::from_utf16(&self.text[self.text_at..self.text_at + len]).unwrap();
            self.text_at += len;
            s
        }

        fn value(&mut self) -> Json {
            let code = self.next();
            match code {
                c if c == op::NULL => Json::Null,
                c if c == op::FALSE => Json::Bool(false),
                c if c == op::TRUE => Json::Bool(true),
                c if c == op::NUMBER => Json::Number(Number::from_f64(self.next()).unwrap()),
                c if c == op::STRING => Json::String(self.slice()),
                c if c == op::RECENT => {
                    let slot = self.next() as usize;
                    Json::String(
                        self.seen.recent[slot]
                            .clone()
                            .expect("an empty recent slot"),
                    )
                }
                c if c == op::NEW_RECENT => {
                    let slot = self.next() as usize;
                    let text = self.slice();
                    if self.seen.recent.len() <= slot {
                        self.seen.recent.resize(slot + 1, None);
                    }
                    self.seen.recent[slot] = Some(text.clone());
                    Json::String(text)
                }
                c if c == op::NAME || c == op::NEW_NAME => {
                    self.key_codes.push(c);
                    Json::String(self.name(c == op::NEW_NAME))
                }
                c if c == op::ARRAY => {
                    let n = self.next() as usize;
                    Json::Array((0..n).map(|_| self.value()).collect())
                }
                c if c == op::OBJECT => {
                    let n = self.next() as usize;
                    let mut map = Map::new();
                    for _ in 0..n {
                        let key = self.key();
                        let value = self.value();
                        map.insert(key, value);
                    }
                    Json::Object(map)
                }
                other => panic!("unknown value code {other}"),
            }
        }

        fn key(&mut self) -> String {
            let code = self.next();
            self.key_codes.push(code);
            match code {
                c if c == op::KEY => self.name(false),
                c if c == op::NEW_KEY => self.name(true),
                c if c == op::KEY_STRING => self.slice(),
                other => panic!("unknown key code {other}"),
            }
        }

        /// A name by id, defined here when `new`.
        fn name(&mut self, new: bool) -> String {
            let id = self.next() as usize;
            if new {
                let name = self.slice();
                assert_eq!(id, self.seen.names.len(), "ids are handed out in order");
                self.seen.names.push(name.clone());
            }
            self.seen.names[id].clone()
        }
    }

    fn read(tape: &Tape, seen: &mut Seen) -> Json {
        read_counting(tape, seen).0
    }

    /// The value, and how many names of each kind it held: by id (`KEY`, `NAME`), new
    /// (`NEW_KEY`, `NEW_NAME`), as text (`KEY_STRING`).
    fn read_counting(tape: &Tape, seen: &mut Seen) -> (Json, [usize; 3]) {
        let mut reader = Reader {
            codes: tape.codes.iter(),
            text: tape.text.encode_utf16().collect(),
            text_at: 0,
            seen,
            key_codes: Vec::new(),
        };
        let value = reader.value();
        assert!(reader.codes.next().is_none(), "codes left over");
        assert_eq!(reader.text_at, reader.text.len(), "text left over");
        let count = |code: f64| reader.key_codes.iter().filter(|&&c| c == code).count();
        let counts = [
            count(op::KEY) + count(op::NAME),
            count(op::NEW_KEY) + count(op::NEW_NAME),
            count(op::KEY_STRING),
        ];
        (value, counts)
    }

    /// What `JSON.parse` gives for serde_json's text: numbers as doubles.
    fn as_parsed(value: Json) -> Json {
        match value {
            Json::Number(n) => Json::Number(Number::from_f64(n.as_f64().unwrap()).unwrap()),
            Json::Array(items) => Json::Array(items.into_iter().map(as_parsed).collect()),
            Json::Object(map) => {
                Json::Object(map.into_iter().map(|(k, v)| (k, as_parsed(v))).collect())
            }
            other => other,
        }
    }

    fn round_trip<T: Serialize>(value: &T, table: &mut KeyTable, tape: &mut Tape, seen: &mut Seen) {
        tape.write(value, table).unwrap();
        let expected: Json = serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap();
        assert_eq!(read(tape, seen), as_parsed(expected));
    }

    #[test]
    fn every_core_vector_decision_reads_back_as_its_json() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/vectors");
        let mut table = KeyTable::default();
        let mut tape = Tape::default();
        let mut seen = Seen::default();
        let mut count = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let vector: Json = serde_json::from_str(&text).unwrap();
            let decision: govgate_core::Decision =
                serde_json::from_str(vector["decision_json"].as_str().unwrap()).unwrap();
            // Twice: first names go out as new keys, then by id.
            round_trip(&decision, &mut table, &mut tape, &mut seen);
            round_trip(&decision, &mut table, &mut tape, &mut seen);
            count += 1;
        }
        assert!(count >= 10, "found {count} vectors");
    }

    #[derive(serde::Serialize)]
    enum Shape {
        Unit,
        Newtype(u8),
        Tuple(i32, String),
        Struct { inner: Option<bool> },
    }

    #[derive(serde::Serialize)]
    struct Odd {
        text: String,
        small: f32,
        big: u64,
        negative: i64,
        nan: f64,
        none: Option<u8>,
        unit: (),
        shapes: Vec<Shape>,
        by_number: std::collections::BTreeMap<u32, char>,
        by_float: std::collections::BTreeMap<String, f64>,
        bytes: serde_bytes_like::Bytes,
    }

    mod serde_bytes_like {
        /// Serialized with `serialize_bytes`.
        pub struct Bytes(pub Vec<u8>);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }

    #[test]
    fn serde_shapes_read_back_as_serde_json_writes_them() {
        let odd = Odd {
            // Non-ASCII, astral (two UTF-16 units) and a byte-order mark first.
            text: "\u{feff}é 😀 \"quoted\"\n".to_owned(),
            small: 0.1,
            big: 9_007_199_254_740_993,
            negative: -42,
            nan: f64::NAN,
            none: None,
            unit: (),
            shapes: vec![
                Shape::Unit,
                Shape::Newtype(7),
                Shape::Tuple(-1, "t".to_owned()),
                Shape::Struct { inner: Some(true) },
            ],
            by_number: [(2, 'b'), (10, '😀')].into_iter().collect(),
            by_float: [("__proto__".to_owned(), 1.5)].into_iter().collect(),
            bytes: serde_bytes_like::Bytes(vec![0, 255]),
        };
        let mut table = KeyTable::default();
        let mut tape = Tape::default();
        let mut seen = Seen::default();
        round_trip(&odd, &mut table, &mut tape, &mut seen);
        round_trip(&odd, &mut table, &mut tape, &mut seen);
        let parsed = read(&tape, &mut seen);
        // f32 0.1 is written as serde_json writes it ("0.1"), not widened (0.10000000149...).
        assert_eq!(parsed["small"], json!(0.1));
        assert_eq!(parsed["big"], json!(9_007_199_254_740_992.0));
        assert_eq!(parsed["nan"], Json::Null);
    }

    #[test]
    fn map_keys_that_are_not_strings_are_written_as_serde_json_writes_them() {
        let by_float: std::collections::BTreeMap<u8, ()> = [(1, ())].into_iter().collect();
        let mut table = KeyTable::default();
        let mut tape = Tape::default();
        let mut seen = Seen::default();
        round_trip(&by_float, &mut table, &mut tape, &mut seen);
        assert_eq!(float_key(1.0_f64).unwrap(), "1.0");
        assert!(float_key(f64::INFINITY).is_err());
    }

    #[test]
    fn map_keys_are_remembered_up_to_the_cap_then_sent_as_text() {
        let wide: std::collections::BTreeMap<String, u32> = (0..MAX_MAP_KEYS as u32 + 10)
            .map(|i| (format!("k{i}"), i))
            .collect();
        let mut table = KeyTable::default();
        let mut tape = Tape::default();
        let mut seen = Seen::default();
        round_trip(&wide, &mut table, &mut tape, &mut seen);
        let mut reread = Seen::default();
        assert_eq!(read_counting(&tape, &mut reread).1, [0, MAX_MAP_KEYS, 10]);
        round_trip(&wide, &mut table, &mut tape, &mut seen);
        assert_eq!(read_counting(&tape, &mut seen).1, [MAX_MAP_KEYS, 0, 10]);
        assert_eq!(table.map_keys.len(), MAX_MAP_KEYS);
    }

    #[test]
    fn a_large_tape_gives_its_memory_back_and_a_small_one_keeps_it() {
        let mut table = KeyTable::default();
        let mut tape = Tape::default();
        tape.write(&vec![1_u32; KEPT_CODES], &mut table).unwrap();
        tape.trim();
        assert_eq!(tape.codes.capacity(), 0);
        tape.write(&vec![1_u32; 100], &mut table).unwrap();
        let kept = tape.codes.capacity();
        tape.trim();
        assert_eq!(tape.codes.capacity(), kept);
        assert!(kept >= 202);
    }

    /// A small deterministic generator (xorshift), for the generated-values test.
    struct Gen(u64);

    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> usize {
            (self.next() % n) as usize
        }

        fn text(&mut self) -> String {
            const PIECES: [&str; 12] = [
                "a",
                "é",
                "😀",
                "\u{feff}",
                "__proto__",
                "\"",
                "\\",
                "\n",
                "\0",
                "key",
                "0",
                "",
            ];
            (0..self.below(4)).map(|_| PIECES[self.below(12)]).collect()
        }

        fn value(&mut self, depth: u32) -> Json {
            match self.below(if depth > 3 { 6 } else { 8 }) {
                0 => Json::Null,
                1 => Json::Bool(self.below(2) == 0),
                2 => json!(self.next() as i64 >> self.below(64)),
                3 => json!(f64::from_bits(self.next()) % 1e6),
                4 | 5 => Json::String(self.text()),
                6 => Json::Array((0..self.below(4)).map(|_| self.value(depth + 1)).collect()),
                _ => Json::Object(
                    (0..self.below(4))
                        .map(|_| (self.text(), self.value(depth + 1)))
                        .collect(),
                ),
            }
        }
    }

    /// Generated values through one long-lived key table, so names, map keys and recent
    /// values are defined, reused and replaced across tapes as they are in a running module.
    #[test]
    fn generated_values_read_back_as_their_json_through_one_table() {
        let mut values = Gen(0x9e37_79b9_7f4a_7c15);
        let mut table = KeyTable::default();
        let mut tape = Tape::default();
        let mut seen = Seen::default();
        for _ in 0..3000 {
            let value = values.value(0);
            // Through JSON text first: a float that is not finite becomes null there too.
            round_trip(&value, &mut table, &mut tape, &mut seen);
        }
    }

    #[test]
    fn the_javascript_reader_has_as_many_recent_slots() {
        let reader = include_str!("tape.js");
        assert!(reader.contains(&format!("new Array({RECENT_SLOTS})")));
    }

    #[test]
    fn repeated_values_go_by_slot_and_a_reused_address_with_new_text_is_resent() {
        let mut table = KeyTable::default();
        let mut tape = Tape::default();
        let mut seen = Seen::default();
        let mut text = String::with_capacity(16);
        text.push_str("alpha");
        let code_of = |tape: &Tape| tape.codes.first().copied();
        tape.write(&text, &mut table).unwrap();
        assert_eq!(
            (code_of(&tape), tape.text.as_str()),
            (Some(op::NEW_RECENT), "alpha")
        );
        assert_eq!(read(&tape, &mut seen), json!("alpha"));
        tape.write(&text, &mut table).unwrap();
        assert_eq!((code_of(&tape), tape.text.as_str()), (Some(op::RECENT), ""));
        assert_eq!(read(&tape, &mut seen), json!("alpha"));
        // Same buffer, so same address and slot, other text of the same length.
        text.clear();
        text.push_str("omega");
        tape.write(&text, &mut table).unwrap();
        assert_eq!(
            (code_of(&tape), tape.text.as_str()),
            (Some(op::NEW_RECENT), "omega")
        );
        assert_eq!(read(&tape, &mut seen), json!("omega"));
        // Empty and long strings are sent as text.
        tape.write("", &mut table).unwrap();
        assert_eq!(code_of(&tape), Some(op::STRING));
        let long = "x".repeat(MAX_RECENT_VALUE + 1);
        tape.write(long.as_str(), &mut table).unwrap();
        assert_eq!(code_of(&tape), Some(op::STRING));
        table.clear();
        tape.write(&text, &mut table).unwrap();
        assert_eq!(code_of(&tape), Some(op::NEW_RECENT));
    }

    #[test]
    fn keys_are_sent_once_then_referred_to_and_forgotten_on_clear() {
        #[derive(serde::Serialize)]
        struct Pair {
            left: u8,
            right: u8,
        }
        let pair = Pair { left: 7, right: 8 };
        let mut table = KeyTable::default();
        let mut tape = Tape::default();
        let mut seen = Seen::default();
        tape.write(&pair, &mut table).unwrap();
        assert_eq!(tape.text, "leftright");
        assert_eq!(read_counting(&tape, &mut seen).1, [0, 2, 0]);
        tape.write(&pair, &mut table).unwrap();
        assert_eq!(tape.text, "");
        assert_eq!(read_counting(&tape, &mut seen).1, [2, 0, 0]);
        table.clear();
        seen = Seen::default();
        tape.write(&pair, &mut table).unwrap();
        assert_eq!(tape.text, "leftright");
        assert_eq!(read_counting(&tape, &mut seen).1, [0, 2, 0]);
    }
}
