//! YAML loading: `saphyr-parser` events to [`Value`]s and [`SpanIndex`]es, by the YAML 1.2
//! core schema, with bounded alias expansion.
//!
//! [`SpanIndex`]: crate::source::SpanIndex

use std::collections::btree_map::Entry as MapEntry;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span, Tag};

use crate::diagnostic::{Diagnostic, Diagnostics, Location};
use crate::source::lines::to_u32;
use crate::source::scalar::{self, ScalarKind};
use crate::source::span::{ScalarSpan, SourceText, SpanBuilder, SpanNode};
use crate::source::yaml_fast;
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

/// A mapping key waiting for its value; offsets are where the key was written.
enum PendingKey {
    Key(Str, usize),
    Merge(usize),
    /// A key that was rejected (already reported): drop its value.
    Invalid,
}

struct MapFrame {
    map: Map,
    key: Option<PendingKey>,
    /// Entries brought in by `<<` merge keys; the first merge of a key wins.
    merged: BTreeMap<Str, (Value, SpanNode)>,
}

enum Container {
    Seq(Vec<Value>),
    Map(MapFrame),
}

struct Frame {
    container: Container,
    anchor: usize,
    /// Byte offset where the container starts.
    start: usize,
    /// Where this container's finished children begin in [`Loader::children`].
    first_child: usize,
    nodes: usize,
    height: usize,
}

/// A problem that stops loading at once.
struct Fatal(Box<Diagnostic>);

/// Where problems go, and how to locate them.
struct Reporter<'a> {
    file: &'a str,
    text: &'a str,
    source: &'a Arc<SourceText>,
    errors: Vec<Diagnostic>,
}

impl Reporter<'_> {
    fn error_at(&mut self, loc: Location, message: String, help: Option<&str>) {
        let mut d = Diagnostic::new(self.file, message).at(loc, self.text);
        if let Some(h) = help {
            d = d.with_help(h);
        }
        self.errors.push(d);
    }

    /// An error at byte `offset`.
    fn error(&mut self, offset: usize, message: String, help: Option<&str>) {
        let loc = self.source.location(offset);
        self.error_at(loc, message, help);
    }

    fn fatal(&self, loc: Location, message: String) -> Fatal {
        Fatal(Box::new(
            Diagnostic::new(self.file, message).at(loc, self.text),
        ))
    }
}

/// Turns the parser's character indexes into byte offsets. The parser moves forward through
/// the text, so a cursor makes that a single pass; ASCII text needs no conversion at all.
struct CharOffsets<'a> {
    text: &'a str,
    source: &'a SourceText,
    ascii: bool,
    /// A character index and its byte offset.
    cursor: (usize, usize),
}

impl CharOffsets<'_> {
    fn byte(&mut self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.text.len());
        }
        let (mut chars, mut pos) = self.cursor;
        if char_index < chars {
            // Backwards (rare): look it up.
            return self.source.lines().byte_of_char(self.text, char_index);
        }
        let bytes = self.text.as_bytes();
        while chars < char_index {
            let Some(&b) = bytes.get(pos) else {
                break;
            };
            pos += utf8_len(b);
            chars += 1;
        }
        let pos = pos.min(self.text.len());
        self.cursor = (chars, pos);
        pos
    }
}

