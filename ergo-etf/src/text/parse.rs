//! Parsing Erlang term syntax into a [`Term`]: atoms (bare and quoted), integers (`1_000`,
//! `16#FF`, `$a`, bignums), floats, strings (lists of codepoints; adjacent strings join),
//! binaries with segment specifiers (`<<1, 2:3, "é"/utf8, 1.5/float-little>>`), tuples, lists
//! (proper and improper), maps, `%` comments and an optional final `.`.
//!
//! Input is untrusted: every error is a [`ParseError`] with its position, nesting is limited to
//! [`MAX_NESTING_DEPTH`](crate::MAX_NESTING_DEPTH), binary literals to
//! [`MAX_BINARY_LITERAL_BITS`](super::MAX_BINARY_LITERAL_BITS) bits. Pids, references, ports
//! and funs have no literal syntax and are refused. This module must not print.

use num_bigint::BigInt;

use crate::text::bits::{BitWriter, BitsError, Endianness, MAX_BINARY_LITERAL_BITS};
use crate::text::error::{ParseError, ParseErrorKind};
use crate::text::quote::{is_atom_start, is_name_char, RESERVED_WORDS};
use crate::{Atom, Map, Term, MAX_NESTING_DEPTH};

/// Parses one term written in Erlang syntax; a final `.` is optional, whitespace and `%`
/// comments are allowed around it.
pub fn parse(text: &str) -> Result<Term, ParseError> {
    let mut parser = Parser { text, pos: 0 };
    let term = parser.term(0)?;
    parser.skip_blank();
    if parser.peek() == Some('.') {
        parser.pos += 1;
        parser.skip_blank();
    }
    match parser.peek() {
        None => Ok(term),
        Some(_) => Err(parser.unexpected("end of input")),
    }
}

impl std::str::FromStr for Term {
    type Err = ParseError;

    /// Parses Erlang term syntax, as [`parse`].
    fn from_str(text: &str) -> Result<Term, ParseError> {
        parse(text)
    }
}

/// A number literal before it becomes a term or a binary segment value.
enum Number {
    Integer(BigInt),
    Float(f64),
}

/// The value of one binary segment.
enum SegmentValue {
    Number(Number),
    Text(Vec<u32>),
}

