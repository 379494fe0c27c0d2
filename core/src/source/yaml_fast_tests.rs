//! The YAML fast path either declines or gives exactly what the full parser gives.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::source::span::SourceText;
use crate::source::test_rng::Rng;
use crate::source::{Document, yaml, yaml_fast};

/// Runs both paths on `text`; panics when the fast path accepts and differs from the full
/// parser (or accepts what it rejects). Gives whether the fast path accepted.
fn check(name: &str, text: &str) -> bool {
    let source = Arc::new(SourceText::new(name, text));
    let Some(fast) = yaml_fast::parse(text, &source) else {
        return false;
    };
    let full = match yaml::parse_full(name, text, &source) {
        Ok(docs) => docs,
        Err(e) => panic!(
            "{name}: the fast path accepted text the full parser rejects:\n{text}\n{}",
            e.render()
        ),
    };
    assert_same(name, text, &fast, &full);
    assert_typed_reads_agree(name, text, &full);
    true
}

/// Typed data read straight from the fast path's nodes is what reading the full parser's value
/// gives: as a `Value`, and as a policy document (the loader's hot path), where a document
/// that does not fit must not fit either way.
fn assert_typed_reads_agree(name: &str, text: &str, full: &[Document]) {
    use serde::Deserialize;

    use crate::policy::document::PolicyDocument;
    use crate::value::Value;

    let [doc] = full else {
        return;
    };
    let direct: Option<Value> = crate::source::read_yaml_fast(text);
    assert_eq!(
        direct.map(|v| format!("{v:?}")),
        Some(format!("{:?}", doc.value)),
        "{name}: the value read from the nodes differs\n{text}"
    );
    let direct: Option<PolicyDocument> = crate::source::read_yaml_fast(text);
    let via_value = PolicyDocument::deserialize(&doc.value).ok();
    assert_eq!(
        direct.map(|d| format!("{d:?}")),
        via_value.map(|d| format!("{d:?}")),
        "{name}: the policy document read from the nodes differs\n{text}"
    );
}

fn assert_same(name: &str, text: &str, fast: &[Document], full: &[Document]) {
    assert_eq!(fast.len(), full.len(), "{name}: document count\n{text}");
    for (a, b) in fast.iter().zip(full) {
        // Debug output tells NaN from NaN and -0.0 from 0.0 apart, unlike `==`.
        assert_eq!(
            format!("{:?}", a.value),
            format!("{:?}", b.value),
            "{name}: values differ\n{text}"
        );
        let (da, db) = (a.spans.dump(), b.spans.dump());
        if da != db {
            let first = da
                .lines()
                .zip(db.lines())
                .find(|(x, y)| x != y)
                .map(|(x, y)| format!("fast: {x}\nfull: {y}"));
            panic!(
                "{name}: spans differ\n{text}\n{}",
                first.unwrap_or_default()
            );
        }
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(&*name, "target" | "node_modules" | ".git") {
                yaml_files(&path, out);
            }
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            out.push(path);
        }
    }
}

/// The B5 benchmark's policy: 50 rules.
fn b5() -> String {
    let mut text = String::from(
        "govgate: 1\nname: b5\nsubject: manifest\nverdicts: {allow: auto, deny: block}\n\
         default_verdict: {verdict: allow}\nrules:\n",
    );
    for i in 0..50 {
        text.push_str(&format!(
            "  - id: r{i}\n    on: [\"t{i}\"]\n    when: input.type == \"t{i}\" && input.amount > {}\n    verdict: deny\n",
            10 * i
        ));
    }
    text
}

#[test]
fn repository_yaml_files_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    assert!(files.len() >= 5, "found only {files:?}");
    let mut accepted = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        if check(&path.display().to_string(), text) {
            accepted += 1;
        }
    }
    assert!(
        accepted >= 5,
        "the fast path took only {accepted} of {}",
        files.len()
    );
}

#[test]
fn common_policies_take_the_fast_path() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies");
    let mut policies = 0;
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".yaml") || name.ends_with("_test.yaml") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        assert!(
            check(&name, &text),
            "the fast path declined {name} at yaml_fast.rs:{}",
            yaml_fast::DECLINED_AT.with(|d| d.get())
        );
        policies += 1;
    }
    assert_eq!(policies, 5);
    assert!(check("b5.yaml", &b5()), "the fast path declined b5");
}

