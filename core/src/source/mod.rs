//! Loading policies and inputs from YAML, JSON and TOML text, keeping where every node came
//! from so that later errors can point at the exact line and column.
//!
//! Core does no I/O: callers read the file and pass its name (for messages) and its text.
//!
//! ```
//! use govgate_core::source::{self, Format, PathSeg, Target};
//!
//! let text = "rules:\n  - when: input.x ==\n";
//! let docs = source::parse("p.yaml", text, Format::Yaml).unwrap();
//! let path = source::parse_path("rules[0].when").unwrap();
//! // The expression parser says the problem is at byte 10 of the string, past its end.
//! let d = docs[0].diagnostic(&path, Target::ValueOffset(10), "unexpected end of expression");
//! assert_eq!(d.to_string(), "p.yaml:2:21: unexpected end of expression (at `rules[0].when`)");
//! ```
//!
//! # What each format gives
//!
//! - **YAML**: a stream of one or more documents (`---`), resolved by the YAML 1.2 core
//!   schema: `true`/`false` (any case form the schema lists) are booleans, `null`, `~` and
//!   the empty value are null, `yes`/`no`/`on`/`off` are strings; `12`, `0x1f`, `0o17` are
//!   ints, `1.0`, `1e3` are doubles; `.inf`, `.nan` and numbers beyond a 64-bit float are
//!   errors, since JSON (the data model) has neither. A plain decimal integer too large for
//!   64 bits becomes a double, as JSON numbers do. Anchors and aliases are expanded, bounded by
//!   [`MAX_NODES`] and [`MAX_DEPTH`]; `<<` merge keys are honoured (keys written in the
//!   mapping win over merged ones). A duplicate key is an error at the second key. Mapping
//!   keys must be strings; an integer key is taken as its decimal text (`0x10: a` has key
//!   `"16"`); null, boolean, float and collection keys are errors. Tags other than the core
//!   schema's (`!!str`, `!!int`, ...) are errors.
//! - **JSON**: one document, RFC 8259, parsed here (not through the YAML parser) so numbers
//!   follow JSON exactly: integers are ints, everything else doubles.
//! - **TOML** (cargo feature `toml`, on by default): one document; datetimes become RFC 3339
//!   strings.

mod flat;
mod format;
mod json;
pub(crate) use json::{plain_run, simple_escape};
mod lines;
mod scalar;
mod span;
mod str_cache;
#[cfg(feature = "toml")]
mod toml;
mod yaml;
mod yaml_fast;

use std::fmt;
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Diagnostics, Location};
use crate::value::Value;

pub use format::format_yaml;
pub use span::{PathError, PathSeg, SpanIndex, format_path, parse_path};

use span::SourceText;

/// Most nodes one file may expand to (aliases counted as expanded), against "billion laughs".
pub const MAX_NODES: usize = 1_000_000;

/// Deepest nesting of lists and maps accepted (aliases counted as expanded).
pub const MAX_DEPTH: usize = 128;

/// Most errors reported from one file before giving up.
const MAX_ERRORS: usize = 50;

/// A source text format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// YAML 1.2 (`.yaml`, `.yml`).
    Yaml,
    /// JSON (`.json`).
    Json,
    /// TOML (`.toml`).
    Toml,
}

impl Format {
    /// The format a file name's extension names (case-insensitive), if any.
    pub fn from_path(path: &str) -> Option<Format> {
        let (_, ext) = path.rsplit_once('.')?;
        if ext.contains(['/', '\\']) {
            return None;
        }
        match ext.to_ascii_lowercase().as_str() {
            "yaml" | "yml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            "toml" => Some(Format::Toml),
            _ => None,
        }
    }