/// The length of the UTF-8 sequence a leading byte starts.
fn utf8_len(b: u8) -> usize {
    match b {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

struct Loader<'a> {
    out: Reporter<'a>,
    offsets: CharOffsets<'a>,
    stack: Vec<Frame>,
    /// The finished children of every open container, innermost container's last: a map's
    /// with their keys, a list's without.
    children: Vec<(Option<Str>, SpanNode)>,
    spans: SpanBuilder,
    anchors: HashMap<usize, Built>,
    root: Option<Built>,
    docs: Vec<Document>,
    total_nodes: usize,
}

/// Parses every document of a YAML stream: by the fast path when the text is within its
/// subset (it then gives exactly what the full parser would), else by `saphyr-parser`.
pub(crate) fn parse(
    file: &str,
    text: &str,
    source: &Arc<SourceText>,
) -> Result<Vec<Document>, Diagnostics> {
    if let Some(docs) = yaml_fast::parse(text, source) {
        return Ok(docs);
    }
    parse_full(file, text, source)
}

/// Parses every document of a YAML stream with `saphyr-parser`.
pub(crate) fn parse_full(
    file: &str,
    text: &str,
    source: &Arc<SourceText>,
) -> Result<Vec<Document>, Diagnostics> {
    let mut loader = Loader {
        out: Reporter {
            file,
            text,
            source,
            errors: Vec::new(),
        },
        offsets: CharOffsets {
            text,
            source,
            ascii: text.is_ascii(),
            cursor: (0, 0),
        },
        stack: Vec::new(),
        children: Vec::new(),
        spans: SpanBuilder::default(),
        anchors: HashMap::new(),
        root: None,
        docs: Vec::new(),
        total_nodes: 0,
    };
    for item in Parser::new_from_str(text) {
        let step = match item {
            Ok((event, span)) => loader.event(event, span),
            Err(e) => {
                let loc = clamp_to_text(marker_location(e.marker()), text);
                Err(Fatal(Box::new(syntax_error(file, text, e.info(), loc))))
            }
        };
        if let Err(Fatal(d)) = step {
            loader.out.errors.push(*d);
            return Err(Diagnostics(loader.out.errors));
        }
        if loader.out.errors.len() >= MAX_ERRORS {
            break;
        }
    }
    if loader.out.errors.is_empty() {
        Ok(loader.docs)
    } else {
        Err(Diagnostics(loader.out.errors))
    }
}

/// A YAML syntax error, made more precise than the parser's own report where it is often
/// off: an indentation tab is pointed at itself, and an unclosed `[` or `{` before the reported
/// place is named, since the parser only notices it lines later.
fn syntax_error(file: &str, text: &str, info: &str, loc: Location) -> Diagnostic {
    let message = format!("invalid yaml: {info}");
    if info.contains("tab") {
        // The first tab in a line's indentation, from the line before the reported one (the
        // parser sometimes reports the end of the previous line).
        let from = (loc.line as usize).saturating_sub(2);
        for (i, line) in text.lines().enumerate().skip(from) {
            let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
            if let Some(col) = line.get(..indent).and_then(|ws| ws.find('\t')) {
                let at = Location {
                    line: to_u32(i + 1),
                    column: to_u32(col + 1),
                };
                return Diagnostic::new(file, message)
                    .at(at, text)
                    .with_help("YAML indents with spaces only: replace the tab");
            }
        }
    }
    let d = Diagnostic::new(file, message).at(loc, text);
    match unclosed_flow_before(text, loc.line as usize) {
        Some((open, at)) => d.with_help(format!(
            "the `{open}` at line {}, column {} is not closed before this point",
            at.line, at.column
        )),
        None => d,
    }
}

/// The innermost `[` or `{` still open at the start of line `line` (1-based); `None` when
/// every flow collection before it is closed. Only brackets where a flow collection can begin
/// count (at the start of a value or a list item, or inside another flow collection), never
/// inside quoted text, comments, plain text (`see [docs`) or block scalars (`|`, `>`).
fn unclosed_flow_before(text: &str, line: usize) -> Option<(char, Location)> {
    let mut open: Vec<(char, Location)> = Vec::new();
    // A block scalar's indentation: lines indented deeper than this are its content.
    let mut block_scalar: Option<usize> = None;
    for (i, l) in text.lines().enumerate().take(line.saturating_sub(1)) {
        let indent = l.len() - l.trim_start_matches(' ').len();
        if let Some(parent) = block_scalar {
            if l.trim().is_empty() || indent > parent {
                continue;
            }
            block_scalar = None;
        }
        let chars: Vec<char> = l.chars().collect();
        let mut quote: Option<char> = None;
        let mut escaped = false;
        // Whether a flow collection may begin here (after `: `, `- `, `[`, `{`, `,`).
        let mut may_open = true;
        for (col, &c) in chars.iter().enumerate() {
            let prev_blank = col == 0 || matches!(chars.get(col - 1), Some(' ' | '\t'));
            let next_blank = matches!(chars.get(col + 1), None | Some(' ' | '\t'));
            if let Some(q) = quote {
                if escaped {
                    escaped = false;
                } else if q == '"' && c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                    may_open = false;
                }
                continue;
            }
            match c {
                ' ' | '\t' => continue,
                '#' if prev_blank => break,
                '"' | '\'' if may_open => quote = Some(c),
                '[' | '{' if may_open => {
                    open.push((
                        c,
                        Location {
                            line: to_u32(i + 1),
                            column: to_u32(col + 1),
                        },
                    ));
                    continue;
                }
                ']' | '}' if !open.is_empty() => {
                    open.pop();
                    may_open = false;
                    continue;
                }
                ',' if !open.is_empty() => {
                    may_open = true;
                    continue;
                }
                ':' | '-' if next_blank => {
                    may_open = true;
                    continue;
                }
                '|' | '>' if may_open && open.is_empty() => {
                    block_scalar = Some(indent);
                    break;
                }
                _ => {}
            }
            may_open = false;
        }
    }
    open.pop()
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
    fn offset(&mut self, m: &Marker) -> usize {
        self.offsets.byte(m.index())
    }

    /// The byte offset of a node's content, past its anchor and tag.
    fn content_offset(&mut self, m: &Marker, has_properties: bool) -> usize {
        let mut off = self.offset(m);
        if !has_properties {
            return off;
        }
        let bytes = self.out.text.as_bytes();
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
        let bytes = self.out.text.as_bytes();
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

    fn count(&mut self, n: usize, span: &Span) -> Result<(), Fatal> {
        self.total_nodes = self.total_nodes.saturating_add(n);
        if self.total_nodes > MAX_NODES {
            return Err(self.out.fatal(
                marker_location(&span.start),
                format!("the document has more than {MAX_NODES} nodes once aliases are expanded"),
            ));
        }
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Fatal> {
        let is_seq = matches!(event, Event::SequenceStart(..));
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd => Ok(()),
            Event::DocumentStart(_) => {
                self.stack.clear();
                self.children.clear();
                self.spans = SpanBuilder::default();
                self.anchors.clear();
                self.root = None;
                Ok(())
            }
            Event::DocumentEnd => {
                let (value, node) = match self.root.take() {
                    Some(b) => (b.value, b.span),
                    None => {
                        let at = self.offset(&span.start);
                        (Value::Null, self.spans.leaf(at, None))
                    }
                };
                let spans = std::mem::take(&mut self.spans).finish(node, self.out.source.clone());
                self.docs.push(Document { value, spans });
                Ok(())
            }
            Event::Alias(id) => {
                let Some(anchored) = self.anchors.get(&id).cloned() else {
                    self.out.error_at(
                        marker_location(&span.start),
                        "alias refers to an anchor that is not finished yet (a recursive alias)"
                            .to_owned(),
                        None,
                    );
                    return Ok(());
                };
                if self.stack.len() + anchored.height > MAX_DEPTH {
                    return Err(self.out.fatal(marker_location(&span.start), format!("the document nests deeper than {MAX_DEPTH} levels once aliases are expanded")));
                }
                self.count(anchored.nodes, &span)?;
                let at = self.offset(&span.start);
                let built = Built {
                    span: anchored.span.alias_at(at),
                    ..anchored
                };
                self.complete(built);
                Ok(())
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, &span)?;
                let has_props = anchor > 0 || tag.is_some();
                let start = self.content_offset(&span.start, has_props);
                let value = self
                    .scalar_value(&text, style, tag.as_deref(), start)
                    .unwrap_or(Value::Null);
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
                    span: self.spans.leaf(start, scalar_span),
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
                self.count(1, &span)?;
                if self.stack.len() >= MAX_DEPTH {
                    return Err(self.out.fatal(
                        marker_location(&span.start),
                        format!("the document nests deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let has_props = anchor > 0 || tag.is_some();
                let mut start = self.content_offset(&span.start, has_props);
                if is_seq {
                    start = self.dash_before(start);
                }
                if let Some(tag) = tag.as_deref() {
                    let expected = if is_seq { "seq" } else { "map" };
                    if !(tag.is_yaml_core_schema() && tag.suffix == expected
                        || is_non_specific(tag))
                    {
                        let what = if is_seq { "sequence" } else { "mapping" };
                        self.out.error(
                            start,
                            format!("unsupported tag `{}` on a {what}", tag_name(tag)),
                            None,
                        );
                    }
                }
                let container = if is_seq {
                    Container::Seq(Vec::new())
                } else {
                    Container::Map(MapFrame {
                        map: Map::new(),
                        key: None,
                        merged: BTreeMap::new(),
                    })
                };
                self.stack.push(Frame {
                    container,
                    anchor,
                    start,
                    first_child: self.children.len(),
                    nodes: 1,
                    height: 1,
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(());
                };
                let (value, node) = match frame.container {
                    Container::Seq(items) => {
                        let kids = self.children.drain(frame.first_child..);
                        let node = self.spans.list(frame.start, kids.map(|(_, node)| node));
                        (Value::List(Arc::new(items)), node)
                    }
                    Container::Map(mut m) => {
                        for (k, (v, s)) in m.merged {
                            if let MapEntry::Vacant(e) = m.map.entry(k) {
                                self.children.push((Some(e.key().clone()), s));
                                e.insert(v);
                            }
                        }
                        let kids = self.children.drain(frame.first_child..);
                        let node = self
                            .spans
                            .map(frame.start, kids.filter_map(|(k, node)| Some((k?, node))));
                        (Value::Map(Arc::new(m.map)), node)
                    }
                };
                let built = Built {
                    value,
                    span: node,
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

    /// Resolves a scalar by its style and tag; `None` after reporting an error at byte
    /// `offset`.
    fn scalar_value(
        &mut self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        offset: usize,
    ) -> Option<Value> {
        let plain = style == ScalarStyle::Plain;
        let Some(tag) = tag else {
            if !plain {
                return Some(Value::string(text));
            }
            return match scalar::resolve_plain(text) {
                Ok(v) => Some(v),
                Err(message) => {
                    self.out
                        .error(offset, message, Some("quote it to keep it as a string"));
                    None
                }
            };
        };
        if is_non_specific(tag) {
            return Some(Value::string(text));
        }
        if !tag.is_yaml_core_schema() {
            self.out.error(
                offset,
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
                self.out.error(
                    offset,
                    format!("`{text}` is not a valid `!!{}`", tag.suffix),
                    None,
                );
                None
            }
            _ => {
                self.out.error(
                    offset,
                    format!("unsupported tag `{}` on a scalar", tag_name(tag)),
                    None,
                );
                None
            }
        }
    }

    /// Hands a finished node to its parent (or makes it the document's root).
    fn complete(&mut self, built: Built) {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(built);
            return;
        };
        frame.nodes = frame.nodes.saturating_add(built.nodes);
        frame.height = frame.height.max(built.height + 1);
        match &mut frame.container {
            Container::Seq(items) => {
                items.push(built.value);
                self.children.push((None, built.span));
            }
            Container::Map(m) => {
                map_entry(m, built, &self.spans, &mut self.children, &mut self.out);
            }
        }
    }
}

/// Takes a finished node as the next key or value of a mapping.
fn map_entry(
    m: &mut MapFrame,
    built: Built,
    spans: &SpanBuilder,
    children: &mut Vec<(Option<Str>, SpanNode)>,
    out: &mut Reporter<'_>,
) {
    match m.key.take() {
        None => {
            let at = built.span.value;
            m.key = Some(if built.merge_key {
                PendingKey::Merge(at)
            } else {
                match key_text(&built.value) {
                    Ok(k) => PendingKey::Key(k, at),
                    Err((message, help)) => {
                        out.error(at, message, Some(help));
                        PendingKey::Invalid
                    }
                }
            });
        }
        Some(PendingKey::Invalid) => {}
        Some(PendingKey::Key(k, key_at)) => match m.map.entry(k) {
            MapEntry::Occupied(e) => {
                out.error(
                    key_at,
                    format!("duplicate key `{}`", e.key()),
                    Some("each key may appear once in a mapping; remove or rename one"),
                );
            }
            MapEntry::Vacant(e) => {
                children.push((Some(e.key().clone()), built.span.with_key(key_at)));
                e.insert(built.value);
            }
        },
        Some(PendingKey::Merge(key_at)) => {
            let mut sources: Vec<(&Map, SpanNode)> = Vec::new();
            let ok = match &built.value {
                Value::Map(entries) => {
                    sources.push((entries, built.span));
                    true
                }
                Value::List(items) => {
                    let item_spans = spans.list_items(built.span).unwrap_or(&[]);
                    for (item, span) in items.iter().zip(item_spans) {
                        if let Value::Map(entries) = item {
                            sources.push((entries, span.node));
                        }
                    }
                    sources.len() == items.len()
                }
                _ => false,
            };
            if !ok {
                out.error(
                    key_at,
                    "the merge key `<<` needs a mapping or a list of mappings".to_owned(),
                    Some("quote the key (`\"<<\"`) to use `<<` as an ordinary key"),
                );
                return;
            }
            for (entries, node) in sources {
                let Some(entry_spans) = spans.map_entries(node) else {
                    continue;
                };
                for (k, v) in entries.iter() {
                    // Earlier merges take precedence over later ones.
                    let span = entry_spans
                        .binary_search_by(|e| e.key.as_deref().unwrap_or("").cmp(&**k))
                        .ok()
                        .and_then(|i| entry_spans.get(i));
                    if let Some(s) = span {
                        m.merged
                            .entry(k.clone())
                            .or_insert_with(|| (v.clone(), s.node));
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
