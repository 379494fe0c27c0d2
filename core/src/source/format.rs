//! `govgate fmt`: normalizes a YAML file's layout without touching its content.
//!
//! The formatter works on lines. The parser tells it which lines continue a multi-line node
//! (a block scalar's content, a quoted or plain scalar folded over lines, a flow collection
//! written over several lines); every other line is a structural line (a key, a `- ` entry),
//! a comment, a blank line or a document marker. Structural lines are re-indented from a stack
//! of the indentation levels seen so far, two spaces a level; continuation lines move by the
//! same amount as the line their node starts on, so their text (and so their value) is kept.
//! Comments take the indentation of the level they sit in.
//!
//! The result is checked before it is returned: it must parse to the same values as the input,
//! and formatting it again must change nothing. If either check fails the formatter returns an
//! error instead of output.

use std::collections::HashSet;

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::lines::LineIndex;
use crate::source::{Format, parse};
use crate::value::Value;

/// Formats a YAML file; see the module documentation for what changes and what is kept.
///
/// Keeps every comment, key order and each scalar's text as written (quotes, block scalars,
/// flow collections on their lines); re-indents structure to two spaces a level (a block
/// sequence under a key is indented, `  - item`), puts one space after each `-`, strips
/// trailing whitespace (except inside block scalars, where it is content), collapses runs of
/// blank lines to one, drops leading blank lines and ends the file with exactly one newline.
/// Document markers (`---`, `...`) and directives are kept.
///
/// Errors: the input's own parse errors, or an error when the formatted text would not mean
/// the same as the input (the input is then best left as it is).
pub fn format_yaml(file: &str, text: &str) -> Result<String, Diagnostics> {
    let before = parse(file, text, Format::Yaml)?;
    let out = format_once(text);
    let after = parse(file, &out, Format::Yaml).map_err(|_| internal(file))?;
    let same = before.len() == after.len()
        && before
            .iter()
            .zip(&after)
            .all(|(a, b)| same_value(&a.value, &b.value));
    if !same || format_once(&out) != out {
        return Err(internal(file).into());
    }
    Ok(out)
}

fn internal(file: &str) -> Diagnostic {
    Diagnostic::new(file, "cannot format this file without changing its meaning")
        .with_help("the file was left as it is; please report this as a govgate bug")
}

/// Value equality where NaN equals NaN and `0.0` differs from `-0.0`.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Double(x), Value::Double(y)) => {
            x.to_bits() == y.to_bits() || x.is_nan() && y.is_nan()
        }
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| same_value(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((ka, va), (kb, vb))| ka == kb && same_value(va, vb))
        }
        _ => a == b,
    }
}

/// How a continuation line belongs to a multi-line node.
#[derive(Clone, Copy)]
struct Continuation {
    /// The line the node starts on (0-based), which is structural.
    owner: usize,
    /// For block scalar content: the content indentation (spaces).
    block_indent: Option<usize>,
}

/// Whether a block scalar header (`key: |2-  # c`) at the end of `line` gives an explicit
/// indentation indicator.
fn has_indent_indicator(line: &str) -> bool {
    let code = match line.find(" #") {
        Some(i) => line.get(..i).unwrap_or(line),
        None => line,
    };
    code.split_whitespace()
        .last()
        .is_some_and(|h| h.starts_with(['|', '>']) && h.bytes().any(|b| b.is_ascii_digit()))
}

struct Region {
    owner: usize,
    first: usize,
    last: usize,
    block_indent: Option<usize>,
    /// A scalar's lines (where blank lines are content), not a flow collection's.
    scalar: bool,
}

/// What the parser says about the text's lines.
struct Layout {
    regions: Vec<Region>,
    /// `(line, column)`, both 0-based, where a block mapping's first key starts.
    block_maps: HashSet<(usize, usize)>,
}

