use super::*;
use crate::value::Str;

fn yaml(text: &str) -> Document {
    let mut docs = parse("t.yaml", text, Format::Yaml).unwrap_or_else(|e| panic!("{}", e.render()));
    assert_eq!(docs.len(), 1);
    docs.remove(0)
}

fn yaml_err(text: &str) -> Diagnostics {
    match parse("t.yaml", text, Format::Yaml) {
        Ok(docs) => panic!(
            "expected an error, got {:?}",
            docs.iter().map(|d| &d.value).collect::<Vec<_>>()
        ),
        Err(e) => e,
    }
}

fn p(path: &str) -> Vec<PathSeg> {
    parse_path(path).unwrap()
}

fn loc(line: u32, column: u32) -> Location {
    Location { line, column }
}

fn get<'a>(v: &'a Value, path: &str) -> &'a Value {
    p(path).iter().fold(v, |v, seg| match (seg, v) {
        (PathSeg::Key(k), Value::Map(m)) => m.get(k).unwrap_or_else(|| panic!("no {k}")),
        (PathSeg::Index(i), Value::List(l)) => &l[*i],
        _ => panic!("bad path {path}"),
    })
}

/// Asserts that offset `off` of the string at `path` maps to `(line, column)`, and that the
/// character there in the source is the decoded one.
fn assert_offset(doc: &Document, text: &str, path: &str, off: usize, line: u32, column: u32) {
    let got = doc.spans.value_offset_location(&p(path), off);
    assert_eq!(got, Some(loc(line, column)), "offset {off} of {path}");
    let value = get(&doc.value, path).as_str().unwrap();
    if let Some(c) = value[off..].chars().next()
        && c != '\n'
        && c != ' '
        && c != '\''
        && c != '"'
        && c != '\\'
    {
        {
            let src_line = text.lines().nth(line as usize - 1).unwrap();
            let src_char = src_line.chars().nth(column as usize - 1);
            // An escape starts with a backslash instead.
            assert!(
                src_char == Some(c) || src_char == Some('\\'),
                "source char at {line}:{column} for offset {off} of {path}: {src_char:?}"
            );
        }
    }
}

#[test]
fn format_from_path() {
    assert_eq!(Format::from_path("a/b.yaml"), Some(Format::Yaml));
    assert_eq!(Format::from_path("b.YML"), Some(Format::Yaml));
    assert_eq!(Format::from_path("x.json"), Some(Format::Json));
    assert_eq!(Format::from_path("x.toml"), Some(Format::Toml));
    assert_eq!(Format::from_path("x.txt"), None);
    assert_eq!(Format::from_path("yaml"), None);
    assert_eq!(Format::from_path("dir.yaml/file"), None);
}

#[test]
fn yaml_numbers() {
    let d = yaml(
        "a: 1\nb: 1.0\nc: 1e3\nd: 0x10\ne: -7\nf: 0o17\ng: '.inf'\nh: -inf\ni: nan\nj: 1_000\nk: '1'\nl: 3.25\n",
    );
    let v = &d.value;
    assert_eq!(get(v, "a"), &Value::Int(1));
    assert_eq!(get(v, "b"), &Value::Double(1.0));
    assert_eq!(get(v, "c"), &Value::Double(1000.0));
    assert_eq!(get(v, "d"), &Value::Int(16));
    assert_eq!(get(v, "e"), &Value::Int(-7));
    assert_eq!(get(v, "f"), &Value::Int(15));
    assert_eq!(get(v, "g"), &Value::string(".inf"));
    assert_eq!(get(v, "h"), &Value::string("-inf"));
    assert_eq!(get(v, "i"), &Value::string("nan"));
    assert_eq!(get(v, "j"), &Value::string("1_000"));
    assert_eq!(get(v, "k"), &Value::string("1"));
    assert_eq!(get(v, "l"), &Value::Double(3.25));
}

#[test]
fn yaml_core_schema_bools_and_nulls() {
    let d = yaml(
        "a: yes\nb: no\nc: on\nd: off\ne: true\nf: False\ng: ~\nh: null\ni:\nj: NULL\nk: 'true'\nl: y\n",
    );
    let v = &d.value;
    for k in ["a", "b", "c", "d", "l"] {
        assert!(matches!(get(v, k), Value::String(_)), "{k}");
    }
    assert_eq!(get(v, "e"), &Value::Bool(true));
    assert_eq!(get(v, "f"), &Value::Bool(false));
    for k in ["g", "h", "i", "j"] {
        assert_eq!(get(v, k), &Value::Null, "{k}");
    }
    assert_eq!(get(v, "k"), &Value::string("true"));
}

#[test]
fn yaml_tags() {
    let d = yaml("a: !!str 12\nb: !!int \"7\"\nc: !!float 1\nd: ! 12\n");
    assert_eq!(get(&d.value, "a"), &Value::string("12"));
    assert_eq!(get(&d.value, "b"), &Value::Int(7));
    assert_eq!(get(&d.value, "c"), &Value::Double(1.0));
    assert_eq!(get(&d.value, "d"), &Value::string("12"));
    let e = yaml_err("a: !Ref x\n");
    assert_eq!(e.0[0].message, "unsupported tag `!Ref`");
    assert_eq!(e.0[0].location, Some(loc(1, 9)));
    let e = yaml_err("a: !!int x\n");
    assert_eq!(e.0[0].message, "`x` is not a valid `!!int`");
}

