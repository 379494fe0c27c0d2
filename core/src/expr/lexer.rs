//! The lexer: source text to tokens with byte spans.
//!
//! Follows CEL's lexical grammar: decimal and hex integers, doubles with an optional exponent,
//! single-, double- and triple-quoted strings with an optional `r` (raw) prefix, `//` comments.
//! Unsigned (`1u`) and bytes (`b"..."`) literals are recognised only to be rejected with a clear
//! message, since the value model has neither.

use super::{CompileError, Span};

/// A string literal's text: borrowed from the source when it has no escapes (the common case),
/// else the index of its decoded text in [`Lexed::strings`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Lit<'s> {
    Src(&'s str),
    Decoded(u32),
}

/// One token kind. Names and string literals borrow from the source, so tokens are `Copy`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Tok<'s> {
    /// An integer literal too large for `i64` keeps its magnitude so that `-9223372036854775808`
    /// can still be written.
    Int(u64),
    Double(f64),
    Str(Lit<'s>),
    Ident(&'s str),
    True,
    False,
    Null,
    In,
    Dot,
    Comma,
    Colon,
    Question,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Bang,
    AndAnd,
    OrOr,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Eof,
}

impl Tok<'_> {
    /// How the token reads in a message (`unexpected \`)\``).
    pub(crate) fn describe(&self) -> String {
        let text = match self {
            Tok::Int(i) => return format!("`{i}`"),
            Tok::Double(d) => return format!("`{d}`"),
            Tok::Str(_) => return "a string".into(),
            Tok::Ident(name) => return format!("`{name}`"),
            Tok::Eof => return "end of input".into(),
            Tok::True => "true",
            Tok::False => "false",
            Tok::Null => "null",
            Tok::In => "in",
            Tok::Dot => ".",
            Tok::Comma => ",",
            Tok::Colon => ":",
            Tok::Question => "?",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Percent => "%",
            Tok::Bang => "!",
            Tok::AndAnd => "&&",
            Tok::OrOr => "||",
            Tok::EqEq => "==",
            Tok::NotEq => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
        };
        format!("`{text}`")
    }

    /// Whether an operand can end with this token (so a following `.5` is a member access, not
    /// a double).
    fn ends_operand(&self) -> bool {
        matches!(
            self,
            Tok::Int(_)
                | Tok::Double(_)
                | Tok::Str(_)
                | Tok::Ident(_)
                | Tok::True
                | Tok::False
                | Tok::Null
                | Tok::RParen
                | Tok::RBracket
                | Tok::RBrace
        )
    }
}

/// A token and where it is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Token<'s> {
    pub(crate) tok: Tok<'s>,
    pub(crate) span: Span,
}

/// The tokens of a source text, ending with [`Tok::Eof`], and the decoded text of the string
/// literals that had escapes.
pub(crate) struct Lexed<'s> {
    pub(crate) tokens: Vec<Token<'s>>,
    pub(crate) strings: Vec<String>,
}

/// Words CEL reserves: they cannot be used as names of variables.
pub(crate) const RESERVED: &[&str] = &[
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
];

/// Errors travel boxed, so that the many small results of the scan are one word.
type Error = Box<CompileError>;

#[cold]
fn err(message: impl Into<String>, start: usize, end: usize) -> Error {
    Box::new(CompileError {
        message: message.into(),
        span: start..end,
        help: None,
    })
}

/// Splits `src` into tokens, ending with [`Tok::Eof`], into `out` (emptied first), whose
/// allocation an earlier expression may have left.
pub(crate) fn lex<'s>(src: &'s str, mut out: Vec<Token<'s>>) -> Result<Lexed<'s>, CompileError> {
    out.clear();
    // A typical condition has a token every four bytes or so; one allocation usually fits.
    out.reserve(src.len() / 3 + 4);
    let mut lexer = Lexer {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        out,
        strings: Vec::new(),
    };
    lexer.run().map_err(|e| *e)?;
    Ok(Lexed {
        tokens: lexer.out,
        strings: lexer.strings,
    })
}

struct Lexer<'s> {
    src: &'s str,
    bytes: &'s [u8],
    pos: usize,
    out: Vec<Token<'s>>,
    strings: Vec<String>,
}

