//! TOML loading through `toml`'s spanned document tree.

use std::collections::BTreeMap;
use std::sync::Arc;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::scalar::ScalarKind;
use crate::source::span::{Children, ScalarSpan, SourceText, SpanBody, SpanIndex, SpanNode};
use crate::source::{Document, MAX_DEPTH};
use crate::value::{Map, Str, Value};

/// Parses a TOML text into one document (a map).
pub(crate) fn parse(
    file: &str,
    text: &str,
    source: &Arc<SourceText>,
) -> Result<Vec<Document>, Diagnostics> {
    let table = DeTable::parse(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let message = e
            .message()
            .lines()
            .next()
            .unwrap_or("syntax error")
            .trim()
            .trim_end_matches('.');
        let mut message = lowercase_first(message);
        if let Some(expected) = e.message().lines().nth(1).filter(|l| !l.trim().is_empty()) {
            message = format!("{message} ({})", expected.trim());
        }
        Diagnostic::new(file, format!("invalid toml: {message}")).at(source.location(offset), text)
    })?;
    let conv = Converter { file, text, source };
    let root_loc = source.location(0);
    let (value, children) = conv.table(table.get_ref(), 0).map_err(|d| *d)?;
    let root = SpanNode {
        key: None,
        value: root_loc,
        body: Arc::new(SpanBody {
            scalar: None,
            children,
        }),
    };
    Ok(vec![Document {
        value,
        spans: SpanIndex::new(root, source.clone()),
    }])
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

struct Converter<'a> {
    file: &'a str,
    text: &'a str,
    source: &'a Arc<SourceText>,
}

impl Converter<'_> {
    fn error(&self, offset: usize, message: String) -> Box<Diagnostic> {
        Box::new(Diagnostic::new(self.file, message).at(self.source.location(offset), self.text))
    }

    fn table(
        &self,
        table: &DeTable<'_>,
        depth: usize,
    ) -> Result<(Value, Children), Box<Diagnostic>> {
        let mut map = Map::new();
        let mut spans = BTreeMap::new();
        for (key, value) in table.iter() {
            let k: Str = Arc::from(key.get_ref().as_ref());
            let (v, mut span) = self.value(value, depth + 1)?;
            span.key = Some(self.source.location(key.span().start));
            map.insert(k.clone(), v);
            spans.insert(k, span);
        }
        Ok((Value::Map(Arc::new(map)), Children::Map(spans)))
    }

    fn value(
        &self,
        value: &Spanned<DeValue<'_>>,
        depth: usize,
    ) -> Result<(Value, SpanNode), Box<Diagnostic>> {
        let range = value.span();
        let loc = self.source.location(range.start);
        if depth > MAX_DEPTH {
            return Err(self.error(
                range.start,
                format!("the document nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        let leaf = |v: Value| (v, SpanNode::leaf(loc, None));
        Ok(match value.get_ref() {
            DeValue::String(s) => {
                let s: Str = Arc::from(s.as_ref());
                let raw = self.text.get(range.clone()).unwrap_or("");
                let kind = if raw.starts_with("\"\"\"") {
                    ScalarKind::MultiBasic
                } else if raw.starts_with("'''") {
                    ScalarKind::MultiLiteral
                } else if raw.starts_with('\'') {
                    ScalarKind::Verbatim
                } else {
                    ScalarKind::DoubleQuoted
                };
                let scalar = ScalarSpan {
                    kind,
                    start: range.start,
                    end: range.end,
                    value: s.clone(),
                };
                (Value::String(s), SpanNode::leaf(loc, Some(scalar)))
            }
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => leaf(Value::Int(n)),
                Err(_) => {
                    return Err(
                        self.error(range.start, "integer does not fit in 64 bits".to_owned())
                    );
                }
            },
            DeValue::Float(f) => {
                let t = f.as_str();
                let unsigned = t.trim_start_matches(['+', '-']);
                let d = if unsigned == "nan" {
                    f64::NAN
                } else {
                    t.parse::<f64>()
                        .map_err(|_| self.error(range.start, format!("invalid float `{t}`")))?
                };
                leaf(Value::Double(d))
            }
            DeValue::Boolean(b) => leaf(Value::Bool(*b)),
            DeValue::Datetime(dt) => {
                let s = dt.to_string();
                leaf(Value::string(s))
            }
            DeValue::Array(items) => {
                let mut values = Vec::new();
                let mut spans = Vec::new();
                for item in items.iter() {
                    let (v, s) = self.value(item, depth + 1)?;
                    values.push(v);
                    spans.push(s);
                }
                let body = SpanBody {
                    scalar: None,
                    children: Children::List(spans),
                };
                (
                    Value::List(Arc::new(values)),
                    SpanNode {
                        key: None,
                        value: loc,
                        body: Arc::new(body),
                    },
                )
            }
            DeValue::Table(t) => {
                let (v, children) = self.table(t, depth)?;
                let body = SpanBody {
                    scalar: None,
                    children,
                };
                (
                    v,
                    SpanNode {
                        key: None,
                        value: loc,
                        body: Arc::new(body),
                    },
                )
            }
        })
    }
}
