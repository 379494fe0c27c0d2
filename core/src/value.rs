//! The dynamic value every condition, factor and rule reads.
//!
//! One tree type for actions, manifests, parameters and decisions: JSON's data model with the
//! int/double split CEL makes (JSON integers are `Int`, every other number is `Double`).
//! Containers sit behind `Arc`, so cloning a value never copies a tree.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A shared, immutable string.
pub type Str = Arc<str>;

/// The entries of a map value, ordered by key.
pub type Map = BTreeMap<Str, Value>;

/// A JSON-shaped value with CEL's numeric split.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Value {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A signed 64-bit integer.
    Int(i64),
    /// A 64-bit float.
    Double(f64),
    /// A UTF-8 string.
    String(Str),
    /// An ordered list.
    List(Arc<Vec<Value>>),
    /// A map with string keys.
    Map(Arc<Map>),
}

impl Value {
    /// The value's type as CEL names it (`null_type`, `bool`, `int`, `double`, `string`,
    /// `list`, `map`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null_type",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Double(_) => "double",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
        }
    }

    /// Builds a string value.
    pub fn string(s: impl AsRef<str>) -> Value {
        Value::String(Arc::from(s.as_ref()))
    }

    /// Builds a list value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Arc::new(items))
    }

    /// Builds a map value from `(key, value)` pairs; a later duplicate key wins.
    pub fn map<K: AsRef<str>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(Arc::new(
            entries
                .into_iter()
                .map(|(k, v)| (Arc::from(k.as_ref()), v))
                .collect(),
        ))
    }

    /// The field `key` of a map value, if this is a map holding it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(m) => m.get(key),
            _ => None,
        }
    }

    /// Follows a dotted path of map keys (`spec.metrics.accuracy`).
    pub fn get_path(&self, dotted: &str) -> Option<&Value> {
        dotted.split('.').try_fold(self, |v, key| v.get(key))
    }

    /// The string inside a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean inside a bool value.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// An int or a double as `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Double(d) => Some(*d),
            _ => None,
        }
    }

    /// The items of a list value.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l.as_slice()),
            _ => None,
        }
    }

    /// The entries of a map value.
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Sets the value at a path of map keys, creating maps along the way; containers are
    /// copied on write, so other holders of the old tree are unaffected. Returns false when
    /// a non-map value sits on the path.
    pub fn set_path(&mut self, path: &[Str], new: Value) -> bool {
        let Some((first, rest)) = path.split_first() else {
            *self = new;
            return true;
        };
        if matches!(self, Value::Null) {
            *self = Value::Map(Arc::new(Map::new()));
        }
        match self {
            Value::Map(m) => {
                let child = Arc::make_mut(m).entry(first.clone()).or_insert(Value::Null);
                child.set_path(rest, new)
            }
            _ => false,
        }
    }

    /// Converts from `serde_json`'s tree.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::string(s),
            serde_json::Value::Array(items) => {
                Value::list(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => {
                // By insertion rather than `collect`: collecting into a `BTreeMap` sorts, and
                // each element type compiles its own copy of the sort (wasm size).
                let mut out = Map::new();
                for (k, v) in map {
                    out.insert(Arc::from(k.as_str()), Value::from_json(v));
                }
                Value::Map(Arc::new(out))
            }
        }
    }

    /// Serializable data as the value its JSON is: written as JSON text by `serde_json` and
    /// read back by [`crate::json_text`]. The value `from_json(&serde_json::to_value(data)?)`
    /// gives (integers that fit `i64` as `Int`, other numbers as `Double`, non-finite ones as
    /// `null`), through the JSON writer every decision already uses rather than a second,
    /// tree-building serializer of every type (wasm size). Nesting deeper than `max_depth` is
    /// an error.
    pub(crate) fn of_serialized<T: Serialize + ?Sized>(
        data: &T,
        max_depth: usize,
    ) -> Result<Value, String> {
        let text = serde_json::to_vec(data).map_err(|e| e.to_string())?;
        let text = std::str::from_utf8(&text).map_err(|e| e.to_string())?;
        crate::json_text::parse_value(text, max_depth).map_err(|e| e.to_string())
    }

    /// Converts to `serde_json`'s tree (a non-finite double becomes `null`).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Double(d) => serde_json::Number::from_f64(*d)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Map(m) => serde_json::Value::Object(
                m.iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}
impl From<f64> for Value {
    fn from(d: f64) -> Value {
        Value::Double(d)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::string(s)
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(Arc::from(s))
    }
}

