//! Byte offsets to 1-based line/column positions (columns in characters).

use crate::diagnostic::Location;

/// Bytes per block of the character-count table.
const BLOCK: usize = 256;

/// The start of every line of a text, and how many characters precede every [`BLOCK`]th
/// byte, so that turning a byte offset into a line and character column (or a character
/// index into a byte offset) costs a binary search and a scan of at most one block, however
/// long the line.
#[derive(Clone, Debug)]
pub(crate) struct LineIndex {
    /// Byte offset where each line starts; the first is always 0.
    starts: Vec<usize>,
    /// `blocks[k]`: the number of characters that start before byte `k * BLOCK`.
    blocks: Vec<usize>,
}

/// Whether a byte starts a character (is not a UTF-8 continuation byte).
fn starts_char(b: u8) -> bool {
    b & 0xC0 != 0x80
}

impl LineIndex {
    /// Indexes `text`: a line ends at each `\n` (a `\r` before it stays part of that line).
    pub(crate) fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut blocks = Vec::with_capacity(text.len() / BLOCK + 1);
        let mut count = 0;
        for chunk in text.as_bytes().chunks(BLOCK) {
            blocks.push(count);
            count += chunk.iter().filter(|&&b| starts_char(b)).count();
        }
        blocks.push(count);
        LineIndex { starts, blocks }
    }

    /// The byte offset where the 1-based `line` starts, if the text has that line.
    pub(crate) fn line_start(&self, line: usize) -> Option<usize> {
        self.starts.get(line.checked_sub(1)?).copied()
    }

    /// How many characters start before byte `offset`.
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        let offset = offset.min(text.len());
        let block = offset / BLOCK;
        let base = self.blocks.get(block).copied().unwrap_or(0);
        let from = block * BLOCK;
        base + text
            .as_bytes()
            .get(from..offset)
            .map_or(0, |bs| bs.iter().filter(|&&b| starts_char(b)).count())
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
        let column = self.chars_before(text, offset) - self.chars_before(text, start);
        Location {
            line: to_u32(line_idx + 1),
            column: to_u32(column + 1),
        }
    }

    /// The byte offset of the character with 0-based index `index` (the text's length past
    /// the end).
    pub(crate) fn byte_of_char(&self, text: &str, index: usize) -> usize {
        let block = match self.blocks.binary_search(&index) {
            // Several blocks may start at the same count (inside a long character); take
            // the first.
            Ok(mut k) => {
                while k > 0 && self.blocks.get(k - 1) == Some(&index) {
                    k -= 1;
                }
                k.saturating_sub(1)
            }
            Err(k) => k.saturating_sub(1),
        };
        let mut count = self.blocks.get(block).copied().unwrap_or(0);
        let bytes = text.as_bytes();
        let mut pos = block * BLOCK;
        while let Some(&b) = bytes.get(pos) {
            if starts_char(b) {
                if count == index {
                    return pos;
                }
                count += 1;
            }
            pos += 1;
        }
        text.len()
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
        assert_eq!(idx.byte_of_char(text, 0), 0);
        assert_eq!(idx.byte_of_char(text, 4), 5);
        assert_eq!(idx.byte_of_char(text, 7), 8);
        assert_eq!(idx.byte_of_char(text, 8), 9);
        assert_eq!(idx.byte_of_char(text, 99), 9);
    }

    #[test]
    fn long_lines_across_blocks() {
        let text = format!("{}\n{}x", "é".repeat(1000), "ü".repeat(700));
        let idx = LineIndex::new(&text);
        for (ci, (bi, _)) in text.char_indices().enumerate() {
            assert_eq!(idx.byte_of_char(&text, ci), bi, "char {ci}");
        }
        assert_eq!(
            idx.location(&text, 1998),
            Location {
                line: 1,
                column: 1000
            }
        );
        assert_eq!(
            idx.location(&text, 2001 + 1400),
            Location {
                line: 2,
                column: 701
            }
        );
    }
}