fn layout(text: &str) -> Layout {
    let mut regions = Vec::new();
    let mut block_maps = HashSet::new();
    // Open collections: start (line, col) and whether they are flow collections.
    let mut open: Vec<(usize, bool)> = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    let index = LineIndex::new(text);
    let bytes = text.as_bytes();
    // A node's first byte past its anchor and tag on its start line, and how many
    // characters were skipped to reach it.
    let content = |char_index: usize| -> (usize, usize) {
        let start = index.byte_of_char(text, char_index);
        let mut b = start;
        while matches!(bytes.get(b), Some(b'&' | b'!')) {
            while bytes.get(b).is_some_and(|c| !c.is_ascii_whitespace()) {
                b += 1;
            }
            while matches!(bytes.get(b), Some(b' ' | b'\t')) {
                b += 1;
            }
        }
        let skipped = bytes
            .get(start..b)
            .map_or(0, |s| s.iter().filter(|&&c| c & 0xC0 != 0x80).count());
        (b, skipped)
    };
    for item in Parser::new_from_str(text) {
        let Ok((event, span)) = item else { break };
        let start_line = span.start.line().saturating_sub(1);
        let end_line = span.end.line().saturating_sub(1);
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let (at, skipped) = content(span.start.index());
                let col = span.start.col() + skipped;
                let flow = matches!(bytes.get(at), Some(b'{' | b'['));
                if !flow && matches!(event, Event::MappingStart(..)) {
                    block_maps.insert((start_line, col));
                }
                open.push((start_line, flow));
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some((line, true)) = open.pop()
                    && end_line > line
                {
                    regions.push(Region {
                        owner: line,
                        first: line + 1,
                        last: end_line,
                        block_indent: None,
                        scalar: false,
                    });
                }
            }
            Event::Scalar(value, style, ..) => match style {
                ScalarStyle::Literal | ScalarStyle::Folded => {
                    if value.trim_matches('\n').is_empty() {
                        // No content line: its position says nothing about the lines after.
                        continue;
                    }
                    let leading = value.bytes().take_while(|&b| b == b'\n').count();
                    let Some(header) = start_line.checked_sub(leading + 1) else {
                        continue;
                    };
                    // The content runs on while lines are blank or indented at least as deep
                    // as its first line.
                    let indent = span.start.col();
                    let mut last = header;
                    while let Some(l) = lines.get(last + 1) {
                        let l = l.strip_suffix('\r').unwrap_or(l);
                        let blank = l.trim_start_matches(' ').is_empty();
                        if last + 1 > end_line
                            || !blank && l.bytes().take_while(|&b| b == b' ').count() < indent
                        {
                            break;
                        }
                        last += 1;
                    }
                    // Blank lines after the content belong to the scalar only when it keeps them.
                    if !value.ends_with("\n\n") {
                        while last > header
                            && lines.get(last).is_some_and(|l| {
                                let l = l.strip_suffix('\r').unwrap_or(l);
                                // Only lines of at most `indent` spaces are empty; deeper
                                // spaces are content.
                                l.trim_start_matches(' ').is_empty() && l.len() <= indent
                            })
                        {
                            last -= 1;
                        }
                    }
                    if last > header {
                        regions.push(Region {
                            owner: header,
                            first: header + 1,
                            last,
                            block_indent: Some(span.start.col()),
                            scalar: true,
                        });
                    }
                }
                _ => {
                    if end_line > start_line {
                        regions.push(Region {
                            owner: start_line,
                            first: start_line + 1,
                            last: end_line,
                            block_indent: None,
                            scalar: true,
                        });
                    }
                }
            },
            _ => {}
        }
    }
    Layout {
        regions,
        block_maps,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Seq,
}

/// One indentation level: where it was and where it goes.
#[derive(Clone, Copy)]
struct Level {
    orig: usize,
    new: usize,
    kind: Kind,
    /// A sequence written at its parent key's indentation (`key:\n- a`).
    indentless: bool,
}

