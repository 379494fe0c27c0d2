//! From source text to a compiled policy, with every problem located in the file.

use super::compile::{CompileIssue, CompiledPolicy};
use super::document::{PolicyDocument, TestSuiteSpec};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::expr::Limits;
use crate::source::{self, Format, PathSeg, SpanIndex};
use crate::value::{Str, Value};

/// Parses a path like `rules[2].when` or `parameters.min_accuracy.default` into segments.
fn parse_path(path: &str) -> Vec<PathSeg> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            let (name, indices) = rest.split_at(open);
            if !name.is_empty() {
                out.push(PathSeg::Key(Str::from(name)));
            }
            rest = indices;
            for ix in rest.split('[').filter(|s| !s.is_empty()) {
                match ix.trim_end_matches(']').parse() {
                    Ok(n) => out.push(PathSeg::Index(n)),
                    Err(_) => out.push(PathSeg::Key(Str::from(ix.trim_end_matches(']')))),
                }
            }
        } else if !rest.is_empty() {
            out.push(PathSeg::Key(Str::from(rest)));
        }
    }
    out
}

fn print_path(segs: &[PathSeg]) -> String {
    let mut out = String::new();
    for s in segs {
        match s {
            PathSeg::Index(i) => out.push_str(&format!("[{i}]")),
            PathSeg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
        }
    }
    out
}

/// Builds a diagnostic at a document path, located through the span index when there is one.
fn at_path(
    file: &str,
    text: &str,
    spans: Option<&SpanIndex>,
    segs: &[PathSeg],
    offset: Option<usize>,
    message: String,
    help: Option<String>,
) -> Diagnostic {
    let mut d = Diagnostic::new(file, message);
    if !segs.is_empty() {
        d = d.with_path(print_path(segs));
    }
    if let Some(h) = help {
        d = d.with_help(h);
    }
    let location = spans.and_then(|s| match offset {
        Some(o) => s
            .value_offset_location(segs, o)
            .or_else(|| s.value_location(segs)),
        None => s.value_location(segs).or_else(|| s.key_location(segs)),
    });
    // An unknown or missing field points at the nearest enclosing node that exists.
    let location = location.or_else(|| {
        spans.and_then(|s| {
            (1..segs.len()).rev().find_map(|n| {
                segs.get(..n)
                    .and_then(|p| s.key_location(p).or_else(|| s.value_location(p)))
            })
        })
    });
    match location {
        Some(loc) => d.at(loc, text),
        None => d,
    }
}

/// Deserializes a typed document from a value, locating the first type error.
fn typed<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
    value: &Value,
    spans: Option<&SpanIndex>,
) -> Result<T, Diagnostics> {
    // One read; the error, if any, carries the path it came from.
    T::deserialize(value).map_err(|e| {
        let mut segs = e.path;
        let inner = e.message;
        // For an unknown field, point at the field itself.
        if let Some(name) = inner
            .strip_prefix("unknown field `")
            .and_then(|r| r.split('`').next())
            && !matches!(segs.last(), Some(PathSeg::Key(k)) if &**k == name)
        {
            segs.push(PathSeg::Key(Str::from(name)));
        }
        let unknown_field = inner.starts_with("unknown field `");
        let help = inner
            .split_once(", expected ")
            .map(|(_, e)| format!("expected {e}"));
        let message = inner
            .split_once(", expected ")
            .map_or(inner.clone(), |(m, _)| m.to_owned());
        let d = at_path(file, text, spans, &segs, None, message, help);
        // An unknown field is its key's fault: point there rather than at its value.
        match spans
            .and_then(|s| s.key_location(&segs))
            .filter(|_| unknown_field)
        {
            Some(key) => Diagnostics(vec![d.at(key, text)]),
            None => Diagnostics(vec![d]),
        }
    })
}

/// The policy digest: SHA-256 over the canonical JSON of the normalized document, tests left
/// out (they do not change decisions), so formatting or reordering keys never changes it.
pub(crate) fn digest_of(document: &PolicyDocument) -> Result<String, Diagnostics> {
    // Written straight from the document; what that cannot write goes through `Value`, which
    // gives the same text (or the error). Not in the wasm build, where the second serializer
    // of every document type costs more download than it saves time.
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(digest) = crate::identity::canonical_digest_of(document, Some("tests")) {
        return Ok(digest);
    }
    digest_via_value(document)
}

