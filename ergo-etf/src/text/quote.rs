//! Quoting and escaping: when an atom needs quotes, and how characters inside quoted atoms and
//! strings are escaped, as `io_lib` does for `~w`/`~p` (latin-1 output: codepoints above 255 are
//! written as `\x{HEX}`).
//!
//! This module owns character-level text only; it must not know about term structure.

/// Words `erl_scan` reserves in OTP 25 (without optional features): an atom with one of these
/// names must be quoted.
pub(crate) const RESERVED_WORDS: &[&str] = &[
    "after", "and", "andalso", "band", "begin", "bnot", "bor", "bsl", "bsr", "bxor", "case",
    "catch", "cond", "div", "end", "fun", "if", "let", "not", "of", "or", "orelse", "receive",
    "rem", "try", "when", "xor",
];

/// Whether `c` may start an unquoted atom: a latin-1 lowercase letter.
pub(crate) fn is_atom_start(c: char) -> bool {
    c.is_ascii_lowercase() || (('\u{df}'..='\u{ff}').contains(&c) && c != '\u{f7}')
}

/// Whether `c` may continue an unquoted atom (or a variable): latin-1 letters, digits, `_`, `@`.
pub(crate) fn is_name_char(c: char) -> bool {
    is_atom_start(c)
        || c.is_ascii_uppercase()
        || (('\u{c0}'..='\u{de}').contains(&c) && c != '\u{d7}')
        || c.is_ascii_digit()
        || c == '_'
        || c == '@'
}

/// Whether this atom text must be written in single quotes.
pub(crate) fn atom_needs_quotes(text: &str) -> bool {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if is_atom_start(first) => {
            !chars.all(is_name_char) || RESERVED_WORDS.contains(&text)
        }
        _ => true,
    }
}

/// Appends the atom as `~w` writes it: bare when it can be, otherwise in single quotes.
pub(crate) fn push_atom(out: &mut String, text: &str) {
    if atom_needs_quotes(text) {
        push_quoted(out, text.chars(), '\'');
    } else {
        out.push_str(text);
    }
}

/// Appends `chars` between `quote` characters, escaping as `io_lib:write_string/2` does with
/// latin-1 output.
pub(crate) fn push_quoted(out: &mut String, chars: impl Iterator<Item = char>, quote: char) {
    out.push(quote);
    for c in chars {
        push_escaped_char(out, c, quote);
    }
    out.push(quote);
}

/// Appends one character of a quoted atom or string, escaped when needed.
pub(crate) fn push_escaped_char(out: &mut String, c: char, quote: char) {
    let code = u32::from(c);
    match c {
        _ if c == quote => {
            out.push('\\');
            out.push(c);
        }
        '\\' => out.push_str("\\\\"),
        ' '..='~' => out.push(c),
        '\u{a0}'..='\u{ff}' => out.push(c),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\u{1b}' => out.push_str("\\e"),
        '\u{7f}' => out.push_str("\\d"),
        _ if code < 0xa0 => {
            // Other control characters: three octal digits.
            out.push('\\');
            for shift in [6u32, 3, 0] {
                let digit = (code >> shift) & 7;
                out.push(char::from(b'0' + digit as u8));
            }
        }
        _ => {
            out.push_str("\\x{");
            out.push_str(&format!("{code:X}"));
            out.push('}');
        }
    }
}

/// Whether `~p` treats this codepoint as printable (OTP's default latin-1 printable range).
pub(crate) fn is_printable_latin1(code: u32) -> bool {
    matches!(code, 0x20..=0x7e | 0xa0..=0xff | 0x08..=0x0d | 0x1b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atom(text: &str) -> String {
        let mut s = String::new();
        push_atom(&mut s, text);
        s
    }

    #[test]
    fn quotes_atoms_like_io_lib() {
        assert_eq!(atom("ok"), "ok");
        assert_eq!(atom("a@b_1"), "a@b_1");
        assert_eq!(atom("Foo"), "'Foo'");
        assert_eq!(atom(""), "''");
        assert_eq!(atom("and"), "'and'");
        assert_eq!(atom("maybe"), "maybe");
        assert_eq!(atom("a b"), "'a b'");
        assert_eq!(atom("it's"), "'it\\'s'");
        assert_eq!(atom("a\nb"), "'a\\nb'");
        assert_eq!(atom("a\u{1}"), "'a\\001'");
        assert_eq!(atom("\u{100}"), "'\\x{100}'");
        assert_eq!(atom("é"), "é");
    }
}