/// The type part of a binary segment's specifiers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SegmentType {
    Integer,
    Float,
    Utf(u32),
    Binary,
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn error_at(&self, offset: usize, kind: ParseErrorKind) -> ParseError {
        ParseError::at(self.text, offset, kind)
    }

    fn error(&self, kind: ParseErrorKind) -> ParseError {
        self.error_at(self.pos, kind)
    }

    /// "Expected X" at the current position, naming what is there.
    fn unexpected(&self, expected: &'static str) -> ParseError {
        match self.peek() {
            None => self.error(ParseErrorKind::UnexpectedEnd { expected }),
            Some(c) => self.error(ParseErrorKind::Unexpected {
                expected,
                found: format!("`{}`", c.escape_debug()),
            }),
        }
    }

    fn expect(&mut self, c: char, expected: &'static str) -> Result<(), ParseError> {
        self.skip_blank();
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    /// Skips whitespace and `%` comments.
    fn skip_blank(&mut self) {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() => {
                    self.pos += c.len_utf8();
                }
                Some('%') => {
                    let rest = self.rest();
                    self.pos += rest.find('\n').unwrap_or(rest.len());
                }
                _ => return,
            }
        }
    }

    fn term(&mut self, depth: usize) -> Result<Term, ParseError> {
        self.skip_blank();
        let start = self.pos;
        let c = match self.peek() {
            Some(c) => c,
            None => return Err(self.unexpected("a term")),
        };
        match c {
            '{' | '[' | '#' if depth >= MAX_NESTING_DEPTH => {
                Err(self.error(ParseErrorKind::TooDeep(MAX_NESTING_DEPTH)))
            }
            '{' => {
                self.pos += 1;
                let items = self.sequence('}', "`,` or `}`", depth)?;
                Ok(Term::Tuple(items))
            }
            '[' => self.list(depth),
            '#' => self.map(depth),
            '<' if self.peek_second() == Some('<') => self.binary(),
            '<' => Err(self.error(ParseErrorKind::Unparseable)),
            '"' => {
                let codes = self.strings()?;
                Ok(Term::List(
                    codes.into_iter().map(|c| Term::Int(i64::from(c))).collect(),
                ))
            }
            '\'' => {
                self.pos += 1;
                let codes = self.quoted('\'')?;
                let text: String = codes.into_iter().filter_map(char::from_u32).collect();
                Atom::try_new(&text)
                    .map(Term::Atom)
                    .ok_or_else(|| self.error_at(start, ParseErrorKind::AtomTooLong))
            }
            '-' | '+' | '0'..='9' | '$' => Ok(match self.signed_number()? {
                Number::Integer(i) => Term::bigint(i),
                Number::Float(f) => Term::Float(f),
            }),
            c if is_atom_start(c) => {
                let name = self.name();
                if RESERVED_WORDS.contains(&name) {
                    return Err(
                        self.error_at(start, ParseErrorKind::ReservedWord(name.to_string()))
                    );
                }
                Atom::try_new(name)
                    .map(Term::Atom)
                    .ok_or_else(|| self.error_at(start, ParseErrorKind::AtomTooLong))
            }
            c if c == '_' || c.is_uppercase() => {
                let name = self.name().to_string();
                Err(self.error_at(start, ParseErrorKind::Variable(name)))
            }
            _ => Err(self.unexpected("a term")),
        }
    }

    /// A run of name characters (the first one already checked by the caller).
    fn name(&mut self) -> &'a str {
        let rest = self.rest();
        let len = rest
            .char_indices()
            .find(|&(_, c)| !is_name_char(c))
            .map_or(rest.len(), |(i, _)| i);
        self.pos += len;
        rest.get(..len).unwrap_or("")
    }

    /// Comma-separated terms up to `close` (the opening bracket is consumed).
    fn sequence(
        &mut self,
        close: char,
        expected: &'static str,
        depth: usize,
    ) -> Result<Vec<Term>, ParseError> {
        let mut items = Vec::new();
        self.skip_blank();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(items);
        }
        loop {
            items.push(self.term(depth + 1)?);
            self.skip_blank();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok(items);
                }
                _ => return Err(self.unexpected(expected)),
            }
        }
    }

    fn list(&mut self, depth: usize) -> Result<Term, ParseError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_blank();
        if self.peek() == Some(']') {
            self.pos += 1;
            return Ok(Term::nil());
        }
        loop {
            items.push(self.term(depth + 1)?);
            self.skip_blank();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(']') => {
                    self.pos += 1;
                    return Ok(Term::List(items));
                }
                Some('|') => {
                    self.pos += 1;
                    let tail = self.term(depth + 1)?;
                    self.expect(']', "`]`")?;
                    return Ok(Term::cons(items, tail));
                }
                _ => return Err(self.unexpected("`,`, `|` or `]`")),
            }
        }
    }

    fn map(&mut self, depth: usize) -> Result<Term, ParseError> {
        self.pos += 1;
        self.expect('{', "`{` after `#` (records are not terms)")?;
        let mut pairs = Vec::new();
        self.skip_blank();
        if self.peek() == Some('}') {
            self.pos += 1;
            return Ok(Term::Map(Map::new()));
        }
        loop {
            let key = self.term(depth + 1)?;
            self.skip_blank();
            if !self.rest().starts_with("=>") {
                return Err(self.unexpected("`=>`"));
            }
            self.pos += 2;
            let value = self.term(depth + 1)?;
            pairs.push((key, value));
            self.skip_blank();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {
                    self.pos += 1;
                    return Ok(Term::Map(Map::from_pairs(pairs)));
                }
                _ => return Err(self.unexpected("`,` or `}`")),
            }
        }
    }

    /// One or more adjacent string literals, joined, as codepoints.
    fn strings(&mut self) -> Result<Vec<u32>, ParseError> {
        let mut codes = Vec::new();
        loop {
            self.pos += 1;
            codes.extend(self.quoted('"')?);
            self.skip_blank();
            if self.peek() != Some('"') {
                return Ok(codes);
            }
        }
    }

    /// The characters of a quoted atom or string, after the opening quote, through the closing
    /// one.
    fn quoted(&mut self, quote: char) -> Result<Vec<u32>, ParseError> {
        let mut codes = Vec::new();
        loop {
            match self.bump() {
                None => {
                    return Err(self.error(ParseErrorKind::UnexpectedEnd {
                        expected: if quote == '"' {
                            "`\"` closing the string"
                        } else {
                            "`'` closing the atom"
                        },
                    }))
                }
                Some(c) if c == quote => return Ok(codes),
                Some('\\') => codes.push(self.escape()?),
                Some(c) => codes.push(u32::from(c)),
            }
        }
    }

    /// The character an escape sequence names (the backslash is consumed).
    fn escape(&mut self) -> Result<u32, ParseError> {
        let start = self.pos.saturating_sub(1);
        let bad = |p: &Parser| p.error_at(start, ParseErrorKind::BadEscape);
        let c = self.bump().ok_or_else(|| bad(self))?;
        let code = match c {
            '0'..='7' => {
                let mut value = c.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match self.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            value = value * 8 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                value
            }
            'x' if self.peek() == Some('{') => {
                self.pos += 1;
                let rest = self.rest();
                let end = rest.find('}').ok_or_else(|| bad(self))?;
                let digits = rest.get(..end).unwrap_or("");
                let value = u32::from_str_radix(digits, 16).map_err(|_| bad(self))?;
                self.pos += end + 1;
                value
            }
            'x' => {
                let digits = self.rest().get(..2).ok_or_else(|| bad(self))?;
                let value = u32::from_str_radix(digits, 16).map_err(|_| bad(self))?;
                if !digits.chars().all(|d| d.is_ascii_hexdigit()) {
                    return Err(bad(self));
                }
                self.pos += 2;
                value
            }
            '^' => {
                let control = self.bump().ok_or_else(|| bad(self))?;
                u32::from(control) & 31
            }
            'b' => 8,
            'd' => 127,
            'e' => 27,
            'f' => 12,
            'n' => 10,
            'r' => 13,
            's' => 32,
            't' => 9,
            'v' => 11,
            other => u32::from(other),
        };
        if char::from_u32(code).is_none() {
            return Err(bad(self));
        }
        Ok(code)
    }

    /// A number with an optional sign: `-12`, `+1.5`, `-$a`, `16#ff`.
    fn signed_number(&mut self) -> Result<Number, ParseError> {
        let negative = match self.peek() {
            Some('-') => {
                self.pos += 1;
                self.skip_blank();
                true
            }
            Some('+') => {
                self.pos += 1;
                self.skip_blank();
                false
            }
            _ => false,
        };
        let number = match self.peek() {
            Some('$') => {
                self.pos += 1;
                let code = match self.bump() {
                    Some('\\') => self.escape()?,
                    Some(c) => u32::from(c),
                    None => return Err(self.unexpected("a character after `$`")),
                };
                Number::Integer(BigInt::from(code))
            }
            Some(c) if c.is_ascii_digit() => self.unsigned_number()?,
            _ => return Err(self.unexpected("a number")),
        };
        Ok(match (negative, number) {
            (true, Number::Integer(i)) => Number::Integer(-i),
            (true, Number::Float(f)) => Number::Float(-f),
            (false, n) => n,
        })
    }

    /// Digits in `radix` with `_` allowed between two digits; returns them without the `_`.
    fn digits(&mut self, radix: u32) -> Result<String, ParseError> {
        let mut out = String::new();
        loop {
            match self.peek() {
                Some(c) if c.is_digit(radix) => {
                    out.push(c);
                    self.pos += 1;
                }
                Some('_')
                    if !out.is_empty() && self.peek_second().is_some_and(|d| d.is_digit(radix)) =>
                {
                    self.pos += 1;
                }
                _ => break,
            }
        }
        if out.is_empty() {
            return Err(self.error(ParseErrorKind::BadNumber("expected a digit")));
        }
        Ok(out)
    }

    fn unsigned_number(&mut self) -> Result<Number, ParseError> {
        let start = self.pos;
        let whole = self.digits(10)?;
        match self.peek() {
            Some('#') => {
                let radix: u32 = whole.parse().unwrap_or(0);
                if !(2..=36).contains(&radix) {
                    return Err(
                        self.error_at(start, ParseErrorKind::BadNumber("the base must be 2 to 36"))
                    );
                }
                self.pos += 1;
                let digits = self.digits(radix)?;
                BigInt::parse_bytes(digits.as_bytes(), radix)
                    .map(Number::Integer)
                    .ok_or_else(|| self.error_at(start, ParseErrorKind::BadNumber("bad digits")))
            }
            Some('.') if self.peek_second().is_some_and(|d| d.is_ascii_digit()) => {
                self.pos += 1;
                let fraction = self.digits(10)?;
                let mut literal = format!("{whole}.{fraction}");
                if matches!(self.peek(), Some('e' | 'E')) {
                    let save = self.pos;
                    self.pos += 1;
                    let mut exponent = String::new();
                    if let Some(sign @ ('+' | '-')) = self.peek() {
                        exponent.push(sign);
                        self.pos += 1;
                    }
                    match self.digits(10) {
                        Ok(d) => {
                            literal.push('e');
                            literal.push_str(&exponent);
                            literal.push_str(&d);
                        }
                        Err(_) => self.pos = save,
                    }
                }
                let value: f64 = literal
                    .parse()
                    .map_err(|_| self.error_at(start, ParseErrorKind::BadNumber("bad float")))?;
                if value.is_infinite() {
                    return Err(self.error_at(start, ParseErrorKind::FloatOutOfRange));
                }
                Ok(Number::Float(value))
            }
            _ => BigInt::parse_bytes(whole.as_bytes(), 10)
                .map(Number::Integer)
                .ok_or_else(|| self.error_at(start, ParseErrorKind::BadNumber("bad digits"))),
        }
    }

    /// `<<Segment, ...>>` (the parser is at the first `<`).
    fn binary(&mut self) -> Result<Term, ParseError> {
        self.pos += 2;
        let mut writer = BitWriter::default();
        self.skip_blank();
        if self.rest().starts_with(">>") {
            self.pos += 2;
            return Ok(writer.finish());
        }
        loop {
            self.segment(&mut writer)?;
            self.skip_blank();
            if self.peek() == Some(',') {
                self.pos += 1;
            } else if self.rest().starts_with(">>") {
                self.pos += 2;
                return Ok(writer.finish());
            } else {
                return Err(self.unexpected("`,` or `>>`"));
            }
        }
    }

    fn segment(&mut self, writer: &mut BitWriter) -> Result<(), ParseError> {
        self.skip_blank();
        let start = self.pos;
        let value = match self.peek() {
            Some('"') => SegmentValue::Text(self.strings()?),
            Some('-' | '+' | '$' | '0'..='9') => SegmentValue::Number(self.signed_number()?),
            _ => {
                return Err(
                    self.unexpected("a binary segment (integer, float, string or character)")
                )
            }
        };
        self.skip_blank();
        let mut size: Option<u64> = None;
        if self.peek() == Some(':') {
            self.pos += 1;
            self.skip_blank();
            let digits = self.digits(10)?;
            size = Some(digits.parse().map_err(|_| {
                self.error_at(
                    start,
                    ParseErrorKind::BinaryTooLarge(MAX_BINARY_LITERAL_BITS),
                )
            })?);
            self.skip_blank();
        }
        let (kind, order, unit) = if self.peek() == Some('/') {
            self.pos += 1;
            self.specifiers()?
        } else {
            (None, Endianness::Big, None)
        };
        let kind = kind.unwrap_or(match value {
            SegmentValue::Number(Number::Float(_)) => SegmentType::Float,
            _ => SegmentType::Integer,
        });
        let bad =
            |message: String| ParseError::at(self.text, start, ParseErrorKind::BadSegment(message));
        let bit_size = match kind {
            SegmentType::Integer => size.unwrap_or(8).checked_mul(unit.unwrap_or(1)),
            SegmentType::Float => size.unwrap_or(64).checked_mul(unit.unwrap_or(1)),
            SegmentType::Utf(_) if size.is_some() || unit.is_some() => {
                return Err(bad("utf segments take no size or unit".into()))
            }
            SegmentType::Utf(_) => Some(0),
            SegmentType::Binary => {
                return Err(bad("binary and bitstring segments cannot be parsed".into()))
            }
        }
        .ok_or_else(|| {
            self.error_at(
                start,
                ParseErrorKind::BinaryTooLarge(MAX_BINARY_LITERAL_BITS),
            )
        })?;
        let values: Vec<Number> = match value {
            SegmentValue::Number(n) => vec![n],
            SegmentValue::Text(codes) => codes
                .into_iter()
                .map(|c| Number::Integer(BigInt::from(c)))
                .collect(),
        };
        for value in values {
            let result = match (kind, value) {
                (SegmentType::Integer, Number::Integer(i)) => {
                    writer.push_integer(&i, bit_size, order)
                }
                (SegmentType::Integer, Number::Float(_)) => {
                    Err(BitsError::Invalid("a float needs the /float type".into()))
                }
                (SegmentType::Float, Number::Float(f)) => writer.push_float(f, bit_size, order),
                (SegmentType::Float, Number::Integer(i)) => {
                    let f = i.to_string().parse::<f64>().unwrap_or(f64::INFINITY);
                    if f.is_finite() {
                        writer.push_float(f, bit_size, order)
                    } else {
                        Err(BitsError::Invalid("integer too large for a float".into()))
                    }
                }
                (SegmentType::Utf(unit_bits), Number::Integer(i)) => {
                    writer.push_utf(&i, unit_bits, order)
                }
                (SegmentType::Utf(_), Number::Float(_)) => {
                    Err(BitsError::Invalid("a float is not a codepoint".into()))
                }
                (SegmentType::Binary, _) => Err(BitsError::Invalid(
                    "binary segments cannot be parsed".into(),
                )),
            };
            match result {
                Ok(()) => {}
                Err(BitsError::TooLarge) => {
                    return Err(self.error_at(
                        start,
                        ParseErrorKind::BinaryTooLarge(MAX_BINARY_LITERAL_BITS),
                    ))
                }
                Err(BitsError::Invalid(message)) => return Err(bad(message)),
            }
        }
        Ok(())
    }

    /// `Type-Signedness-Endianness-unit:N` after a segment's `/`.
    fn specifiers(&mut self) -> Result<(Option<SegmentType>, Endianness, Option<u64>), ParseError> {
        let mut kind = None;
        let mut order = Endianness::Big;
        let mut unit = None;
        loop {
            self.skip_blank();
            let start = self.pos;
            let rest = self.rest();
            let len = rest
                .char_indices()
                .find(|&(_, c)| !c.is_ascii_alphanumeric() && c != '_')
                .map_or(rest.len(), |(i, _)| i);
            let word = rest.get(..len).unwrap_or("");
            self.pos += len;
            match word {
                "integer" => kind = Some(SegmentType::Integer),
                "float" => kind = Some(SegmentType::Float),
                "utf8" => kind = Some(SegmentType::Utf(8)),
                "utf16" => kind = Some(SegmentType::Utf(16)),
                "utf32" => kind = Some(SegmentType::Utf(32)),
                "binary" | "bytes" | "bitstring" | "bits" => kind = Some(SegmentType::Binary),
                "signed" | "unsigned" => {}
                "big" => order = Endianness::Big,
                "little" => order = Endianness::Little,
                "native" => {
                    order = if cfg!(target_endian = "little") {
                        Endianness::Little
                    } else {
                        Endianness::Big
                    }
                }
                "unit" => {
                    self.expect(':', "`:` after `unit`")?;
                    self.skip_blank();
                    let digits = self.digits(10)?;
                    match digits.parse::<u64>() {
                        Ok(n) if (1..=256).contains(&n) => unit = Some(n),
                        _ => {
                            return Err(self.error_at(
                                start,
                                ParseErrorKind::BadSegment("unit must be 1 to 256".into()),
                            ))
                        }
                    }
                }
                "" => return Err(self.unexpected("a type specifier")),
                other => {
                    return Err(self.error_at(
                        start,
                        ParseErrorKind::BadSegment(format!("unknown type specifier `{other}`")),
                    ))
                }
            }
            self.skip_blank();
            if self.peek() == Some('-') {
                self.pos += 1;
            } else {
                return Ok((kind, order, unit));
            }
        }
    }
}
