//! A document the YAML fast path has read, as one vector of nodes in document order (each
//! container before its children), with strings borrowed from the text where they are
//! written as they read.
//!
//! Two things are made from it:
//! - the [`Document`] every caller of [`crate::source::parse`] gets (a [`Value`] tree and its
//!   [`SpanIndex`](crate::source::SpanIndex)), by [`to_document`];
//! - typed data read straight from the nodes by serde ([`NodeRef`] is a `Deserializer`),
//!   for the policy loader's hot path: no `Value` tree, no span index, no copy of the text,
//!   so next to nothing to free afterwards. It reports only *that* the data does not fit
//!   ([`Rejected`]): the caller then reads the text the slow way, which says what and where.
//!   It gives what reading the `Value` would: the same visitor calls for the same nodes.

use std::fmt;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, Visitor};

use crate::source::Document;
use crate::source::scalar::ScalarKind;
use crate::source::span::{ScalarSpan, SourceText, SpanBuilder, SpanNode};
use crate::source::str_cache::StrCache;
use crate::value::{Map, Str, Value};

/// One node: a scalar, or a container whose children follow it. Plain data (nothing to drop),
/// so a read's nodes cost nothing to clear.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node<'a> {
    /// The key, when the node is a mapping's value.
    pub(crate) key: Option<Text<'a>>,
    /// Where the key is written (byte offset), when there is one.
    pub(crate) key_at: usize,
    /// Where the value starts, as the span index reports it.
    pub(crate) start: usize,
    /// The index just past this node's subtree.
    pub(crate) end: usize,
    pub(crate) kind: Kind<'a>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind<'a> {
    /// `null`, a boolean or a number (never a string or a collection).
    Scalar(Scalar),
    /// A string, how it was written and where its text ends.
    Str {
        text: Text<'a>,
        style: ScalarKind,
        end: usize,
    },
    /// A mapping of `len` entries (distinct keys, in the order written).
    Map { len: usize },
    /// A sequence of `len` items.
    List { len: usize },
}

/// A string of the document: borrowed from the text where it is written as it reads, else
/// decoded into the document's owned strings ([`Doc::owned`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Text<'a> {
    Borrowed(&'a str),
    Owned(usize),
}

/// A non-string scalar, as the core schema resolved it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Double(f64),
}

impl Scalar {
    /// The scalar a resolved plain scalar is, if it is not a string (or a collection).
    pub(crate) fn of(value: &Value) -> Option<Scalar> {
        match value {
            Value::Null => Some(Scalar::Null),
            Value::Bool(b) => Some(Scalar::Bool(*b)),
            Value::Int(i) => Some(Scalar::Int(*i)),
            Value::Double(d) => Some(Scalar::Double(*d)),
            Value::String(_) | Value::List(_) | Value::Map(_) => None,
        }
    }

    fn value(self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int(i) => Value::Int(i),
            Scalar::Double(d) => Value::Double(d),
        }
    }
}

impl Node<'_> {
    fn is_json_null(&self) -> bool {
        match self.kind {
            Kind::Scalar(Scalar::Null) => true,
            Kind::Scalar(Scalar::Double(d)) => !d.is_finite(),
            _ => false,
        }
    }
}

/// A read document: its nodes (the root first) and the strings decoded from its text.
#[derive(Clone, Copy)]
pub(crate) struct Doc<'a> {
    pub(crate) nodes: &'a [Node<'a>],
    pub(crate) owned: &'a [String],
}

impl<'a> Doc<'a> {
    /// A string's text.
    pub(crate) fn text(self, text: Text<'a>) -> Option<&'a str> {
        match text {
            Text::Borrowed(s) => Some(s),
            Text::Owned(i) => self.owned.get(i).map(String::as_str),
        }
    }

    /// The key of the node at `at`, if it has one.
    fn key(self, at: usize) -> Option<&'a str> {
        self.text(self.nodes.get(at)?.key?)
    }
}