#[test]
fn yaml_multi_document() {
    let docs = parse(
        "t.yaml",
        "# head\na: 1\n---\nb: 2\n...\n---\n- x\n",
        Format::Yaml,
    )
    .unwrap();
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[0].value, Value::map([("a", Value::Int(1))]));
    assert_eq!(docs[1].value, Value::map([("b", Value::Int(2))]));
    assert_eq!(docs[2].value, Value::list(vec![Value::string("x")]));
    assert_eq!(docs[1].spans.key_location(&p("b")), Some(loc(4, 1)));
    assert_eq!(docs[2].spans.value_location(&p("[0]")), Some(loc(7, 3)));
    assert!(
        parse("t.yaml", "# only a comment\n", Format::Yaml)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        parse_one("t.yaml", "", Format::Yaml).unwrap().value,
        Value::Null
    );
    let e = parse_one("t.yaml", "a: 1\n---\nb: 2\n", Format::Yaml).unwrap_err();
    assert_eq!(e.0[0].message, "expected one document, found 2");
    assert_eq!(e.0[0].location, Some(loc(3, 1)));
}

#[test]
fn yaml_anchors_aliases_and_merge() {
    let text = "base: &b\n  x: 1\n  y: [1, 2]\nuse: *b\nmerged:\n  <<: *b\n  x: 9\n  z: 3\nname: &n hello\nagain: *n\n";
    let d = yaml(text);
    assert_eq!(get(&d.value, "use"), get(&d.value, "base"));
    assert_eq!(get(&d.value, "merged.x"), &Value::Int(9));
    assert_eq!(
        get(&d.value, "merged.y"),
        &Value::list(vec![Value::Int(1), Value::Int(2)])
    );
    assert_eq!(get(&d.value, "merged.z"), &Value::Int(3));
    assert_eq!(get(&d.value, "again"), &Value::string("hello"));
    // The alias's own position, and children pointing at the anchored text.
    assert_eq!(d.spans.value_location(&p("use")), Some(loc(4, 6)));
    assert_eq!(d.spans.key_location(&p("use.x")), Some(loc(2, 3)));
    assert_eq!(d.spans.value_location(&p("name")), Some(loc(9, 10)));
    assert_offset(&d, text, "again", 1, 9, 11);
    let d = yaml("a: &a {p: 1}\nb: &b {p: 2, q: 2}\nc:\n  <<: [*a, *b]\n");
    assert_eq!(
        get(&d.value, "c"),
        &Value::map([("p", Value::Int(1)), ("q", Value::Int(2))])
    );
    assert_eq!(
        yaml("\"<<\": 1\n").value,
        Value::map([("<<", Value::Int(1))])
    );
    let e = yaml_err("a:\n  <<: 1\n");
    assert_eq!(
        e.0[0].message,
        "the merge key `<<` needs a mapping or a list of mappings"
    );
    assert_eq!(e.0[0].location, Some(loc(2, 3)));
}

#[test]
fn billion_laughs_is_rejected() {
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        text.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            [prev.as_str(); 10].join(", ")
        ));
    }
    let e = yaml_err(&text);
    assert_eq!(e.0.len(), 1);
    assert!(
        e.0[0].message.contains("more than 1000000 nodes"),
        "{}",
        e.0[0].message
    );
    assert!(e.0[0].location.is_some());
}

#[test]
fn deep_nesting_is_rejected() {
    let text = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let e = yaml_err(&text);
    assert!(
        e.0[0].message.contains("deeper than 128"),
        "{}",
        e.0[0].message
    );
    // Through aliases too.
    let mut text = String::from("a: &a ");
    text.push_str(&"[".repeat(100));
    text.push_str(&"]".repeat(100));
    text.push_str("\nb: ");
    text.push_str(&"[".repeat(40));
    text.push_str("*a");
    text.push_str(&"]".repeat(40));
    text.push('\n');
    let e = yaml_err(&text);
    assert!(
        e.0[0].message.contains("deeper than 128"),
        "{}",
        e.0[0].message
    );
    let e = parse("t.json", &"[".repeat(300), Format::Json).unwrap_err();
    assert!(
        e.0[0].message.contains("deeper than 128"),
        "{}",
        e.0[0].message
    );
}

#[test]
fn recursive_alias_is_rejected() {
    let e = yaml_err("a: &a [*a]\n");
    assert!(e.0[0].message.contains("recursive"), "{}", e.0[0].message);
}

#[test]
fn duplicate_keys_point_at_the_second() {
    let e = yaml_err("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n");
    assert_eq!(e.0.len(), 2);
    assert_eq!(e.0[0].message, "duplicate key `c`");
    assert_eq!(e.0[0].location, Some(loc(4, 3)));
    assert_eq!(e.0[0].source_line.as_deref(), Some("  c: 2"));
    assert_eq!(e.0[1].message, "duplicate key `a`");
    assert_eq!(e.0[1].location, Some(loc(5, 1)));
    // `1` and `"1"` are the same key once the int becomes its text.
    let e = yaml_err("1: a\n\"1\": b\n");
    assert_eq!(e.0[0].location, Some(loc(2, 1)));
}