enum Pending {
    Blank,
    Comment(usize, String),
}

struct Formatter {
    out: Vec<String>,
    stack: Vec<Level>,
    pending: Vec<Pending>,
}

impl Formatter {
    fn emit(&mut self, line: String) {
        self.out.push(line);
    }

    fn emit_blank(&mut self) {
        if self.out.last().is_some_and(|l| !l.is_empty()) {
            self.out.push(String::new());
        }
    }

    /// Writes the comments and blank lines held back until the next structural line (whose
    /// original and new indentation are `next`) was known; `levels` is the stack before it.
    fn flush(&mut self, levels: &[Level], next: Option<(usize, usize)>) {
        for p in std::mem::take(&mut self.pending) {
            match p {
                Pending::Blank => self.emit_blank(),
                Pending::Comment(col, text) => {
                    let new = comment_col(col, levels, next);
                    self.emit(format!("{}{}", " ".repeat(new), text));
                }
            }
        }
    }

    /// The new indentation of a structural line at original column `c`, updating the stack.
    fn place(&mut self, c: usize, kind: Kind) -> usize {
        while let Some(top) = self.stack.last() {
            let leave_indentless =
                top.orig == c && top.kind == Kind::Seq && top.indentless && kind == Kind::Map;
            if top.orig > c || leave_indentless {
                self.stack.pop();
            } else {
                break;
            }
        }
        let (new, push) = match self.stack.last() {
            None => (0, Some(false)),
            Some(top) if top.orig == c => {
                if kind == Kind::Seq && top.kind == Kind::Map {
                    (top.new + 2, Some(true))
                } else {
                    (top.new, None)
                }
            }
            Some(top) => (top.new + 2, Some(false)),
        };
        if let Some(indentless) = push {
            self.stack.push(Level {
                orig: c,
                new,
                kind,
                indentless,
            });
        }
        new
    }
}

fn comment_col(col: usize, levels: &[Level], next: Option<(usize, usize)>) -> usize {
    if let Some((orig, new)) = next
        && orig == col
    {
        return new;
    }
    match levels.iter().rev().find(|l| l.orig <= col) {
        None => next
            .filter(|&(orig, _)| orig < col)
            .map_or(0, |(_, new)| new),
        Some(level) => match next {
            Some((orig, new)) if col > level.orig && orig > level.orig => new,
            _ => level.new,
        },
    }
}

/// Strips trailing spaces and tabs, except one escaped by a backslash (`"a\ ` in a
/// double-quoted scalar is content).
fn trim_end(line: &str) -> &str {
    let trimmed = line.trim_end_matches([' ', '\t']);
    let backslashes = trimmed.bytes().rev().take_while(|&b| b == b'\\').count();
    if backslashes % 2 == 1 && trimmed.len() < line.len() {
        line.get(..trimmed.len() + 1).unwrap_or(trimmed)
    } else {
        trimmed
    }
}

fn leading_spaces(line: &str) -> usize {
    line.bytes().take_while(|&b| b == b' ').count()
}

fn is_dash_at(bytes: &[u8], i: usize) -> bool {
    bytes.get(i) == Some(&b'-') && matches!(bytes.get(i + 1), None | Some(b' ' | b'\t'))
}

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
}

/// Shifts a line's leading spaces by `delta`.
fn shift(line: &str, delta: isize) -> String {
    let spaces = leading_spaces(line);
    let new = spaces.saturating_add_signed(delta);
    format!("{}{}", " ".repeat(new), line.get(spaces..).unwrap_or(""))
}