/// Builds the value tree and the span index of the document whose root is `nodes[0]`.
pub(crate) fn to_document(doc: Doc<'_>, source: &Arc<SourceText>) -> Option<Document> {
    let mut tree = TreeBuilder {
        doc,
        nodes: doc.nodes,
        spans: SpanBuilder::with_capacity(doc.nodes.len()),
        keys: StrCache::new(true),
        values: StrCache::new(false),
        kids: Vec::with_capacity(64),
        items: Vec::with_capacity(64),
    };
    let (value, root) = tree.build(0)?;
    Some(Document {
        value,
        spans: tree.spans.finish(root, source.clone()),
    })
}

struct TreeBuilder<'n, 'a> {
    doc: Doc<'n>,
    nodes: &'n [Node<'a>],
    spans: SpanBuilder,
    /// Mapping keys already allocated.
    keys: StrCache<'n>,
    /// String values already allocated.
    values: StrCache<'n>,
    /// The finished children of every open container, innermost container's last.
    kids: Vec<(Option<Str>, SpanNode)>,
    /// The finished items of every open list, innermost list's last (each list is then
    /// allocated once, at its size).
    items: Vec<Value>,
}

impl<'n> TreeBuilder<'n, '_> {
    fn build(&mut self, at: usize) -> Option<(Value, SpanNode)> {
        let node = self.nodes.get(at)?;
        let built = match &node.kind {
            Kind::Scalar(v) => (v.value(), self.spans.leaf(node.start, None)),
            Kind::Str { text, style, end } => {
                let s = match *text {
                    Text::Borrowed(s) => self.values.get(s),
                    Text::Owned(_) => Str::from(self.doc.text(*text)?),
                };
                let span = ScalarSpan {
                    kind: *style,
                    start: node.start,
                    end: *end,
                    value: s.clone(),
                };
                (Value::String(s), self.spans.leaf(node.start, Some(span)))
            }
            Kind::Map { .. } => {
                let first = self.kids.len();
                let mut map = Map::new();
                for child in Children::of(self.doc, at) {
                    let node = self.nodes.get(child)?;
                    let key = match node.key? {
                        Text::Borrowed(k) => self.keys.get(k),
                        text @ Text::Owned(_) => Str::from(self.doc.text(text)?),
                    };
                    let (value, span) = self.build(child)?;
                    map.insert(key.clone(), value);
                    self.kids.push((Some(key), span.with_key(node.key_at)));
                }
                let kids = self.kids.drain(first..);
                let span = self
                    .spans
                    .map(node.start, kids.filter_map(|(k, node)| Some((k?, node))));
                (Value::Map(Arc::new(map)), span)
            }
            Kind::List { .. } => {
                let first = self.kids.len();
                let first_item = self.items.len();
                for child in Children::of(self.doc, at) {
                    let (value, span) = self.build(child)?;
                    self.items.push(value);
                    self.kids.push((None, span));
                }
                let items: Vec<Value> = self.items.drain(first_item..).collect();
                let kids = self.kids.drain(first..);
                let span = self.spans.list(node.start, kids.map(|(_, node)| node));
                (Value::List(Arc::new(items)), span)
            }
        };
        Some(built)
    }
}

/// Whether two children of the mapping at `at` have the same key.
pub(crate) fn has_duplicate_keys(doc: Doc<'_>, at: usize) -> bool {
    let keys = || Children::of(doc, at).filter_map(|c| doc.key(c));
    // Most mappings are small: each key is compared with the ones before it, kept on the
    // stack; a larger mapping sorts a copy of its keys.
    let mut seen: [&str; 12] = [""; 12];
    for (count, key) in keys().enumerate() {
        if count == seen.len() {
            let mut all: Vec<&str> = keys().collect();
            crate::sorting::sort_by(&mut all, |a, b| a.cmp(b));
            return all.windows(2).any(|w| w.first() == w.get(1));
        }
        if seen
            .get(..count)
            .is_some_and(|before| before.contains(&key))
        {
            return true;
        }
        if let Some(slot) = seen.get_mut(count) {
            *slot = key;
        }
    }
    false
}

/// The data does not fit the type read: the caller reads the text the slow way for the
/// located message.
#[derive(Debug)]
pub(crate) struct Rejected;

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the document does not fit")
    }
}

