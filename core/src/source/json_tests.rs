//! The tuned JSON parser gives exactly what the reference parser (the parser as it was before
//! it was tuned, kept in `json_reference.rs`) gives: the same values, spans and errors.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::source::span::SourceText;
use crate::source::{MAX_DEPTH, json};

use super::reference;
use crate::source::test_rng::Rng;

/// Both parsers' results on `text`, printed: the values (Debug output tells -0.0 from 0.0),
/// every node's spans, or every error with its location, source line and help.
fn outcome(
    result: &Result<Vec<crate::source::Document>, crate::diagnostic::Diagnostics>,
) -> String {
    match result {
        Ok(docs) => docs
            .iter()
            .map(|d| format!("ok {:?}\n{}", d.value, d.spans.dump()))
            .collect(),
        Err(e) => format!("err {e:?}"),
    }
}

/// Runs both parsers on `text`; panics when they differ. Gives whether the text parsed.
fn check(name: &str, text: &str) -> bool {
    let new = json::parse(name, text, &Arc::new(SourceText::new(name, text)));
    let old = reference::parse(name, text, &Arc::new(SourceText::new(name, text)));
    let (a, b) = (outcome(&new), outcome(&old));
    if a != b {
        let first = a
            .lines()
            .zip(b.lines())
            .find(|(x, y)| x != y)
            .map(|(x, y)| format!("new: {x}\nold: {y}"))
            .unwrap_or_else(|| format!("new:\n{a}\nold:\n{b}"));
        panic!("{name}: the parsers differ on {text:?}\n{first}");
    }
    new.is_ok()
}

/// The JSON generator's helpers on the shared test generator.
impl Rng {
    fn item<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len().max(1)))
    }

    fn one_in(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

const WHITESPACE: &[&str] = &["", "", "", " ", "  ", "\n", "\n  ", "\t", "\r\n", " \n\t "];

const STRING_PIECES: &[&str] = &[
    "a",
    "id",
    "when",
    "verdict",
    "rules",
    "x",
    "é",
    "ü",
    "日本",
    "🦀",
    " ",
    "input.type == ",
    "\\\"",
    "\\\\",
    "\\/",
    "\\b",
    "\\f",
    "\\n",
    "\\r",
    "\\t",
    "\\u0041",
    "\\u00e9",
    "\\u20AC",
    "\\ud83e\\udd80",
    "\\uD834\\uDD1E",
    "\\u0000",
    "\\u001f",
    "\\uffff",
    "\\ud800",
    "\\udc00",
    "\\ud800\\u0041",
    "\\ud800x",
    "\\u12",
    "\\x",
    "\\",
    "\u{7f}",
    "\u{85}",
    "\u{2028}",
    "\u{feff}",
    "12345678",
    "abcdefghijklmnop",
];

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "10",
    "42",
    "0.5",
    "-0.0",
    "1e3",
    "1E+3",
    "1e-3",
    "2.5e10",
    "-2.5E-10",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-9223372036854775809",
    "123456789012345678",
    "1234567890123456789",
    "12345678901234567890",
    "99999999999999999999999",
    "1e308",
    "1e309",
    "-1e309",
    "1e-400",
    "0.1",
    "3.141592653589793",
    "100000000000000000000000000000",
    "01",
    "-01",
    "1.",
    ".5",
    "1e",
    "1e+",
    "-",
    "+1",
    "00",
    "0x10",
    "1.5e3.2",
    "2E0",
    "1.0",
];

/// A random JSON document (or something close to one), at most `depth` levels deep.
fn random_value(rng: &mut Rng, depth: usize, out: &mut String) {
    let ws = |rng: &mut Rng, out: &mut String| {
        if let Some(w) = rng.item(WHITESPACE) {
            out.push_str(w);
        }
    };
    let kind = if depth == 0 {
        2 + rng.below(4)
    } else {
        rng.below(6)
    };
    match kind {
        0 => {
            out.push('{');
            ws(rng, out);
            let n = rng.below(5);
            let mut keys: Vec<String> = Vec::new();
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                    ws(rng, out);
                }
                // Sometimes repeat a key, sometimes write the same key escaped differently.
                let key = match keys.last() {
                    Some(k) if rng.one_in(6) => k.clone(),
                    _ if rng.one_in(10) => "\\u0061".to_owned(),
                    _ if rng.one_in(10) => "a".to_owned(),
                    _ => random_string(rng),
                };
                out.push('"');
                out.push_str(&key);
                out.push('"');
                keys.push(key);
                ws(rng, out);
                out.push(':');
                ws(rng, out);
                random_value(rng, depth.saturating_sub(1), out);
                ws(rng, out);
            }
            out.push('}');
        }
        1 => {
            out.push('[');
            ws(rng, out);
            let n = rng.below(5);
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                    ws(rng, out);
                }
                random_value(rng, depth.saturating_sub(1), out);
                ws(rng, out);
            }
            out.push(']');
        }
        2 => {
            out.push('"');
            out.push_str(&random_string(rng));
            out.push('"');
        }
        3 => {
            if let Some(n) = rng.item(NUMBERS) {
                out.push_str(n);
            }
        }
        _ => {
            if let Some(w) = rng.item(&["true", "false", "null", "nul", "truex", "True"]) {
                out.push_str(w);
            }
        }
    }
}