/// Shows a value the way messages interpolate it: strings bare, numbers in their shortest
/// exact form, containers as compact JSON.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Double(d) => write!(f, "{d}"),
            Value::String(s) => f.write_str(s),
            // Compact JSON, as `serde_json` writes it (this value's `Serialize` maps it as
            // `to_json` does), without building `serde_json`'s tree.
            Value::List(_) | Value::Map(_) => {
                let text = serde_json::to_vec(self).map_err(|_| fmt::Error)?;
                f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
            }
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            Value::Double(d) if d.is_finite() => serializer.serialize_f64(*d),
            Value::Double(_) => serializer.serialize_unit(),
            Value::String(s) => serializer.serialize_str(s),
            Value::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items.iter() {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Map(m) => {
                let mut map = serializer.serialize_map(Some(m.len()))?;
                for (k, v) in m.iter() {
                    map.serialize_entry(&**k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(i64::try_from(u).map_or(Value::Double(u as f64), Value::Int))
    }
    fn visit_f64<E>(self, d: f64) -> Result<Value, E> {
        Ok(Value::Double(d))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::string(s))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::from(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element::<Value>()? {
            items.push(item);
        }
        Ok(Value::list(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value::<Value>()?;
            if map.insert(Arc::from(key.as_str()), value).is_some() {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
        }
        Ok(Value::Map(Arc::new(map)))
    }
}

/// Why typed data could not be read from a [`Value`], and where: the path from the root to the
/// offending node, built as the error travels back up (so a successful read pays nothing).
#[derive(Clone, Debug, PartialEq)]
pub struct DeError {
    /// What is wrong, worded as `serde_json` words it.
    pub message: String,
    /// Where, from the root (`rules`, `2`, `when`).
    pub path: Vec<crate::source::PathSeg>,
}

// The error paths below are out of line and cold: the deserializer is instantiated once per
// type of the policy document it reads, and each of those instantiations had its own inlined
// copy of them (a `Vec::insert`, an `Arc` clone, a message) at every field; out of line, the
// npm package's wasm is 24 KB smaller (raw).
impl DeError {
    #[inline(never)]
    #[cold]
    fn at(mut self, step: crate::source::PathSeg) -> DeError {
        self.path.insert(0, step);
        self
    }

    /// This error, from inside the member `key`.
    #[inline(never)]
    #[cold]
    fn at_key(self, key: &Str) -> DeError {
        self.at(crate::source::PathSeg::Key(key.clone()))
    }

    /// This error, from inside the list item `index`.
    #[inline(never)]
    #[cold]
    fn at_index(self, index: usize) -> DeError {
        self.at(crate::source::PathSeg::Index(index))
    }

    /// serde_json's error for a list or map with items left over.
    #[inline(never)]
    #[cold]
    fn left_over(len: usize, expected: &'static str) -> DeError {
        de::Error::invalid_length(len, &expected)
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> DeError {
        DeError {
            message: msg.to_string(),
            path: Vec::new(),
        }
    }

    // Worded for policy authors rather than in serde's terms: "expected a list, found a
    // mapping", not "invalid type: map, expected a sequence".
    fn invalid_type(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> DeError {
        de::Error::custom(format_args!(
            "expected {}, found {}",
            author_expected(&expected.to_string()),
            author_found(&unexpected)
        ))
    }

    fn invalid_value(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> DeError {
        de::Error::custom(format_args!(
            "expected {}, found {}",
            author_expected(&expected.to_string()),
            author_found(&unexpected)
        ))
    }
}

/// What was found, in a policy author's words (YAML/JSON, not Rust).
fn author_found(unexpected: &de::Unexpected<'_>) -> String {
    use de::Unexpected as U;
    match unexpected {
        U::Unit | U::Option => "null".to_owned(),
        U::Bool(b) => format!("`{b}`"),
        U::Signed(i) => format!("the number {i}"),
        U::Unsigned(u) => format!("the number {u}"),
        U::Float(f) => format!("the number {f}"),
        U::Str(s) => {
            let shown: String = s.chars().take(60).collect();
            let more = if s.chars().count() > 60 { "…" } else { "" };
            format!("the string {:?}", format!("{shown}{more}"))
        }
        U::Char(c) => format!("the string {:?}", c.to_string()),
        U::Seq => "a list".to_owned(),
        U::Map => "a mapping".to_owned(),
        other => other.to_string(),
    }
}

/// What was expected, in a policy author's words: serde says `struct ApprovalSpec`, `a
/// sequence`, `f64`.
fn author_expected(expected: &str) -> String {
    match expected {
        "a sequence" => "a list".to_owned(),
        "a map" | "map" => "a mapping".to_owned(),
        "f64" | "f32" => "a number".to_owned(),
        "u8" => "a whole number from 0 to 255".to_owned(),
        "u16" => "a whole number from 0 to 65535".to_owned(),
        "u32" => "a whole number from 0 to 4294967295".to_owned(),
        "u64" | "usize" => "a whole number of 0 or more".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".to_owned(),
        "a borrowed string" => "a string".to_owned(),
        e if e.starts_with("struct ") || e.starts_with("a map of") => "a mapping".to_owned(),
        e => e.to_owned(),
    }
}

/// Reads typed data straight out of a value, as `serde_json::from_value(value.to_json())`
/// would, without building the `serde_json` tree: the same visitor calls (a non-negative
/// `Int` is visited as `u64`, a non-finite `Double` as `null`, as `to_json` turns it into)
/// and the same messages as `serde_json::Error`, with the path to the error in [`DeError`].
///
/// One deliberate difference: a struct is read from a mapping only. `serde_json` also takes
/// a sequence of the fields in declaration order, which no policy author means (and which
/// would make a document's meaning depend on the order its type declares fields in); here it
/// is an "expected a mapping" error. It also keeps every derived struct reader from compiling
/// a second, positional reader: in the wasm build those were about 17 KB gzipped.
///
/// The element and entry readers are kept out of line (`#[inline(never)]`): otherwise every
/// nested type's reader is inlined into its parent's, and the whole policy document becomes
/// one function of some 77 KB that V8 must compile in one piece on the first `fromYaml`.
impl<'de> Deserializer<'de> for &'de Value {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => match u64::try_from(*i) {
                Ok(u) => visitor.visit_u64(u),
                Err(_) => visitor.visit_i64(*i),
            },
            Value::Double(d) if d.is_finite() => visitor.visit_f64(*d),
            Value::Double(_) => visitor.visit_unit(),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::List(items) => visit_list(items, visitor),
            Value::Map(m) => visit_entries(m, visitor),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_number(visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_number(visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_number(visitor)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_number(visitor)
    }
    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_number(visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_number(visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_number(visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_number(visitor)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_number(visitor)
    }
    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_number(visitor)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_number(visitor)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_number(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        if self.is_json_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self {
            Value::String(variant) => visitor.visit_enum(ValueEnum {
                variant,
                value: None,
            }),
            Value::Map(m) => {
                let mut entries = m.iter();
                match (entries.next(), entries.next()) {
                    (Some((variant, value)), None) => visitor.visit_enum(ValueEnum {
                        variant,
                        value: Some(value),
                    }),
                    _ => Err(de::Error::invalid_value(
                        de::Unexpected::Map,
                        &"map with a single key",
                    )),
                }
            }
            other => Err(de::Error::invalid_type(
                other.unexpected(),
                &"string or map",
            )),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Value::Bool(b) => visitor.visit_bool(*b),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Value::String(s) => visitor.visit_borrowed_str(s),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::List(items) => visit_list(items, visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        if self.is_json_null() {
            visitor.visit_unit()
        } else {
            Err(self.invalid_type(&visitor))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Value::List(items) => visit_list(items, visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self {
            Value::Map(m) => visit_entries(m, visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        match self {
            Value::Map(m) => visit_entries(m, visitor),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_unit()
    }
}

impl<'de> de::IntoDeserializer<'de, DeError> for &'de Value {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl Value {
    /// Whether `to_json` gives `null` for this value.
    fn is_json_null(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Double(d) => !d.is_finite(),
            _ => false,
        }
    }

    /// What `serde_json` reports finding when this value has the wrong type.
    fn unexpected(&self) -> de::Unexpected<'_> {
        match self {
            Value::Null => de::Unexpected::Unit,
            Value::Bool(b) => de::Unexpected::Bool(*b),
            Value::Int(i) => match u64::try_from(*i) {
                Ok(u) => de::Unexpected::Unsigned(u),
                Err(_) => de::Unexpected::Signed(*i),
            },
            Value::Double(d) if d.is_finite() => de::Unexpected::Float(*d),
            Value::Double(_) => de::Unexpected::Unit,
            Value::String(s) => de::Unexpected::Str(s),
            Value::List(_) => de::Unexpected::Seq,
            Value::Map(_) => de::Unexpected::Map,
        }
    }

    #[inline(never)]
    #[cold]
    fn invalid_type(&self, expected: &dyn de::Expected) -> DeError {
        de::Error::invalid_type(self.unexpected(), expected)
    }

    fn deserialize_number<'de, V: Visitor<'de>>(
        &'de self,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self {
            Value::Int(_) | Value::Double(_) if !self.is_json_null() => {
                self.deserialize_any(visitor)
            }
            _ => Err(self.invalid_type(&visitor)),
        }
    }
}

fn visit_list<'de, V: Visitor<'de>>(items: &'de [Value], visitor: V) -> Result<V::Value, DeError> {
    let mut access = ListAccess {
        items: items.iter(),
        index: 0,
    };
    let out = visitor.visit_seq(&mut access)?;
    if access.items.len() == 0 {
        Ok(out)
    } else {
        Err(DeError::left_over(items.len(), "fewer elements in array"))
    }
}

fn visit_entries<'de, V: Visitor<'de>>(map: &'de Map, visitor: V) -> Result<V::Value, DeError> {
    let mut access = EntryAccess {
        entries: map.iter(),
        value: None,
    };
    let out = visitor.visit_map(&mut access)?;
    if access.entries.len() == 0 {
        Ok(out)
    } else {
        Err(DeError::left_over(map.len(), "fewer elements in map"))
    }
}

#[inline(never)]
#[cold]
fn value_missing() -> DeError {
    de::Error::custom("value is missing")
}

struct ListAccess<'de> {
    items: std::slice::Iter<'de, Value>,
    index: usize,
}

impl<'de> SeqAccess<'de> for ListAccess<'de> {
    type Error = DeError;

    #[inline(never)]
    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        let index = self.index;
        self.index += 1;
        self.items
            .next()
            .map(|item| seed.deserialize(item).map_err(|e| e.at_index(index)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct EntryAccess<'de> {
    entries: std::collections::btree_map::Iter<'de, Str, Value>,
    value: Option<(&'de Str, &'de Value)>,
}

impl<'de> MapAccess<'de> for EntryAccess<'de> {
    type Error = DeError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some((key, value));
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
            .map(Some)
            .map_err(|e: DeError| e.at_key(key))
    }

    #[inline(never)]
    fn next_value_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, Self::Error> {
        match self.value.take() {
            Some((key, value)) => seed.deserialize(value).map_err(|e| e.at_key(key)),
            None => Err(value_missing()),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An enum written as a string (a unit variant) or a map with one key.
struct ValueEnum<'de> {
    variant: &'de str,
    value: Option<&'de Value>,
}

impl<'de> de::EnumAccess<'de> for ValueEnum<'de> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<T: de::DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self), Self::Error> {
        let name = seed.deserialize(de::value::BorrowedStrDeserializer::new(self.variant))?;
        Ok((name, self))
    }
}

impl<'de> de::VariantAccess<'de> for ValueEnum<'de> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), Self::Error> {
        let at = self.step();
        match self.value {
            Some(value) => <() as Deserialize>::deserialize(value).map_err(at),
            None => Ok(()),
        }
    }

    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, Self::Error> {
        let at = self.step();
        match self.value {
            Some(value) => seed.deserialize(value),
            None => Err(de::Error::invalid_type(
                de::Unexpected::UnitVariant,
                &"newtype variant",
            )),
        }
        .map_err(at)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let at = self.step();
        match self.value {
            Some(Value::List(items)) if items.is_empty() => visitor.visit_unit(),
            Some(Value::List(items)) => visit_list(items, visitor),
            Some(other) => Err(de::Error::invalid_type(
                other.unexpected(),
                &"tuple variant",
            )),
            None => Err(de::Error::invalid_type(
                de::Unexpected::UnitVariant,
                &"tuple variant",
            )),
        }
        .map_err(at)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let at = self.step();
        match self.value {
            Some(Value::Map(m)) => visit_entries(m, visitor),
            Some(other) => Err(de::Error::invalid_type(
                other.unexpected(),
                &"struct variant",
            )),
            None => Err(de::Error::invalid_type(
                de::Unexpected::UnitVariant,
                &"struct variant",
            )),
        }
        .map_err(at)
    }
}

impl<'de> ValueEnum<'de> {
    /// Puts the variant on the path of an error from inside it (as serde_path_to_error does).
    fn step(&self) -> impl FnOnce(DeError) -> DeError + use<'de> {
        let variant: &'de str = self.variant;
        move |e| e.at(crate::source::PathSeg::Key(Str::from(variant)))
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Value {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Value".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "description": "any JSON value" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_keeps_int_double_split() {
        let v: Value =
            serde_json::from_str(r#"{"a": 1, "b": 1.0, "c": [true, null, "x"]}"#).unwrap();
        assert_eq!(v.get("a"), Some(&Value::Int(1)));
        assert_eq!(v.get("b"), Some(&Value::Double(1.0)));
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"a":1,"b":1.0,"c":[true,null,"x"]}"#
        );
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let err = serde_json::from_str::<Value>(r#"{"a": 1, "a": 2}"#).unwrap_err();
        assert!(err.to_string().contains("duplicate key `a`"), "{err}");
    }

    #[test]
    fn set_path_copies_on_write() {
        let original: Value = serde_json::from_str(r#"{"args": {"mode": "live"}}"#).unwrap();
        let mut patched = original.clone();
        assert!(patched.set_path(&["args".into(), "mode".into()], Value::from("paper")));
        assert_eq!(patched.get_path("args.mode"), Some(&Value::from("paper")));
        assert_eq!(original.get_path("args.mode"), Some(&Value::from("live")));
        assert!(!patched.set_path(&["args".into(), "mode".into(), "x".into()], Value::Null));
    }

    #[test]
    fn dotted_paths_follow_maps() {
        let v: Value =
            serde_json::from_str(r#"{"spec": {"metrics": {"accuracy": 0.78}}}"#).unwrap();
        assert_eq!(
            v.get_path("spec.metrics.accuracy"),
            Some(&Value::Double(0.78))
        );
        assert_eq!(v.get_path("spec.fairness"), None);
    }

    /// Containers display as `serde_json` displays their `to_json` tree, without building it.
    #[test]
    fn containers_display_as_serde_json_does() {
        let nested = Value::map([
            ("z", Value::Int(-3)),
            (
                "a",
                Value::list(vec![Value::Double(-0.0), Value::Double(1e21)]),
            ),
            ("é", Value::Double(f64::NAN)),
            ("q", Value::string("say \"hi\"\n\u{1}")),
            (
                "m",
                Value::map([("k", Value::Null), ("b", Value::Bool(true))]),
            ),
            ("f", Value::Double(2.5)),
            ("i", Value::Double(3.0)),
        ]);
        for v in [
            nested.clone(),
            Value::list(vec![nested, Value::list(vec![]), Value::map::<&str>([])]),
        ] {
            assert_eq!(v.to_string(), v.to_json().to_string());
        }
        assert_eq!(Value::list(vec![Value::Int(1)]).to_string(), "[1]");
    }

    /// Reading typed data straight from a value behaves as going through `to_json` does:
    /// same results, same error messages.
    #[test]
    fn deserializer_matches_serde_json() {
        use std::collections::BTreeMap;

        #[derive(Debug, PartialEq, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct S {
            a: u32,
            #[serde(default)]
            b: Option<f64>,
            #[serde(default)]
            c: Vec<String>,
            #[serde(default)]
            d: BTreeMap<String, Value>,
            #[serde(default)]
            e: Option<E>,
            #[serde(default)]
            f: Option<U>,
            #[serde(default)]
            g: Option<i8>,
        }
        #[derive(Debug, PartialEq, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum E {
            Unit,
            New(u8),
            Pair(u8, u8),
            Fields { x: bool },
        }
        #[derive(Debug, PartialEq, serde::Deserialize)]
        #[serde(untagged)]
        enum U {
            Num(f64),
            Range { min: Option<f64> },
        }

        fn both(json: &str) -> (Result<S, String>, Result<S, String>) {
            let v: Value = serde_json::from_str(json).unwrap();
            // Our own path tracking against serde_path_to_error over serde_json's tree.
            let direct = S::deserialize(&v)
                .map_err(|e| format!("{} | {}", crate::source::format_path(&e.path), e.message));
            let via_json = serde_path_to_error::deserialize::<_, S>(v.to_json())
                .map_err(|e| format!("{} | {}", e.path(), e.inner()));
            (direct, via_json)
        }
        for json in [
            r#"{"a": 1}"#,
            r#"{"a": 1, "b": 2, "c": ["x"], "d": {"k": [1, -2, 0.5, null]}}"#,
            r#"{"a": -1}"#,
            r#"{"a": 1.5}"#,
            r#"{"a": "1"}"#,
            r#"{"a": null}"#,
            r#"{"a": 1, "b": "x"}"#,
            r#"{"a": 1, "c": [1]}"#,
            r#"{"a": 1, "c": "x"}"#,
            r#"{"a": 1, "zz": 1}"#,
            r#"{}"#,
            r#"[1]"#,
            r#"[1, null, [], {}, null, null, null, 9]"#,
            r#""x""#,
            r#"{"a": 1, "e": "unit"}"#,
            r#"{"a": 1, "e": "new"}"#,
            r#"{"a": 1, "e": {"new": 3}}"#,
            r#"{"a": 1, "e": {"new": 300}}"#,
            r#"{"a": 1, "e": {"pair": [1, 2]}}"#,
            r#"{"a": 1, "e": {"pair": [1]}}"#,
            r#"{"a": 1, "e": {"pair": [1, 2, 3]}}"#,
            r#"{"a": 1, "e": {"fields": {"x": true}}}"#,
            r#"{"a": 1, "e": {"fields": 1}}"#,
            r#"{"a": 1, "e": {"unit": null}}"#,
            r#"{"a": 1, "e": {"unit": 1}}"#,
            r#"{"a": 1, "e": {"other": 1}}"#,
            r#"{"a": 1, "e": {}}"#,
            r#"{"a": 1, "e": {"new": 1, "unit": null}}"#,
            r#"{"a": 1, "e": 3}"#,
            r#"{"a": 1, "f": 3}"#,
            r#"{"a": 1, "f": {"min": 1}}"#,
            r#"{"a": 1, "f": "x"}"#,
            r#"{"a": 1, "g": 200}"#,
            r#"{"a": 1, "g": -200}"#,
        ] {
            let (direct, via_json) = both(json);
            // The one difference: a struct is read from a mapping only (see the impl's doc).
            if json.starts_with('[') {
                assert_eq!(
                    direct.map(|_| ()),
                    Err(". | expected a mapping, found a list".to_owned()),
                    "{json}"
                );
                continue;
            }
            match (&direct, &via_json) {
                // Type and value errors are reworded for authors; same place, same kind.
                (Err(ours), Err(theirs))
                    if theirs.contains("| invalid type: ")
                        || theirs.contains("| invalid value: ") =>
                {
                    let (our_path, our_msg) = ours.split_once(" | ").unwrap();
                    let (their_path, _) = theirs.split_once(" | ").unwrap();
                    assert_eq!(our_path, their_path, "{json}");
                    assert!(
                        our_msg.starts_with("expected ") && our_msg.contains(", found "),
                        "{json}: {ours}"
                    );
                }
                _ => assert_eq!(direct, via_json, "{json}"),
            }
        }
        // The wording itself.
        for (json, message) in [
            (
                r#"{"a": -1}"#,
                "a | expected a whole number from 0 to 4294967295, found the number -1",
            ),
            (
                r#"{"a": "1"}"#,
                "a | expected a whole number from 0 to 4294967295, found the string \"1\"",
            ),
            (
                r#"{"a": 1, "c": "x"}"#,
                "c | expected a list, found the string \"x\"",
            ),
            (r#""x""#, ". | expected a mapping, found the string \"x\""),
        ] {
            assert_eq!(both(json).0.map(|_| ()), Err(message.to_owned()), "{json}");
        }
        // Non-finite doubles read as null, as `to_json` makes them.
        for v in [
            Value::map([("a", Value::Int(1)), ("b", Value::Double(f64::NAN))]),
            Value::map([("a", Value::Double(f64::INFINITY))]),
            Value::map([
                ("a", Value::Int(1)),
                ("d", Value::map([("x", Value::Double(f64::NAN))])),
            ]),
        ] {
            let direct = S::deserialize(&v)
                .map_err(|e| format!("{} | {}", crate::source::format_path(&e.path), e.message));
            let via_json = serde_path_to_error::deserialize::<_, S>(v.to_json())
                .map_err(|e| format!("{} | {}", e.path(), e.inner()));
            match (&direct, &via_json) {
                (Err(ours), Err(theirs)) if theirs.contains("| invalid type: null") => {
                    assert_eq!(
                        ours.split_once(" | ").map(|p| p.0),
                        theirs.split_once(" | ").map(|p| p.0)
                    );
                    assert!(ours.ends_with(", found null"), "{ours}");
                }
                _ => assert_eq!(direct, via_json, "{v:?}"),
            }
        }
    }
}