    /// The format's name in lowercase: `yaml`, `json`, `toml`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
            Format::Toml => "toml",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One parsed document: its value, and where each of its nodes was written.
#[derive(Clone, Debug)]
pub struct Document {
    /// The document's value.
    pub value: Value,
    /// Where each node of `value` sits in the source text.
    pub spans: SpanIndex,
}

/// Which place of a node a diagnostic points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The node's map key if it has one, else its value: for "this field is wrong".
    Node,
    /// The node's map key (its value when it has none): for "unknown field".
    Key,
    /// The start of the node's value: for "expected a list, found a string".
    Value,
    /// The character at this byte offset of the node's decoded string value: for errors
    /// inside an expression. Falls back to the value's start for non-strings.
    ValueOffset(usize),
}

impl Document {
    /// Where `target` of the node at `path` is. When the document lacks the node (a missing
    /// field, say), the deepest node along `path` that it has stands in for it.
    pub fn location(&self, path: &[PathSeg], target: Target) -> Option<Location> {
        let (node, found) = self.spans.deepest(path)?;
        let key_or_value = node.key.unwrap_or(node.value);
        if found < path.len() {
            return self.spans.location_of(key_or_value);
        }
        match target {
            Target::Node | Target::Key => self.spans.location_of(key_or_value),
            Target::Value => self.spans.location_of(node.value),
            Target::ValueOffset(offset) => self
                .spans
                .value_offset_location(path, offset)
                .or_else(|| self.spans.location_of(node.value)),
        }
    }

    /// A diagnostic about the node at `path`: the file name, location, source line and
    /// printed path (`rules[2].when`) filled in. When the location is unknown the diagnostic
    /// still names the file and path.
    pub fn diagnostic(
        &self,
        path: &[PathSeg],
        target: Target,
        message: impl Into<String>,
    ) -> Diagnostic {
        let file = self.spans.file().unwrap_or("");
        let mut d = Diagnostic::new(file, message).with_path(format_path(path));
        if let (Some(loc), Some(text)) = (self.location(path, target), self.spans.text()) {
            d = d.at(loc, text);
        }
        d
    }
}

/// A diagnostic about the node at `path` of `doc`; see [`Document::diagnostic`].
pub fn locate(
    doc: &Document,
    path: &[PathSeg],
    target: Target,
    message: impl Into<String>,
) -> Diagnostic {
    doc.diagnostic(path, target, message)
}

/// Parses `text` (the contents of `file`) as `format` into its documents: YAML may hold
/// several (`---`), or none when it has only comments; JSON and TOML give exactly one.
///
/// A leading byte-order mark is ignored (positions count from after it). Errors carry the
/// file, line, column and source line. Syntax errors stop at the first;
/// other problems (duplicate keys, bad keys, unsupported tags) are all reported.
pub fn parse(file: &str, text: &str, format: Format) -> Result<Vec<Document>, Diagnostics> {
    // Positions count from after a byte-order mark, as editors show them.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let source = Arc::new(SourceText::new(file, text));
    match format {
        Format::Yaml => yaml::parse(file, text, &source),
        Format::Json => json::parse(file, text, &source),
        #[cfg(feature = "toml")]
        Format::Toml => toml::parse(file, text, &source),
        #[cfg(not(feature = "toml"))]
        Format::Toml => Err(
            Diagnostic::new(file, "toml support is not built into this govgate")
                .with_help("use yaml or json")
                .into(),
        ),
    }
}

/// Reads typed data straight from YAML text within the fast path's subset, building neither
/// a [`Value`] tree nor a span index: `None` when the text is outside that subset or the data
/// does not fit `T`, and the caller then goes through [`parse`], which says what is wrong and
/// where. Mapping entries arrive in the order written, where reading [`parse`]'s value gives
/// them sorted by key; so for a `T` whose reading does not depend on that order (derived
/// structs, `BTreeMap`s, [`Value`]: the policy document), `Some` is what reading the value
/// would give. Tests check that on the policy document with keys written in shuffled orders.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn read_yaml_fast<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    yaml_fast::with_flat(text, |doc| T::deserialize(flat::NodeRef::root(doc)).ok())
}

