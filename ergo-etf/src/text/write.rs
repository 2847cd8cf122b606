//! The one-line forms of a term: `impl Display for Term` (`~p` on one line, or laid out with
//! `{:#}`) and [`Term::display_w`] (exactly `io_lib:format("~w", [Term])` as OTP 25 writes it).
//!
//! The two one-line forms differ only in strings: `~p` writes a proper list of printable
//! latin-1 characters as `"abc"` and a binary of printable latin-1 bytes as `<<"abc">>` (the
//! rules are [`push_p_string`]'s, which the multi-line layout in `pretty` uses too), where `~w`
//! writes `[97,98,99]` and `<<97,98,99>>`.
//!
//! Identifiers print as OTP prints its own node's: pids `<0.Id.Serial>`, references
//! `#Ref<0.W2.W1.W0>` (most significant word first), ports `#Port<0.Id>`, funs
//! `#Fun<Module.Index.Uniq>`; the node part is always `0` because a term alone does not say which
//! node prints it. These forms are for people: they do not parse. Maps print with their keys in
//! the order OTP uses for small maps (term order, except that every integer comes before every
//! float); OTP 25 prints maps of more than 32 keys in hash order, which no other program can
//! reproduce.
//!
//! This module must not know about pretty layout (see `pretty`) or parsing.

use std::cmp::Ordering;
use std::fmt::{self, Write as _};

use crate::text::float::format_float;
use crate::text::quote::{is_printable_latin1, push_atom, push_quoted};
use crate::{BitBinary, Map, Term};

impl fmt::Display for Term {
    /// Writes the term for people, as `~p` does: `{}` on one line (`{ok,"hi",<<"bin">>}`),
    /// `{:#}` laid out over lines to fit 80 columns, as [`Term::pretty`]. Width, fill and
    /// alignment apply to the whole text. For the exact `~w` text (no strings) use
    /// [`Term::display_w`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return f.pad(&self.pretty());
        }
        let mut out = String::new();
        write_term(&mut out, self, Form::P);
        f.pad(&out)
    }
}

impl Term {
    /// The term's exact `~w` text, as `io_lib:format("~w", [Term])` writes it: one line, every
    /// list as a list and every binary as its bytes (`{ok,[104,105],<<98>>}`), where
    /// `Display` writes `~p`'s `{ok,"hi",<<"b">>}`. For text that must match OTP's `~w`
    /// character for character (golden files, comparisons with `erl`); both forms parse back
    /// to the same term.
    ///
    /// ```
    /// # use ergo_etf::Term;
    /// let t = Term::tuple(vec![Term::atom("ok"), Term::binary(&b"hi"[..])]);
    /// assert_eq!(t.display_w().to_string(), "{ok,<<104,105>>}");
    /// assert_eq!(t.to_string(), "{ok,<<\"hi\">>}");
    /// ```
    pub fn display_w(&self) -> DisplayW<'_> {
        DisplayW(self)
    }
}

/// A term written as `~w` writes it; made by [`Term::display_w`].
#[derive(Clone, Copy, Debug)]
pub struct DisplayW<'a>(&'a Term);

impl fmt::Display for DisplayW<'_> {
    /// Writes the `~w` text (one line, no strings); width, fill and alignment apply to the
    /// whole text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        write_term(&mut out, self.0, Form::W);
        f.pad(&out)
    }
}

/// Which one-line form to write.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `~w`: lists and binaries as their elements.
    W,
    /// `~p` on one line: printable lists and binaries as strings.
    P,
}

/// Appends the one-line text of `term` in `form`.
pub(crate) fn write_term(out: &mut String, term: &Term, form: Form) {
    if form == Form::P && push_p_string(out, term) {
        return;
    }
    match term {
        Term::List(items) | Term::Tuple(items) | Term::ImproperList(items, _) => {
            let (open, close) = if matches!(term, Term::Tuple(_)) {
                ('{', '}')
            } else {
                ('[', ']')
            };
            out.push(open);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_term(out, item, form);
            }
            if let Term::ImproperList(_, tail) = term {
                out.push('|');
                write_term(out, tail, form);
            }
            out.push(close);
        }
        Term::Map(map) => {
            out.push_str("#{");
            for (i, (key, value)) in map_entries_in_print_order(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_term(out, key, form);
                out.push_str(" => ");
                write_term(out, value, form);
            }
            out.push('}');
        }
        other => write_atomic(out, other),
    }
}