impl<'s> Lexer<'s> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn push(&mut self, tok: Tok<'s>, start: usize) {
        self.out.push(Token {
            tok,
            span: Span::new(start, self.pos),
        });
    }

    fn prev_ends_operand(&self) -> bool {
        self.out.last().is_some_and(|t| t.tok.ends_operand())
    }

    fn run(&mut self) -> Result<(), Error> {
        loop {
            self.skip_trivia();
            let start = self.pos;
            let Some(c) = self.peek() else {
                self.push(Tok::Eof, start);
                return Ok(());
            };
            match c {
                b'0'..=b'9' => self.number()?,
                b'.' if !self.prev_ends_operand()
                    && self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) =>
                {
                    self.number()?
                }
                b'"' | b'\'' => self.string(start, false)?,
                b'r' | b'R' if matches!(self.peek_at(1), Some(b'"' | b'\'')) => {
                    self.pos += 1;
                    self.string(start, true)?
                }
                b'b' | b'B'
                    if matches!(self.peek_at(1), Some(b'"' | b'\''))
                        || (matches!(self.peek_at(1), Some(b'r' | b'R'))
                            && matches!(self.peek_at(2), Some(b'"' | b'\''))) =>
                {
                    return Err(err("bytes literals are not supported", start, start + 2));
                }
                c if c == b'_' || c.is_ascii_alphabetic() => self.ident(),
                _ => self.punct(start, c)?,
            }
        }
    }

    fn skip_trivia(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => self.pos += 1,
                b'/' if self.peek_at(1) == Some(b'/') => {
                    while let Some(c) = self.peek() {
                        if c == b'\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                _ => return,
            }
        }
    }

    fn ident(&mut self) {
        let start = self.pos;
        let rest = self.bytes.get(start..).unwrap_or_default();
        self.pos += rest
            .iter()
            .position(|&c| c != b'_' && !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let word = self.src.get(start..self.pos).unwrap_or_default();
        let tok = match word {
            "true" => Tok::True,
            "false" => Tok::False,
            "null" => Tok::Null,
            "in" => Tok::In,
            _ => Tok::Ident(word),
        };
        self.push(tok, start);
    }

    fn punct(&mut self, start: usize, c: u8) -> Result<(), Error> {
        let next = self.peek_at(1);
        let (tok, len) = match (c, next) {
            (b'&', Some(b'&')) => (Tok::AndAnd, 2),
            (b'|', Some(b'|')) => (Tok::OrOr, 2),
            (b'=', Some(b'=')) => (Tok::EqEq, 2),
            (b'!', Some(b'=')) => (Tok::NotEq, 2),
            (b'<', Some(b'=')) => (Tok::Le, 2),
            (b'>', Some(b'=')) => (Tok::Ge, 2),
            (b'<', _) => (Tok::Lt, 1),
            (b'>', _) => (Tok::Gt, 1),
            (b'!', _) => (Tok::Bang, 1),
            (b'.', _) => (Tok::Dot, 1),
            (b',', _) => (Tok::Comma, 1),
            (b':', _) => (Tok::Colon, 1),
            (b'?', _) => (Tok::Question, 1),
            (b'(', _) => (Tok::LParen, 1),
            (b')', _) => (Tok::RParen, 1),
            (b'[', _) => (Tok::LBracket, 1),
            (b']', _) => (Tok::RBracket, 1),
            (b'{', _) => (Tok::LBrace, 1),
            (b'}', _) => (Tok::RBrace, 1),
            (b'+', _) => (Tok::Plus, 1),
            (b'-', _) => (Tok::Minus, 1),
            (b'*', _) => (Tok::Star, 1),
            (b'/', _) => (Tok::Slash, 1),
            (b'%', _) => (Tok::Percent, 1),
            (b'=', _) => {
                return Err(Box::new(CompileError {
                    message: "unexpected `=`".into(),
                    span: start..start + 1,
                    help: Some("use `==` to compare".into()),
                }));
            }
            (b'&', _) => {
                return Err(Box::new(CompileError {
                    message: "unexpected `&`".into(),
                    span: start..start + 1,
                    help: Some("use `&&` for logical and".into()),
                }));
            }
            (b'|', _) => {
                return Err(Box::new(CompileError {
                    message: "unexpected `|`".into(),
                    span: start..start + 1,
                    help: Some("use `||` for logical or".into()),
                }));
            }
            _ => {
                let ch = self
                    .src
                    .get(start..)
                    .and_then(|s| s.chars().next())
                    .unwrap_or('?');
                return Err(err(
                    format!("unexpected character `{}`", ch.escape_debug()),
                    start,
                    start + ch.len_utf8(),
                ));
            }
        };
        self.pos += len;
        self.push(tok, start);
        Ok(())
    }

    fn digits(&mut self, radix: u32) {
        while self.peek().is_some_and(|c| (c as char).is_digit(radix)) {
            self.pos += 1;
        }
    }

    /// Skips decimal digits, returning their value (`None` past `u64::MAX`).
    fn decimal(&mut self) -> Option<u64> {
        let mut value = Some(0u64);
        while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
            value = value.and_then(|n| n.checked_mul(10)?.checked_add(u64::from(d - b'0')));
            self.pos += 1;
        }
        value
    }

    fn number(&mut self) -> Result<(), Error> {
        let start = self.pos;
        if self.peek() == Some(b'0') && matches!(self.peek_at(1), Some(b'x' | b'X')) {
            self.pos += 2;
            let digits_start = self.pos;
            self.digits(16);
            if self.pos == digits_start {
                return Err(err("hex literal has no digits", start, self.pos));
            }
            let text = self.src.get(digits_start..self.pos).unwrap_or_default();
            let value = u64::from_str_radix(text, 16).map_err(|_| {
                err(
                    format!("integer literal `{}` is out of range", self.text(start)),
                    start,
                    self.pos,
                )
            })?;
            self.suffix(start)?;
            self.push(Tok::Int(value), start);
            return Ok(());
        }
        let integer = self.decimal();
        let mut is_double = false;
        if self.peek() == Some(b'.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            is_double = true;
            self.pos += 1;
            self.digits(10);
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(self.peek_at(1), Some(b'+' | b'-')));
            if self.peek_at(1 + sign).is_some_and(|c| c.is_ascii_digit()) {
                is_double = true;
                self.pos += 1 + sign;
                self.digits(10);
            } else {
                return Err(err("exponent has no digits", start, self.pos + 1 + sign));
            }
        }
        let text = self.src.get(start..self.pos).unwrap_or_default();
        if is_double {
            let value: f64 = text
                .parse()
                .map_err(|_| err(format!("invalid number `{text}`"), start, self.pos))?;
            self.suffix(start)?;
            self.push(Tok::Double(value), start);
        } else {
            let value: u64 = integer.ok_or_else(|| {
                err(
                    format!("integer literal `{text}` is out of range"),
                    start,
                    self.pos,
                )
            })?;
            self.suffix(start)?;
            self.push(Tok::Int(value), start);
        }
        Ok(())
    }

    fn text(&self, start: usize) -> &str {
        self.src.get(start..self.pos).unwrap_or_default()
    }

    /// Rejects `1u` (unsigned) and letters glued to a number (`12abc`).
    fn suffix(&mut self, start: usize) -> Result<(), Error> {
        match self.peek() {
            Some(b'u' | b'U')
                if !self
                    .peek_at(1)
                    .is_some_and(|c| c == b'_' || c.is_ascii_alphanumeric()) =>
            {
                Err(Box::new(CompileError {
                    message: "unsigned integer literals are not supported".into(),
                    span: start..self.pos + 1,
                    help: Some("write the number without the `u` suffix".into()),
                }))
            }
            Some(c) if c == b'_' || c.is_ascii_alphabetic() => {
                let mut end = self.pos;
                while self
                    .bytes
                    .get(end)
                    .is_some_and(|c| *c == b'_' || c.is_ascii_alphanumeric())
                {
                    end += 1;
                }
                Err(err(
                    format!(
                        "invalid number `{}`",
                        self.src.get(start..end).unwrap_or_default()
                    ),
                    start,
                    end,
                ))
            }
            _ => Ok(()),
        }
    }

    fn string(&mut self, start: usize, raw: bool) -> Result<(), Error> {
        let quote = self.peek().unwrap_or(b'"');
        let triple = self.peek_at(1) == Some(quote) && self.peek_at(2) == Some(quote);
        self.pos += if triple { 3 } else { 1 };
        // The text is borrowed from the source unless an escape needs decoding; then `out`
        // holds what was decoded so far and `run` is where the next literal run starts.
        let content = self.pos;
        let mut run = self.pos;
        let mut out: Option<String> = None;
        let end = loop {
            // Ordinary bytes in one scan; the loop below steps through the special ones.
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            self.pos += rest
                .iter()
                .position(|&c| c == quote || c == b'\\' || c == b'\n' || c == b'\r')
                .unwrap_or(rest.len());
            let Some(c) = self.peek() else {
                return Err(Box::new(CompileError {
                    message: "unterminated string".into(),
                    span: start..self.pos,
                    help: Some(format!(
                        "close it with `{}`",
                        if triple {
                            [quote as char; 3].iter().collect::<String>()
                        } else {
                            (quote as char).to_string()
                        }
                    )),
                }));
            };
            if c == quote {
                if !triple {
                    self.pos += 1;
                    break self.pos - 1;
                }
                if self.peek_at(1) == Some(quote) && self.peek_at(2) == Some(quote) {
                    self.pos += 3;
                    break self.pos - 3;
                }
            }
            if !triple && (c == b'\n' || c == b'\r') {
                return Err(Box::new(CompileError {
                    message: "unterminated string".into(),
                    span: start..self.pos,
                    help: Some(
                        "use a triple-quoted string (`'''...'''`) for text on several lines".into(),
                    ),
                }));
            }
            if c == b'\\' && !raw {
                let decoded = out.get_or_insert_with(String::new);
                decoded.push_str(self.src.get(run..self.pos).unwrap_or_default());
                self.escape(decoded)?;
                run = self.pos;
                continue;
            }
            // Quotes, backslashes and line breaks are ASCII, and a byte of a multi-byte UTF-8
            // character is never ASCII, so stepping by bytes keeps characters whole.
            self.pos += 1;
        };
        let lit = match out {
            None => Lit::Src(self.src.get(content..end).unwrap_or_default()),
            Some(mut decoded) => {
                decoded.push_str(self.src.get(run..end).unwrap_or_default());
                let index = u32::try_from(self.strings.len()).unwrap_or(u32::MAX);
                self.strings.push(decoded);
                Lit::Decoded(index)
            }
        };
        self.push(Tok::Str(lit), start);
        Ok(())
    }

    fn escape(&mut self, out: &mut String) -> Result<(), Error> {
        let start = self.pos;
        self.pos += 1;
        let Some(c) = self.peek() else {
            return Err(err("unterminated escape sequence", start, self.pos));
        };
        self.pos += 1;
        let simple = match c {
            b'n' => Some('\n'),
            b't' => Some('\t'),
            b'r' => Some('\r'),
            b'a' => Some('\x07'),
            b'b' => Some('\x08'),
            b'f' => Some('\x0c'),
            b'v' => Some('\x0b'),
            b'\\' => Some('\\'),
            b'\'' => Some('\''),
            b'"' => Some('"'),
            b'`' => Some('`'),
            b'?' => Some('?'),
            _ => None,
        };
        if let Some(ch) = simple {
            out.push(ch);
            return Ok(());
        }
        let code = match c {
            b'x' | b'X' => self.hex_digits(start, 2)?,
            b'u' if self.peek() == Some(b'{') => {
                self.pos += 1;
                let digits_start = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                    self.pos += 1;
                }
                let digits = self.src.get(digits_start..self.pos).unwrap_or_default();
                if digits.is_empty() || digits.len() > 6 || self.peek() != Some(b'}') {
                    return Err(err(
                        "invalid escape `\\u{...}`: expected 1 to 6 hex digits and `}`",
                        start,
                        self.pos,
                    ));
                }
                self.pos += 1;
                u32::from_str_radix(digits, 16).unwrap_or(u32::MAX)
            }
            b'u' => self.hex_digits(start, 4)?,
            b'U' => self.hex_digits(start, 8)?,
            b'0'..=b'3' => {
                let mut value = u32::from(c - b'0');
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            self.pos += 1;
                        }
                        _ => {
                            return Err(err(
                                "invalid octal escape: expected three octal digits",
                                start,
                                self.pos,
                            ));
                        }
                    }
                }
                value
            }
            _ => {
                let ch = self
                    .src
                    .get(start + 1..)
                    .and_then(|s| s.chars().next())
                    .unwrap_or('?');
                self.pos = start + 1 + ch.len_utf8();
                return Err(err(
                    format!("unknown escape `\\{}`", ch.escape_debug()),
                    start,
                    self.pos,
                ));
            }
        };
        match char::from_u32(code) {
            Some(ch) => {
                out.push(ch);
                Ok(())
            }
            None => Err(err(
                format!(
                    "escape `{}` is not a valid unicode scalar value",
                    self.text(start)
                ),
                start,
                self.pos,
            )),
        }
    }

    fn hex_digits(&mut self, start: usize, n: usize) -> Result<u32, Error> {
        let digits_start = self.pos;
        for _ in 0..n {
            if !self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                return Err(err(
                    format!("invalid escape: expected {n} hex digits"),
                    start,
                    self.pos,
                ));
            }
            self.pos += 1;
        }
        let digits = self.src.get(digits_start..self.pos).unwrap_or_default();
        Ok(u32::from_str_radix(digits, 16).unwrap_or(u32::MAX))
    }
}