#[test]
fn mapping_keys() {
    let d = yaml("200: ok\n0x10: hex\n");
    assert_eq!(
        d.value,
        Value::map([("200", Value::string("ok")), ("16", Value::string("hex"))])
    );
    for (text, what) in [
        ("true: x\n", "bool"),
        ("~: x\n", "null_type"),
        ("1.5: x\n", "double"),
    ] {
        let e = yaml_err(text);
        assert!(e.0[0].message.contains(what), "{}", e.0[0].message);
        assert_eq!(e.0[0].location, Some(loc(1, 1)));
        assert!(e.0[0].help.is_some());
    }
    let e = yaml_err("? [a]\n: x\n");
    assert_eq!(
        e.0[0].message,
        "mapping keys must be strings, not lists or mappings"
    );
}

#[test]
fn yaml_syntax_errors_have_positions() {
    let text = "a: 1\n b: 2\n";
    let e = yaml_err(text);
    assert_eq!(e.0.len(), 1);
    let d = &e.0[0];
    assert_eq!(d.file, "t.yaml");
    assert_eq!(d.location, Some(loc(2, 3)));
    assert_eq!(d.source_line.as_deref(), Some(" b: 2"));
    assert!(d.message.starts_with("invalid yaml: "), "{}", d.message);
    assert_eq!(d.message, d.message.to_lowercase());

    let e = yaml_err("a: [1, 2\nb: 3\n");
    assert_eq!(e.0[0].location, Some(loc(2, 2)));
    let e = yaml_err("x: 1\na: \"unterminated\n");
    assert_eq!(e.0[0].location, Some(loc(2, 4)));
    // An error at the end of the file points just past the last line's text.
    let e = yaml_err("a: [1, 2\n");
    assert_eq!(e.0[0].location, Some(loc(1, 9)));
    assert_eq!(e.0[0].source_line.as_deref(), Some("a: [1, 2"));
    let e = yaml_err("a: *nope\n");
    assert_eq!(e.0[0].location, Some(loc(1, 4)));
}

#[test]
fn key_and_value_locations() {
    let text = "name: demo\nrules:\n  - id: r1\n    when: input.a > 1\n  - id: r2\n    params: {x: 1, y: [a, b]}\n";
    let d = yaml(text);
    assert_eq!(d.spans.key_location(&p("name")), Some(loc(1, 1)));
    assert_eq!(d.spans.value_location(&p("name")), Some(loc(1, 7)));
    assert_eq!(d.spans.key_location(&p("rules[1].id")), Some(loc(5, 5)));
    assert_eq!(
        d.spans.value_location(&p("rules[1].params.y[1]")),
        Some(loc(6, 27))
    );
    assert_eq!(
        d.spans.key_location(&p("rules[1].params.x")),
        Some(loc(6, 14))
    );
    assert_eq!(d.spans.key_location(&p("rules[0]")), None);
    assert_eq!(d.spans.value_location(&p("rules[0]")), Some(loc(3, 5)));
    assert_eq!(d.spans.value_location(&p("rules[2]")), None);
    assert_eq!(d.spans.value_location(&[]), Some(loc(1, 1)));
    // A block sequence starts at its first dash, indented or not.
    assert_eq!(d.spans.value_location(&p("rules")), Some(loc(3, 3)));
    let indentless = yaml("rules:\n- a\n- b\n");
    assert_eq!(
        indentless.spans.value_location(&p("rules")),
        Some(loc(2, 1))
    );
    // Diagnostics built from paths.
    let diag = d.diagnostic(&p("rules[1].id"), Target::Value, "bad id");
    assert_eq!(diag.to_string(), "t.yaml:5:9: bad id (at `rules[1].id`)");
    assert_eq!(diag.source_line.as_deref(), Some("  - id: r2"));
    // A missing field points at the deepest node the document has.
    let diag = locate(
        &d,
        &p("rules[0].effect"),
        Target::Key,
        "missing field `effect`",
    );
    assert_eq!(diag.location, Some(loc(3, 5)));
    assert_eq!(diag.path.as_deref(), Some("rules[0].effect"));
    let diag = d.diagnostic(&p("rules[0].when"), Target::ValueOffset(8), "x");
    assert_eq!(diag.location, Some(loc(4, 19)));
}