/// Like [`parse`], but when a multi-document YAML stream has an error in one document, the
/// others are still read: each `---`-separated document is parsed on its own (with the lines
/// before it left empty, so lines and columns are those of the file) and the broken ones come
/// back as their errors, in their place. A limit on the whole stream (the node count once
/// aliases are expanded) is never recovered around: it stays one error, as do errors in JSON
/// and TOML (one document each) and files where no document can be read.
pub fn parse_each(
    file: &str,
    text: &str,
    format: Format,
) -> Result<Vec<Result<Document, Diagnostics>>, Diagnostics> {
    let whole = match parse(file, text, format) {
        Ok(docs) => return Ok(docs.into_iter().map(Ok).collect()),
        Err(e) => e,
    };
    let over_limit = format!("more than {MAX_NODES} nodes");
    if format != Format::Yaml || whole.0.iter().any(|d| d.message.contains(&over_limit)) {
        return Err(whole);
    }
    let chunks = yaml_document_chunks(text);
    if chunks.len() < 2 {
        return Err(whole);
    }
    let mut out = Vec::new();
    for chunk in &chunks {
        match parse(file, chunk, Format::Yaml) {
            Ok(docs) => out.extend(docs.into_iter().map(Ok)),
            Err(e) => out.push(Err(e)),
        }
    }
    if out.iter().all(Result::is_err) {
        return Err(whole);
    }
    Ok(out)
}

/// The documents of a YAML stream as separate texts, one a document the whole-stream parse
/// would give, in its order: split at `---` (an explicit document, even an empty one) and
/// after `...`; directives (`%YAML`) stay with the document they precede. Every line before a
/// document's own lines is left empty, so positions in it are positions in the file.
fn yaml_document_chunks(text: &str) -> Vec<String> {
    let is_marker = |line: &str, mark: &str| {
        line.strip_prefix(mark)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r']))
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    // Each document's first line, last line (exclusive) and whether it is explicit (`---`).
    let mut docs: Vec<(usize, usize, bool)> = Vec::new();
    let mut start = 0; // where the current document's lines (directives included) begin
    let mut explicit = false;
    let mut content = false;
    let mut after_end = false; // just after a `...`: only directives or `---` may follow
    for (i, line) in lines.iter().enumerate() {
        let bare = line.trim_end_matches(['\n', '\r']);
        let trimmed = bare.trim();
        if is_marker(bare, "---") {
            if explicit || content {
                docs.push((start, i, explicit));
                start = i;
            }
            explicit = true;
            content = !bare.trim_start_matches('-').trim().is_empty();
            after_end = false;
        } else if is_marker(bare, "...") {
            if explicit || content {
                docs.push((start, i + 1, explicit));
            }
            start = i + 1;
            explicit = false;
            content = false;
            after_end = true;
        } else if bare.starts_with('%') && !explicit && !content {
            // A directive: it belongs to the next document, whose lines it starts.
        } else if !trimmed.is_empty() && !trimmed.starts_with('#') {
            if after_end && !explicit {
                start = start.min(i);
            }
            content = true;
        }
    }
    if explicit || content {
        docs.push((start, lines.len(), explicit));
    }
    docs.iter()
        .map(|&(from, to, _)| {
            let mut chunk = "\n".repeat(from);
            for line in lines.get(from..to).unwrap_or(&[]) {
                chunk.push_str(line);
            }
            chunk
        })
        .collect()
}

/// Parses text that must hold exactly one document (an input, say). A YAML file with no
/// document gives `null`; one with several is an error at the second.
pub fn parse_one(file: &str, text: &str, format: Format) -> Result<Document, Diagnostics> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut docs = parse(file, text, format)?;
    if docs.len() > 1 {
        let count = docs.len();
        let mut d = Diagnostic::new(file, format!("expected one document, found {count}"))
            .with_help("remove the `---` separators, or split the file");
        if let Some(loc) = docs.get(1).and_then(|doc| doc.spans.value_location(&[])) {
            d = d.at(loc, text);
        }
        return Err(d.into());
    }
    Ok(docs.pop().unwrap_or_else(|| Document {
        value: Value::Null,
        spans: SpanIndex::default(),
    }))
}

#[cfg(test)]
pub(crate) mod test_rng;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod yaml_fast_tests;
