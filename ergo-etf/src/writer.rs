//! Writing a term part by part: a tuple's header, then its elements one call each, straight
//! from the caller's fields. For fixed-shape terms on hot paths (the distribution's control
//! messages), where building a [`Term`] only to encode and drop it would cost more than the
//! encoding. Owns only this sequencing; every part is written by the encoder in `encode.rs`,
//! so the bytes are exactly those of the equivalent [`Term`].

use crate::encode::{AtomEncoder, Encoder};
use crate::{Atom, EncodeError, Pid, Reference, Term};

/// Appends one term's encoding (no 131 prefix) to `out`, written part by part by `write`.
/// Atoms go through `atoms`, as with [`crate::encode_term_into`].
///
/// The caller keeps the shape right (a tuple header of arity N followed by N elements); the
/// writer checks each part, not the whole. On error `out` may hold a partial encoding.
pub fn write_term<A, F>(out: &mut Vec<u8>, atoms: &mut A, write: F) -> Result<(), EncodeError>
where
    A: AtomEncoder + ?Sized,
    F: FnOnce(&mut TermWriter<'_, A>) -> Result<(), EncodeError>,
{
    let mut w = TermWriter {
        e: Encoder::new(std::mem::take(out), atoms, None),
    };
    let result = write(&mut w);
    *out = w.e.into_buffer();
    result
}

/// The parts of one term being written; see [`write_term`].
pub struct TermWriter<'o, A: AtomEncoder + ?Sized> {
    e: Encoder<'o, A>,
}

impl<A: AtomEncoder + ?Sized> TermWriter<'_, A> {
    /// A tuple's header; `arity` elements must follow.
    pub fn tuple(&mut self, arity: usize) -> Result<(), EncodeError> {
        let r = self.e.tuple_header(arity);
        self.e.result(r)
    }

    /// An integer (SMALL_INTEGER, INTEGER or SMALL_BIG, whichever fits).
    pub fn int(&mut self, i: i64) {
        self.e.int(i);
    }

    /// An atom.
    pub fn atom(&mut self, a: &Atom) -> Result<(), EncodeError> {
        let r = self.e.atom(a);
        self.e.result(r)
    }

    /// A pid.
    pub fn pid(&mut self, p: &Pid) -> Result<(), EncodeError> {
        let r = self.e.pid(p);
        self.e.result(r)
    }

    /// A reference.
    pub fn reference(&mut self, r: &Reference) -> Result<(), EncodeError> {
        let res = self.e.reference(r);
        self.e.result(res)
    }

    /// Any term, as an element of the tuple being written.
    pub fn term(&mut self, t: &Term) -> Result<(), EncodeError> {
        let r = self.e.term(t, 1);
        self.e.result(r)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{encode_term_into, NoAtomCache, RefIds};

    /// A pid and a reference for the part-by-part tests (here and in `reader.rs`).
    pub(crate) fn sample_pid_and_reference() -> (Pid, Reference) {
        let pid = Pid {
            node: Atom::new("a@h"),
            id: 7,
            serial: 0,
            creation: 3,
        };
        let reference = Reference {
            node: Atom::new("a@h"),
            creation: 3,
            ids: RefIds::from([1, 2, 3]),
        };
        (pid, reference)
    }

    /// The parts written one by one are byte for byte the equivalent term's encoding, with
    /// atoms going through the atom encoder in both.
    #[test]
    fn parts_encode_as_the_whole_term() {
        let (pid, reference) = sample_pid_and_reference();
        let payload = Term::tuple(vec![Term::atom("x"), Term::Int(-70_000)]);
        let whole = Term::tuple(vec![
            Term::Int(19),
            Term::Pid(pid.clone()),
            Term::atom("name"),
            Term::Reference(reference.clone()),
            payload.clone(),
            Term::Int(i64::MAX),
        ]);
        let mut expected = vec![1, 2];
        encode_term_into(&whole, &mut expected, &mut NoAtomCache).unwrap();
        let mut out = vec![1, 2];
        write_term(&mut out, &mut NoAtomCache, |w| {
            w.tuple(6)?;
            w.int(19);
            w.pid(&pid)?;
            w.atom(&Atom::new("name"))?;
            w.reference(&reference)?;
            w.term(&payload)?;
            w.int(i64::MAX);
            Ok(())
        })
        .unwrap();
        assert_eq!(out, expected);
    }

    #[test]
    fn errors_come_back_typed() {
        let mut out = Vec::new();
        let e = write_term(&mut out, &mut NoAtomCache, |w| {
            w.term(&Term::Float(f64::NAN))
        });
        assert!(matches!(e, Err(EncodeError::NonFiniteFloat(_))), "{e:?}");
    }
}