#[test]
fn offsets_in_plain_scalars() {
    let text = "rules:\n  - when: input.x == 'é' && y\n    long: first part\n      second part\n\n      third\n";
    let d = yaml(text);
    assert_offset(&d, text, "rules[0].when", 0, 2, 11);
    assert_offset(&d, text, "rules[0].when", 6, 2, 17);
    // 'é' is two bytes: the character after it is one column on.
    let when = get(&d.value, "rules[0].when").as_str().unwrap();
    let after = when.find('é').unwrap() + 'é'.len_utf8();
    assert_offset(&d, text, "rules[0].when", after, 2, 24);
    assert_offset(&d, text, "rules[0].when", when.len() - 1, 2, 29);
    // Just past the end.
    assert_eq!(
        d.spans
            .value_offset_location(&p("rules[0].when"), when.len()),
        Some(loc(2, 30))
    );
    assert_eq!(
        d.spans
            .value_offset_location(&p("rules[0].when"), when.len() + 1),
        None
    );
    // Folded over lines: "first part second part\nthird".
    let long = get(&d.value, "rules[0].long").as_str().unwrap();
    assert_eq!(long, "first part second part\nthird");
    assert_offset(&d, text, "rules[0].long", 11, 4, 7);
    assert_offset(&d, text, "rules[0].long", 18, 4, 14);
    assert_offset(&d, text, "rules[0].long", 23, 6, 7);
    assert_eq!(
        d.spans.value_offset_location(&p("rules[0].long"), 10),
        Some(loc(3, 21))
    );
}

#[test]
fn offsets_in_quoted_scalars() {
    let text = concat!(
        "a: 'it''s x'\n",
        "b: \"say \\\"hi\\\" \\u00e9t\\x41\\n!\"\n",
        "c: \"one\n",
        "  two \\\n",
        "  three\"\n",
        "d: 'x\n",
        "\n",
        "  y'\n",
    );
    let d = yaml(text);
    assert_eq!(get(&d.value, "a").as_str(), Some("it's x"));
    assert_offset(&d, text, "a", 0, 1, 5);
    assert_offset(&d, text, "a", 2, 1, 7); // the quote, written as ''
    assert_offset(&d, text, "a", 3, 1, 9);
    assert_offset(&d, text, "a", 5, 1, 11);
    let b = get(&d.value, "b").as_str().unwrap();
    assert_eq!(b, "say \"hi\" \u{e9}tA\n!");
    assert_offset(&d, text, "b", 0, 2, 5);
    assert_offset(&d, text, "b", 4, 2, 9); // the escaped quote
    assert_offset(&d, text, "b", 5, 2, 11); // h
    assert_offset(&d, text, "b", 9, 2, 16); // é, written \u00e9
    assert_offset(&d, text, "b", 11, 2, 22); // t
    assert_offset(&d, text, "b", 12, 2, 23); // A, written \x41
    assert_offset(&d, text, "b", 13, 2, 27); // \n
    assert_offset(&d, text, "b", 14, 2, 29); // !
    assert_eq!(get(&d.value, "c").as_str(), Some("one two three"));
    assert_offset(&d, text, "c", 4, 4, 3);
    assert_offset(&d, text, "c", 8, 5, 3);
    assert_eq!(get(&d.value, "d").as_str(), Some("x\ny"));
    assert_offset(&d, text, "d", 2, 8, 3);
}

#[test]
fn offsets_in_block_scalars() {
    let text = concat!(
        "rules:\n",
        "  - when: |\n",
        "      input.a == 1 &&\n",
        "        input.b\n",
        "\n",
        "      done\n",
        "    note: >-\n",
        "      folded\n",
        "      text\n",
        "\n",
        "      para\n",
        "    keep: |2+\n",
        "\n",
        "        x\n",
        "\n",
        "last: 1\n",
    );
    let d = yaml(text);
    let when = get(&d.value, "rules[0].when").as_str().unwrap();
    assert_eq!(when, "input.a == 1 &&\n  input.b\n\ndone\n");
    assert_offset(&d, text, "rules[0].when", 0, 3, 7);
    assert_offset(&d, text, "rules[0].when", 6, 3, 13);
    assert_offset(&d, text, "rules[0].when", 16, 4, 7);
    assert_offset(&d, text, "rules[0].when", 18, 4, 9);
    assert_offset(&d, text, "rules[0].when", 27, 6, 7);
    let note = get(&d.value, "rules[0].note").as_str().unwrap();
    assert_eq!(note, "folded text\npara");
    assert_offset(&d, text, "rules[0].note", 0, 8, 7);
    assert_offset(&d, text, "rules[0].note", 7, 9, 7);
    assert_offset(&d, text, "rules[0].note", 12, 11, 7);
    let keep = get(&d.value, "rules[0].keep").as_str().unwrap();
    assert_eq!(keep, "\n  x\n\n");
    assert_offset(&d, text, "rules[0].keep", 1, 14, 7);
    assert_offset(&d, text, "rules[0].keep", 3, 14, 9);
}

