//! A fast path for the block-YAML most policies are written in: block mappings and
//! sequences (compact `- key: value` items included), single-line plain and quoted scalars
//! (escapes included), literal and folded block scalars (`|`, `|-`, `>`, `>-`) without blank
//! or (folded) more-indented lines inside, comments, and single-line flow collections. It
//! reads the bytes straight into flat nodes ([`flat`](crate::source::flat)), with no event
//! stream; the [`Value`] tree and the span index are built from those.
//!
//! The invariant: for any text, [`parse`] either declines (`None`, having reported nothing)
//! or gives exactly what the `saphyr-parser` path gives, values and spans alike, down to the
//! loader's quirks (where a quoted scalar's span ends, where an indentless sequence starts).
//! So it declines on everything outside its subset and on anything suspicious (tabs, CR,
//! anchors, aliases, merge keys, tags, other block scalars, multi-line plain or quoted
//! scalars, multi-line flow collections, `?` keys, empty sequence items, duplicate keys,
//! non-string keys, directives, document markers other than one leading `---`, a BOM or
//! other special characters, empty documents, ...), and the full parser then reads the text
//! from scratch, errors included.

use std::borrow::Cow;
use std::sync::Arc;

use crate::source::flat::{self, Doc, Kind, Node, Scalar, Text};
use crate::source::scalar::{self, ScalarKind};
use crate::source::span::SourceText;
use crate::source::{Document, MAX_DEPTH, MAX_NODES};
use crate::value::Value;

/// The fast path gives up: the full parser must read the text.
struct Decline;

type Res<T> = Result<T, Decline>;

#[cfg(test)]
thread_local! {
    /// Where the last decline came from, for the tests' messages.
    pub(crate) static DECLINED_AT: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

#[track_caller]
fn decline() -> Decline {
    #[cfg(test)]
    {
        let line = std::panic::Location::caller().line();
        DECLINED_AT.with(|d| d.set(line));
    }
    Decline
}

/// Deepest nesting the fast path takes on (well inside [`MAX_DEPTH`]).
const DEPTH_LIMIT: usize = if MAX_DEPTH < 64 { MAX_DEPTH } else { 64 };

/// Longest implicit key the fast path takes on (YAML limits them to 1024 characters).
const KEY_LIMIT: usize = 512;

/// Where the first byte a block plain scalar's scan must look at (`:`, `#`, a line break)
/// is in `tail`, or its length.
fn find_block_special(tail: &[u8]) -> usize {
    find_any(tail, [b':', b'#', b'\n'])
}

/// Where the first of the bytes `specials` is in `tail`, or its length: eight bytes at a
/// time, then one by one.
fn find_any(tail: &[u8], specials: [u8; 3]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // A high bit for each byte of `w` equal to `b` (and maybe others after it).
    let has = |w: u64, b: u8| {
        let x = w ^ (ONES * u64::from(b));
        x.wrapping_sub(ONES) & !x & HIGHS
    };
    let [a, b, c] = specials;
    let mut skipped = 0;
    let mut chunks = tail.chunks_exact(8);
    for chunk in &mut chunks {
        let Some(word) = chunk.first_chunk::<8>() else {
            break;
        };
        let w = u64::from_le_bytes(*word);
        if has(w, a) | has(w, b) | has(w, c) != 0 {
            break;
        }
        skipped += 8;
    }
    let rest = tail.get(skipped..).unwrap_or(&[]);
    skipped
        + rest
            .iter()
            .position(|&x| x == a || x == b || x == c)
            .unwrap_or(rest.len())
}

/// How a plain scalar's scan stopped.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// At a `:` followed by a space, a line break or the end: a mapping key ends here.
    Colon,
    /// At the end of the line, at a comment, or (in flow) at a flow indicator.
    End,
}

struct Fast<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Where the line holding `pos` starts.
    line_start: usize,
    /// The nodes read so far, in document order.
    out: Vec<Node<'a>>,
    /// The strings decoded so far (the nodes' [`Text::Owned`]).
    owned: Vec<String>,
    /// Nodes counted against [`MAX_NODES`] (keys count too, as in the full parser).
    nodes: usize,
}

/// Parses `text` if it is within the fast path's subset; `None` (nothing reported) otherwise.
pub(crate) fn parse(text: &str, source: &Arc<SourceText>) -> Option<Vec<Document>> {
    with_flat(text, |doc| Some(vec![flat::to_document(doc, source)?]))
}

/// Whether `text` is within the fast path's subset.
#[cfg(test)]
pub(crate) fn parse_flat(text: &str) -> Option<usize> {
    with_flat(text, |doc| Some(doc.nodes.len()))
}

