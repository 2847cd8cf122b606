//! Reading a term part by part: a tuple's header, then its elements one call each, each as the
//! kind the caller expects. For fixed-shape terms on hot paths (the distribution's control
//! messages), where building a [`Term`] only to take it apart would cost more than the
//! decoding. Owns only this sequencing; every part is read by the decoder in `decode.rs`, with
//! its checks and limits.

use bytes::Bytes;

use crate::decode::{AtomDecoder, Decoder};
use crate::tag::{NEWER_REFERENCE_EXT, NEW_PID_EXT, SMALL_INTEGER_EXT};
use crate::{Atom, DecodeError, DecodeErrorKind, Pid, Reference, Term};

/// Reads one term (no 131 prefix) from the start of some bytes, part by part.
pub struct TermReader<'a, A: AtomDecoder + ?Sized> {
    d: Decoder<'a, A>,
}

impl<'a, A: AtomDecoder + ?Sized> TermReader<'a, A> {
    /// Reads from the start of `input`, resolving ATOM_CACHE_REF through `atoms`; binaries read
    /// with [`TermReader::term`] are zero-copy slices of `input`.
    pub fn new(input: &'a Bytes, atoms: &'a A) -> Self {
        TermReader {
            d: Decoder::new(input, 0, Some(input), atoms),
        }
    }

    /// How many bytes have been read.
    pub fn position(&self) -> usize {
        self.d.position()
    }

    /// A tuple's header: its arity. The elements follow, one call each.
    pub fn tuple(&mut self) -> Result<usize, DecodeError> {
        let r = self.d.tuple_header();
        self.d.result(r)
    }

    /// Any term, as an element of the tuple being read.
    pub fn term(&mut self) -> Result<Term, DecodeError> {
        let mut t = Term::Int(0);
        let r = self.d.term_into(&mut t, 1);
        self.d.result(r).map(|()| t)
    }

    /// An integer that fits an `i64`.
    pub fn int(&mut self) -> Result<i64, DecodeError> {
        // The common forms read directly; the others through the general decoder.
        if self.d.take_tag(SMALL_INTEGER_EXT) {
            let r = self.d.u8();
            return self.d.result(r).map(i64::from);
        }
        self.expect("an integer", |t| match t {
            Term::Int(i) => Ok(i),
            other => Err(other),
        })
    }

    /// An atom.
    pub fn atom(&mut self) -> Result<Atom, DecodeError> {
        self.expect("an atom", |t| match t {
            Term::Atom(a) => Ok(a),
            other => Err(other),
        })
    }

    /// A pid.
    pub fn pid(&mut self) -> Result<Pid, DecodeError> {
        if self.d.take_tag(NEW_PID_EXT) {
            let r = self.d.new_pid();
            return self.d.result(r);
        }
        self.expect("a pid", |t| match t {
            Term::Pid(p) => Ok(p),
            other => Err(other),
        })
    }

    /// A reference.
    pub fn reference(&mut self) -> Result<Reference, DecodeError> {
        if self.d.take_tag(NEWER_REFERENCE_EXT) {
            let r = self.d.new_reference(true);
            return self.d.result(r);
        }
        self.expect("a reference", |t| match t {
            Term::Reference(r) => Ok(r),
            other => Err(other),
        })
    }

    /// The next term if `take` accepts it; otherwise an error at its offset.
    #[inline]
    fn expect<T>(
        &mut self,
        what: &'static str,
        take: impl FnOnce(Term) -> Result<T, Term>,
    ) -> Result<T, DecodeError> {
        let at = self.d.position();
        take(self.term()?).map_err(|_| DecodeError::new(at, DecodeErrorKind::Expected(what)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{to_bytes, NoAtomCache};

    fn body(t: &Term) -> Bytes {
        // Without the version byte, as in a distribution frame.
        Bytes::from(to_bytes(t).unwrap_or_default()).slice(1..)
    }

    #[test]
    fn parts_read_as_written() {
        let (pid, reference) = crate::writer::tests::sample_pid_and_reference();
        let payload = Term::tuple(vec![Term::atom("x"), Term::binary(&b"bin"[..])]);
        let whole = Term::tuple(vec![
            Term::Int(-5),
            Term::Pid(pid.clone()),
            Term::atom("name"),
            Term::Reference(reference.clone()),
            payload.clone(),
        ]);
        let mut input = body(&whole).to_vec();
        input.extend_from_slice(b"rest");
        let input = Bytes::from(input);
        let mut r = TermReader::new(&input, &NoAtomCache);
        assert_eq!(r.tuple(), Ok(5));
        assert_eq!(r.int(), Ok(-5));
        assert_eq!(r.pid(), Ok(pid));
        assert_eq!(r.atom(), Ok(Atom::new("name")));
        assert_eq!(r.reference(), Ok(reference));
        assert_eq!(r.term(), Ok(payload));
        // It stops where the term ends.
        assert_eq!(&input[r.position()..], b"rest");
    }

    #[test]
    fn the_wrong_kind_is_an_error_at_its_offset() {
        let input = body(&Term::tuple(vec![Term::atom("a"), Term::Int(1)]));
        let mut r = TermReader::new(&input, &NoAtomCache);
        assert_eq!(r.tuple(), Ok(2));
        assert_eq!(
            r.pid(),
            Err(DecodeError::new(2, DecodeErrorKind::Expected("a pid")))
        );
        let not_a_tuple = body(&Term::Int(1));
        assert_eq!(
            TermReader::new(&not_a_tuple, &NoAtomCache).tuple(),
            Err(DecodeError::new(0, DecodeErrorKind::Expected("a tuple")))
        );
        // Truncated: the decoder's own error.
        let cut = input.slice(..input.len() - 1);
        let mut r = TermReader::new(&cut, &NoAtomCache);
        assert_eq!(r.tuple(), Ok(2));
        assert!(r.atom().is_ok());
        assert!(matches!(
            r.int(),
            Err(DecodeError {
                kind: DecodeErrorKind::UnexpectedEnd { .. },
                ..
            })
        ));
    }
}
