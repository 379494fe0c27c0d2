//! Pretty-prints JSON with two-space indentation, keeping key order and every number and
//! string exactly as written (only whitespace between tokens changes).
//!
//! The caller validates the text first (so errors are reported with a location); this pass
//! then only re-spaces tokens.

/// Re-indents valid JSON text. Empty objects and arrays stay `{}` and `[]`.
pub fn pretty(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                let mut escaped = false;
                for s in chars.by_ref() {
                    out.push(s);
                    if escaped {
                        escaped = false;
                    } else if s == '\\' {
                        escaped = true;
                    } else if s == '"' {
                        break;
                    }
                }
            }
            '{' | '[' => {
                let close = if c == '{' { '}' } else { ']' };
                // Look past whitespace: an empty container stays on one line.
                while chars.peek().is_some_and(|n| n.is_whitespace()) {
                    chars.next();
                }
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(c);
                    out.push(close);
                } else {
                    out.push(c);
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::pretty;

    #[test]
    fn indents_and_keeps_order_and_spelling() {
        let src = r#"{"z":1,"a":[1.50, 2e3 ,{}],"s":"x: {\"y\", [z]}","e":[ ]}"#;
        let want = "{\n  \"z\": 1,\n  \"a\": [\n    1.50,\n    2e3,\n    {}\n  ],\n  \"s\": \"x: {\\\"y\\\", [z]}\",\n  \"e\": []\n}\n";
        assert_eq!(pretty(src), want);
        assert_eq!(pretty(want), want, "idempotent");
    }

    #[test]
    fn scalars_and_backslashes() {
        assert_eq!(pretty("  true "), "true\n");
        assert_eq!(pretty(r#"["a\\", "b"]"#), "[\n  \"a\\\\\",\n  \"b\"\n]\n");
    }
}