fn random_string(rng: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..rng.below(6) {
        // Mostly ordinary text, now and then an escape or something odd.
        let piece = if rng.one_in(3) {
            rng.item(STRING_PIECES)
        } else {
            rng.item(STRING_PIECES.get(..12).unwrap_or(&[]))
        };
        if let Some(p) = piece {
            s.push_str(p);
        }
    }
    s
}

/// Characters a mutation may put in.
const MUTATIONS: &[char] = &[
    '"', '\\', '{', '}', '[', ']', ',', ':', '0', '1', '9', '-', '+', '.', 'e', 'E', 'u', 'n', 't',
    'f', ' ', '\n', '\t', '\r', '\u{0}', '\u{1f}', 'é', '🦀', '\u{feff}', 'x',
];

/// `text` with one character replaced, removed or inserted.
fn mutate(rng: &mut Rng, text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = rng.below(chars.len() + 1);
    let new = rng.item(MUTATIONS).copied().unwrap_or('x');
    let mut out = String::with_capacity(text.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if i == at {
            match rng.below(3) {
                0 => out.push(new),
                1 => {}
                _ => {
                    out.push(new);
                    out.push(c);
                }
            }
        } else {
            out.push(c);
        }
    }
    if at == chars.len() {
        out.push(new);
    }
    out
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(&*name, "target" | "node_modules" | ".git") {
                json_files(&path, out);
            }
        } else if name.ends_with(".json") {
            out.push(path);
        }
    }
}

/// The B5 benchmark's policy (50 rules), as Python's `json.dumps(indent=2)` writes it.
fn b5() -> String {
    let mut rules = Vec::new();
    for i in 0..50 {
        rules.push(format!(
            "    {{\n      \"id\": \"r{i}\",\n      \"on\": [\n        \"t{i}\"\n      ],\n      \
             \"when\": \"input.type == \\\"t{i}\\\" && input.amount > {}\",\n      \
             \"verdict\": \"deny\"\n    }}",
            10 * i
        ));
    }
    format!(
        "{{\n  \"govgate\": 1,\n  \"name\": \"b5\",\n  \"subject\": \"manifest\",\n  \
         \"verdicts\": {{\n    \"allow\": \"auto\",\n    \"deny\": \"block\"\n  }},\n  \
         \"default_verdict\": {{\n    \"verdict\": \"allow\"\n  }},\n  \"rules\": [\n{}\n  ]\n}}",
        rules.join(",\n")
    )
}

#[test]
fn repository_json_files_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    json_files(&root, &mut files);
    assert!(files.len() >= 5, "found only {files:?}");
    let mut parsed = 0;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let name = path.display().to_string();
        if check(&name, &text) {
            parsed += 1;
        }
        // A few one-character mutations of each (fewer of big files, to keep the test quick).
        let rounds = if text.len() > 20_000 { 5 } else { 40 };
        for _ in 0..rounds {
            check(&name, &mutate(&mut rng, &text));
        }
    }
    assert!(parsed >= 5, "only {parsed} of {} parsed", files.len());
}

#[test]
fn the_benchmark_policy_agrees() {
    let text = b5();
    assert!(check("b5.json", &text));
    let mut rng = Rng(7);
    for _ in 0..300 {
        check("b5.json", &mutate(&mut rng, &text));
    }
}

