//! The one-line form of a term, exactly as `io_lib:format("~w", [Term])` writes it in OTP 25:
//! `impl Display for Term`.
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
use crate::text::quote::push_atom;
use crate::{BitBinary, Map, Term};

impl fmt::Display for Term {
    /// Writes the term as `~w` does (one line, no strings).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        write_term(&mut out, self);
        f.write_str(&out)
    }
}

/// Appends the `~w` text of `term`.
pub(crate) fn write_term(out: &mut String, term: &Term) {
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
                write_term(out, item);
            }
            if let Term::ImproperList(_, tail) = term {
                out.push('|');
                write_term(out, tail);
            }
            out.push(close);
        }
        Term::Map(map) => {
            out.push_str("#{");
            for (i, (key, value)) in map_entries_in_print_order(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_term(out, key);
                out.push_str(" => ");
                write_term(out, value);
            }
            out.push('}');
        }
        other => write_atomic(out, other),
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
            write_term(out, &fun.old_uniq);
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
            write_term(out, term)
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