#[test]
fn json_loading() {
    let text = "{\n  \"a\": 1,\n  \"b\": [1.0, 1e3, -0, 12345678901234567890],\n  \"c\": {\"d\": \"x\\\"y\\u00e9z\"},\n  \"e\": [true, false, null]\n}\n";
    let docs = parse("t.json", text, Format::Json).unwrap();
    assert_eq!(docs.len(), 1);
    let d = &docs[0];
    assert_eq!(get(&d.value, "a"), &Value::Int(1));
    assert_eq!(get(&d.value, "b[0]"), &Value::Double(1.0));
    assert_eq!(get(&d.value, "b[1]"), &Value::Double(1000.0));
    assert_eq!(get(&d.value, "b[2]"), &Value::Double(-0.0));
    assert_eq!(
        get(&d.value, "b[3]"),
        &Value::Double(12345678901234567890.0)
    );
    assert_eq!(get(&d.value, "c.d"), &Value::string("x\"y\u{e9}z"));
    assert_eq!(
        get(&d.value, "e"),
        &Value::list(vec![Value::Bool(true), Value::Bool(false), Value::Null])
    );
    assert_eq!(d.spans.key_location(&p("c.d")), Some(loc(4, 9)));
    assert_eq!(d.spans.value_location(&p("b[1]")), Some(loc(3, 14)));
    assert_offset(d, text, "c.d", 1, 4, 16);
    assert_offset(d, text, "c.d", 2, 4, 18);
    assert_offset(d, text, "c.d", 3, 4, 19);
    assert_offset(d, text, "c.d", 5, 4, 25);
    // Same values as serde_json gives.
    let via_serde: Value = serde_json::from_str(text).unwrap();
    assert_eq!(d.value, via_serde);
    let d = &parse("t.json", "\"\\ud83d\\ude00!\"", Format::Json).unwrap()[0];
    assert_eq!(d.value, Value::string("\u{1f600}!"));
    assert_eq!(d.spans.value_offset_location(&[], 4), Some(loc(1, 14)));
}

#[test]
fn json_errors() {
    let cases = [
        (
            "{\"a\": 1,}",
            1,
            9,
            "invalid json: expected a string key, found `}`",
        ),
        (
            "{\"a\" 1}",
            1,
            6,
            "invalid json: expected `:` after the key, found `1`",
        ),
        (
            "[1,\n 2\n",
            3,
            1,
            "invalid json: expected `,` or `]`, found the end of the file",
        ),
        (
            "{\"a\": 01}",
            1,
            7,
            "invalid json: numbers cannot have leading zeros",
        ),
        (
            "{\"a\": tru}",
            1,
            7,
            "invalid json: expected a value, found `t`",
        ),
        (
            "{\"a\": \"x\\q\"}",
            1,
            9,
            "invalid json: unknown escape sequence",
        ),
        (
            "{} x",
            1,
            4,
            "invalid json: expected the end of the file after the value, found `x`",
        ),
        (
            "",
            1,
            1,
            "invalid json: expected a value, found the end of the file",
        ),
        (
            "[1e400]",
            1,
            2,
            "invalid json: number `1e400` is out of range",
        ),
        (
            "{\"é\": 'x'}",
            1,
            7,
            "invalid json: expected a value, found `'`",
        ),
    ];
    for (text, line, column, message) in cases {
        let e = parse("t.json", text, Format::Json).unwrap_err();
        assert_eq!(e.0[0].message, message, "{text}");
        assert_eq!(e.0[0].location, Some(loc(line, column)), "{text}");
    }
    let e = parse("t.json", "{\"a\": 1,\n \"a\": 2}", Format::Json).unwrap_err();
    assert_eq!(e.0[0].message, "duplicate key `a`");
    assert_eq!(e.0[0].location, Some(loc(2, 2)));
}

#[cfg(feature = "toml")]
#[test]
fn toml_loading() {
    let text = "title = \"x\\ty\"\nn = 0x10\nf = 1.5\ng = 1e3\nh = -2.5\nwhen = 'input.a == 1'\nat = 1979-05-27T07:32:00Z\nday = 1979-05-27\n\n[[rules]]\nid = \"r1\"\n[sub.inner]\nk = [1, 2]\n";
    let docs = parse("t.toml", text, Format::Toml).unwrap();
    assert_eq!(docs.len(), 1);
    let d = &docs[0];
    assert_eq!(get(&d.value, "title"), &Value::string("x\ty"));
    assert_eq!(get(&d.value, "n"), &Value::Int(16));
    assert_eq!(get(&d.value, "f"), &Value::Double(1.5));
    assert_eq!(get(&d.value, "g"), &Value::Double(1000.0));
    assert_eq!(get(&d.value, "h"), &Value::Double(-2.5));
    assert_eq!(get(&d.value, "at"), &Value::string("1979-05-27T07:32:00Z"));
    assert_eq!(get(&d.value, "day"), &Value::string("1979-05-27"));
    assert_eq!(get(&d.value, "rules[0].id"), &Value::string("r1"));
    assert_eq!(
        get(&d.value, "sub.inner.k"),
        &Value::list(vec![Value::Int(1), Value::Int(2)])
    );
    assert_eq!(d.spans.key_location(&p("n")), Some(loc(2, 1)));
    assert_eq!(d.spans.value_location(&p("n")), Some(loc(2, 5)));
    assert_eq!(d.spans.key_location(&p("rules[0].id")), Some(loc(11, 1)));
    assert_eq!(
        d.spans.value_location(&p("sub.inner.k[1]")),
        Some(loc(13, 9))
    );
    assert_offset(d, text, "when", 6, 6, 15);
    assert_offset(d, text, "title", 2, 1, 13);
}

#[cfg(feature = "toml")]
#[test]
fn toml_errors() {
    let e = parse("t.toml", "a = 1\nb = \n", Format::Toml).unwrap_err();
    let d = &e.0[0];
    assert!(d.message.starts_with("invalid toml: "), "{}", d.message);
    assert_eq!(d.location.map(|l| l.line), Some(2), "{d:?}");
    let e = parse("t.toml", "a = 1\na = 2\n", Format::Toml).unwrap_err();
    assert_eq!(e.0[0].location.map(|l| l.line), Some(2), "{:?}", e.0[0]);
}