/// Snippets the fast path must take (and match the full parser on).
const ACCEPTED: &[&str] = &[
    "a: 1\n",
    "a: 1",
    "a: 1\nb: 2\n",
    "# c\n\n  a:   # x\n  b:\n  - 1\n  - \"q\" # z\n  \"k\": {x: [1, {y: z}], w: v}\n  's': -1\n",
    "- - a\n  - b\n- c: \n  d: e\n-\n  - x\n",
    "---\na: 1\n",
    "a: x:y\nb: {u: [a, b]}\n",
    "a: \"x\"   \nb: \"y\"\nc: \"z\"  # c\n\n# d\ne: 'w'  \nf: [ \"x\" , 'y'  ]\ng: {\"k\": \"v\"  , \"m\": 1}\nh: \"last\"  \n\n",
    "- \"a\"  \n- \"b\" # x\n-   x  # y\n",
    "a: \"x\"",
    "a: \"x\"  ",
    "a: 'it''s'\nb: ''''\nc: ''\nd: \"\"\n",
    "a: \"\\0\\a\\b\\t\\n\\v\\f\\r\\e\\ \\\"\\/\\\\\\N\\_\\L\\P\\x41\\u00e9\\U0001F600\"\n",
    "a: 12\nb: -3\nc: 0x1f\nd: 0o17\ne: 1.5\nf: 1e3\ng: -2.5e-3\nh: .5\ni: 5.\nj: +12\nk: 012\n",
    "a: true\nb: False\nc: null\nd: ~\ne: NULL\nf: yes\ng: on\nh: 99999999999999999999\n",
    "12: a\n0x10: b\n-1: c\n",
    "key with spaces: value with spaces  # and a comment\n",
    "a: b#c\nd: e # f\n",
    "a: [1, 2.5, true, null, \"s\", 's', x y]\nb: []\nc: {}\nd: [[], {}, [[a]]]\n",
    "a:\n  b:\n    c:\n      - d\n      - e: f\n        g: [h]\n  i: j\nk: l\n",
    "a:\n- 1\n- 2\nb:\n-   c: d\n    e: f\n",
    "é: ü\nname: Zoë — ok\n\"ключ\": \"знач\"\n",
    "a: b[0]\nc: d{e}\nf: g,h\n",
    "a: -x\nb: -1.5\nc: --x\n",
    "a:\nb:\n",
    "a: 1\n# trailing comment",
    "a: 1\n\n\n",
    "  a: 1\n  b: 2\n",
    "a: \"text with # hash\"\n",
    "a: 'x' # c\nb: \"y\" # c\n",
    "a: x # c\n   # indented comment\nb: y\n",
    "- 1\n- [2, 3]\n- {a: b}\n",
    "a: |\n  x\n",
    "a: |\n  x\n    y\n",
    "a: >\n  x\n",
    "a:\n-   \n  b: 1\n",
    "a:\n-  # c\n  b: 1\n",
    "a:\n-  - x\n",
    "a:\n-  [x]\n",
    "a:\n-  \"x\"\n",
    "a:\n- - x\n",
    "a: >-\n  x y \n  z\n\nb: |\n  l1\n    l2\n\n\nc: >\n  f\n# c\nd: |-\n  q\ne: x\n",
    "- |\n  x\n- >-\n   y\n",
    "a: |\n  x",
    "r:\n  a: |\n    x\n  \n   \n  b: 1\n",
    "r:\n  a: >-\n    x\n    # y\n  # z\n  b: 1\n",
    "a: >-  # c\n  x\n",
    "a: |\n  x\n\n",
    "a:\n- x\nb:\n-\n  c: d\n",
    "a: |\n  x\n\n \n\nb: 1\n",
    "a: |-\n  x\n \n",
    "a:\n  [1, 2]\n",
    "a:\n  {b: 1}\nc: 2\n",
    "- \n  [1]\n",
    "[1, 2]\n",
    "{a: 1, b: [x]}\n",
    "hello\n",
    "\"x\"\n",
    "a: x\u{a0}\nb: \u{a0}y\nc: 😀 ok\n",
];