/// The digest by its definition: the document as a [`Value`], `tests` removed, canonicalized.
fn digest_via_value(document: &PolicyDocument) -> Result<String, Diagnostics> {
    let mut value = Value::of_serialized(document, crate::identity::MAX_DEPTH).map_err(|e| {
        Diagnostics(vec![Diagnostic::new(
            "<policy>",
            format!("the policy cannot be canonicalized: {e}"),
        )])
    })?;
    if let Value::Map(m) = &mut value {
        std::sync::Arc::make_mut(m).remove("tests");
    }
    crate::identity::digest_value(&value).map_err(|e| {
        Diagnostics(vec![
            Diagnostic::new(
                "<policy>",
                format!("the policy cannot be canonicalized: {e}"),
            )
            .with_path(e.pointer().to_owned()),
        ])
    })
}

impl CompiledPolicy {
    /// Compiles policy source text; the format comes from the file name's extension (YAML
    /// when it has none). Every problem is reported with file, line, column and field path.
    pub fn compile_str(file: &str, text: &str) -> Result<CompiledPolicy, Diagnostics> {
        let format = Format::from_path(file).unwrap_or(Format::Yaml);
        // Most policies are block YAML without errors: read them straight into the document.
        // Anything else, or any problem, takes the full path below, which locates errors. Not
        // in the wasm build, where a second reader of every document type would cost more
        // download than it saves time (as for the digest).
        #[cfg(not(target_arch = "wasm32"))]
        if format == Format::Yaml
            && let Some(document) = source::read_yaml_fast::<PolicyDocument>(text)
            && let Ok(digest) = digest_of(&document)
            && let Ok(policy) = CompiledPolicy::compile_owned(
                document,
                Str::from(digest.as_str()),
                Limits::default(),
            )
        {
            return Ok(policy);
        }
        let documents = source::parse(file, text, format)?;
        match documents.as_slice() {
            [one] => CompiledPolicy::compile_value(file, text, &one.value, Some(&one.spans)),
            [] => Err(Diagnostics(vec![Diagnostic::new(
                file,
                "the file holds no policy document",
            )])),
            _ => Err(Diagnostics(vec![
                Diagnostic::new(file, "a policy file holds exactly one document")
                    .with_help("split the `---` documents into separate files"),
            ])),
        }
    }

    /// Compiles a policy already parsed into a value (a JS object, a JSON body). `text` and
    /// `spans` locate problems when the value came from a file.
    pub fn compile_value(
        file: &str,
        text: &str,
        value: &Value,
        spans: Option<&SpanIndex>,
    ) -> Result<CompiledPolicy, Diagnostics> {
        let document: PolicyDocument = typed(file, text, value, spans)?;
        let digest = digest_of(&document)?;
        CompiledPolicy::compile_owned(document, Str::from(digest.as_str()), Limits::default())
            .map_err(|issues| locate_issues(file, text, spans, issues))
    }

    /// Compiles an already-typed document (the dashboard's draft, a test).
    pub fn from_document(document: &PolicyDocument) -> Result<CompiledPolicy, Diagnostics> {
        let digest = digest_of(document)?;
        CompiledPolicy::compile_document(document, Str::from(digest.as_str()), Limits::default())
            .map_err(|issues| locate_issues("<policy>", "", None, issues))
    }
}

/// Gives compile issues their file locations, in the order they appear in the file (issues
/// without a location keep their order, after the located ones).
pub(crate) fn locate_issues(
    file: &str,
    text: &str,
    spans: Option<&SpanIndex>,
    issues: Vec<CompileIssue>,
) -> Diagnostics {
    let mut located: Vec<Diagnostic> = issues
        .into_iter()
        .map(|i| {
            at_path(
                file,
                text,
                spans,
                &parse_path(&i.path),
                i.offset,
                i.message,
                i.help,
            )
        })
        .collect();
    // A stable sort: issues at the same place keep the compiler's order.
    let place = |d: &Diagnostic| {
        d.location
            .map_or((u32::MAX, u32::MAX), |l| (l.line, l.column))
    };
    crate::sorting::sort_by(&mut located, |a, b| place(a).cmp(&place(b)));
    Diagnostics(located)
}

