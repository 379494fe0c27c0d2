//! Where every node of a parsed document came from: [`SpanIndex`] and [`PathSeg`].

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::diagnostic::Location;
use crate::source::lines::LineIndex;
use crate::source::scalar::{self, ScalarKind};
use crate::value::Str;

/// One step of a path from a document's root to a node: a map key or a list index.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathSeg {
    /// The value under this key of a map.
    Key(Str),
    /// The item at this 0-based index of a list.
    Index(usize),
}

impl PathSeg {
    /// A key segment.
    pub fn key(key: &str) -> PathSeg {
        PathSeg::Key(Arc::from(key))
    }
}

impl From<usize> for PathSeg {
    fn from(i: usize) -> PathSeg {
        PathSeg::Index(i)
    }
}

impl From<&str> for PathSeg {
    fn from(k: &str) -> PathSeg {
        PathSeg::key(k)
    }
}

/// Prints a path the way `serde_path_to_error` does: `rules[2].when`; the empty path prints
/// as `.`. A key that would not read back as one segment (empty, or holding `.`, `[`, `]`,
/// `"`, `\`, whitespace or control characters) prints as a quoted index, `["a.b"]`.
pub fn format_path(path: &[PathSeg]) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let mut out = String::new();
    for seg in path {
        match seg {
            PathSeg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
            PathSeg::Key(k) if is_bare_key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            PathSeg::Key(k) => {
                out.push_str("[\"");
                for c in k.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' => out.push_str("\\n"),
                        '\t' => out.push_str("\\t"),
                        '\r' => out.push_str("\\r"),
                        c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
                        c => out.push(c),
                    }
                }
                out.push_str("\"]");
            }
        }
    }
    out
}

fn is_bare_key(k: &str) -> bool {
    !k.is_empty()
        && k != "?"
        && !k.chars().any(|c| {
            matches!(c, '.' | '[' | ']' | '"' | '\\') || c.is_whitespace() || c.is_control()
        })
}

/// A path string that [`parse_path`] could not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathError {
    /// Byte offset of the problem in the path string.
    pub offset: usize,
    /// What is wrong, lowercase.
    pub message: String,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.message, self.offset)
    }
}

impl std::error::Error for PathError {}

/// Reads a path printed by [`format_path`] or by `serde_path_to_error`: `rules[2].when`,
/// `[0].name`, `a["b.c"]`; `.` and the empty string are the root. `serde_path_to_error`'s
/// `?` (an unknown segment) is rejected, since it names no node.
pub fn parse_path(path: &str) -> Result<Vec<PathSeg>, PathError> {
    let mut segs = Vec::new();
    if path == "." {
        return Ok(segs);
    }
    let bytes = path.as_bytes();
    let mut i = 0;
    let err = |offset: usize, message: &str| PathError {
        offset,
        message: message.to_owned(),
    };
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'[') => {
                i += 1;
                if bytes.get(i) == Some(&b'"') {
                    let (key, next) = read_quoted_key(path, i + 1)
                        .ok_or_else(|| err(i, "unterminated quoted key"))?;
                    i = next;
                    segs.push(PathSeg::Key(Arc::from(key.as_str())));
                } else {
                    let digits_start = i;
                    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                    }
                    let digits = path.get(digits_start..i).unwrap_or("");
                    let index = digits
                        .parse::<usize>()
                        .map_err(|_| err(digits_start, "expected a list index"))?;
                    segs.push(PathSeg::Index(index));
                }
                if bytes.get(i) != Some(&b']') {
                    return Err(err(i, "expected `]`"));
                }
                i += 1;
            }
            Some(b'.') if i > 0 => {
                i += 1;
                let (key, next) = read_bare_key(path, i);
                if key.is_empty() {
                    return Err(err(i, "expected a key after `.`"));
                }
                if key == "?" {
                    return Err(err(i, "the path has an unknown segment `?`"));
                }
                segs.push(PathSeg::key(key));
                i = next;
            }
            _ if i == 0 => {
                let (key, next) = read_bare_key(path, i);
                if key.is_empty() {
                    return Err(err(i, "expected a key"));
                }
                if key == "?" {
                    return Err(err(i, "the path has an unknown segment `?`"));
                }
                segs.push(PathSeg::key(key));
                i = next;
            }
            _ => return Err(err(i, "expected `.` or `[`")),
        }
    }
    Ok(segs)
}