/// Snippets the fast path must decline (the full parser handles or rejects them).
const DECLINED: &[&str] = &[
    "",
    "# only a comment\n",
    // Numbers JSON cannot hold are errors, which only the full path reports.
    "a: .inf\n",
    "a: [1, .nan]\n",
    "a: 1e999\n",
    "a: 1\na: 2\n",
    "a: &x 1\nb: *x\n",
    "<<: {a: 1}\n",
    "a: !!str 1\n",
    "a: >\n  x\n   y\n",
    "a: |+\n  x\n",
    "a: |2\n  x\n",
    "a: |\n  x\n\n  y\n",
    "a: |\n\n  x\n",
    "a: hello\n  world\n",
    "a: \"hello\n  world\"\n",
    "? a\n: b\n",
    "%YAML 1.2\n---\na: 1\n",
    "a: 1\n---\nb: 2\n",
    "a: 1\n...\n",
    "\u{feff}a: 1\n",
    "a: 1\r\nb: 2\r\n",
    "a:\t1\n",
    "a: [1,\n  2]\n",
    "a: [1, 2\n",
    "a: \"unterminated\n",
    "a: 'unterminated\n",
    "a: b: c\n",
    "a: - b\n",
    "a:\n  - b\n c: d\n",
    "- a\n -b\n",
    "-\n- a\n",
    "a: [1, ]\n",
    "a: {b: }\n",
    "a: {b:c}\n",
    "a: [b: c]\n",
    "true: 1\n",
    "null: 1\n",
    "1.5: x\n",
    "a : 1\n",
    "a: \"\\q\"\n",
    "a: \"\\uD83D\"\n",
    "a: 0x1ffffffffffffffff\n",
    "a: `x`\n",
    "a: @x\n",
    "a: %x\n",
    "hello\nworld\n",
    "a: \"y\"# c\n",
    "a: |\n  x\n\n      \nb: 1\n",
    "a: |\n  x\n   \n  y\n",
    "a: |-\n  x\n  ",
];

/// Snippets either path may take; when the fast path does, it must agree.
const EITHER: &[&str] = &[
    "a:b: c\n",
    "a #b: c\n",
    "\"<<\": {a: 1}\n",
    "'<<': 1\n",
    "~: 1\n",
    ".inf: 1\n",
    "99999999999999999999: a\n",
    "a: b\\c\n",
    "a: 'x'\n  b: 1\n",
    "- a\n-\n",
    "a:\n- x\n  b: 1\n",
    "a:\n  - x\n  -\n",
    "a: [\"x, y\", 'z]', \"{\"]\n",
    "a: {\"k\": [1, {\"m\": ~}]}\n",
    "a: x:\n",
    "a: x :\n",
    "a: :x\n",
    "a: ?x\n",
    "a: -\n",
    "a: - \n",
    "a: [a:b]\n",
    "a: [a :b]\n",
    "a: {a: b:c}\n",
    "a: x # c # d\n",
    "a: 'x''\n",
    "a: \"x\\\"\n",
    "a: |\n  x\n b: 1\n",
    "a: >\n  x\n    y\n  z\n",
    "a: |-\n    x\n  y\n",
    "- |\n x\n",
    "- - - a\n    - b\n  - c\n",
    "  - a\n  - b\n",
    "a:\n    b: 1\n  c: 2\n",
    "a: 1\n  # comment deeper\nb: 2\n",
    "a: 0o\nb: 0x\nc: +\nd: -.\ne: 1e+5\nf: 1_0\ng: 0b11\n",
    "a: \"\\x4\"\n",
    "a: \"\\u00e\"\n",
    "a: \"\\U0010FFFF\"\n",
    "a: \"\\U00110000\"\n",
    "é:\n  - ü\n  - {ß: ø}\n",
    "a: x\u{85}y\n",
    "a: x\u{2028}y\n",
    "a: \u{feff}x\n",
];

#[test]
fn snippets_agree() {
    for (i, text) in EITHER.iter().enumerate() {
        check(&format!("either[{i}]"), text);
    }
    for (i, text) in ACCEPTED.iter().enumerate() {
        assert!(
            check(&format!("accepted[{i}]"), text),
            "declined at yaml_fast.rs:{}:\n{text}",
            yaml_fast::DECLINED_AT.with(|d| d.get())
        );
    }
    for (i, text) in DECLINED.iter().enumerate() {
        assert!(!check(&format!("declined[{i}]"), text), "accepted:\n{text}");
    }
}

/// The YAML generator's helpers on the shared test generator.
impl Rng {
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("")
    }
}

const SCALARS: &[&str] = &[
    "1",
    "-3",
    "0",
    "012",
    "+7",
    "0x1f",
    "0o17",
    "1.5",
    "-0.0",
    "1e3",
    "2E-2",
    ".5",
    "5.",
    ".inf",
    "-.inf",
    ".nan",
    "99999999999999999999",
    "true",
    "False",
    "TRUE",
    "null",
    "~",
    "Null",
    "yes",
    "no",
    "on",
    "hello",
    "hello world",
    "a:b",
    "x#y",
    "x # comment",
    "input.amount > 10 && input.type == \"t\"",
    "has(input.x) || size(input.y) > 2",
    "-x",
    "é ü ß",
    "日本",
    "a, b",
    "b[0]",
    "\"dq\"",
    "\"with \\\"escapes\\\" \\n \\t \\u00e9 \\x41\"",
    "\"# not a comment\"",
    "\"\"",
    "'single'",
    "'it''s'",
    "''",
    "'a: b'",
    "\"a: b\"",
];

