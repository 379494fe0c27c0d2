//! Byte offsets to 1-based line/column positions (columns in characters).

use crate::diagnostic::Location;

/// The start of every line of a text, for turning byte offsets into [`Location`]s.
#[derive(Clone, Debug)]
pub(crate) struct LineIndex {
    /// Byte offset where each line starts; the first is always 0.
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text`: a line ends at each `\n` (a `\r` before it stays part of that line).
    pub(crate) fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// The byte offset where the 1-based `line` starts, if the text has that line.
    pub(crate) fn line_start(&self, line: usize) -> Option<usize> {
        self.starts.get(line.checked_sub(1)?).copied()
    }

    /// The location of byte `offset` in `text` (clamped to the text's end and to a character
    /// boundary).
    pub(crate) fn location(&self, text: &str, offset: usize) -> Location {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line_idx = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(line_idx).copied().unwrap_or(0);
        let column = text.get(start..offset).map_or(0, |s| s.chars().count());
        Location {
            line: to_u32(line_idx + 1),
            column: to_u32(column + 1),
        }
    }

    /// The byte offset of the 0-based character `col` on the 1-based `line` (clamped to the
    /// line's end).
    pub(crate) fn offset_of(&self, text: &str, line: usize, col: usize) -> usize {
        let Some(start) = self.line_start(line) else {
            return text.len();
        };
        let rest = text.get(start..).unwrap_or("");
        let line_len = rest.find('\n').unwrap_or(rest.len());
        let line_text = rest.get(..line_len).unwrap_or("");
        let within = line_text
            .char_indices()
            .nth(col)
            .map_or(line_len, |(i, _)| i);
        start + within
    }
}

/// The largest character boundary of `text` at or before `offset`.
pub(crate) fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Saturating conversion for line and column numbers.
pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_char_columns() {
        let text = "ab\néx\n\nz";
        let idx = LineIndex::new(text);
        assert_eq!(idx.location(text, 0), Location { line: 1, column: 1 });
        assert_eq!(idx.location(text, 3), Location { line: 2, column: 1 });
        // 'x' is after the two-byte 'é'.
        assert_eq!(idx.location(text, 5), Location { line: 2, column: 2 });
        assert_eq!(idx.location(text, 7), Location { line: 3, column: 1 });
        assert_eq!(idx.location(text, 8), Location { line: 4, column: 1 });
        assert_eq!(idx.location(text, 99), Location { line: 4, column: 2 });
        assert_eq!(idx.offset_of(text, 2, 1), 5);
        assert_eq!(idx.offset_of(text, 2, 9), 6);
    }
}
