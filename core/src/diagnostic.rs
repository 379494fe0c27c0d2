//! Errors about user input that say what is wrong and exactly where.

use std::fmt;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Location {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

/// One problem found in a policy, an input or an expression.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostic {
    /// The file (or other source name) the problem is in.
    pub file: String,
    /// Where in the file, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The field path inside the document (`rules[2].when`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// What is wrong: lowercase, no trailing period, user input in backticks.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The source line the location points into, for rendering a caret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with only a file and a message.
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.into(),
            location: None,
            path: None,
            message: message.into(),
            help: None,
            source_line: None,
        }
    }

    /// Sets the location and picks the matching line out of `text`.
    pub fn at(mut self, location: Location, text: &str) -> Diagnostic {
        self.location = Some(location);
        self.source_line = text
            .lines()
            .nth(location.line.saturating_sub(1) as usize)
            .map(str::to_owned);
        self
    }

    /// Sets the field path.
    pub fn with_path(mut self, path: impl Into<String>) -> Diagnostic {
        self.path = Some(path.into());
        self
    }

    /// Sets the help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Renders like a compiler error:
    ///
    /// ```text
    /// error: unknown parameter `min_acuracy`
    ///   --> policy.yaml:12:20 (rules[0].when)
    ///    |
    /// 12 |     when: input.x < params.min_acuracy
    ///    |                    ^
    ///    = help: did you mean `min_accuracy`?
    /// ```
    pub fn render(&self) -> String {
        let mut out = format!("error: {}\n", self.message);
        let place = match self.location {
            Some(loc) => format!("{}:{}:{}", self.file, loc.line, loc.column),
            None => self.file.clone(),
        };
        match &self.path {
            Some(path) => out.push_str(&format!("  --> {place} ({path})\n")),
            None => out.push_str(&format!("  --> {place}\n")),
        }
        if let (Some(loc), Some(line)) = (self.location, &self.source_line) {
            let number = loc.line.to_string();
            let pad = " ".repeat(number.len());
            let (shown, caret_at) = excerpt(line, loc.column.saturating_sub(1) as usize);
            let caret_pad: String = shown
                .chars()
                .take(caret_at)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            out.push_str(&format!(
                "{pad} |\n{number} | {shown}\n{pad} | {caret_pad}^\n"
            ));
        }
        if let Some(help) = &self.help {
            out.push_str(&format!("  = help: {help}\n"));
        }
        out
    }
}

/// Characters of a source line shown around the caret; longer lines (minified JSON, a
/// generated manifest) are cut to this window, marked with `…` at the cut ends.
const EXCERPT_CHARS: usize = 120;

/// The part of `line` to show and the caret's character index in it, for a caret at character
/// `column` (0-based) of the whole line.
fn excerpt(line: &str, column: usize) -> (String, usize) {
    let total = line.chars().count();
    if total <= EXCERPT_CHARS {
        return (line.to_owned(), column);
    }
    // Keep some context before the caret, most of the window after it.
    let start = column
        .saturating_sub(EXCERPT_CHARS / 3)
        .min(total.saturating_sub(EXCERPT_CHARS));
    let end = (start + EXCERPT_CHARS).min(total);
    let mut shown = String::new();
    if start > 0 {
        shown.push('…');
    }
    shown.extend(line.chars().skip(start).take(end - start));
    if end < total {
        shown.push('…');
    }
    (shown, column - start + usize::from(start > 0))
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some(loc) => write!(
                f,
                "{}:{}:{}: {}",
                self.file, loc.line, loc.column, self.message
            )?,
            None => write!(f, "{}: {}", self.file, self.message)?,
        }
        if let Some(path) = &self.path {
            write!(f, " (at `{path}`)")?;
        }
        Ok(())
    }
}

/// Every problem found in one go, so a user can fix them all before trying again.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Renders every diagnostic, separated by blank lines.
    pub fn render(&self) -> String {
        self.0
            .iter()
            .map(Diagnostic::render)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}
impl std::error::Error for Diagnostic {}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Diagnostics {
        Diagnostics(vec![d])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_points_a_caret_at_the_column() {
        let text = "name: x\nrules:\n  - when: input.a == \n";
        let d = Diagnostic::new("p.yaml", "unexpected end of expression")
            .at(
                Location {
                    line: 3,
                    column: 22,
                },
                text,
            )
            .with_path("rules[0].when");
        let r = d.render();
        assert!(r.contains("--> p.yaml:3:22 (rules[0].when)"), "{r}");
        let expected = format!("3 |   - when: input.a == \n  | {}^\n", " ".repeat(21));
        assert!(r.contains(&expected), "{r}");
    }

    #[test]
    fn render_shows_a_window_of_a_long_line_with_the_caret_in_it() {
        // A 100,000-character line (minified JSON) with the problem at column 50,001.
        let line = format!("{}X{}", "a".repeat(50_000), "b".repeat(49_999));
        let d = Diagnostic::new("in.json", "bad").at(
            Location {
                line: 1,
                column: 50_001,
            },
            &line,
        );
        let r = d.render();
        assert!(r.len() < 600, "{r}");
        let shown = r.lines().find(|l| l.starts_with("1 | ")).unwrap();
        let caret = r.lines().find(|l| l.ends_with('^')).unwrap();
        assert!(
            shown.starts_with("1 | …") && shown.ends_with('…'),
            "{shown}"
        );
        // The caret sits under the `X`.
        let x_at = shown.chars().position(|c| c == 'X').unwrap();
        assert_eq!(caret.chars().count() - 1, x_at, "{shown}\n{caret}");
        // Short lines are shown whole.
        let short = Diagnostic::new("p", "m").at(Location { line: 1, column: 3 }, "abcdef");
        assert!(short.render().contains("1 | abcdef\n  |   ^\n"));
    }
}