const FLOW_SCALARS: &[&str] = &[
    "1", "-2", "1.5", "true", "null", "~", "a", "b c", "\"q\"", "'s'", "\"a, b\"", "x.y", "é",
];

const KEYS: &[&str] = &[
    "a",
    "b",
    "id",
    "when",
    "verdict",
    "on",
    "key with space",
    "\"quoted\"",
    "'single'",
    "\"a.b\"",
    "12",
    "0x10",
    "-1",
    "é",
    "x-y",
    "x_y",
];

fn flow(rng: &mut Rng, depth: usize, out: &mut String) {
    let map = rng.chance(40);
    let n = rng.below(4);
    out.push(if map { '{' } else { '[' });
    if rng.chance(20) {
        out.push(' ');
    }
    for i in 0..n {
        if i > 0 {
            out.push_str(if rng.chance(80) { ", " } else { " , " });
        }
        if map {
            out.push_str(&format!("k{i}: "));
        }
        if depth < 3 && rng.chance(15) {
            flow(rng, depth + 1, out);
        } else {
            out.push_str(rng.pick(FLOW_SCALARS));
        }
    }
    if rng.chance(20) {
        out.push(' ');
    }
    out.push(if map { '}' } else { ']' });
}

fn trailing(rng: &mut Rng, out: &mut String) {
    if rng.chance(10) {
        out.push_str("  ");
    }
    if rng.chance(10) {
        out.push_str(" # note");
    }
    out.push('\n');
    if rng.chance(8) {
        out.push('\n');
    }
    if rng.chance(5) {
        let pad = rng.below(6);
        out.push_str(&" ".repeat(pad));
        out.push_str("# comment line\n");
    }
}

/// A scalar or flow value written after `key: ` or `- `.
fn inline_value(rng: &mut Rng, out: &mut String) {
    if rng.chance(15) {
        flow(rng, 0, out);
    } else {
        out.push_str(rng.pick(SCALARS));
    }
}

/// A block node on its own lines at `indent`.
fn block(rng: &mut Rng, indent: usize, depth: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let entries = 1 + rng.below(4);
    if rng.chance(55) {
        // A mapping (keys distinct within it).
        let mut used = Vec::new();
        for _ in 0..entries {
            let key = rng.pick(KEYS);
            if used.contains(&key) {
                continue;
            }
            used.push(key);
            out.push_str(&pad);
            out.push_str(key);
            out.push(':');
            nested_or_inline(rng, indent, depth, true, out);
        }
    } else {
        for _ in 0..entries {
            out.push_str(&pad);
            out.push('-');
            if depth < 6 && rng.chance(20) {
                // A compact mapping or sequence in the item.
                let step = 1 + rng.below(3);
                out.push_str(&" ".repeat(step));
                let mut inner = String::new();
                block(rng, indent + 1 + step, depth + 1, &mut inner);
                out.push_str(inner.get(indent + 1 + step..).unwrap_or(""));
            } else {
                nested_or_inline(rng, indent, depth, false, out);
            }
        }
    }
}

fn nested_or_inline(rng: &mut Rng, indent: usize, depth: usize, in_map: bool, out: &mut String) {
    if depth < 6 && rng.chance(30) {
        trailing(rng, out);
        // A sequence under a key may sit at the key's indentation.
        let child = if in_map && rng.chance(20) {
            indent
        } else {
            indent + 1 + rng.below(3)
        };
        let mut inner = String::new();
        block(rng, child, depth + 1, &mut inner);
        if child == indent && !inner.trim_start().starts_with('-') {
            // Only a sequence may sit there; make it one.
            out.push_str(&" ".repeat(indent));
            out.push_str("- x\n");
            return;
        }
        out.push_str(&inner);
    } else if in_map && rng.chance(8) {
        // An empty value.
        trailing(rng, out);
    } else if rng.chance(8) {
        // A block scalar.
        out.push(' ');
        out.push_str(rng.pick(&["|", "|-", ">", ">-", "|+", ">2"]));
        if rng.chance(15) {
            out.push_str("  # header");
        }
        out.push('\n');
        let content = indent + 1 + rng.below(3) + usize::from(!in_map);
        for _ in 0..1 + rng.below(3) {
            let extra = if rng.chance(15) { 2 } else { 0 };
            out.push_str(&" ".repeat(content + extra));
            out.push_str(rng.pick(&["text", "a: b", "# not a comment", "x  ", "{ flow", "é"]));
            out.push('\n');
            if rng.chance(10) {
                out.push_str(&" ".repeat(rng.below(content + 2)));
                out.push('\n');
            }
        }
    } else {
        out.push(' ');
        inline_value(rng, out);
        trailing(rng, out);
    }
}