/// One formatting pass, without checks.
pub(crate) fn format_once(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lay = layout(text);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut cont: Vec<Option<Continuation>> = vec![None; lines.len()];
    let mut in_scalar: Vec<bool> = vec![false; lines.len()];
    let mut regions = lay.regions;
    crate::sorting::sort_by(&mut regions, |a, b| {
        (a.owner, std::cmp::Reverse(a.last)).cmp(&(b.owner, std::cmp::Reverse(b.last)))
    });
    for r in &regions {
        let owner = match cont.get(r.owner).copied().flatten() {
            Some(c) => c.owner,
            None => r.owner,
        };
        for line in r.first..=r.last {
            if r.scalar
                && let Some(flag) = in_scalar.get_mut(line)
            {
                *flag = true;
            }
            if let Some(slot) = cont.get_mut(line)
                && slot.is_none()
            {
                *slot = Some(Continuation {
                    owner,
                    block_indent: r.block_indent,
                });
            }
        }
    }
    let mut deltas: Vec<isize> = vec![0; lines.len()];
    // The new column of the innermost level each structural line opens or continues.
    let mut level_cols: Vec<usize> = vec![0; lines.len()];
    let mut f = Formatter {
        out: Vec::new(),
        stack: Vec::new(),
        pending: Vec::new(),
    };
    for (i, raw) in lines.iter().enumerate() {
        if let Some(c) = cont.get(i).copied().flatten() {
            let mut delta = deltas.get(c.owner).copied().unwrap_or(0);
            let owner_line = lines.get(c.owner).copied().unwrap_or("");
            if let Some(indent) = c.block_indent
                && !has_indent_indicator(owner_line)
            {
                // Content goes one level (two spaces) in from its parent node.
                let parent = level_cols.get(c.owner).copied().unwrap_or(0);
                delta = (parent + 2) as isize - indent as isize;
            }
            let line = match c.block_indent {
                // Inside a block scalar trailing whitespace is content; a line of spaces no
                // deeper than the content indentation is an empty line.
                Some(indent) => {
                    if raw.trim_start_matches(' ').is_empty() && raw.len() <= indent {
                        String::new()
                    } else {
                        shift(raw, delta)
                    }
                }
                None => {
                    let trimmed = trim_end(raw);
                    if trimmed.is_empty() {
                        String::new()
                    } else {
                        // Flow content must stay deeper than the block node it is in.
                        let floor = level_cols.get(c.owner).copied().unwrap_or(0) + 1;
                        let spaces = leading_spaces(trimmed);
                        let delta = delta.max(floor as isize - spaces as isize);
                        shift(trimmed, delta)
                    }
                }
            };
            if line.is_empty() && !in_scalar.get(i).copied().unwrap_or(false) {
                // A blank line between a flow collection's entries: collapse as elsewhere.
                f.emit_blank();
            } else {
                f.emit(line);
            }
            continue;
        }
        let line = trim_end(raw);
        // Tabs after the indentation separate like spaces; the node starts after them.
        let body = line.trim_start_matches([' ', '\t']);
        let c = line.len() - body.len();
        if body.is_empty() {
            f.pending.push(Pending::Blank);
            continue;
        }
        if body.starts_with('#') {
            f.pending.push(Pending::Comment(c, body.to_owned()));
            continue;
        }
        if c == 0 && (is_marker(line, "---") || is_marker(line, "...") || line.starts_with('%')) {
            let levels = std::mem::take(&mut f.stack);
            f.flush(&levels, None);
            f.emit(line.to_owned());
            continue;
        }
        let levels = f.stack.clone();
        let bytes = body.as_bytes();
        let (new_line, delta) = if is_dash_at(bytes, 0) {
            // One or more `- ` entries, then the item's content.
            let mut col = c;
            let mut pos = 0;
            let mut prefix = String::new();
            let mut new = f.place(col, Kind::Seq);
            let first_new = new;
            let mut delta = new as isize - col as isize;
            loop {
                prefix.push('-');
                pos += 1;
                while matches!(bytes.get(pos), Some(b' ' | b'\t')) {
                    pos += 1;
                }
                if pos >= bytes.len() {
                    break;
                }
                col = c + pos;
                prefix.push(' ');
                let content_new = new + 2;
                if is_dash_at(bytes, pos) {
                    f.stack.push(Level {
                        orig: col,
                        new: content_new,
                        kind: Kind::Seq,
                        indentless: false,
                    });
                    new = content_new;
                    delta = new as isize - col as isize;
                    continue;
                }
                if lay.block_maps.contains(&(i, col)) {
                    f.stack.push(Level {
                        orig: col,
                        new: content_new,
                        kind: Kind::Map,
                        indentless: false,
                    });
                    delta = content_new as isize - col as isize;
                }
                break;
            }
            let rest = body.get(pos..).unwrap_or("");
            (format!("{}{prefix}{rest}", " ".repeat(first_new)), delta)
        } else {
            let new = f.place(c, Kind::Map);
            (
                format!("{}{body}", " ".repeat(new)),
                new as isize - c as isize,
            )
        };
        let first_new = leading_spaces(&new_line);
        f.flush(&levels, Some((c, first_new)));
        if let Some(d) = deltas.get_mut(i) {
            *d = delta;
        }
        if let Some(l) = level_cols.get_mut(i) {
            *l = f.stack.last().map_or(0, |l| l.new);
        }
        f.emit(new_line);
    }
    let levels = f.stack.clone();
    f.flush(&levels, None);
    while f.out.last().is_some_and(String::is_empty) {
        f.out.pop();
    }
    if f.out.is_empty() {
        return String::new();
    }
    let mut out = f.out.join("\n");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        format_yaml("t.yaml", text).unwrap_or_else(|e| panic!("{}\n--- input:\n{text}", e.render()))
    }

    #[test]
    fn reindents_and_keeps_comments() {
        let input = "\n\n# policy header\nname:    demo   \nrules:\n- id: r1   # first\n  when: input.a > 1\n\n\n\n# second rule\n-   id: r2\n    params:\n         x: 1\n         # about y\n         y: [a,   b]\nend: {a: 1}\n";
        let expected = "# policy header\nname:    demo\nrules:\n  - id: r1   # first\n    when: input.a > 1\n\n  # second rule\n  - id: r2\n    params:\n      x: 1\n      # about y\n      y: [a,   b]\nend: {a: 1}\n";
        assert_eq!(fmt(input), expected);
        assert_eq!(fmt(expected), expected);
    }

    #[test]
    fn keeps_block_scalars_and_multi_docs() {
        let input = "a:\n    lit: |\n        line one\n          indented  \n\n        last\n    folded: >-\n        x\n        y\n---\n# doc two\nb:   1\n...\n";
        let expected = "a:\n  lit: |\n    line one\n      indented  \n\n    last\n  folded: >-\n    x\n    y\n---\n# doc two\nb:   1\n...\n";
        assert_eq!(fmt(input), expected);
    }

    #[test]
    fn empty_and_comment_only() {
        assert_eq!(fmt(""), "");
        assert_eq!(fmt("\n\n"), "");
        assert_eq!(fmt("   # just a comment   \n\n\n"), "# just a comment\n");
    }

    #[test]
    fn special_cases() {
        // Explicit indentation indicators keep their offset from the parent.
        assert_eq!(
            fmt("a:\n    b: |2\n         x\n        y\n"),
            "a:\n  b: |2\n       x\n      y\n"
        );
        // Kept trailing blank lines of a `|+` scalar stay; others collapse.
        assert_eq!(fmt("a: |+\n  x\n\n\nb: 1\n"), "a: |+\n  x\n\n\nb: 1\n");
        assert_eq!(fmt("a: |\n  x\n\n\nb: 1\n"), "a: |\n  x\n\nb: 1\n");
        // Nested sequences, CRLF, a byte-order mark, a comment closing a nested block.
        assert_eq!(
            fmt("\u{feff}a:\r\n-   -   x\r\n    -   y\r\n"),
            "a:\n  - - x\n    - y\n"
        );
        assert_eq!(
            fmt("a:\n    b:\n        c: 1\n        # end of b\n"),
            "a:\n  b:\n    c: 1\n    # end of b\n"
        );
        assert_eq!(
            fmt("x: 1 # c\n     # hanging\ny: 2\n"),
            "x: 1 # c\n# hanging\ny: 2\n"
        );
        // An indented root moves to column 0.
        assert_eq!(fmt("  a: 1\n  b:\n      - 2\n"), "a: 1\nb:\n  - 2\n");
    }

    #[test]
    fn invalid_input_is_reported_not_formatted() {
        let e = format_yaml("t.yaml", "a: 1\n b: 2\n").unwrap_err();
        assert!(e.0[0].message.starts_with("invalid yaml"));
        assert!(e.0[0].location.is_some());
    }

    #[test]
    fn nan_equals_nan_for_the_meaning_check() {
        assert!(same_value(
            &Value::Double(f64::NAN),
            &Value::Double(f64::NAN)
        ));
        assert!(!same_value(&Value::Double(0.0), &Value::Double(-0.0)));
    }

    const CORPUS: &[&str] = &[
        // A typical policy.
        r#"# Governance policy for model deployment.
apiVersion: govgate/v1
kind: Policy
metadata:
    name: deploy-gate   # the gate's name
    labels: {team: ml, tier: "prod"}

params:
    min_accuracy: 0.9
    max_risk: 7
    regions: [eu-west-1, us-east-1]

# Rules are evaluated in order.
rules:
-   id: accuracy
    # Block low accuracy.
    when: input.metrics.accuracy < params.min_accuracy
    effect: deny
    message: 'accuracy ''too'' low'
-   id: fairness
    when: >
        input.metrics.fairness_gap > 0.1
        && input.action == "deploy"
    effect: review
-   id: script
    when: |
        input.a == 1 &&
          input.b == 2

        # not a comment: part of the scalar
    effect: allow
"#,
        // Anchors, aliases, merge keys.
        r#"defaults: &defaults
  effect: deny
  severity: 3
rules:
  - <<: *defaults
    id: a
  - <<: *defaults
    id: b
    severity: 5
names: &n [x, y]
again: *n
"#,
        // Multi-document with markers and indentless sequences.
        r#"%YAML 1.2
---
# first
a: 1
list:
- one
- two   # trailing
-   - nested
    - more
---
b: "multi
  line quoted"
c: plain
   continued here
...
---
- top: 1
  next: 2
-
  x: y
"#,
        // Flow collections over several lines, and odd spacing.
        r#"matrix: [
    [1, 2],
    [3, 4],
  ]