impl std::error::Error for Rejected {}

impl de::Error for Rejected {
    fn custom<T: fmt::Display>(_: T) -> Rejected {
        Rejected
    }
}

/// A node to read typed data from, as `&Value` reads it (see `value.rs`).
#[derive(Clone, Copy)]
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) struct NodeRef<'de> {
    doc: Doc<'de>,
    at: usize,
}

impl<'de> NodeRef<'de> {
    /// The document's root.
    pub(crate) fn root(doc: Doc<'de>) -> NodeRef<'de> {
        NodeRef { doc, at: 0 }
    }

    fn node(self) -> Result<&'de Node<'de>, Rejected> {
        self.doc.nodes.get(self.at).ok_or(Rejected)
    }

    fn text(self, text: Text<'de>) -> Result<&'de str, Rejected> {
        self.doc.text(text).ok_or(Rejected)
    }

    fn children(self) -> Children<'de> {
        Children::of(self.doc, self.at)
    }

    fn visit_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Rejected> {
        let mut access = self.children();
        let out = visitor.visit_map(&mut access)?;
        if access.next < access.end {
            return Err(Rejected);
        }
        Ok(out)
    }

    fn visit_list<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Rejected> {
        let mut access = self.children();
        let out = visitor.visit_seq(&mut access)?;
        if access.next < access.end {
            return Err(Rejected);
        }
        Ok(out)
    }

    /// A number (an int or a finite double) read as `&Value` reads it.
    fn number<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Rejected> {
        let node = self.node()?;
        match node.kind {
            Kind::Scalar(v @ (Scalar::Int(_) | Scalar::Double(_))) if !node.is_json_null() => {
                visit_scalar(v, visitor)
            }
            _ => Err(Rejected),
        }
    }
}

/// A non-string scalar visited as `&Value`'s `deserialize_any` visits it (a non-negative int
/// as `u64`, a non-finite double as unit).
fn visit_scalar<'de, V: Visitor<'de>>(scalar: Scalar, visitor: V) -> Result<V::Value, Rejected> {
    match scalar {
        Scalar::Null => visitor.visit_unit(),
        Scalar::Bool(b) => visitor.visit_bool(b),
        Scalar::Int(i) => match u64::try_from(i) {
            Ok(u) => visitor.visit_u64(u),
            Err(_) => visitor.visit_i64(i),
        },
        Scalar::Double(d) if d.is_finite() => visitor.visit_f64(d),
        Scalar::Double(_) => visitor.visit_unit(),
    }
}

/// Methods that read only a number, as `&Value` does.
macro_rules! number_only {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Rejected> {
            self.number(visitor)
        }
    )*};
}