#[test]
fn generated_documents_agree() {
    // YAML_FAST_CASES=n runs more cases (with other seeds) when hunting for differences.
    let total = std::env::var("YAML_FAST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5000);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut accepted = 0;
    for case in 0..total {
        let mut text = String::new();
        if rng.chance(10) {
            text.push_str("# header\n");
        }
        block(&mut rng, 0, 0, &mut text);
        if check(&format!("generated[{case}]"), &text) {
            accepted += 1;
        }
        // The same text mangled: one byte changed, inserted or removed.
        if let Some(mangled) = mangle(&mut rng, &text) {
            check(&format!("mangled[{case}]"), &mangled);
        }
    }
    // Most generated documents are within the subset.
    assert!(
        accepted > total / 2,
        "the fast path took only {accepted} of {total}"
    );
}

/// One random byte changed, inserted or removed; `None` when that breaks UTF-8.
fn mangle(rng: &mut Rng, text: &str) -> Option<String> {
    let mut bytes = text.as_bytes().to_vec();
    let at = rng.below(bytes.len().max(1));
    let mutation = rng.pick(&[
        " ", "\n", ":", "-", "#", "\"", "'", "[", "]", "{", "}", ",", "a", "&", "!", "|", ">", "?",
        "\\", "1", ".",
    ]);
    let byte = mutation.bytes().next().unwrap_or(b' ');
    match (rng.below(3), bytes.get_mut(at)) {
        (0, Some(b)) => *b = byte,
        (1, Some(_)) => {
            bytes.remove(at);
        }
        _ => bytes.insert(at.min(bytes.len()), byte),
    }
    String::from_utf8(bytes).ok()
}

#[test]
fn mangled_policies_agree() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies");
    let mut texts = vec![b5()];
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        if let Ok(text) = std::fs::read_to_string(entry.path()) {
            texts.push(text);
        }
    }
    // YAML_FAST_MANGLES=n tries more mutations of each policy.
    let mangles = std::env::var("YAML_FAST_MANGLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(120);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for (t, text) in texts.iter().enumerate() {
        for case in 0..mangles {
            if let Some(mangled) = mangle(&mut rng, text) {
                check(&format!("policy[{t}] mangled[{case}]"), &mangled);
            }
        }
    }
}

/// Policy-shaped documents the direct read must read as the value path does: each example
/// policy (its tests folded in) with a few random edits (a field dropped or added, a value
/// replaced, an enum written as a one- or two-key mapping, a struct written as a list), written
/// back as block YAML with its keys in a shuffled order (the nodes keep the written order, the
/// value's map is sorted). Compiling through `compile_str` must give what the full path gives,
/// success or error. Corpus texts are rarely valid policies, so without this the typed read's
/// corners (enum forms, unit variants, numbers, `Option`s) go untested.
mod policy_shaped {
    use std::sync::Arc;

    use serde::Deserialize;

    use crate::policy::CompiledPolicy;
    use crate::policy::document::PolicyDocument;
    use crate::source::test_rng::Rng;
    use crate::source::{self, Format, yaml_fast};
    use crate::value::{Map, Str, Value};

    const FIELDS: &[&str] = &[
        "action_types",
        "agent",
        "aggregate",
        "allowed",
        "approval",
        "approver",
        "as",
        "assert",
        "bands",
        "boolean",
        "buckets",
        "cases",
        "count",
        "default",
        "default_verdict",
        "deny",
        "description",
        "each",
        "else",
        "errors",
        "expect",
        "expires",
        "expires_in",
        "factors",
        "floor",
        "govgate",
        "id",
        "input",
        "justification",
        "key",
        "label",
        "level",
        "levels",
        "lookup",
        "max",
        "message",
        "min",
        "mode",
        "name",
        "on",
        "on_timeout",
        "outcome",
        "parameters",
        "params",
        "path",
        "points",
        "quorum",
        "reason",
        "role",
        "rules",
        "score",
        "separation",
        "step",
        "subject",
        "tests",
        "then",
        "tiers",
        "type",
        "upto",
        "value",
        "verdict",
        "verdicts",
        "warn",
        "weight",
        "when",
    ];
    const WORDS: &[&str] = &[
        "auto",
        "approval",
        "block",
        "manifest",
        "action",
        "enforce",
        "shadow",
        "number",
        "integer",
        "string",
        "boolean",
        "list",
        "map",
        "weighted_sum",
        "mean",
        "max",
        "none",
        "not_requester",
        "deny",
        "escalate",
        "wait",
        "allow",
        "x",
        "admin",
        "input.a > 1",
        "true",
        "null",
        "1",
        "yes",
    ];

    fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
        items.get(rng.below(items.len())).copied().unwrap_or("")
    }

    fn one_key(key: &str, value: Value) -> Value {
        let mut m = Map::new();
        m.insert(Str::from(key), value);
        Value::Map(Arc::new(m))
    }

    fn scalar(rng: &mut Rng) -> Value {
        match rng.below(12) {
            0 => Value::Null,
            1 => Value::Bool(rng.below(2) == 0),
            2 => Value::Int(rng.below(5) as i64 - 1),
            3 => Value::Int([i64::MAX, i64::MIN, 4_294_967_296, 65_536][rng.below(4)]),
            4 => Value::Double([0.5, -0.0, 1.0, 1e20, 1.8e19][rng.below(5)]),
            _ => Value::string(pick(rng, WORDS)),
        }
    }

    fn random_value(rng: &mut Rng, depth: usize) -> Value {
        if depth > 2 {
            return scalar(rng);
        }
        match rng.below(10) {
            0 | 1 => Value::list(
                (0..rng.below(3))
                    .map(|_| random_value(rng, depth + 1))
                    .collect(),
            ),
            2 => one_key(pick(rng, WORDS), random_value(rng, depth + 1)),
            3 => {
                let mut m = Map::new();
                for _ in 0..rng.below(4) {
                    m.insert(Str::from(pick(rng, FIELDS)), random_value(rng, depth + 1));
                }
                Value::Map(Arc::new(m))
            }
            _ => scalar(rng),
        }
    }

    fn count(v: &Value) -> usize {
        1 + match v {
            Value::List(l) => l.iter().map(count).sum(),
            Value::Map(m) => m.values().map(count).sum(),
            _ => 0,
        }
    }

    /// Edits the node numbered `target` in pre-order (`usize::MAX` once done).
    fn edit(v: &mut Value, target: &mut usize, rng: &mut Rng) {
        if *target == 0 {
            *target = usize::MAX;
            match (rng.below(7), &mut *v) {
                (0, Value::Map(m)) if !m.is_empty() => {
                    if let Some(k) = m.keys().nth(rng.below(m.len())).cloned() {
                        Arc::make_mut(m).remove(&k);
                    }
                }
                (1, Value::Map(m)) => {
                    let k = Str::from(pick(rng, FIELDS));
                    Arc::make_mut(m).insert(k, random_value(rng, 1));
                }
                (2, Value::Map(m)) => *v = Value::list(m.values().cloned().collect()),
                (3, _) => *v = one_key(pick(rng, WORDS), std::mem::take(v)),
                (4, Value::String(s)) => {
                    let inner = [Value::Null, Value::list(vec![]), Value::Int(1)];
                    *v = one_key(s, inner.get(rng.below(3)).cloned().unwrap_or_default());
                }
                (5, Value::String(s)) => {
                    let mut m = Map::new();
                    m.insert(s.clone(), Value::Null);
                    m.insert(Str::from(pick(rng, WORDS)), Value::Null);
                    *v = Value::Map(Arc::new(m));
                }
                _ => *v = random_value(rng, 0),
            }
            return;
        }
        *target -= 1;
        let items: Vec<&mut Value> = match v {
            Value::List(l) => Arc::make_mut(l).iter_mut().collect(),
            Value::Map(m) => Arc::make_mut(m).values_mut().collect(),
            _ => Vec::new(),
        };
        for item in items {
            if *target == usize::MAX {
                return;
            }
            edit(item, target, rng);
        }
    }

    fn quote(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    fn key_text(k: &str, rng: &mut Rng) -> String {
        let plain = !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        if plain && !matches!(k, "true" | "false" | "null") && rng.below(5) != 0 {
            k.to_owned()
        } else {
            quote(k)
        }
    }

    /// A scalar or a flow collection on one line.
    fn inline(v: &Value, rng: &mut Rng) -> String {
        match v {
            Value::List(l) => {
                let items: Vec<String> = l.iter().map(|i| inline(i, rng)).collect();
                format!("[{}]", items.join(", "))
            }
            Value::Map(m) => {
                let items: Vec<String> = m
                    .iter()
                    .map(|(k, i)| format!("{}: {}", key_text(k, rng), inline(i, rng)))
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
            Value::Null => ["~", "null"][rng.below(2)].to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Double(d) => format!("{d:?}"),
            Value::String(s) => match rng.below(3) {
                0 => quote(s),
                1 => format!("'{}'", s.replace('\'', "''")),
                _ => {
                    let plain = s
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b' ')
                        && !s.is_empty()
                        && !s.ends_with(' ')
                        && !matches!(&**s, "true" | "null" | "yes");
                    if plain { s.to_string() } else { quote(s) }
                }
            },
        }
    }

    fn block(v: &Value, indent: usize, out: &mut String, rng: &mut Rng) {
        let pad = " ".repeat(indent);
        match v {
            Value::Map(m) if !m.is_empty() => {
                let mut entries: Vec<_> = m.iter().collect();
                for i in (1..entries.len()).rev() {
                    entries.swap(i, rng.below(i + 1));
                }
                for (k, item) in entries {
                    out.push_str(&format!("{pad}{}:", key_text(k, rng)));
                    match item {
                        Value::Map(m) if !m.is_empty() && rng.below(4) != 0 => {
                            out.push('\n');
                            block(item, indent + 2, out, rng);
                        }
                        Value::List(l) if !l.is_empty() && rng.below(4) != 0 => {
                            out.push('\n');
                            block(item, indent + 2 * rng.below(2), out, rng);
                        }
                        Value::Null if rng.below(2) == 0 => out.push('\n'),
                        _ => out.push_str(&format!(" {}\n", inline(item, rng))),
                    }
                }
            }
            Value::List(l) if !l.is_empty() => {
                for item in l.iter() {
                    match item {
                        Value::Map(m) if !m.is_empty() && rng.below(3) != 0 => {
                            out.push_str(&format!("{pad}-\n"));
                            block(item, indent + 2, out, rng);
                        }
                        _ => out.push_str(&format!("{pad}- {}\n", inline(item, rng))),
                    }
                }
            }
            _ => out.push_str(&format!("{pad}{}\n", inline(v, rng))),
        }
    }

    fn seeds() -> Vec<Value> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        paths.sort();
        let read = |p: &std::path::Path| -> Option<Value> {
            let text = std::fs::read_to_string(p).ok()?;
            source::parse("p.yaml", &text, Format::Yaml)
                .ok()?
                .pop()
                .map(|d| d.value)
        };
        let mut out = Vec::new();
        for p in paths
            .iter()
            .filter(|p| !p.to_string_lossy().ends_with("_test.yaml"))
        {
            let Some(mut policy) = read(p) else { continue };
            let test = p.with_file_name(p.file_name().map_or(String::new(), |n| {
                n.to_string_lossy().replace(".yaml", "_test.yaml")
            }));
            if let (Some(Value::Map(mut suite)), Value::Map(m)) = (read(&test), &mut policy) {
                Arc::make_mut(&mut suite).remove("policy");
                Arc::make_mut(m).insert(Str::from("tests"), Value::Map(suite));
            }
            out.push(policy);
        }
        out
    }

    fn compiled(r: Result<CompiledPolicy, crate::diagnostic::Diagnostics>) -> String {
        match r {
            Ok(p) => format!("ok {} {:?}", p.digest(), p.document()),
            Err(e) => format!("error {}", e.render()),
        }
    }

    /// The loader's result by the full path only: parse, read the value, compile.
    fn compile_full(text: &str) -> String {
        compiled(match source::parse("p.yaml", text, Format::Yaml) {
            Ok(docs) => match docs.as_slice() {
                [one] => {
                    CompiledPolicy::compile_value("p.yaml", text, &one.value, Some(&one.spans))
                }
                _ => return "not one document".to_owned(),
            },
            Err(e) => Err(e),
        })
    }

    pub(super) fn check_policy(name: &str, text: &str) -> (bool, bool) {
        let taken = yaml_fast::parse_flat(text).is_some();
        let direct: Option<PolicyDocument> = source::read_yaml_fast(text);
        let docs = source::parse("p.yaml", text, Format::Yaml).ok();
        let via = docs.as_deref().and_then(|d| match d {
            [one] => PolicyDocument::deserialize(&one.value).ok(),
            _ => None,
        });
        if let Some(direct) = &direct {
            assert_eq!(
                Some(format!("{direct:?}")),
                via.map(|d| format!("{d:?}")),
                "{name}: the direct read differs from the value's\n{text}"
            );
        }
        let fast = compiled(CompiledPolicy::compile_str("p.yaml", text));
        assert_eq!(
            fast,
            compile_full(text),
            "{name}: compile_str differs\n{text}"
        );
        (taken, direct.is_some())
    }

    #[test]
    fn policy_shaped_documents_agree() {
        let total = std::env::var("YAML_FAST_POLICIES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1500);
        let seeds = seeds();
        assert!(seeds.len() >= 5, "{}", seeds.len());
        let mut rng = Rng(0x1234_5678_9abc_def1);
        let (mut taken, mut read) = (0, 0);
        for case in 0..total {
            let Some(mut v) = seeds.get(case % seeds.len()).cloned() else {
                continue;
            };
            for _ in 0..1 + rng.below(3) {
                let mut target = rng.below(count(&v));
                edit(&mut v, &mut target, &mut rng);
            }
            let mut text = String::new();
            block(&v, 0, &mut text, &mut rng);
            let (t, r) = check_policy(&format!("policy-shaped[{case}]"), &text);
            taken += usize::from(t);
            read += usize::from(r);
        }
        // Most are within the subset; a good share are valid documents.
        assert!(taken > total * 9 / 10, "taken {taken} of {total}");
        assert!(read > total / 10, "read {read} of {total}");
    }
}