fn read_bare_key(path: &str, start: usize) -> (&str, usize) {
    let rest = path.get(start..).unwrap_or("");
    let len = rest.find(['.', '[']).unwrap_or(rest.len());
    (rest.get(..len).unwrap_or(""), start + len)
}

/// Reads a JSON-style quoted key starting after its opening quote; returns it and the offset
/// just past its closing quote.
fn read_quoted_key(path: &str, start: usize) -> Option<(String, usize)> {
    let rest = path.get(start..)?;
    let mut out = String::new();
    let mut chars = rest.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, start + i + 1)),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'u' => {
                    if chars.next()?.1 != '{' {
                        return None;
                    }
                    let mut code = 0u32;
                    loop {
                        let (_, d) = chars.next()?;
                        if d == '}' {
                            break;
                        }
                        code = code.checked_mul(16)?.checked_add(d.to_digit(16)?)?;
                    }
                    out.push(char::from_u32(code)?);
                }
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// The text a span index points into, shared by every document of one file. Its line index
/// is built the first time a position is asked for: loading a file that has no problems never
/// needs one.
#[derive(Debug)]
pub(crate) struct SourceText {
    pub(crate) file: Str,
    pub(crate) text: Str,
    lines: OnceLock<LineIndex>,
}

impl SourceText {
    pub(crate) fn new(file: &str, text: &str) -> SourceText {
        SourceText {
            file: Arc::from(file),
            text: Arc::from(text),
            lines: OnceLock::new(),
        }
    }

    pub(crate) fn lines(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(&self.text))
    }

    /// The line and column of byte `offset`.
    pub(crate) fn location(&self, offset: usize) -> Location {
        self.lines().location(&self.text, offset)
    }
}

/// Where one scalar's text sits, for mapping offsets inside its decoded value.
#[derive(Clone, Debug)]
pub(crate) struct ScalarSpan {
    pub(crate) kind: ScalarKind,
    /// Byte offset of the scalar's first character (its opening quote, or for block scalars
    /// the first content character).
    pub(crate) start: usize,
    /// Byte offset just past the scalar's text (its closing quote).
    pub(crate) end: usize,
    /// The decoded string, to check the offset mapping against.
    pub(crate) value: Str,
}

/// One node's positions, as byte offsets into the source text (turned into lines and columns
/// only when asked): where its key is (for a map entry) and where its value starts, and which
/// [`Body`] describes it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SpanNode {
    pub(crate) key: Option<usize>,
    pub(crate) value: usize,
    /// Index into [`SpanTree::bodies`]; a YAML alias shares its anchor's body.
    body: usize,
}

impl SpanNode {
    /// The same node as the entry of a map under a key written at `key`.
    pub(crate) fn with_key(self, key: usize) -> SpanNode {
        SpanNode {
            key: Some(key),
            ..self
        }
    }

    /// The same body (children, scalar) reached from another place: a YAML alias at `value`.
    pub(crate) fn alias_at(self, value: usize) -> SpanNode {
        SpanNode {
            key: None,
            value,
            body: self.body,
        }
    }
}

/// What a node holds: the scalar text it was read from, or the range of its children in
/// [`SpanTree::entries`].
#[derive(Clone, Debug)]
struct Body {
    scalar: Option<ScalarSpan>,
    kind: Kind,
    first: usize,
    len: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Leaf,
    List,
    /// Entries sorted by key.
    Map,
}

/// A child of a list (no key) or a map.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) key: Option<Str>,
    pub(crate) node: SpanNode,
}