impl<'de> Deserializer<'de> for NodeRef<'de> {
    type Error = Rejected;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Rejected> {
        match self.node()?.kind {
            Kind::Scalar(v) => visit_scalar(v, visitor),
            Kind::Str { text, .. } => visitor.visit_borrowed_str(self.text(text)?),
            Kind::Map { .. } => self.visit_map(visitor),
            Kind::List { .. } => self.visit_list(visitor),
        }
    }

    number_only! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Rejected> {
        match self.node()?.kind {
            Kind::Scalar(Scalar::Bool(b)) => visitor.visit_bool(b),
            _ => Err(Rejected),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Rejected> {
        if self.node()?.is_json_null() {
            visitor.visit_unit()
        } else {
            Err(Rejected)
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Rejected> {
        if self.node()?.is_json_null() {
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
    ) -> Result<V::Value, Rejected> {
        match self.node()?.kind {
            Kind::Str { text, .. } => visitor.visit_enum(EnumRef {
                variant: self.text(text)?,
                value: None,
            }),
            Kind::Map { len: 1 } => {
                let value = NodeRef {
                    doc: self.doc,
                    at: self.at + 1,
                };
                let variant = self.doc.key(value.at).ok_or(Rejected)?;
                visitor.visit_enum(EnumRef {
                    variant,
                    value: Some(value),
                })
            }
            _ => Err(Rejected),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Rejected> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Rejected> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Rejected> {
        match self.node()?.kind {
            Kind::Str { text, .. } => visitor.visit_borrowed_str(self.text(text)?),
            _ => Err(Rejected),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Rejected> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Rejected> {
        match self.node()?.kind {
            Kind::Str { text, .. } => visitor.visit_borrowed_str(self.text(text)?),
            Kind::List { .. } => self.visit_list(visitor),
            _ => Err(Rejected),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Rejected> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Rejected> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Rejected> {
        match self.node()?.kind {
            Kind::List { .. } => self.visit_list(visitor),
            _ => Err(Rejected),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Rejected> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Rejected> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Rejected> {
        match self.node()?.kind {
            Kind::Map { .. } => self.visit_map(visitor),
            _ => Err(Rejected),
        }
    }

    // Out of line: inlined into the reader of the list holding it (a policy's rules), the
    // struct's reader made B5 about 2% slower natively.
    #[inline(never)]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Rejected> {
        match self.node()?.kind {
            Kind::Map { .. } => self.visit_map(visitor),
            _ => Err(Rejected),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Rejected> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Rejected> {
        visitor.visit_unit()
    }
}

/// The indices of a container's children, in order; also serde's sequence and map access.
struct Children<'de> {
    doc: Doc<'de>,
    next: usize,
    end: usize,
    /// How many children are still to come.
    left: usize,
    /// The entry whose key was just read, for its value.
    value: Option<usize>,
}

impl<'de> Children<'de> {
    /// The children of the node at `at` (none for a scalar).
    fn of(doc: Doc<'de>, at: usize) -> Children<'de> {
        let (end, left) = match doc.nodes.get(at) {
            Some(Node {
                end,
                kind: Kind::Map { len } | Kind::List { len },
                ..
            }) => (*end, *len),
            _ => (at, 0),
        };
        Children {
            doc,
            next: at + 1,
            end,
            left,
            value: None,
        }
    }
}

impl Iterator for Children<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.next >= self.end {
            return None;
        }
        let child = self.next;
        self.next = self
            .doc
            .nodes
            .get(child)
            .map_or(self.end, |n| n.end.max(child + 1));
        self.left = self.left.saturating_sub(1);
        Some(child)
    }
}

impl<'de> de::SeqAccess<'de> for Children<'de> {
    type Error = Rejected;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Rejected> {
        match self.next() {
            Some(at) => seed.deserialize(NodeRef { doc: self.doc, at }).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de> de::MapAccess<'de> for Children<'de> {
    type Error = Rejected;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Rejected> {
        let Some(at) = self.next() else {
            return Ok(None);
        };
        self.value = Some(at);
        let key: &'de str = self.doc.key(at).ok_or(Rejected)?;
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Rejected> {
        let at = self.value.take().ok_or(Rejected)?;
        seed.deserialize(NodeRef { doc: self.doc, at })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// An enum written as a string (a unit variant) or a mapping with one key.
struct EnumRef<'de> {
    variant: &'de str,
    value: Option<NodeRef<'de>>,
}

impl<'de> de::EnumAccess<'de> for EnumRef<'de> {
    type Error = Rejected;
    type Variant = Self;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Self), Rejected> {
        let name = seed.deserialize(de::value::BorrowedStrDeserializer::new(self.variant))?;
        Ok((name, self))
    }
}

impl<'de> de::VariantAccess<'de> for EnumRef<'de> {
    type Error = Rejected;

    fn unit_variant(self) -> Result<(), Rejected> {
        match self.value {
            Some(value) => <() as serde::Deserialize>::deserialize(value),
            None => Ok(()),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Rejected> {
        seed.deserialize(self.value.ok_or(Rejected)?)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Rejected> {
        let value = self.value.ok_or(Rejected)?;
        match value.node()?.kind {
            Kind::List { len: 0 } => visitor.visit_unit(),
            Kind::List { .. } => value.visit_list(visitor),
            _ => Err(Rejected),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Rejected> {
        let value = self.value.ok_or(Rejected)?;
        match value.node()?.kind {
            Kind::Map { .. } => value.visit_map(visitor),
            _ => Err(Rejected),
        }
    }
}