/// Documents at the typed read's corners: each must read (or fail) as the value does, and
/// compile (or fail) as the full path does.
#[test]
fn typed_corners_agree() {
    const BASE: &str = "govgate: 1\nname: p\nsubject: manifest\nverdicts: {allow: auto, deny: block}\ndefault_verdict: {verdict: allow}\n";
    let edits: &[(&str, &str)] = &[
        ("subject: manifest", "subject: {manifest: ~}"),
        ("subject: manifest", "subject:\n  manifest:"),
        ("subject: manifest", "subject:\n  manifest:\n  action:"),
        ("subject: manifest", "subject: {manifest: []}"),
        ("subject: manifest", "subject: {manifest: 1}"),
        ("subject: manifest", "subject: {}"),
        ("subject: manifest", "subject: [manifest]"),
        ("allow: auto", "allow: {auto: null}"),
        ("allow: auto", "allow: {auto: [1]}"),
        ("{verdict: allow}", "[allow, code]"),
        ("{verdict: allow}", "[allow]"),
        ("{verdict: allow}", "[allow, c, x]"),
        ("govgate: 1", "govgate: 1.0"),
        ("govgate: 1", "govgate: 0x1"),
        ("govgate: 1", "govgate: 4294967297"),
        ("govgate: 1", "govgate: \"1\""),
        ("govgate: 1", "govgate: -1"),
        ("name: p", "name: 12"),
        ("name: p", "name:"),
        ("name: p", "\"na\\x6de\": p"),
        ("name: p", "name: |\n  p\n  q"),
        ("name: p", "name: p\nzzz: 1"),
        ("name: p", "name: p\napproval: {role: r, quorum: -1}"),
        ("name: p", "name: p\napproval: [r, 2, none, true]"),
        (
            "name: p",
            "name: p\napproval: {role: r, justification: yes}",
        ),
        (
            "name: p",
            "name: p\napproval: {role: r, justification: \"true\"}",
        ),
        (
            "name: p",
            "name: p\napproval: {role: r, separation: {none: ~}}",
        ),
        (
            "name: p",
            "name: p\nparameters:\n  1: {type: number, default: 1}\n  0x10: {type: integer, default: 99999999999999999999, max: 18446744073709551615}",
        ),
        (
            "name: p",
            "name: p\ntests:\n  cases:\n    - name: t\n      input: 3\n      expect: {score: {max: 2, min: 1, other: 3}, allowed: ~}",
        ),
        (
            "name: p",
            "name: p\ntests:\n  cases:\n    - name: t\n      input:\n      expect: {score: 5}",
        ),
        (
            "name: p",
            "name: p\ntests:\n  cases:\n    - name: t\n      input: {}\n      expect: {score: [1, 2]}",
        ),
    ];
    for (i, (from, to)) in edits.iter().enumerate() {
        let text = BASE.replacen(from, to, 1);
        policy_shaped::check_policy(&format!("corner[{i}]"), &text);
    }
}