/// Every node of one document in two flat arrays.
#[derive(Clone, Debug)]
struct SpanTree {
    /// `bodies[0]` is the shared body of every leaf without scalar text.
    bodies: Vec<Body>,
    entries: Vec<Entry>,
}

impl SpanTree {
    fn body(&self, node: SpanNode) -> Option<&Body> {
        self.bodies.get(node.body)
    }

    fn children(&self, body: &Body) -> &[Entry] {
        self.entries
            .get(body.first..body.first + body.len)
            .unwrap_or(&[])
    }

    fn child(&self, node: SpanNode, seg: &PathSeg) -> Option<SpanNode> {
        let body = self.body(node)?;
        let children = self.children(body);
        match (body.kind, seg) {
            (Kind::List, PathSeg::Index(i)) => children.get(*i).map(|e| e.node),
            (Kind::Map, PathSeg::Key(k)) => children
                .binary_search_by(|e| e.key.as_deref().unwrap_or("").cmp(&**k))
                .ok()
                .and_then(|i| children.get(i))
                .map(|e| e.node),
            _ => None,
        }
    }
}

/// Builds the [`SpanIndex`] of one document bottom-up: children before their parent.
#[derive(Debug)]
pub(crate) struct SpanBuilder {
    tree: SpanTree,
}

impl Default for SpanBuilder {
    fn default() -> SpanBuilder {
        SpanBuilder {
            tree: SpanTree {
                bodies: vec![Body {
                    scalar: None,
                    kind: Kind::Leaf,
                    first: 0,
                    len: 0,
                }],
                entries: Vec::new(),
            },
        }
    }
}

impl SpanBuilder {
    /// An empty builder with room for about `nodes` nodes.
    pub(crate) fn with_capacity(nodes: usize) -> SpanBuilder {
        let mut bodies = Vec::with_capacity(nodes + 1);
        bodies.push(Body {
            scalar: None,
            kind: Kind::Leaf,
            first: 0,
            len: 0,
        });
        SpanBuilder {
            tree: SpanTree {
                bodies,
                entries: Vec::with_capacity(nodes),
            },
        }
    }

    fn push(&mut self, body: Body) -> usize {
        self.tree.bodies.push(body);
        self.tree.bodies.len() - 1
    }

    /// A scalar whose value starts at byte `value`; `scalar` for strings.
    pub(crate) fn leaf(&mut self, value: usize, scalar: Option<ScalarSpan>) -> SpanNode {
        let body = match scalar {
            None => 0,
            Some(s) => self.push(Body {
                scalar: Some(s),
                kind: Kind::Leaf,
                first: 0,
                len: 0,
            }),
        };
        SpanNode {
            key: None,
            value,
            body,
        }
    }

    /// A list starting at byte `value`, of these items in order.
    pub(crate) fn list(
        &mut self,
        value: usize,
        items: impl IntoIterator<Item = SpanNode>,
    ) -> SpanNode {
        let first = self.tree.entries.len();
        self.tree
            .entries
            .extend(items.into_iter().map(|node| Entry { key: None, node }));
        self.container(value, Kind::List, first)
    }

    /// A map starting at byte `value`, of these entries (distinct keys, any order).
    pub(crate) fn map(
        &mut self,
        value: usize,
        entries: impl IntoIterator<Item = (Str, SpanNode)>,
    ) -> SpanNode {
        let first = self.tree.entries.len();
        self.tree
            .entries
            .extend(entries.into_iter().map(|(key, node)| Entry {
                key: Some(key),
                node,
            }));
        crate::sorting::sort_tail_by(&mut self.tree.entries, first, |a, b| a.key.cmp(&b.key));
        self.container(value, Kind::Map, first)
    }