/// Appends a list or binary as `~p` writes it when it is a string: a non-empty proper list of
/// printable latin-1 codepoints as `"abc"`, a non-empty binary of printable latin-1 bytes as
/// `<<"abc">>`. Returns false, having written nothing, for any other term.
pub(crate) fn push_p_string(out: &mut String, term: &Term) -> bool {
    match term {
        Term::List(items) if !items.is_empty() => {
            let code = |item: &Term| match item {
                Term::Int(i) => u32::try_from(*i).ok().filter(|&c| is_printable_latin1(c)),
                _ => None,
            };
            if !items.iter().all(|item| code(item).is_some()) {
                return false;
            }
            let chars = items
                .iter()
                .filter_map(|item| code(item).and_then(char::from_u32));
            push_quoted(out, chars, '"');
            true
        }
        Term::Binary(bytes)
            if !bytes.is_empty() && bytes.iter().all(|&b| is_printable_latin1(u32::from(b))) =>
        {
            out.push_str("<<");
            push_quoted(out, bytes.iter().map(|&b| char::from(b)), '"');
            out.push_str(">>");
            true
        }
        _ => false,
    }
}

/// Appends the text of a term that has no sub-terms to lay out (everything but lists, tuples
/// and maps); compound terms are written in full, one line.
pub(crate) fn write_atomic(out: &mut String, term: &Term) {
    match term {
        Term::Atom(atom) => push_atom(out, atom.as_str()),
        Term::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Term::BigInt(i) => {
            let _ = write!(out, "{i}");
        }
        Term::Float(x) => out.push_str(&format_float(*x)),
        Term::Binary(bytes) => write_bits(out, bytes, 8),
        Term::BitBinary(BitBinary {
            bytes,
            bits_in_last,
        }) => write_bits(out, bytes, *bits_in_last),
        Term::Pid(pid) => {
            let _ = write!(out, "<0.{}.{}>", pid.id, pid.serial);
        }
        Term::Port(port) => {
            let _ = write!(out, "#Port<0.{}>", port.id);
        }
        Term::Reference(reference) => {
            out.push_str("#Ref<0");
            for word in reference.ids.iter().rev() {
                let _ = write!(out, ".{word}");
            }
            out.push('>');
        }
        Term::Fun(fun) => {
            out.push_str("#Fun<");
            push_atom(out, fun.module.as_str());
            let _ = write!(out, ".{}.", fun.index);
            write_term(out, &fun.old_uniq, Form::W);
            out.push('>');
        }
        Term::Export(export) => {
            out.push_str("fun ");
            push_atom(out, export.module.as_str());
            out.push(':');
            push_atom(out, export.function.as_str());
            let _ = write!(out, "/{}", export.arity);
        }
        Term::List(_) | Term::Tuple(_) | Term::ImproperList(..) | Term::Map(_) => {
            write_term(out, term, Form::W)
        }
    }
}

/// Appends `<<B1,B2,...>>`; when `bits_in_last` is below 8 the last byte is written as
/// `Value:Bits` with only its used (high) bits.
pub(crate) fn write_bits(out: &mut String, bytes: &[u8], bits_in_last: u8) {
    out.push_str("<<");
    let bits = bits_in_last.clamp(1, 8);
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if i + 1 == bytes.len() && bits < 8 {
            let _ = write!(out, "{}:{bits}", byte >> (8 - bits));
        } else {
            let _ = write!(out, "{byte}");
        }
    }
    out.push_str(">>");
}

/// The map's entries in the order OTP prints a small map.
pub(crate) fn map_entries_in_print_order(map: &Map) -> Vec<(&Term, &Term)> {
    let mut entries: Vec<(&Term, &Term)> = map.iter().collect();
    entries.sort_by(|a, b| map_key_order(a.0, b.0));
    entries
}

/// The order of keys in an OTP map: term order, except that integers sort before floats
/// whatever their values (exact comparison), also inside tuples and lists.
pub(crate) fn map_key_order(a: &Term, b: &Term) -> Ordering {
    let is_int = |t: &Term| matches!(t, Term::Int(_) | Term::BigInt(_));
    match (a, b) {
        (
            Term::Int(_) | Term::BigInt(_) | Term::Float(_),
            Term::Int(_) | Term::BigInt(_) | Term::Float(_),
        ) => match (is_int(a), is_int(b)) {
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => a.cmp(b),
        },
        (Term::Tuple(x), Term::Tuple(y)) => x
            .len()
            .cmp(&y.len())
            .then_with(|| elementwise(x, y))
            .then_with(|| a.cmp(b)),
        (Term::List(x) | Term::ImproperList(x, _), Term::List(y) | Term::ImproperList(y, _)) => {
            elementwise(x, y).then_with(|| a.cmp(b))
        }
        _ => a.cmp(b),
    }
}

fn elementwise(x: &[Term], y: &[Term]) -> Ordering {
    x.iter()
        .zip(y)
        .map(|(p, q)| map_key_order(p, q))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}