/// Mappings of every size around the in-place check's capacity (12 keys), with and without a
/// repeated key at every pair of positions: the fast path declines exactly those the full
/// parser rejects, and reads the rest as it does.
#[test]
fn duplicate_keys_are_found_in_mappings_of_any_size() {
    for len in 1..=16 {
        let keys: Vec<String> = (0..len).map(|i| format!("k{i}")).collect();
        let text = |keys: &[String]| -> String {
            keys.iter()
                .enumerate()
                .map(|(i, k)| format!("{k}: {i}\n"))
                .collect()
        };
        assert!(
            check(&format!("{len} distinct"), &text(&keys)),
            "{len} distinct keys should take the fast path"
        );
        for first in 0..len {
            for second in first + 1..len {
                let mut repeated = keys.clone();
                repeated[second] = keys[first].clone();
                let text = text(&repeated);
                let source = Arc::new(SourceText::new("dup.yaml", &text));
                assert!(
                    yaml_fast::parse(&text, &source).is_none(),
                    "{len} keys, {first} repeated at {second}: the fast path accepted\n{text}"
                );
                assert!(
                    yaml::parse_full("dup.yaml", &text, &source).is_err(),
                    "{len} keys, {first} repeated at {second}: the full parser accepted"
                );
            }
        }
    }
}