    /// A map starting at byte `value`, of these entries, already sorted by key (and with
    /// distinct keys): [`SpanBuilder::map`] without the sort.
    pub(crate) fn sorted_map(
        &mut self,
        value: usize,
        entries: impl IntoIterator<Item = (Str, SpanNode)>,
    ) -> SpanNode {
        let first = self.tree.entries.len();
        self.tree
            .entries
            .extend(entries.into_iter().map(|(key, node)| Entry {
                key: Some(key),
                node,
            }));
        debug_assert!(
            self.tree
                .entries
                .get(first..)
                .is_none_or(|added| added.is_sorted_by(|a, b| a.key < b.key))
        );
        self.container(value, Kind::Map, first)
    }

    fn container(&mut self, value: usize, kind: Kind, first: usize) -> SpanNode {
        let len = self.tree.entries.len() - first;
        let body = self.push(Body {
            scalar: None,
            kind,
            first,
            len,
        });
        SpanNode {
            key: None,
            value,
            body,
        }
    }

    /// The entries of a finished map node (sorted by key); `None` for anything else.
    pub(crate) fn map_entries(&self, node: SpanNode) -> Option<&[Entry]> {
        let body = self.tree.body(node)?;
        (body.kind == Kind::Map).then(|| self.tree.children(body))
    }

    /// The items of a finished list node; `None` for anything else.
    pub(crate) fn list_items(&self, node: SpanNode) -> Option<&[Entry]> {
        let body = self.tree.body(node)?;
        (body.kind == Kind::List).then(|| self.tree.children(body))
    }

    /// The index of the document whose root is `root`.
    pub(crate) fn finish(self, root: SpanNode, source: Arc<SourceText>) -> SpanIndex {
        SpanIndex {
            inner: Some(Arc::new(Inner {
                root,
                tree: self.tree,
                source,
            })),
        }
    }
}

/// Where each node of one document sits in its source text: for every node, where its map
/// key starts and where its value starts, and for string scalars how offsets inside the
/// decoded string map back to the file.
///
/// Nodes are addressed by the same paths a [`Value`](crate::Value) is (`[PathSeg]`). A node
/// reached through a YAML alias shares the anchored node's children, so its descendants point
/// at the anchored text. An index of a document whose positions are unknown is empty (every
/// query gives `None`). Cloning one is cheap: the nodes are shared.
#[derive(Clone, Debug, Default)]
pub struct SpanIndex {
    inner: Option<Arc<Inner>>,
}

#[derive(Debug)]
struct Inner {
    root: SpanNode,
    tree: SpanTree,
    source: Arc<SourceText>,
}

impl SpanIndex {
    /// The node at `path`, if the document has it.
    fn node(&self, path: &[PathSeg]) -> Option<(SpanNode, &Inner)> {
        let inner = self.inner.as_deref()?;
        let node = path
            .iter()
            .try_fold(inner.root, |node, seg| inner.tree.child(node, seg))?;
        Some((node, inner))
    }

    /// The deepest node along `path` that exists, and how many segments lead to it.
    pub(crate) fn deepest(&self, path: &[PathSeg]) -> Option<(SpanNode, usize)> {
        let inner = self.inner.as_deref()?;
        let mut node = inner.root;
        for (depth, seg) in path.iter().enumerate() {
            match inner.tree.child(node, seg) {
                Some(next) => node = next,
                None => return Some((node, depth)),
            }
        }
        Some((node, path.len()))
    }

    /// The line and column of byte `offset` of the indexed text.
    pub(crate) fn location_of(&self, offset: usize) -> Option<Location> {
        Some(self.inner.as_deref()?.source.location(offset))
    }

    /// Whether the document has a node at `path`.
    pub fn contains(&self, path: &[PathSeg]) -> bool {
        self.node(path).is_some()
    }

    /// Where the map key of the node at `path` starts; `None` for the root, list items and
    /// paths the document does not have.
    pub fn key_location(&self, path: &[PathSeg]) -> Option<Location> {
        let (node, inner) = self.node(path)?;
        Some(inner.source.location(node.key?))
    }