/// Parses a `*_test.yaml` file (or any file holding a test suite).
pub fn load_test_suite(file: &str, text: &str) -> Result<TestSuiteSpec, Diagnostics> {
    let format = Format::from_path(file).unwrap_or(Format::Yaml);
    let documents = source::parse(file, text, format)?;
    match documents.as_slice() {
        [one] => typed(file, text, &one.value, Some(&one.spans)),
        _ => Err(Diagnostics(vec![Diagnostic::new(
            file,
            "a test file holds exactly one document",
        )])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct canonical writer gives every reference policy the digest its definition
    /// does.
    #[test]
    fn digest_written_directly_matches_definition() {
        // Every reference policy in `examples/policies`, whatever is added there later.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policies");
        let mut texts: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                name.ends_with(".yaml") && !name.ends_with("_test.yaml")
            })
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        assert!(texts.len() >= 5, "{dir:?}");
        // The load benchmark's 50-rule policy.
        let mut b5 = String::from(
            "govgate: 1\nname: b5\nsubject: manifest\nverdicts: {allow: auto, deny: block}\ndefault_verdict: {verdict: allow}\nrules:\n",
        );
        for i in 0..50 {
            b5.push_str(&format!(
                "  - id: r{i}\n    on: [\"t{i}\"]\n    when: input.type == \"t{i}\" && input.amount > {}\n    verdict: deny\n",
                10 * i
            ));
        }
        texts.push(b5);
        texts.push(
            "govgate: 1\nname: \"ünï\\u0001\\\"q\"\nsubject: manifest\nparameters:\n  \u{e000}: {type: number, default: 1e300}\n  \u{1f600}: {type: integer, default: 18446744073709551615}\n  big: {type: list, default: [-1, 0.5, \"x\", {b: 1, a: [null, true]}]}\ndeny:\n  - id: x\n    when: params.big.size() > 0\n    message: m\ntests:\n  cases:\n    - name: t\n      input: {}\n      expect: {outcome: block}\n"
                .to_owned(),
        );
        for text in &texts {
            let docs = source::parse("p.yaml", text, Format::Yaml).unwrap();
            let document: PolicyDocument =
                typed("p.yaml", text, &docs[0].value, Some(&docs[0].spans)).unwrap();
            let direct = crate::identity::canonical_json_of(&document, Some("tests")).unwrap();
            assert!(!direct.contains("\"tests\""), "{direct}");
            assert_eq!(
                crate::identity::sha256_hex(&direct),
                digest_via_value(&document).unwrap(),
                "{direct}"
            );
            assert_eq!(
                digest_of(&document).unwrap(),
                digest_via_value(&document).unwrap()
            );
        }
        // The document types declare their fields in canonical key order, so the writer puts
        // every struct in place and reorders none (a field added out of order fails here).
        assert_eq!(
            crate::identity::reordered_struct_types(),
            Vec::<&str>::new()
        );
    }

    /// Generated documents: parameter, verdict, level and band names needing UTF-16 order,
    /// strings needing escapes, numbers of every form, optional parts present or not. The
    /// direct digest equals the definition's on each.
    #[test]
    fn digest_of_generated_documents_matches_definition() {
        use super::super::document::{
            AutonomySpec, LevelSpec, Outcome, ParameterSpec, ParameterType, RuleSpec, TestCaseSpec,
            Text,
        };
        use std::collections::BTreeMap;

        let names = [
            "a",
            "b\u{e000}",
            "b\u{10000}",
            "\u{ffff}",
            "\u{1f600}",
            "\u{fb33}",
            "q\"",
            "b\\",
            "\n\u{1}",
            "é",
            "tests",
            "",
        ];
        let texts = [
            "",
            "plain",
            "input.type == \"x\"",
            "tab\there\u{2028}\u{7f}",
            "\\\"\u{0}",
            "a long string without anything to escape in it at all",
        ];
        let numbers = [
            0.0,
            -0.0,
            0.5,
            1.0,
            -7.0,
            1e21,
            1e-7,
            123.456,
            9_007_199_254_740_993.0,
            5e-324,
            f64::MAX,
            333_333_333.333_333_3,
        ];
        let mut rng = crate::source::test_rng::Rng(0x853c_49e6_748f_ea9b);
        let mut next = move |n: usize| rng.below(n);
        for round in 0..200 {
            let mut doc = PolicyDocument {
                govgate: 1,
                name: texts[next(texts.len())].to_owned(),
                description: (next(2) == 0).then(|| texts[next(texts.len())].to_owned()),
                ..PolicyDocument::default()
            };
            for _ in 0..next(5) {
                let default = match next(4) {
                    0 => Value::Double(numbers[next(numbers.len())]),
                    1 => Value::Int(-(next(1000) as i64)),
                    2 => Value::string(texts[next(texts.len())]),
                    _ => {
                        Value::map((0..next(4)).map(|_| (names[next(names.len())], Value::Int(1))))
                    }
                };
                doc.parameters.insert(
                    names[next(names.len())].to_owned(),
                    ParameterSpec {
                        kind: ParameterType::Number,
                        default,
                        description: (next(2) == 0).then(|| texts[next(texts.len())].to_owned()),
                        min: (next(2) == 0).then(|| numbers[next(numbers.len())]),
                        max: None,
                        step: (next(2) == 0).then(|| numbers[next(numbers.len())]),
                    },
                );
            }
            for _ in 0..next(4) {
                doc.verdicts
                    .insert(names[next(names.len())].to_owned(), Outcome::Block);
            }
            for i in 0..next(6) {
                doc.rules.push(RuleSpec {
                    id: format!("r{i}{}", names[next(names.len())]).into(),
                    on: (0..next(3))
                        .map(|_| Text::from(texts[next(texts.len())]))
                        .collect::<Vec<_>>()
                        .into(),
                    when: texts[next(texts.len())].into(),
                    verdict: names[next(names.len())].into(),
                    reason_code: texts[next(texts.len())].into(),
                    message: (next(2) == 0).then(|| texts[next(texts.len())].to_owned()),
                    unless_flag: (next(3) == 0).then(|| texts[next(texts.len())].to_owned()),
                    approval: None,
                });
            }
            if next(2) == 0 {
                let level = LevelSpec {
                    description: (next(2) == 0).then(|| texts[next(texts.len())].to_owned()),
                    bands: (0..next(4))
                        .map(|_| {
                            (
                                names[next(names.len())].to_owned(),
                                numbers[next(numbers.len())],
                            )
                        })
                        .collect(),
                    action_types: BTreeMap::new(),
                };
                doc.autonomy = Some(AutonomySpec {
                    default: names[next(names.len())].to_owned(),
                    levels: BTreeMap::from([(names[next(names.len())].to_owned(), level)]),
                    ..AutonomySpec::default()
                });
            }
            if next(2) == 0 {
                // Tests are left out of the digest.
                doc.tests = Some(TestSuiteSpec {
                    cases: vec![TestCaseSpec {
                        name: "t".into(),
                        input: Value::Double(f64::NAN),
                        params: BTreeMap::new(),
                        now: None,
                        expect: Default::default(),
                    }],
                    ..TestSuiteSpec::default()
                });
            }
            // Written directly, not left to the `Value` road.
            assert_eq!(
                crate::identity::canonical_digest_of(&doc, Some("tests")),
                Some(digest_via_value(&doc).unwrap()),
                "round {round}: {doc:?}"
            );
            assert_eq!(digest_of(&doc).unwrap(), digest_via_value(&doc).unwrap());
        }
    }

    #[test]
    fn paths_round_trip() {
        for p in [
            "rules[2].when",
            "parameters.min_accuracy.default",
            "factors[0].tiers.tiers[3].upto",
            "a[1][2]",
        ] {
            assert_eq!(print_path(&parse_path(p)), p);
        }
    }
}
