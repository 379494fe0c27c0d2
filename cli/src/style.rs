//! Terminal colour: only when standard output is a terminal and `NO_COLOR` is unset.

use std::borrow::Cow;
use std::io::IsTerminal;

/// Text from a policy or an input (a message, a reason, a file name) made safe for one line of
/// output: control characters (newlines, carriage returns, escape sequences) are shown as
/// escapes (`\n`, `\u{1b}`), so a value can neither forge further output lines (a `FAIL`
/// line, a `::error::` workflow command) nor drive the terminal.
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_to_print) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_to_print(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Control characters, and the format characters that change how a terminal or a review tool
/// shows the text around them: line and paragraph separators, and bidirectional overrides and
/// isolates (which can make a message read differently from what it says).
fn unsafe_to_print(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether to colour, and how.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    enabled: bool,
}

impl Style {
    /// Colour when stdout is a terminal, `NO_COLOR` is unset or empty, and `TERM` is not `dumb`.
    pub fn for_stdout() -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        Style {
            enabled: std::io::stdout().is_terminal() && !no_color && !dumb,
        }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.enabled {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
    pub fn red(self, text: &str) -> String {
        self.paint("1;31", text)
    }
    pub fn green(self, text: &str) -> String {
        self.paint("1;32", text)
    }
    pub fn yellow(self, text: &str) -> String {
        self.paint("1;33", text)
    }
    pub fn cyan(self, text: &str) -> String {
        self.paint("36", text)
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(clean("plain: text, ok"), "plain: text, ok");
        assert_eq!(
            clean("a\n::error::x\r\u{1b}[31m\tz"),
            "a\\n::error::x\\r\\u{1b}[31m\\tz"
        );
        // Bidirectional overrides and line separators too; ordinary non-ASCII stays.
        assert_eq!(
            clean("ok \u{202e}evil\u{2028}é"),
            "ok \\u{202e}evil\\u{2028}é"
        );
    }
}
