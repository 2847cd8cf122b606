//! Fuzz target `decode`: arbitrary bytes through `from_bytes` and through `decode_term` with a
//! small atom cache. Whatever decodes must re-encode, and the re-encoding must decode to the
//! same term and re-encode to the same bytes (decode -> encode -> decode is stable), and the
//! encoding in pieces (`to_iovec`) must be those bytes too.
#![no_main]

use ergo_etf::{
    decode_term, decode_term_bytes, from_bytes, to_bytes, to_iovec, Atom, AtomDecoder, Term,
};
use libfuzzer_sys::fuzz_target;

/// An atom cache holding indexes 0..4.
struct FourAtoms([Atom; 4]);
impl AtomDecoder for FourAtoms {
    fn cached_atom(&self, index: u8) -> Option<Atom> {
        self.0.get(usize::from(index)).cloned()
    }
}

fn check_stable(term: &Term) {
    let Ok(bytes) = to_bytes(term) else {
        // Every decoded term is encodable; a failure here is a bug.
        panic!("decoded term does not encode: {term:?}");
    };
    let again = match from_bytes(&bytes) {
        Ok(t) => t,
        Err(e) => panic!("our own encoding does not decode: {e}: {term:?}"),
    };
    assert_eq!(&again, term, "decode -> encode -> decode changed the term");
    let pieces = to_iovec(term).unwrap_or_else(|e| panic!("to_iovec failed where to_bytes did not: {e}"));
    assert_eq!(pieces.to_vec(), bytes, "encoding in pieces differs from to_bytes");
    assert_eq!(
        to_bytes(&again).ok().as_deref(),
        Some(bytes.as_slice()),
        "re-encoding is not stable"
    );
}

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = from_bytes(data) {
        check_stable(&t);
    }
    let cache = FourAtoms([
        Atom::new("ok"),
        Atom::new("a@b"),
        Atom::new(""),
        Atom::new("ö"),
    ]);
    if let Ok((t, used)) = decode_term(data, &cache) {
        assert!(used <= data.len());
        check_stable(&t);
        let shared = bytes::Bytes::copy_from_slice(data);
        let zero_copy = decode_term_bytes(&shared, &cache);
        assert_eq!(zero_copy.ok(), Some((t, used)));
    }
});