/// Snippets, valid and not.
const SNIPPETS: &[&str] = &[
    "",
    " ",
    "\u{feff}",
    "\u{feff}{}",
    "\u{feff}\u{feff}{}",
    " \u{feff}{}",
    "{}",
    "[]",
    "{ }",
    "[ ]",
    "[\n]",
    "{\"a\":1}",
    " \t\r\n{\"a\" : 1 , \"b\":[ 1 ,2, 3 ] }\r\n\t ",
    "\"just a string\"",
    "\"\"",
    "42",
    "-0",
    "-0.0",
    "0",
    "-",
    "--1",
    "01",
    "-01",
    "00",
    "0.",
    "0.e1",
    "1e",
    "1e+",
    "1e-",
    "1E5",
    "1e+5",
    "1e-5",
    "1.5",
    "1.5e300",
    "1e309",
    "-1e309",
    "1e-400",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "999999999999999999",
    "1000000000000000000",
    "9999999999999999999",
    "18446744073709551616",
    "123456789012345678901234567890",
    "0000000000000000000001",
    "[1,-0,0,-1,1.0,1e0]",
    "[0.1, 0.2, 0.30000000000000004, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]",
    "true",
    "false",
    "null",
    "nul",
    "nulll",
    "truex",
    "true1",
    "true_",
    "true-",
    "tru",
    "t",
    "f",
    "n",
    "True",
    "NaN",
    "Infinity",
    "-Infinity",
    "[true,false,null]",
    "[truefalse]",
    "{\"a\":1,}",
    "[1,]",
    "[,1]",
    "[1 2]",
    "{\"a\" 1}",
    "{\"a\":}",
    "{a:1}",
    "{'a':1}",
    "{\"a\":1",
    "[1",
    "[",
    "{",
    "}",
    "]",
    "{\"a\":1}}",
    "{\"a\":1} x",
    "{\"a\":1} {}",
    "{\"a\":1}\u{0}",
    "{,}",
    "{\"a\":1,,\"b\":2}",
    "\"unterminated",
    "\"unterminated\\",
    "\"unterminated\\\"",
    "\"a\\\"b\"",
    "\"\\\\\"",
    "\"\\/\\b\\f\\n\\r\\t\"",
    "\"\\u0041\\u00e9\\u20ac\\uFFFF\"",
    "\"\\ud83e\\udd80\"",
    "\"\\uD834\\uDD1E\"",
    "\"\\ud800\"",
    "\"\\ud800\\u0041\"",
    "\"\\ud800\\ud800\"",
    "\"\\udc00\"",
    "\"\\udfff\\ud800\"",
    "\"\\ud800x\"",
    "\"\\ud800\\\"",
    "\"\\ud800\\u12\"",
    "\"\\ud800\\uzzzz\"",
    "\"\\u\"",
    "\"\\u1\"",
    "\"\\u12\"",
    "\"\\u123\"",
    "\"\\u123g\"",
    "\"\\u12é\"",
    "\"\\u12🦀\"",
    "\"\\u0000\"",
    "\"\\x41\"",
    "\"\\a\"",
    "\"\\'\"",
    "\"\\é\"",
    "\"\\",
    "\"\\u",
    "\"a\u{0}b\"",
    "\"a\u{1f}b\"",
    "\"a\tb\"",
    "\"a\nb\"",
    "\"a\rb\"",
    "\"a\u{7f}b\"",
    "\"é日本🦀\"",
    "\"é\\n日本\\t🦀\"",
    "{\"é\":\"日本\",\"🦀\":[\"\\u00e9\"]}",
    "[\"\u{2028}\u{2029}\u{85}\"]",
    "é",
    "[é]",
    "{\"a\":1,\"a\":2}",
    "{\"a\":1,\"b\":2,\"a\":3,\"b\":4,\"a\":5}",
    "{\"a\":1,\"\\u0061\":2}",
    "{\"a\":{\"b\":1,\"b\":2},\"a\":{\"c\":1,\"c\":2}}",
    "{\"a\":1,\"a\":2,\"b\":}",
    "{\"a\":1,\"a\":2,\"b\":[1,]}",
    "[{\"x\":1,\"x\":1},{\"x\":1,\"x\":1}]",
    "{\"\":1,\"\":2}",
    "{\"z\":1,\"y\":2,\"x\":3,\"a\":4,\"B\":5,\"é\":6,\"\":7}",
    "{\"when\":\"input.type == \\\"t1\\\" && input.amount > 10\",\"on\":[\"t1\"]}",
    "[\"a\",\"a\",\"a\",\"b\",\"a\"]",
    // Objects with the same keys in the same order, then in another order, then with a
    // duplicate, then with an escaped key.
    "[{\"b\":1,\"a\":2},{\"b\":3,\"a\":4},{\"a\":5,\"b\":6},{\"b\":7,\"a\":8,\"b\":9}]",
    "[{\"b\":1,\"a\":2},{\"b\":3,\"a\":4},{\"b\":7,\"a\":8,\"a\":9},{\"b\":1,\"a\":2}]",
    "[{\"b\":1,\"a\":2},{\"b\":3,\"\\u0061\":4},{\"b\":1,\"a\":2},{},{\"b\":1},{\"b\":1,\"a\":2}]",
    "[\"a long string that is longer than the cache holds, surely, yes\",\"a long string that is longer than the cache holds, surely, yes\"]",
];