    /// Where the value of the node at `path` starts (for a quoted string, its opening quote;
    /// for a block scalar, its first content character).
    pub fn value_location(&self, path: &[PathSeg]) -> Option<Location> {
        let (node, inner) = self.node(path)?;
        Some(inner.source.location(node.value))
    }

    /// The key's location if the node has one, else the value's: the best single place to
    /// point at a node.
    pub fn location(&self, path: &[PathSeg]) -> Option<Location> {
        let (node, inner) = self.node(path)?;
        Some(inner.source.location(node.key.unwrap_or(node.value)))
    }

    /// Where in the file the character at `byte_offset` of the decoded string at `path` was
    /// written. An offset equal to the string's length points just past its last character.
    ///
    /// Exact for plain scalars, single- and double-quoted scalars (escapes included) and
    /// literal block scalars; for folded block scalars and for JSON and TOML strings exact
    /// whenever the text decodes as expected, otherwise the value's start. `None` when the
    /// path has no scalar, or the offset is past the string's end.
    pub fn value_offset_location(&self, path: &[PathSeg], byte_offset: usize) -> Option<Location> {
        let (node, inner) = self.node(path)?;
        let scalar = inner.tree.body(node)?.scalar.as_ref()?;
        if byte_offset > scalar.value.len() {
            return None;
        }
        let source = &inner.source;
        let offset = scalar::source_offset(&source.text, source.lines(), scalar, byte_offset)
            .unwrap_or(node.value);
        Some(source.location(offset))
    }

    /// The file name the index was built for, if any.
    pub fn file(&self) -> Option<&str> {
        self.inner.as_deref().map(|i| &*i.source.file)
    }

    /// The text the index points into, if any.
    pub fn text(&self) -> Option<&str> {
        self.inner.as_deref().map(|i| &*i.source.text)
    }

    /// Every node's positions, scalar span and children, walked from the root: equal dumps
    /// mean equal indexes, however their nodes are laid out.
    #[cfg(test)]
    pub(crate) fn dump(&self) -> String {
        fn walk(tree: &SpanTree, node: SpanNode, depth: usize, out: &mut String) {
            use std::fmt::Write as _;
            let body = tree.body(node);
            let _ = writeln!(
                out,
                "{:depth$}key={:?} value={} kind={:?} scalar={:?}",
                "",
                node.key,
                node.value,
                body.map(|b| b.kind),
                body.and_then(|b| b.scalar.as_ref())
                    .map(|s| (s.kind, s.start, s.end, &s.value)),
            );
            if let Some(body) = body {
                for e in tree.children(body) {
                    let _ = writeln!(out, "{:depth$} entry {:?}", "", e.key);
                    walk(tree, e.node, depth + 2, out);
                }
            }
        }
        let mut out = String::new();
        if let Some(inner) = self.inner.as_deref() {
            out.push_str(&inner.source.file);
            out.push('\n');
            walk(&inner.tree, inner.root, 0, &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        for s in [
            "rules[2].when",
            "[0].name",
            "a",
            "a.b.c",
            "a[0][1].b",
            "a[\"b.c\"].d",
            "[\"\"]",
        ] {
            let segs = parse_path(s).unwrap();
            assert_eq!(format_path(&segs), s, "{segs:?}");
        }
        assert_eq!(
            parse_path("rules[2].when").unwrap(),
            vec![
                PathSeg::key("rules"),
                PathSeg::Index(2),
                PathSeg::key("when")
            ]
        );
        assert_eq!(parse_path(".").unwrap(), vec![]);
        assert_eq!(parse_path("").unwrap(), vec![]);
        assert_eq!(format_path(&[]), ".");
        assert!(parse_path("a[x]").is_err());
        assert!(parse_path("a.").is_err());
        assert!(parse_path("a[1").is_err());
        assert!(parse_path("a.?.b").is_err());
        let odd = vec![PathSeg::key("a b\"\\\n")];
        assert_eq!(parse_path(&format_path(&odd)).unwrap(), odd);
    }
}
