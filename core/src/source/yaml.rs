//! YAML loading: `saphyr-parser` events to [`Value`]s and [`SpanIndex`]es, by the YAML 1.2
//! core schema, with bounded alias expansion.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span, Tag};

use crate::diagnostic::{Diagnostic, Diagnostics, Location};
use crate::source::lines::to_u32;
use crate::source::scalar::{self, ScalarKind};
use crate::source::span::{Children, ScalarSpan, SourceText, SpanBody, SpanIndex, SpanNode};
use crate::source::{Document, MAX_DEPTH, MAX_ERRORS, MAX_NODES};
use crate::value::{Map, Str, Value};

/// A finished node.
#[derive(Clone)]
struct Built {
    value: Value,
    span: SpanNode,
    /// Nodes in this subtree (aliases counted as expanded).
    nodes: usize,
    /// Container levels in this subtree (a scalar has 0).
    height: usize,
    /// A plain `<<`: a merge key when it is a mapping key.
    merge_key: bool,
}

enum PendingKey {
    Key(Str, Location),
    Merge(Location),
    /// A key that was rejected (already reported): drop its value.
    Invalid,
}

struct MapFrame {
    map: Map,
    spans: BTreeMap<Str, SpanNode>,
    key: Option<PendingKey>,
    /// Entries brought in by `<<` merge keys; the first merge of a key wins.
    merged: BTreeMap<Str, (Value, SpanNode)>,
}

enum Container {
    Seq(Vec<Value>, Vec<SpanNode>),
    Map(MapFrame),
}

struct Frame {
    container: Container,
    anchor: usize,
    start: Location,
    nodes: usize,
    height: usize,
}

/// A problem that stops loading at once.
struct Fatal(Box<Diagnostic>);

struct Loader<'a> {
    file: &'a str,
    text: &'a str,
    source: &'a Arc<SourceText>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Built>,
    root: Option<Built>,
    docs: Vec<Document>,
    errors: Vec<Diagnostic>,
    total_nodes: usize,
}

/// Parses every document of a YAML stream.
pub(crate) fn parse(
    file: &str,
    text: &str,
    source: &Arc<SourceText>,
) -> Result<Vec<Document>, Diagnostics> {
    let mut loader = Loader {
        file,
        text,
        source,
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        docs: Vec::new(),
        errors: Vec::new(),
        total_nodes: 0,
    };
    for item in Parser::new_from_str(text) {
        let step = match item {
            Ok((event, span)) => loader.event(event, span),
            Err(e) => {
                let loc = clamp_to_text(marker_location(e.marker()), text);
                Err(Fatal(Box::new(
                    Diagnostic::new(file, format!("invalid yaml: {}", e.info())).at(loc, text),
                )))
            }
        };
        if let Err(Fatal(d)) = step {
            loader.errors.push(*d);
            return Err(Diagnostics(loader.errors));
        }
        if loader.errors.len() >= MAX_ERRORS {
            break;
        }
    }
    if loader.errors.is_empty() {
        Ok(loader.docs)
    } else {
        Err(Diagnostics(loader.errors))
    }
}

/// Moves a location past the last line of `text` (an error at the end of the file) to just
/// after the last line's text, so it has a source line to show.
fn clamp_to_text(loc: Location, text: &str) -> Location {
    let lines: Vec<&str> = text.lines().collect();
    let Some(last) = lines.iter().rposition(|l| !l.trim().is_empty()) else {
        return loc;
    };
    let past_end = loc.line as usize > lines.len()
        || (loc.line as usize > last + 1
            && lines.iter().skip(last + 1).all(|l| l.trim().is_empty()));
    if past_end {
        let text_line = lines.get(last).copied().unwrap_or("");
        Location {
            line: to_u32(last + 1),
            column: to_u32(text_line.chars().count() + 1),
        }
    } else {
        loc
    }
}

fn marker_location(m: &Marker) -> Location {
    Location {
        line: to_u32(m.line().max(1)),
        column: to_u32(m.col() + 1),
    }
}

/// The non-specific tag `!` (a plain string, for a scalar).
fn is_non_specific(tag: &Tag) -> bool {
    tag.handle.is_empty() && tag.suffix == "!" || tag.handle == "!" && tag.suffix.is_empty()
}