#[cfg(not(feature = "toml"))]
#[test]
fn toml_is_reported_missing() {
    let e = parse("t.toml", "a = 1\n", Format::Toml).unwrap_err();
    assert!(e.0[0].message.contains("toml support is not built"));
}

/// Every string node of a document, with its path.
fn strings(v: &Value, path: &mut Vec<PathSeg>, out: &mut Vec<(Vec<PathSeg>, Str)>) {
    match v {
        Value::String(s) => out.push((path.clone(), s.clone())),
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(PathSeg::Index(i));
                strings(item, path, out);
                path.pop();
            }
        }
        Value::Map(m) => {
            for (k, item) in m.iter() {
                path.push(PathSeg::Key(k.clone()));
                strings(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

const OFFSET_CORPUS: &[(&str, Format)] = &[
    (
        "a: plain with 'quotes' and é\nb: 'single ''q'' é'\nc: \"dq \\t \\\" \\u263A é \\x41\"\nd: |\n  lit\n    more é\n\n  end\ne: >\n  fold one\n  fold two\n\n  para\nf: first\n  second\n\n  third\ng: \"multi\n  line \\\n  joined\"\nh:\n  - &x anchored text\n  - *x\n  - !!str tagged\n  - [flow, 'in', \"flow\"]\n  - {k: flow value}\n",
        Format::Yaml,
    ),
    (
        "{\"a\": \"x\\ty\\u00e9\\ud83d\\ude00z\", \"b\": [\"é\", \"\\\\\\/\"]}",
        Format::Json,
    ),
    #[cfg(feature = "toml")]
    (
        "a = \"x\\ty\\u00e9\"\nb = 'lit é'\nc = \"\"\"\nml \\\n   joined\nnext\"\"\"\nd = '''\nraw é\n'''\n[t]\ne = [\"in\", 'arr']\n",
        Format::Toml,
    ),
];

#[test]
fn every_string_offset_points_at_its_character() {
    for (text, format) in OFFSET_CORPUS {
        let docs = parse("t", text, *format).unwrap_or_else(|e| panic!("{}", e.render()));
        for doc in &docs {
            let mut found = Vec::new();
            strings(&doc.value, &mut Vec::new(), &mut found);
            assert!(!found.is_empty());
            for (path, s) in found {
                for (off, c) in s.char_indices() {
                    let l = doc.spans.value_offset_location(&path, off).unwrap();
                    let src_line = text.split('\n').nth(l.line as usize - 1).unwrap();
                    let src = src_line.chars().nth(l.column as usize - 1);
                    let ok = src == Some(c)
                        || src == Some('\\')
                        || (c == '\'' && src == Some('\''))
                        || ((c == ' ' || c == '\n') && (src.is_none() || src == Some(' ')));
                    assert!(
                        ok,
                        "{format} {} offset {off} ({c:?}) -> {l:?} {src:?} in {s:?}",
                        format_path(&path)
                    );
                }
                let end = doc.spans.value_offset_location(&path, s.len());
                assert!(end.is_some());
            }
        }
    }
}

/// Random edits of valid files must never panic anywhere: parse, locate, format.
#[test]
fn mangled_input_never_panics() {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let pieces = [
        "\n", " ", "  ", "-", ":", "'", "\"", "\\", "#", "|", ">", "&a", "*a", "!", "[", "]", "{",
        "}", ",", "é", "\t", "---", "<<", "\r\n",
    ];
    for (text, format) in OFFSET_CORPUS {
        for _ in 0..300 {
            let mut t: Vec<char> = text.chars().collect();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % (t.len() + 1);
                if next() % 2 == 0 && at < t.len() {
                    t.remove(at);
                } else {
                    let piece = pieces[(next() as usize) % pieces.len()];
                    for (k, c) in piece.chars().enumerate() {
                        t.insert(at + k, c);
                    }
                }
            }
            let t: String = t.into_iter().collect();
            if let Ok(docs) = parse("t", &t, *format) {
                for doc in &docs {
                    let mut found = Vec::new();
                    strings(&doc.value, &mut Vec::new(), &mut found);
                    for (path, s) in found {
                        for off in 0..=s.len() {
                            let _ = doc.spans.value_offset_location(&path, off);
                        }
                        let _ = doc.diagnostic(&path, Target::Node, "x").render();
                    }
                }
            }
            if *format == Format::Yaml {
                let _ = format_yaml("t", &t);
            }
        }
    }
}
/// Random edits of YAML that still parse must still format (the formatter only gives up
/// when it cannot keep the meaning, which should not happen).
#[test]
fn mangled_yaml_that_parses_also_formats() {
    let mut seed = 0x1234_5678_9abc_def1_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let pieces = [
        "\n", " ", "  ", "    ", "- ", "? ", ": ", "'", "\"", "&a ", "*a", "!!str ", "|2", ">-",
        "|+", "{", "}", ",", "\n  - ", "\n    ", "# x", "---\n", "\\", "\t", ":", "#", "\n\n", "[",
        "]",
    ];
    let base = [
        OFFSET_CORPUS[0].0,
        "a:\n  b: 1\n  c:\n  - x\n  - y: 1\n    z: 2\n# c\nd: [1,\n  2]\n",
        "rules:\n-   id: a\n    when: |\n      x\n    list:\n    - 1\n    - 'q\n\n      r'\n",
    ];
    let (mut ok, mut bad) = (0, 0);
    for text in base {
        for _ in 0..1500 {
            let mut t: Vec<char> = text.chars().collect();
            for _ in 0..1 + next() % 3 {
                let at = (next() as usize) % (t.len() + 1);
                let piece = pieces[(next() as usize) % pieces.len()];
                for (k, c) in piece.chars().enumerate() {
                    t.insert(at + k, c);
                }
            }
            let t: String = t.into_iter().collect();
            if parse("t", &t, Format::Yaml).is_ok() {
                match format_yaml("t", &t) {
                    Ok(_) => ok += 1,
                    Err(e) => {
                        bad += 1;
                        println!("cannot format:\n{t}\n{}\n=====", e.render());
                    }
                }
            }
        }
    }
    assert_eq!(bad, 0, "{ok} formatted");
    assert!(ok > 500, "only {ok} mangled inputs parsed");
}
/// A long one-line document must not cost time quadratic in the line's length (positions
/// are found through the line index's blocks, not by scanning each line from its start).
/// There is no timing assertion; a regression shows as a test that takes minutes.
#[test]
fn long_single_line_documents() {
    let n = 5_000;
    let items: Vec<String> = (0..n).map(|i| format!("{{k{i}: \"é{i}\"}}")).collect();
    let yaml_text = format!("a: [{}]\n", items.join(", "));
    let d = yaml(&yaml_text);
    let last = format!("a[{}].k{}", n - 1, n - 1);
    let l = d.spans.value_location(&p(&last)).unwrap();
    assert_eq!(l.line, 1);
    assert_eq!(yaml_text.chars().nth(l.column as usize - 1), Some('"'));
    let json_items: Vec<String> = (0..n).map(|i| format!("{{\"k{i}\": \"é{i}\"}}")).collect();
    let json_text = format!("{{\"a\": [{}]}}", json_items.join(","));
    let docs = parse("t", &json_text, Format::Json).unwrap();
    let l = docs[0].spans.value_offset_location(&p(&last), 2).unwrap();
    assert_eq!(
        json_text.chars().nth(l.column as usize - 1),
        (n - 1).to_string().chars().next()
    );
    format_yaml("t", &yaml_text).unwrap();
}

#[test]
fn byte_order_mark_is_not_a_column() {
    let d = yaml("\u{feff}a: 'x y'\n");
    assert_eq!(d.spans.key_location(&p("a")), Some(loc(1, 1)));
    assert_eq!(d.spans.value_offset_location(&p("a"), 2), Some(loc(1, 7)));
    let d = parse_one("t.json", "\u{feff}{\"a\": 1}", Format::Json).unwrap();
    assert_eq!(d.spans.key_location(&p("a")), Some(loc(1, 2)));
}

#[cfg(feature = "toml")]
#[test]
fn toml_nesting_is_bounded() {
    let deep = format!("a = {}{}\n", "[".repeat(5000), "]".repeat(5000));
    let e = parse("t.toml", &deep, Format::Toml).unwrap_err();
    assert!(
        e.0[0].message.starts_with("invalid toml"),
        "{}",
        e.0[0].message
    );
}

/// Positions in text with multi-byte characters before, between and inside nodes, across
/// documents and lines longer than the line index's blocks: every key and value is found
/// where a plain character count says it is.
#[test]
fn yaml_positions_in_non_ascii_text() {
    let long = "ü".repeat(300);
    let text = format!(
        "# ünïcödé\nä: &a {{ö: 1, 😀: [x, é]}}\nb: *a\nlong: {long}\nafter: «z»\n---\n- ß\n- k: ç\n"
    );
    let docs = parse("t.yaml", &text, Format::Yaml).unwrap();
    assert_eq!(docs.len(), 2);
    // The line and character column of the first occurrence of `needle` after `from`.
    let find = |needle: &str, from: &str| {
        let start = text.find(from).unwrap();
        let at = start + text[start..].find(needle).unwrap();
        let line = text[..at].matches('\n').count() as u32 + 1;
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        loc(line, text[line_start..at].chars().count() as u32 + 1)
    };
    let d = &docs[0];
    assert_eq!(d.spans.key_location(&p("ä")), Some(find("ä:", "\n")));
    assert_eq!(d.spans.value_location(&p("ä")), Some(find("{", "ä:")));
    assert_eq!(d.spans.key_location(&p("ä.ö")), Some(find("ö", "ä:")));
    assert_eq!(d.spans.value_location(&p("ä.ö")), Some(find("1", "ö:")));
    assert_eq!(d.spans.value_location(&p("ä.😀[1]")), Some(find("é", "😀")));
    assert_eq!(d.spans.value_location(&p("b")), Some(find("*a", "b:")));
    assert_eq!(d.spans.value_location(&p("b.😀[0]")), Some(find("x", "😀")));
    assert_eq!(d.spans.value_location(&p("long")), Some(find("ü", "long:")));
    assert_eq!(
        d.spans.key_location(&p("after")),
        Some(find("after", "long:"))
    );
    assert_eq!(
        d.spans.value_location(&p("after")),
        Some(find("«", "after:"))
    );
    assert_offset(d, &text, "after", "«".len(), 5, 9);
    let d = &docs[1];
    assert_eq!(d.spans.value_location(&p("[0]")), Some(find("ß", "---")));
    assert_eq!(d.spans.key_location(&p("[1].k")), Some(find("k", "---")));
    assert_eq!(d.spans.value_location(&p("[1].k")), Some(find("ç", "---")));
    assert_eq!(d.spans.value_location(&[]), Some(find("- ß", "---")));
}

#[test]
fn yaml_numbers_json_cannot_hold_are_errors_at_their_place() {
    for (text, col) in [
        ("a: .inf\n", 4),
        ("a: [1, -.inf]\n", 8),
        ("a: .NaN\n", 4),
        ("a: 1e999\n", 4),
    ] {
        let e = parse("n.yaml", text, Format::Yaml).unwrap_err();
        let d = e.0.first().unwrap();
        assert_eq!(
            d.location.map(|l| (l.line, l.column)),
            Some((1, col)),
            "{text}: {e}"
        );
        assert!(
            d.message.contains("not a finite number") || d.message.contains("out of range"),
            "{e}"
        );
    }
}

#[cfg(feature = "toml")]
#[test]
fn toml_numbers_json_cannot_hold_are_errors() {
    for text in ["a = inf\n", "a = -inf\n", "a = nan\n", "a = 1e999\n"] {
        let e = parse("n.toml", text, Format::Toml).unwrap_err();
        let d = e.0.first().unwrap();
        assert_eq!(d.location.map(|l| l.line), Some(1), "{text}: {e}");
    }
}

#[test]
fn yaml_syntax_errors_point_at_the_cause() {
    // A tab in indentation: pointed at the tab itself.
    let e = parse(
        "t.yaml",
        "a:\n  b: 1\n  d:\n   - x\n\t  - y\n",
        Format::Yaml,
    )
    .unwrap_err();
    let d = e.0.first().unwrap();
    assert_eq!(d.location, Some(loc(5, 1)), "{e}");
    assert!(
        d.help.as_deref().unwrap_or("").contains("replace the tab"),
        "{e}"
    );
    // An unclosed flow list is named, wherever the parser notices it.
    let e = parse("f.yaml", "name: x\nargs: [1, 2\nfoo: bar\n", Format::Yaml).unwrap_err();
    let d = e.0.first().unwrap();
    assert_eq!(
        d.help.as_deref(),
        Some("the `[` at line 2, column 7 is not closed before this point"),
        "{e}"
    );
    // Brackets inside quotes and comments do not count.
    let e = parse(
        "q.yaml",
        "a: \"[x\"  # [y\nb: '{z'\nc: d: e\n",
        Format::Yaml,
    )
    .unwrap_err();
    assert_eq!(e.0.first().and_then(|d| d.help.as_deref()), None, "{e}");
    // Nor do brackets in plain text, after an escaped quote, or in a block scalar.
    for text in [
        "message: see [docs for x\nb: 1\nwhen: \"a\" b\n",
        "message: \"x\\\" [ y\"\nwhen: \"a\" b\n",
        "message: |\n  [not flow\n  {neither\nwhen: \"a\" b\n",
    ] {
        let e = parse("p.yaml", text, Format::Yaml).unwrap_err();
        assert_eq!(
            e.0.first().and_then(|d| d.help.as_deref()),
            None,
            "{text}: {e}"
        );
    }
}

#[test]
fn parse_each_reads_the_documents_around_a_broken_one() {
    let text = "%YAML 1.2\n---\na: 1\n---\n---\nb: [\n---\nc: 3\n";
    let docs = crate::source::parse_each("m.yaml", text, Format::Yaml).unwrap();
    let shapes: Vec<&str> = docs
        .iter()
        .map(|d| match d {
            Ok(d) if d.value == Value::Null => "null",
            Ok(_) => "ok",
            Err(_) => "err",
        })
        .collect();
    // The same numbering a whole-stream parse gives: the empty document counts.
    assert_eq!(shapes, ["ok", "null", "err", "ok"]);
    let Some(Err(e)) = docs.get(2) else {
        panic!("{docs:?}")
    };
    assert_eq!(
        e.0.first().and_then(|d| d.location).map(|l| l.line),
        Some(6),
        "{e}"
    );
    assert_eq!(get(&docs[3].as_ref().unwrap().value, "c"), &Value::Int(3));
    // A stream that parses is passed through; JSON is never split.
    assert_eq!(
        crate::source::parse_each("m.yaml", "a: 1\n---\nb: 2\n", Format::Yaml)
            .unwrap()
            .len(),
        2
    );
    assert!(crate::source::parse_each("m.json", "{\"a\": [}", Format::Json).is_err());
}