obj: {a: 1,
      b: 2}
deep:
      deeper:
            deepest: true
            # comment at the deepest level
      # comment back one level
      sibling: ~
# top comment
tail: "x"
"#,
        // Quoted keys, empty values, numbers.
        r#""quoted key": 1
'single': 2
empty:
nulls: [~, null]
nums: [0x10, 1e3, 0o17, -7.5]
? complex
: value
"#,
    ];

    /// Every non-blank line with its whitespace removed, in order: formatting may change
    /// nothing else.
    fn skeleton(text: &str) -> Vec<String> {
        text.lines()
            .map(|l| l.chars().filter(|c| !c.is_whitespace()).collect::<String>())
            .filter(|l| !l.is_empty())
            .collect()
    }

    fn values(text: &str) -> Option<Vec<Value>> {
        parse("t.yaml", text, Format::Yaml)
            .ok()
            .map(|d| d.into_iter().map(|d| d.value).collect())
    }

    fn same(a: &[Value], b: &[Value]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_value(x, y))
    }

    fn check(text: &str) -> String {
        let out = fmt(text);
        assert_eq!(fmt(&out), out, "not idempotent for:\n{text}");
        assert_eq!(
            skeleton(&out),
            skeleton(text),
            "content changed for:\n{text}\n--- output:\n{out}"
        );
        assert!(same(&values(&out).unwrap(), &values(text).unwrap()));
        assert!(out.ends_with('\n') && !out.ends_with("\n\n"));
        assert!(!out.starts_with('\n'));
        assert!(!out.contains("\n\n\n"), "{out}");
        for line in out.lines() {
            let in_block = false;
            if !in_block {
                assert!(!line.ends_with('\t'), "{line:?}");
            }
        }
        out
    }

    #[test]
    fn corpus_formats_idempotently_and_keeps_content() {
        for text in CORPUS {
            let out = check(text);
            // Every comment survives, in order.
            let comments = |t: &str| {
                t.lines()
                    .filter(|l| l.trim_start().starts_with('#'))
                    .map(str::trim)
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            };
            assert_eq!(comments(&out), comments(text));
        }
    }

    #[test]
    fn corpus_policy_output_is_as_expected() {
        let out = fmt(CORPUS[0]);
        let expected = r#"# Governance policy for model deployment.
apiVersion: govgate/v1
kind: Policy
metadata:
  name: deploy-gate   # the gate's name
  labels: {team: ml, tier: "prod"}

params:
  min_accuracy: 0.9
  max_risk: 7
  regions: [eu-west-1, us-east-1]

# Rules are evaluated in order.
rules:
  - id: accuracy
    # Block low accuracy.
    when: input.metrics.accuracy < params.min_accuracy
    effect: deny
    message: 'accuracy ''too'' low'
  - id: fairness
    when: >
      input.metrics.fairness_gap > 0.1
      && input.action == "deploy"
    effect: review
  - id: script
    when: |
      input.a == 1 &&
        input.b == 2

      # not a comment: part of the scalar
    effect: allow
"#;
        assert_eq!(out, expected);
    }

    /// A small deterministic generator (xorshift), so the property test needs no crate.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// Re-indents with `unit` spaces a level (from the 2-space form), adds spaces after
    /// dashes, trailing whitespace and blank lines at random.
    fn variant(formatted: &str, unit: usize, rng: &mut Rng) -> String {
        let mut out = String::new();
        for _ in 0..rng.below(3) {
            out.push('\n');
        }
        for line in formatted.lines() {
            let spaces = line.len() - line.trim_start_matches(' ').len();
            let mut body = line[spaces..].to_owned();
            if body.starts_with("- ") && rng.below(3) == 0 {
                body.insert_str(1, &" ".repeat(1 + rng.below(3) as usize));
            }
            out.push_str(&" ".repeat(spaces / 2 * unit + spaces % 2));
            out.push_str(&body);
            if rng.below(4) == 0 {
                out.push_str(&" ".repeat(1 + rng.below(3) as usize));
            }
            out.push('\n');
            if rng.below(6) == 0 {
                out.push_str(&"\n".repeat(1 + rng.below(3) as usize));
            }
        }
        out
    }

    #[test]
    fn generated_variations_format_safely() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut checked = 0;
        for text in CORPUS {
            let canonical = fmt(text);
            let original = values(text).unwrap();
            for round in 0..60 {
                let unit = 1 + (round % 5);
                let v = variant(&canonical, unit, &mut rng);
                // Only variants that still mean the same make sense to format.
                let Some(vals) = values(&v) else { continue };
                if !same(&vals, &original) {
                    continue;
                }
                let out = check(&v);
                checked += 1;
                // Without multi-line scalars the layout is canonical.
                if !text.contains("multi") && !text.contains("matrix") {
                    let solid = |t: &str| {
                        t.lines()
                            .filter(|l| !l.is_empty())
                            .collect::<Vec<_>>()
                            .join("\n")
                    };
                    assert_eq!(solid(&out), solid(&canonical), "variant:\n{v}");
                }
            }
        }
        assert!(checked > 100, "only {checked} variants were checked");
    }
}