/// `f` of the document read if `text` is within the fast path's subset; `None` otherwise.
/// The vectors read into are this thread's spare ones, given back after.
pub(crate) fn with_flat<R>(text: &str, f: impl FnOnce(Doc<'_>) -> Option<R>) -> Option<R> {
    let (nodes, owned) = SPARE.try_with(std::cell::Cell::take).unwrap_or_default();
    let (nodes, owned, read) = read_flat(text, nodes, owned);
    let result = if read {
        f(Doc {
            nodes: &nodes,
            owned: &owned,
        })
    } else {
        None
    };
    keep(nodes, owned);
    result
}

type Spare = (Vec<Node<'static>>, Vec<String>);

thread_local! {
    /// The vectors of the last read on this thread, empty, for the next one: one large
    /// allocation fewer per read, and no large free (which makes glibc consolidate its fast
    /// bins) after it. A nested read, while they are taken, starts with empty ones.
    static SPARE: std::cell::Cell<Spare> =
        const { std::cell::Cell::new((Vec::new(), Vec::new())) };
}

/// Keeps the vectors' allocations as this thread's spares unless larger than worth keeping.
fn keep(mut nodes: Vec<Node<'_>>, mut owned: Vec<String>) {
    const KEEP_BYTES: usize = 1 << 20;
    if nodes
        .capacity()
        .saturating_mul(std::mem::size_of::<Node<'_>>())
        > KEEP_BYTES
    {
        return;
    }
    // Nodes are plain data: clearing them is free.
    nodes.clear();
    owned.clear();
    owned.shrink_to(64);
    // Moved into a vector of the same layout, which the standard library collects in place
    // (keeping the allocation): the nodes borrowed the text. (The `filter_map` is what
    // changes the lifetime; `filter` could not.)
    #[allow(clippy::unnecessary_filter_map)]
    let nodes: Vec<Node<'static>> = nodes.into_iter().filter_map(|_| None).collect();
    let _ = SPARE.try_with(|spare| spare.set((nodes, owned)));
}

/// Reads `text` into `nodes` and `owned` (emptied first); whether `text` is within the fast
/// path's subset (if not, they hold what was read before it declined).
fn read_flat<'a>(
    text: &'a str,
    mut nodes: Vec<Node<'a>>,
    mut owned: Vec<String>,
) -> (Vec<Node<'a>>, Vec<String>, bool) {
    nodes.clear();
    owned.clear();
    if !plain_characters(text) {
        return (nodes, owned, false);
    }
    nodes.reserve((text.len() / 12).min(MAX_NODES));
    let mut fast = Fast {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        line_start: 0,
        out: nodes,
        owned,
        nodes: 0,
    };
    let read = fast.document().is_ok();
    (fast.out, fast.owned, read)
}

/// Whether every character is one the fast path takes as it is: no tabs, CRs or other control
/// characters, and beyond ASCII nothing YAML treats specially (C1 controls, NEL, the BOM,
/// line and paragraph separators, non-characters).
fn plain_characters(text: &str) -> bool {
    let ascii_ok = |b: u8| b == b'\n' || (0x20..0x7f).contains(&b);
    // One branch-free pass (it vectorises) for the usual all-ASCII text.
    let odd = text.bytes().fold(false, |odd, b| {
        odd | ((b < 0x20) & (b != b'\n')) | (b >= 0x7f)
    });
    if !odd {
        return true;
    }
    text.chars().all(|c| match u32::from(c) {
        0..=0x7f => u8::try_from(c).is_ok_and(ascii_ok),
        0x80..=0x9f | 0x2028 | 0x2029 | 0xfeff | 0xfffe | 0xffff => false,
        _ => true,
    })
}

/// Characters that may not start a plain scalar (some may, before a safe character; the
/// fast path only allows `-` so).
fn is_indicator(b: u8) -> bool {
    matches!(
        b,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

fn is_flow_indicator(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

impl<'a> Fast<'a> {
    fn at(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    fn peek(&self) -> Option<u8> {
        self.at(self.pos)
    }

    fn column(&self) -> usize {
        self.pos - self.line_start
    }

    fn slice(&self, from: usize, to: usize) -> Res<&'a str> {
        self.text.get(from..to).ok_or_else(|| decline())
    }

    fn count_node(&mut self) -> Res<()> {
        self.nodes += 1;
        if self.nodes >= MAX_NODES {
            return Err(decline());
        }
        Ok(())
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    /// The whole document: one block mapping or block sequence, optionally after a `---`.
    fn document(&mut self) -> Res<()> {
        if self.text.starts_with("---") {
            if self.at(3) != Some(b'\n') {
                return Err(decline());
            }
            self.pos = 4;
            self.line_start = 4;
        }
        let indent = self.next_line()?.ok_or_else(|| decline())?;
        self.pos += indent;
        self.block_node(0, true, None)?;
        if self.next_line()?.is_some() {
            return Err(decline());
        }
        Ok(())
    }

    /// Moves from the start of a line past blank and comment lines to the start of the next
    /// line with content, and gives its indentation; `None` at the end of the text. Declines
    /// on document markers.
    fn next_line(&mut self) -> Res<Option<usize>> {
        loop {
            let start = self.pos;
            let mut i = start;
            while self.at(i) == Some(b' ') {
                i += 1;
            }
            match self.at(i) {
                None => {
                    self.pos = i;
                    return Ok(None);
                }
                Some(b'\n') => {
                    self.pos = i + 1;
                    self.line_start = self.pos;
                }
                Some(b'#') => {
                    let rest = self.bytes.get(i..).unwrap_or(&[]);
                    match rest.iter().position(|&b| b == b'\n') {
                        Some(n) => {
                            self.pos = i + n + 1;
                            self.line_start = self.pos;
                        }
                        None => {
                            self.pos = self.bytes.len();
                            return Ok(None);
                        }
                    }
                }
                Some(b) => {
                    if i == start && (b == b'-' || b == b'.') {
                        let marker = self.bytes.get(i..i + 3);
                        if (marker == Some(b"---") || marker == Some(b"..."))
                            && matches!(self.at(i + 3), None | Some(b' ' | b'\n'))
                        {
                            return Err(decline());
                        }
                    }
                    return Ok(Some(i - start));
                }
            }
        }
    }

    /// After a value: spaces, maybe a comment, then the line break (or the end).
    fn end_line(&mut self) -> Res<()> {
        self.skip_spaces();
        if self.peek() == Some(b'#') {
            if self.pos > self.line_start && self.at(self.pos - 1) != Some(b' ') {
                return Err(decline());
            }
            while !matches!(self.peek(), None | Some(b'\n')) {
                self.pos += 1;
            }
        }
        match self.peek() {
            None => Ok(()),
            Some(b'\n') => {
                self.pos += 1;
                self.line_start = self.pos;
                Ok(())
            }
            Some(_) => Err(decline()),
        }
    }

    /// Whether a block sequence item (`-` then a space, a line break or the end) starts at
    /// byte `i`.
    fn is_dash(&self, i: usize) -> bool {
        self.at(i) == Some(b'-') && matches!(self.at(i + 1), None | Some(b' ' | b'\n'))
    }

    /// A node whose first character is at `self.pos`, in block context. `own_line`: the node
    /// starts its line's content (so it may be a mapping); otherwise it follows a mapping key
    /// and must be a scalar or flow collection. `block_indent`: the least indentation a block
    /// scalar's content may have here (`None`: no block scalar).
    fn block_node(&mut self, depth: usize, own_line: bool, block_indent: Option<usize>) -> Res<()> {
        let Some(b) = self.peek() else {
            return Err(decline());
        };
        if own_line && self.is_dash(self.pos) {
            return self.block_seq(depth, false);
        }
        match b {
            b'|' | b'>' => match block_indent {
                Some(min) => self.block_scalar(min),
                None => Err(decline()),
            },
            b'[' | b'{' => {
                self.flow_node(depth)?;
                self.end_line()
            }
            b'"' | b'\'' => {
                let start = self.pos;
                let (s, end) = self.quoted()?;
                if own_line && self.peek() == Some(b':') {
                    self.pos = start;
                    return self.block_map(depth, None);
                }
                self.string_leaf(s, quoted_kind(b), start, end)?;
                self.end_line()
            }
            _ => {
                let start = self.pos;
                let (raw, stop) = self.plain(false)?;
                if stop == Stop::Colon {
                    if !own_line {
                        return Err(decline());
                    }
                    return self.block_map(depth, Some((start, raw)));
                }
                self.plain_leaf(raw, start)?;
                self.end_line()
            }
        }
    }

    /// A block mapping whose first key is at `self.pos`.
    ///
    /// `scanned`: where the first key starts and its text when the caller has already
    /// scanned it as a plain scalar (`self.pos` is then where the scan stopped).
    fn block_map(&mut self, depth: usize, mut scanned: Option<(usize, &'a str)>) -> Res<()> {
        if depth >= DEPTH_LIMIT {
            return Err(decline());
        }
        self.count_node()?;
        let start = scanned.map_or(self.pos, |(at, _)| at);
        let col = start - self.line_start;
        let map = self.open(start, Kind::Map { len: 0 });
        let mut len = 0;
        loop {
            let key_at = scanned.map_or(self.pos, |(at, _)| at);
            let key = self.block_key(scanned.take())?;
            // `self.pos` is at the `:`, which a space, a line break or the end follows.
            let colon = self.pos;
            self.pos += 1;
            self.skip_spaces();
            let child = self.out.len();
            if matches!(self.peek(), None | Some(b'\n' | b'#')) {
                self.end_line()?;
                match self.next_line()? {
                    Some(indent) if indent > col => {
                        self.pos += indent;
                        self.nested_block(depth)?;
                    }
                    Some(indent) if indent == col && self.is_dash(self.pos + indent) => {
                        self.pos += indent;
                        self.block_seq(depth + 1, true)?;
                    }
                    _ => {
                        self.count_node()?;
                        self.leaf(colon, Kind::Scalar(Scalar::Null));
                    }
                }
            } else {
                self.block_node(depth + 1, false, Some(col + 1))?;
            }
            self.set_key(child, key, key_at)?;
            len += 1;
            match self.next_line()? {
                Some(indent) if indent == col => {
                    self.pos += indent;
                    if self.is_dash(self.pos) {
                        return Err(decline());
                    }
                }
                Some(indent) if indent > col => return Err(decline()),
                _ => break,
            }
        }
        self.close(map, Kind::Map { len })
    }

    /// A node that starts on its own line below a mapping key or a sequence's `-`: it must be
    /// a collection (a scalar there may continue over lines).
    fn nested_block(&mut self, depth: usize) -> Res<()> {
        let at = self.out.len();
        self.block_node(depth + 1, true, None)?;
        match self.out.get(at).map(|n| &n.kind) {
            Some(Kind::Map { .. } | Kind::List { .. }) => Ok(()),
            _ => Err(decline()),
        }
    }

    /// A block mapping's key at `self.pos`, leaving `self.pos` at its `:`.
    ///
    /// `scanned`: where the plain key starts and its text, when the caller has already
    /// scanned it.
    fn block_key(&mut self, scanned: Option<(usize, &'a str)>) -> Res<Cow<'a, str>> {
        if let Some((start, raw)) = scanned {
            return self.finish_plain_key(start, raw, Stop::Colon);
        }
        let start = self.pos;
        let key = match self.peek() {
            Some(b'"' | b'\'') => {
                let (s, _) = self.quoted()?;
                let colon_ok = self.peek() == Some(b':')
                    && matches!(self.at(self.pos + 1), None | Some(b' ' | b'\n'));
                if !colon_ok {
                    return Err(decline());
                }
                s
            }
            _ => {
                let (raw, stop) = self.plain(false)?;
                return self.finish_plain_key(start, raw, stop);
            }
        };
        if self.pos - start > KEY_LIMIT {
            return Err(decline());
        }
        self.count_node()?;
        Ok(key)
    }

    /// A scanned plain block key starting at `start` (`self.pos` where its scan stopped).
    fn finish_plain_key(&mut self, start: usize, raw: &'a str, stop: Stop) -> Res<Cow<'a, str>> {
        // The `:` must follow the key at once.
        if stop != Stop::Colon || start + raw.len() != self.pos || raw.len() > KEY_LIMIT {
            return Err(decline());
        }
        let key = self.plain_key(raw)?;
        self.count_node()?;
        Ok(key)
    }

    /// A plain mapping key's string: its text, or an integer's decimal form; other scalars
    /// (null, bool, float) and `<<` are for the full parser.
    fn plain_key(&mut self, raw: &'a str) -> Res<Cow<'a, str>> {
        if raw == "<<" {
            return Err(decline());
        }
        if !may_resolve(raw) {
            return Ok(Cow::Borrowed(raw));
        }
        match scalar::resolve_plain(raw) {
            Ok(Value::String(_)) => Ok(Cow::Borrowed(raw)),
            Ok(Value::Int(i)) => Ok(Cow::Owned(i.to_string())),
            _ => Err(decline()),
        }
    }

    /// A block sequence whose first `-` is at `self.pos`. `indentless`: it is a mapping's
    /// value at the mapping's indentation.
    fn block_seq(&mut self, depth: usize, indentless: bool) -> Res<()> {
        if depth >= DEPTH_LIMIT {
            return Err(decline());
        }
        self.count_node()?;
        // The full parser reports an indentless sequence where its first item's content (or
        // the end of that line) starts, which its loader moves back to the `-` when only
        // spaces come between.
        let start = if indentless {
            let mut raw = self.pos + 1;
            while self.at(raw) == Some(b' ') {
                raw += 1;
            }
            if self.at(raw) == Some(b'#') {
                while !matches!(self.at(raw), None | Some(b'\n')) {
                    raw += 1;
                }
            }
            self.dash_before(raw)
        } else {
            self.pos
        };
        let col = self.column();
        let list = self.open(start, Kind::List { len: 0 });
        let mut len = 0;
        loop {
            // At a `-` followed by a space, a line break or the end.
            self.pos += 1;
            self.skip_spaces();
            if matches!(self.peek(), None | Some(b'\n' | b'#')) {
                self.end_line()?;
                match self.next_line()? {
                    Some(indent) if indent > col => {
                        self.pos += indent;
                        self.nested_block(depth)?;
                    }
                    // An empty item: for the full parser.
                    _ => return Err(decline()),
                }
            } else {
                self.block_node(depth + 1, true, Some(col + 2))?;
            }
            len += 1;
            match self.next_line()? {
                Some(indent) if indent == col && self.is_dash(self.pos + indent) => {
                    self.pos += indent;
                }
                Some(indent) if indent > col => return Err(decline()),
                _ => break,
            }
        }
        self.close(list, Kind::List { len })
    }

    /// A flow collection on one line, at `self.pos` (`[` or `{`); leaves `self.pos` past its
    /// closing bracket.
    fn flow_node(&mut self, depth: usize) -> Res<()> {
        if depth >= DEPTH_LIMIT {
            return Err(decline());
        }
        self.count_node()?;
        let is_map = self.peek() == Some(b'{');
        // The full parser reports a flow sequence that follows an item's `-` at the `-`.
        let start = if is_map {
            self.pos
        } else {
            self.dash_before(self.pos)
        };
        let close = if is_map { b'}' } else { b']' };
        let node = self.open(
            start,
            if is_map {
                Kind::Map { len: 0 }
            } else {
                Kind::List { len: 0 }
            },
        );
        let mut len = 0;
        self.pos += 1;
        self.skip_spaces();
        if self.peek() == Some(close) {
            self.pos += 1;
        } else {
            loop {
                if is_map {
                    let key_at = self.pos;
                    let key = self.flow_key()?;
                    // At the `:`, a space after it.
                    self.pos += 2;
                    self.skip_spaces();
                    let child = self.out.len();
                    self.flow_value(depth)?;
                    self.set_key(child, key, key_at)?;
                } else {
                    self.flow_value(depth)?;
                }
                len += 1;
                self.skip_spaces();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        self.skip_spaces();
                        if matches!(self.peek(), Some(b']' | b'}' | b',')) {
                            return Err(decline());
                        }
                    }
                    Some(b) if b == close => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(decline()),
                }
            }
        }
        if is_map {
            self.close(node, Kind::Map { len })
        } else {
            self.close(node, Kind::List { len })
        }
    }

    /// Where the full parser's loader says a sequence starting at `offset` starts: at the `-`
    /// of the item it opens when only spaces separate them (see `yaml.rs`).
    fn dash_before(&self, offset: usize) -> usize {
        if self.at(offset) == Some(b'-') {
            return offset;
        }
        let mut i = offset;
        while i > 0 && self.at(i - 1) == Some(b' ') {
            i -= 1;
        }
        let dash_ok = i > 0
            && i < offset
            && self.at(i - 1) == Some(b'-')
            && (i == 1 || matches!(self.at(i - 2), Some(b' ' | b'\n')));
        if dash_ok { i - 1 } else { offset }
    }

    /// A literal (`|`, `|-`) or folded (`>`, `>-`) block scalar whose indicator is at
    /// `self.pos`, with content lines indented at least `min_indent`, all alike (folded) and
    /// with no blank lines among them. Leaves `self.pos` at the start of the line after it.
    fn block_scalar(&mut self, min_indent: usize) -> Res<()> {
        let folded = self.peek() == Some(b'>');
        self.pos += 1;
        let strip = self.peek() == Some(b'-');
        if strip {
            self.pos += 1;
        }
        if !matches!(self.peek(), None | Some(b' ' | b'\n')) {
            return Err(decline());
        }
        self.end_line()?;
        // The first content line sets the indentation.
        let first_line = self.pos;
        let mut indent = 0;
        while self.at(first_line + indent) == Some(b' ') {
            indent += 1;
        }
        if indent < min_indent || matches!(self.at(first_line + indent), None | Some(b'\n')) {
            return Err(decline());
        }
        let start = first_line + indent;
        let mut value = String::new();
        let mut line = first_line;
        // The start of the line after the content, and the end of the scalar's span (where
        // the next line with content starts, or the end of the text).
        let (after, end) = loop {
            let mut spaces = 0;
            while self.at(line + spaces) == Some(b' ') {
                spaces += 1;
            }
            match self.at(line + spaces) {
                None if spaces == 0 => break (line, line),
                None | Some(b'\n') => {
                    // Blank lines may only follow the content, each with fewer spaces than
                    // its indentation; then the text ends or a less-indented line follows.
                    let mut blank = line;
                    loop {
                        let mut spaces = 0;
                        while self.at(blank + spaces) == Some(b' ') {
                            spaces += 1;
                        }
                        if spaces >= indent {
                            return Err(decline());
                        }
                        match self.at(blank + spaces) {
                            Some(b'\n') => blank += spaces + 1,
                            _ => break,
                        }
                    }
                    let mut spaces = 0;
                    while self.at(blank + spaces) == Some(b' ') {
                        spaces += 1;
                    }
                    break (blank, blank + spaces);
                }
                Some(_) if spaces < indent => break (line, line + spaces),
                Some(_) => {}
            }
            if folded && spaces > indent {
                return Err(decline());
            }
            let eol = self
                .bytes
                .get(line..)
                .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
                .map_or(self.bytes.len(), |i| line + i);
            if !value.is_empty() || line != first_line {
                value.push(if folded { ' ' } else { '\n' });
            }
            value.push_str(self.slice(line + indent, eol)?);
            line = (eol + 1).min(self.bytes.len());
            if eol == self.bytes.len() {
                break (line, line);
            }
        };
        if !strip {
            value.push('\n');
        }
        self.pos = after;
        self.line_start = after;
        let kind = if folded {
            ScalarKind::Folded
        } else {
            ScalarKind::Literal
        };
        self.string_leaf(Cow::Owned(value), kind, start, end)
    }

    /// A flow mapping's key, leaving `self.pos` at its `:` (which a space follows).
    fn flow_key(&mut self) -> Res<Cow<'a, str>> {
        let start = self.pos;
        let key = match self.peek() {
            Some(b'"' | b'\'') => self.quoted()?.0,
            _ => {
                let (raw, stop) = self.plain(true)?;
                if stop != Stop::Colon || start + raw.len() != self.pos {
                    return Err(decline());
                }
                self.plain_key(raw)?
            }
        };
        if self.peek() != Some(b':') || self.at(self.pos + 1) != Some(b' ') {
            return Err(decline());
        }
        if self.pos - start > KEY_LIMIT {
            return Err(decline());
        }
        self.count_node()?;
        Ok(key)
    }

    /// A value inside a flow collection: a scalar or a nested flow collection.
    fn flow_value(&mut self, depth: usize) -> Res<()> {
        match self.peek() {
            Some(b'[' | b'{') => self.flow_node(depth + 1),
            Some(b @ (b'"' | b'\'')) => {
                let start = self.pos;
                let (s, end) = self.quoted()?;
                self.string_leaf(s, quoted_kind(b), start, end)
            }
            _ => {
                let start = self.pos;
                let (raw, stop) = self.plain(true)?;
                if stop == Stop::Colon {
                    return Err(decline());
                }
                self.plain_leaf(raw, start)
            }
        }
    }

    /// Scans a single-line plain scalar at `self.pos`, leaving `self.pos` where it stopped
    /// (its text is trimmed of trailing spaces). In flow context it must stop at a flow
    /// indicator or a mapping `: `.
    fn plain(&mut self, flow: bool) -> Res<(&'a str, Stop)> {
        let start = self.pos;
        let first = self.peek().ok_or_else(|| decline())?;
        if first == b' ' || first == b'\n' {
            return Err(decline());
        }
        if is_indicator(first) {
            // `-` may start a plain scalar before a "safe" character (`-1`, `-x`).
            let next = self.at(start + 1);
            let safe = first == b'-'
                && next.is_some_and(|n| n != b' ' && n != b'\n' && !(flow && is_flow_indicator(n)));
            if !safe {
                return Err(decline());
            }
        }
        let rest = self.bytes.get(start..).unwrap_or(&[]);
        let mut i = 1;
        let stop = loop {
            // Skip ordinary bytes: the rest of a line is mostly those.
            i += rest.get(i..).map_or(0, |tail| {
                if flow {
                    tail.iter()
                        .position(|&b| b == b'\n' || is_indicator(b))
                        .unwrap_or(tail.len())
                } else {
                    find_block_special(tail)
                }
            });
            let prev_space = rest.get(i - 1) == Some(&b' ');
            match rest.get(i) {
                None | Some(b'\n') => {
                    if flow {
                        return Err(decline());
                    }
                    break Stop::End;
                }
                Some(b':') => match rest.get(i + 1) {
                    None | Some(b' ' | b'\n') => break Stop::Colon,
                    _ if flow => return Err(decline()),
                    _ => {}
                },
                Some(b'#') if prev_space => {
                    if flow {
                        return Err(decline());
                    }
                    break Stop::End;
                }
                Some(&b) if flow && is_flow_indicator(b) => break Stop::End,
                // In flow, leave words starting with an indicator to the full parser.
                Some(_) if flow && prev_space => return Err(decline()),
                Some(_) => {}
            }
            i += 1;
        };
        let mut len = i;
        while len > 1 && rest.get(len - 1) == Some(&b' ') {
            len -= 1;
        }
        let raw = self.slice(start, start + len)?;
        self.pos = if stop == Stop::Colon {
            start + i
        } else {
            start + raw.len()
        };
        Ok((raw, stop))
    }

    /// A quoted scalar at `self.pos` on one line; leaves `self.pos` past its closing quote.
    /// Gives the decoded string and where the full parser says the scalar ends: past the
    /// spaces after it, and past a comment that follows them.
    fn quoted(&mut self) -> Res<(Cow<'a, str>, usize)> {
        let quote = self.peek().ok_or_else(|| decline())?;
        let start = self.pos + 1;
        let mut i = start;
        let mut decoded: Option<String> = None;
        // What can end a run of characters taken as they are.
        let specials = if quote == b'\'' {
            [b'\'', b'\n', b'\'']
        } else {
            [b'"', b'\\', b'\n']
        };
        loop {
            let run = find_any(self.bytes.get(i..).unwrap_or_default(), specials);
            if run > 0 {
                if let Some(buf) = decoded.as_mut() {
                    buf.push_str(self.slice(i, i + run)?);
                }
                i += run;
            }
            let Some(b) = self.at(i) else {
                return Err(decline());
            };
            let escape = match b {
                b'\n' => return Err(decline()),
                b'\'' if quote == b'\'' => {
                    if self.at(i + 1) != Some(b'\'') {
                        break;
                    }
                    true
                }
                b'"' if quote == b'"' => break,
                b'\\' if quote == b'"' => true,
                _ => false,
            };
            if escape && decoded.is_none() {
                let mut buf = String::with_capacity(i - start + 8);
                buf.push_str(self.slice(start, i)?);
                decoded = Some(buf);
            }
            match (escape, decoded.as_mut()) {
                (true, Some(buf)) if quote == b'\'' => {
                    buf.push('\'');
                    i += 2;
                }
                (true, Some(buf)) => i = self.escape(i + 1, buf)?,
                (_, Some(buf)) => {
                    // Copy the whole character.
                    let len = utf8_len(b);
                    buf.push_str(self.slice(i, i + len)?);
                    i += len;
                }
                (_, None) => i += 1,
            }
        }
        // `i` is at the closing quote.
        let value = match decoded {
            Some(s) => Cow::Owned(s),
            None => Cow::Borrowed(self.slice(start, i)?),
        };
        self.pos = i + 1;
        let mut end = self.pos;
        while self.at(end) == Some(b' ') {
            end += 1;
        }
        if self.at(end) == Some(b'#') {
            if end == self.pos {
                return Err(decline());
            }
            while !matches!(self.at(end), None | Some(b'\n')) {
                end += 1;
            }
        }
        Ok((value, end))
    }

    /// Decodes the escape whose letter is at byte `i` into `buf`; gives the byte after it.
    fn escape(&self, i: usize, buf: &mut String) -> Res<usize> {
        let e = self.at(i).ok_or_else(|| decline())?;
        let c = match e {
            b'0' => '\0',
            b'a' => '\u{7}',
            b'b' => '\u{8}',
            b't' => '\t',
            b'n' => '\n',
            b'v' => '\u{b}',
            b'f' => '\u{c}',
            b'r' => '\r',
            b'e' => '\u{1b}',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{a0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            b'x' | b'u' | b'U' => {
                let n = match e {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let hex = self.slice(i + 1, i + 1 + n)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(decline());
                }
                let code = u32::from_str_radix(hex, 16).map_err(|_| decline())?;
                buf.push(char::from_u32(code).ok_or_else(|| decline())?);
                return Ok(i + 1 + n);
            }
            _ => return Err(decline()),
        };
        buf.push(c);
        Ok(i + 1)
    }

    fn string_leaf(
        &mut self,
        text: Cow<'a, str>,
        style: ScalarKind,
        start: usize,
        end: usize,
    ) -> Res<()> {
        self.count_node()?;
        let text = self.text(text);
        self.leaf(start, Kind::Str { text, style, end });
        Ok(())
    }

    /// A plain scalar resolved by the core schema.
    fn plain_leaf(&mut self, raw: &'a str, start: usize) -> Res<()> {
        self.count_node()?;
        if may_resolve(raw) {
            let value = scalar::resolve_plain(raw).map_err(|_| decline())?;
            if let Some(scalar) = Scalar::of(&value) {
                self.leaf(start, Kind::Scalar(scalar));
                return Ok(());
            }
        }
        // Each node is written where it goes (a kind built first and then moved costs more).
        self.leaf(
            start,
            Kind::Str {
                text: Text::Borrowed(raw),
                style: ScalarKind::Plain,
                end: start + raw.len(),
            },
        );
        Ok(())
    }

    /// A string as a node holds it: decoded ones go to the owned strings.
    fn text(&mut self, text: Cow<'a, str>) -> Text<'a> {
        match text {
            Cow::Borrowed(s) => Text::Borrowed(s),
            Cow::Owned(s) => {
                self.owned.push(s);
                Text::Owned(self.owned.len() - 1)
            }
        }
    }

    /// Adds a scalar node whose value starts at byte `start`.
    fn leaf(&mut self, start: usize, kind: Kind<'a>) {
        let end = self.out.len() + 1;
        self.out.push(Node {
            key: None,
            key_at: 0,
            start,
            end,
            kind,
        });
    }

    /// Adds a container node starting at byte `start`, its children to follow; gives its index
    /// for [`Fast::close`].
    fn open(&mut self, start: usize, kind: Kind<'a>) -> usize {
        let at = self.out.len();
        self.out.push(Node {
            key: None,
            key_at: 0,
            start,
            end: at + 1,
            kind,
        });
        at
    }

    /// Finishes the container at `at` once its children are read. A mapping with a key twice
    /// is for the full parser, which reports it.
    fn close(&mut self, at: usize, kind: Kind<'a>) -> Res<()> {
        let end = self.out.len();
        let node = self.out.get_mut(at).ok_or_else(|| decline())?;
        node.end = end;
        // The node was opened as the same kind of container: only its length changes.
        node.kind = kind;
        let doc = Doc {
            nodes: &self.out,
            owned: &self.owned,
        };
        if matches!(kind, Kind::Map { .. }) && flat::has_duplicate_keys(doc, at) {
            return Err(decline());
        }
        Ok(())
    }

    /// Makes the node at `at` a mapping's value under `key`, written at byte `key_at`.
    fn set_key(&mut self, at: usize, key: Cow<'a, str>, key_at: usize) -> Res<()> {
        let key = self.text(key);
        let node = self.out.get_mut(at).ok_or_else(|| decline())?;
        node.key = Some(key);
        node.key_at = key_at;
        Ok(())
    }
}

/// Whether the core schema might read a plain scalar as something other than a string.
fn may_resolve(raw: &str) -> bool {
    matches!(
        raw.as_bytes().first(),
        None | Some(
            b'0'..=b'9' | b'+' | b'-' | b'.' | b'~' | b'n' | b'N' | b't' | b'T' | b'f' | b'F'
        )
    )
}

fn quoted_kind(quote: u8) -> ScalarKind {
    if quote == b'\'' {
        ScalarKind::SingleQuoted
    } else {
        ScalarKind::DoubleQuoted
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vectors_are_kept_for_the_next_read() {
        let text = "a: 1\nb: [x, 'y']\nc: {d: \"e\\n\"}\n";
        let _ = SPARE.with(std::cell::Cell::take);
        let read = |text| with_flat(text, |doc| Some((doc.nodes.len(), doc.owned.len())));
        assert_eq!(read(text), Some((7, 1)));
        let (nodes, owned) = SPARE.with(std::cell::Cell::take);
        assert!(
            nodes.is_empty() && nodes.capacity() >= 7,
            "{}",
            nodes.capacity()
        );
        assert!(owned.is_empty() && owned.capacity() >= 1);
        let at = nodes.as_ptr();
        SPARE.with(|spare| spare.set((nodes, owned)));
        // A read inside a read starts with its own vectors.
        let nested = with_flat(text, |outer| {
            let inner = read("x: [1]\n")?;
            Some((outer.nodes.len(), inner))
        });
        assert_eq!(nested, Some((7, (3, 0))));
        assert_eq!(read("- x\n- - y\n"), Some((4, 0)));
        // Declined text gives nothing, and the vectors still come back.
        assert_eq!(read("a: [\n"), None);
        let (nodes, _) = SPARE.with(std::cell::Cell::take);
        assert!(nodes.is_empty() && nodes.capacity() >= 7);
        assert!(std::ptr::eq(nodes.as_ptr(), at));
    }

    #[test]
    fn block_specials_are_found_in_any_position() {
        for len in 0..40 {
            let plain = "x".repeat(len);
            assert_eq!(find_block_special(plain.as_bytes()), len);
            for at in 0..len {
                for special in [b':', b'#', b'\n'] {
                    let mut bytes = plain.clone().into_bytes();
                    if let Some(b) = bytes.get_mut(at) {
                        *b = special;
                    }
                    assert_eq!(find_block_special(&bytes), at, "{len} {at} {special}");
                }
            }
        }
        // Bytes next to the specials' values must not match.
        assert_eq!(find_block_special(b";\"$9\x0b\x0b\x0b\x0bxx"), 10);
    }
}