/// `!!str` for core-schema tags, the written form otherwise.
fn tag_name(tag: &Tag) -> String {
    if tag.is_yaml_core_schema() {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

impl Loader<'_> {
    fn error(&mut self, loc: Location, message: String, help: Option<&str>) {
        let mut d = Diagnostic::new(self.file, message).at(loc, self.text);
        if let Some(h) = help {
            d = d.with_help(h);
        }
        self.errors.push(d);
    }

    fn fatal(&self, loc: Location, message: String) -> Fatal {
        Fatal(Box::new(
            Diagnostic::new(self.file, message).at(loc, self.text),
        ))
    }

    fn offset(&self, m: &Marker) -> usize {
        self.source.lines.byte_of_char(self.text, m.index())
    }

    /// The byte offset of a node's content, past its anchor and tag.
    fn content_offset(&self, m: &Marker, has_properties: bool) -> usize {
        let mut off = self.offset(m);
        if !has_properties {
            return off;
        }
        let bytes = self.text.as_bytes();
        while matches!(bytes.get(off), Some(b'&' | b'!')) {
            while bytes.get(off).is_some_and(|b| !b.is_ascii_whitespace()) {
                off += 1;
            }
            while bytes.get(off).is_some_and(u8::is_ascii_whitespace) {
                off += 1;
            }
        }
        off
    }

    /// A block sequence's start is reported at its first item; step back to the item's `-`
    /// when only spaces separate them on the line.
    fn dash_before(&self, offset: usize) -> usize {
        let bytes = self.text.as_bytes();
        if bytes.get(offset) == Some(&b'-') {
            return offset;
        }
        let mut i = offset;
        while i > 0 && bytes.get(i - 1) == Some(&b' ') {
            i -= 1;
        }
        let dash_ok = i > 0
            && i < offset
            && bytes.get(i - 1) == Some(&b'-')
            && (i == 1 || matches!(bytes.get(i - 2), Some(b' ' | b'\n')));
        if dash_ok { i - 1 } else { offset }
    }

    fn count(&mut self, n: usize, loc: Location) -> Result<(), Fatal> {
        self.total_nodes = self.total_nodes.saturating_add(n);
        if self.total_nodes > MAX_NODES {
            return Err(self.fatal(
                loc,
                format!("the document has more than {MAX_NODES} nodes once aliases are expanded"),
            ));
        }
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Fatal> {
        let loc = marker_location(&span.start);
        let is_seq = matches!(event, Event::SequenceStart(..));
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd => Ok(()),
            Event::DocumentStart(_) => {
                self.stack.clear();
                self.anchors.clear();
                self.root = None;
                Ok(())
            }
            Event::DocumentEnd => {
                let root = self.root.take();
                let (value, span) = match root {
                    Some(b) => (b.value, b.span),
                    None => (Value::Null, SpanNode::leaf(loc, None)),
                };
                self.docs.push(Document {
                    value,
                    spans: SpanIndex::new(span, self.source.clone()),
                });
                Ok(())
            }
            Event::Alias(id) => {
                let Some(anchored) = self.anchors.get(&id).cloned() else {
                    self.error(
                        loc,
                        "alias refers to an anchor that is not finished yet (a recursive alias)"
                            .to_owned(),
                        None,
                    );
                    return Ok(());
                };
                if self.stack.len() + anchored.height > MAX_DEPTH {
                    return Err(self.fatal(loc, format!("the document nests deeper than {MAX_DEPTH} levels once aliases are expanded")));
                }
                self.count(anchored.nodes, loc)?;
                let built = Built {
                    span: SpanNode {
                        key: None,
                        value: loc,
                        body: anchored.span.body.clone(),
                    },
                    ..anchored
                };
                self.complete(built);
                Ok(())
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, loc)?;
                let has_props = anchor > 0 || tag.is_some();
                let start = self.content_offset(&span.start, has_props);
                let loc = self.source.location(start);
                let value = match self.scalar_value(&text, style, tag.as_deref(), loc) {
                    Some(v) => v,
                    None => Value::Null,
                };
                let end = self.offset(&span.end).max(start);
                let kind = match style {
                    ScalarStyle::Plain => ScalarKind::Plain,
                    ScalarStyle::SingleQuoted => ScalarKind::SingleQuoted,
                    ScalarStyle::DoubleQuoted => ScalarKind::DoubleQuoted,
                    ScalarStyle::Literal => ScalarKind::Literal,
                    ScalarStyle::Folded => ScalarKind::Folded,
                };
                let scalar_span = match &value {
                    Value::String(s) => Some(ScalarSpan {
                        kind,
                        start,
                        end,
                        value: s.clone(),
                    }),
                    _ => None,
                };
                let built = Built {
                    value,
                    span: SpanNode::leaf(loc, scalar_span),
                    nodes: 1,
                    height: 0,
                    merge_key: style == ScalarStyle::Plain && tag.is_none() && text == "<<",
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, built.clone());
                }
                self.complete(built);
                Ok(())
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                self.count(1, loc)?;
                if self.stack.len() >= MAX_DEPTH {
                    return Err(self.fatal(
                        loc,
                        format!("the document nests deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let has_props = anchor > 0 || tag.is_some();
                let mut offset = self.content_offset(&span.start, has_props);
                if is_seq {
                    offset = self.dash_before(offset);
                }
                let start = self.source.location(offset);
                if let Some(tag) = tag.as_deref() {
                    let expected = if is_seq { "seq" } else { "map" };
                    if !(tag.is_yaml_core_schema() && tag.suffix == expected
                        || is_non_specific(tag))
                    {
                        let what = if is_seq { "sequence" } else { "mapping" };
                        self.error(
                            start,
                            format!("unsupported tag `{}` on a {what}", tag_name(tag)),
                            None,
                        );
                    }
                }
                let container = if is_seq {
                    Container::Seq(Vec::new(), Vec::new())
                } else {
                    Container::Map(MapFrame {
                        map: Map::new(),
                        spans: BTreeMap::new(),
                        key: None,
                        merged: BTreeMap::new(),
                    })
                };
                self.stack.push(Frame {
                    container,
                    anchor,
                    start,
                    nodes: 1,
                    height: 1,
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(());
                };
                let (value, children) = match frame.container {
                    Container::Seq(items, spans) => {
                        (Value::List(Arc::new(items)), Children::List(spans))
                    }
                    Container::Map(mut m) => {
                        for (k, (v, s)) in m.merged {
                            if !m.map.contains_key(&k) {
                                m.map.insert(k.clone(), v);
                                m.spans.insert(k, s);
                            }
                        }
                        (Value::Map(Arc::new(m.map)), Children::Map(m.spans))
                    }
                };
                let built = Built {
                    value,
                    span: SpanNode {
                        key: None,
                        value: frame.start,
                        body: Arc::new(SpanBody {
                            scalar: None,
                            children,
                        }),
                    },
                    nodes: frame.nodes,
                    height: frame.height,
                    merge_key: false,
                };
                if frame.anchor > 0 {
                    self.anchors.insert(frame.anchor, built.clone());
                }
                self.complete(built);
                Ok(())
            }
        }
    }

    /// Resolves a scalar by its style and tag; `None` after reporting an error.
    fn scalar_value(
        &mut self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        loc: Location,
    ) -> Option<Value> {
        let plain = style == ScalarStyle::Plain;
        let Some(tag) = tag else {
            if !plain {
                return Some(Value::string(text));
            }
            return match scalar::resolve_plain(text) {
                Ok(v) => Some(v),
                Err(message) => {
                    self.error(loc, message, Some("quote it to keep it as a string"));
                    None
                }
            };
        };
        if is_non_specific(tag) {
            return Some(Value::string(text));
        }
        if !tag.is_yaml_core_schema() {
            self.error(
                loc,
                format!("unsupported tag `{}`", tag_name(tag)),
                Some("govgate reads plain YAML data: remove the tag"),
            );
            return None;
        }
        let resolved = scalar::resolve_plain(text).ok();
        match (tag.suffix.as_str(), resolved) {
            ("str", _) => Some(Value::string(text)),
            ("null", Some(Value::Null)) => Some(Value::Null),
            ("bool", Some(Value::Bool(b))) => Some(Value::Bool(b)),
            ("int", Some(Value::Int(i))) => Some(Value::Int(i)),
            ("float", Some(Value::Double(d))) => Some(Value::Double(d)),
            ("float", Some(Value::Int(i))) => Some(Value::Double(i as f64)),
            ("null" | "bool" | "int" | "float", _) => {
                self.error(
                    loc,
                    format!("`{text}` is not a valid `!!{}`", tag.suffix),
                    None,
                );
                None
            }
            _ => {
                self.error(
                    loc,
                    format!("unsupported tag `{}` on a scalar", tag_name(tag)),
                    None,
                );
                None
            }
        }
    }

    /// Hands a finished node to its parent (or makes it the document's root).
    fn complete(&mut self, built: Built) {
        let Some(mut frame) = self.stack.pop() else {
            self.root = Some(built);
            return;
        };
        frame.nodes = frame.nodes.saturating_add(built.nodes);
        frame.height = frame.height.max(built.height + 1);
        match &mut frame.container {
            Container::Seq(items, spans) => {
                items.push(built.value);
                spans.push(built.span);
            }
            Container::Map(m) => self.map_entry(m, built),
        }
        self.stack.push(frame);
    }

    /// Takes a finished node as the next key or value of a mapping.
    fn map_entry(&mut self, m: &mut MapFrame, built: Built) {
        match m.key.take() {
            None => {
                let loc = built.span.value;
                m.key = Some(if built.merge_key {
                    PendingKey::Merge(loc)
                } else {
                    match key_text(&built.value) {
                        Ok(k) => PendingKey::Key(k, loc),
                        Err((message, help)) => {
                            self.error(loc, message, Some(help));
                            PendingKey::Invalid
                        }
                    }
                });
            }
            Some(PendingKey::Invalid) => {}
            Some(PendingKey::Key(k, key_loc)) => {
                if m.map.contains_key(&k) {
                    self.error(
                        key_loc,
                        format!("duplicate key `{k}`"),
                        Some("each key may appear once in a mapping; remove or rename one"),
                    );
                    return;
                }
                let mut span = built.span;
                span.key = Some(key_loc);
                m.map.insert(k.clone(), built.value);
                m.spans.insert(k, span);
            }
            Some(PendingKey::Merge(key_loc)) => {
                let mut sources: Vec<(&Map, &BTreeMap<Str, SpanNode>)> = Vec::new();
                let ok = match (&built.value, &built.span.body.children) {
                    (Value::Map(entries), Children::Map(spans)) => {
                        sources.push((entries, spans));
                        true
                    }
                    (Value::List(items), Children::List(spans)) => {
                        for (item, span) in items.iter().zip(spans) {
                            if let (Value::Map(entries), Children::Map(spans)) =
                                (item, &span.body.children)
                            {
                                sources.push((entries, spans));
                            }
                        }
                        sources.len() == items.len()
                    }
                    _ => false,
                };
                if !ok {
                    self.error(
                        key_loc,
                        "the merge key `<<` needs a mapping or a list of mappings".to_owned(),
                        Some("quote the key (`\"<<\"`) to use `<<` as an ordinary key"),
                    );
                    return;
                }
                for (entries, spans) in sources {
                    for (k, v) in entries.iter() {
                        // Earlier merges take precedence over later ones.
                        if let Some(s) = spans.get(k) {
                            m.merged
                                .entry(k.clone())
                                .or_insert_with(|| (v.clone(), s.clone()));
                        }
                    }
                }
            }
        }
    }
}

/// A mapping key's string form: strings as they are, integers as their decimal text.
fn key_text(value: &Value) -> Result<Str, (String, &'static str)> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Int(i) => Ok(Str::from(i.to_string().as_str())),
        Value::Null | Value::Bool(_) | Value::Double(_) => Err((
            format!(
                "mapping key `{value}` is a {}, not a string",
                value.type_name()
            ),
            "quote the key to make it a string",
        )),
        Value::List(_) | Value::Map(_) => Err((
            "mapping keys must be strings, not lists or mappings".to_owned(),
            "use a string key",
        )),
    }
}