#[test]
fn snippets_agree() {
    for (i, s) in SNIPPETS.iter().enumerate() {
        check(&format!("snippet {i}"), s);
    }
    // Every prefix of a few documents: each place a text can end.
    for s in [
        "{\"a\": [1, -2.5e+3, \"x\\ny\\u00e9\\ud83e\\udd80\", true, false, null, {}], \"b\": {\"c\": \"é\"}}",
        "\u{feff} [ {\"k\" : 0.5 } ]",
    ] {
        for (at, _) in s.char_indices() {
            check("prefix", s.get(..at).unwrap_or(""));
        }
    }
}

#[test]
fn nesting_near_the_limit_agrees() {
    for depth in [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH * 3] {
        let lists = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        check("lists", &lists);
        let open = "[".repeat(depth);
        check("unclosed", &open);
        let maps = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        check("maps", &maps);
        let mixed: String = (0..depth)
            .map(|i| if i % 2 == 0 { "[" } else { "{\"k\":" })
            .collect();
        let close: String = (0..depth)
            .rev()
            .map(|i| if i % 2 == 0 { "]" } else { "}" })
            .collect();
        check("mixed", &format!("{mixed}null{close}"));
        check(
            "mixed, duplicate inside",
            &format!("{mixed}{{\"d\":1,\"d\":2}}{close}"),
        );
    }
}

#[test]
fn many_errors_agree() {
    // More duplicate keys than are reported, with and without a syntax error after them.
    for n in [
        super::MAX_ERRORS - 1,
        super::MAX_ERRORS,
        super::MAX_ERRORS + 5,
    ] {
        let dups: Vec<String> = (0..=n).map(|i| format!("\"k\":{i}")).collect();
        let text = format!("{{{}}}", dups.join(","));
        check("duplicates", &text);
        check(
            "duplicates then a syntax error",
            &format!("{{{},}}", dups.join(",")),
        );
        let nested: Vec<String> = (0..n).map(|_| "{\"x\":1,\"x\":2}".to_owned()).collect();
        check("nested duplicates", &format!("[{}]", nested.join(",")));
        check(
            "nested duplicates, unclosed",
            &format!("[{}", nested.join(",")),
        );
    }
}

#[test]
fn random_documents_agree() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut parsed = 0;
    for i in 0..3000 {
        let mut text = String::new();
        if rng.one_in(20) {
            text.push('\u{feff}');
        }
        if let Some(w) = rng.item(WHITESPACE) {
            text.push_str(w);
        }
        let depth = 1 + rng.below(5);
        random_value(&mut rng, depth, &mut text);
        if let Some(w) = rng.item(WHITESPACE) {
            text.push_str(w);
        }
        if check(&format!("random {i}"), &text) {
            parsed += 1;
        }
        let mut mutated = text;
        for j in 0..3 {
            mutated = mutate(&mut rng, &mutated);
            check(&format!("random {i}, mutation {j}"), &mutated);
        }
    }
    // The generator makes mostly valid documents, so both paths of the parser get exercised.
    assert!(parsed > 1000, "only {parsed} random documents parsed");
}

#[test]
fn plain_runs_stop_at_the_first_special_byte() {
    for len in 0..40 {
        let plain = "x".repeat(len);
        assert_eq!(json::plain_run(plain.as_bytes()), len);
        for at in 0..len {
            for special in [b'"', b'\\', b'\0', b'\n', 0x1f] {
                let mut bytes = plain.clone().into_bytes();
                if let Some(b) = bytes.get_mut(at) {
                    *b = special;
                }
                // A second special byte after the first must not matter.
                if let Some(b) = bytes.get_mut(at + 1) {
                    *b = b'"';
                }
                assert_eq!(json::plain_run(&bytes), at, "{len} {at} {special}");
            }
        }
    }
    // Bytes next to the specials' values, and bytes beyond ASCII, are plain.
    let plain = "!#[] \u{7f}\u{e9}\u{1f980}!#[] ]!";
    assert_eq!(json::plain_run(plain.as_bytes()), plain.len());
}

#[test]
fn objects_of_many_keys_agree() {
    let mut rng = Rng(99);
    for n in [11, 12, 13, 30, 200] {
        let mut objects = Vec::new();
        for round in 0..4 {
            let mut keys: Vec<usize> = (0..n).collect();
            // The first two rounds in the same order, then shuffled.
            if round >= 2 {
                for i in (1..keys.len()).rev() {
                    keys.swap(i, rng.below(i + 1));
                }
            }
            let members: Vec<String> = keys.iter().map(|k| format!("\"k{k}\":{k}")).collect();
            objects.push(format!("{{{}}}", members.join(",")));
        }
        check("many keys", &format!("[{}]", objects.join(",")));
    }
}
