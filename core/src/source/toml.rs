//! TOML loading through `toml`'s spanned document tree.

use std::sync::Arc;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::scalar::ScalarKind;
use crate::source::span::{ScalarSpan, SourceText, SpanBuilder, SpanNode};
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
    let mut conv = Converter {
        file,
        text,
        source,
        spans: SpanBuilder::default(),
    };
    let (value, root) = conv.table(table.get_ref(), 0, 0).map_err(|d| *d)?;
    let spans = conv.spans.finish(root, source.clone());
    Ok(vec![Document { value, spans }])
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
    spans: SpanBuilder,
}

impl Converter<'_> {
    fn error(&self, offset: usize, message: String) -> Box<Diagnostic> {
        Box::new(Diagnostic::new(self.file, message).at(self.source.location(offset), self.text))
    }

    fn leaf(&mut self, start: usize, value: Value) -> (Value, SpanNode) {
        (value, self.spans.leaf(start, None))
    }

    fn table(
        &mut self,
        table: &DeTable<'_>,
        start: usize,
        depth: usize,
    ) -> Result<(Value, SpanNode), Box<Diagnostic>> {
        let mut map = Map::new();
        let mut spans = Vec::new();
        for (key, value) in table.iter() {
            let k: Str = Arc::from(key.get_ref().as_ref());
            let (v, span) = self.value(value, depth + 1)?;
            map.insert(k.clone(), v);
            spans.push((k, span.with_key(key.span().start)));
        }
        let node = self.spans.map(start, spans);
        Ok((Value::Map(Arc::new(map)), node))
    }

    fn value(
        &mut self,
        value: &Spanned<DeValue<'_>>,
        depth: usize,
    ) -> Result<(Value, SpanNode), Box<Diagnostic>> {
        let range = value.span();
        let start = range.start;
        if depth > MAX_DEPTH {
            return Err(self.error(
                range.start,
                format!("the document nests deeper than {MAX_DEPTH} levels"),
            ));
        }
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
                (Value::String(s), self.spans.leaf(start, Some(scalar)))
            }
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => self.leaf(start, Value::Int(n)),
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
                // As in YAML and JSON: govgate's data model has no infinity or NaN.
                if !d.is_finite() {
                    return Err(self.error(
                        range.start,
                        format!("`{t}` is not a finite number, and JSON (govgate's data model) has no infinity or NaN"),
                    ));
                }
                self.leaf(start, Value::Double(d))
            }
            DeValue::Boolean(b) => self.leaf(start, Value::Bool(*b)),
            DeValue::Datetime(dt) => {
                let s = dt.to_string();
                self.leaf(start, Value::string(s))
            }
            DeValue::Array(items) => {
                let mut values = Vec::new();
                let mut spans = Vec::new();
                for item in items.iter() {
                    let (v, s) = self.value(item, depth + 1)?;
                    values.push(v);
                    spans.push(s);
                }
                let node = self.spans.list(start, spans);
                (Value::List(Arc::new(values)), node)
            }
            DeValue::Table(t) => self.table(t, start, depth)?,
        })
    }
}
