//! The ETF codec seam of the distribution layer: ergo-etf's codec (`encode_term_into`,
//! `decode_term_bytes`, and the `AtomEncoder` / `AtomDecoder` hooks the header atom cache plugs
//! into), re-exported under one name so the framing code depends on this file only.
//!
//! Owns nothing but the re-exports and their tests as the distribution layer uses them; it
//! must not know about frames, headers or sockets.

pub use ergo_etf::{
    decode_term, decode_term_bytes, encode_term_into, AtomDecoder, AtomEncoder, DecodeError,
    EncodeError, NoAtomCache, MAX_NESTING_DEPTH,
};

#[cfg(test)]
mod tests {
    use super::*;
    use ergo_etf::{Atom, Map, Pid, Port, Reference, Term};
    use num_bigint::BigInt;

    fn round_trip(t: Term) {
        let mut out = Vec::new();
        encode_term_into(&t, &mut out, &mut NoAtomCache).unwrap();
        let (back, used) = decode_term(&out, &NoAtomCache).unwrap();
        assert_eq!(back, t);
        assert_eq!(used, out.len());
        for cut in 0..out.len() {
            assert!(
                decode_term(&out[..cut], &NoAtomCache).is_err(),
                "cut {cut} of {t:?}"
            );
        }
    }

    #[test]
    fn terms_round_trip() {
        let node = Atom::new("n@h");
        round_trip(Term::tuple(vec![
            Term::atom("ok"),
            Term::Int(-1),
            Term::Int(300),
            Term::Int(i64::MIN),
            Term::bigint(BigInt::from(u64::MAX) * 1000),
            Term::Float(1.5),
            Term::binary(vec![1u8, 2, 3]),
            Term::list(vec![Term::Int(1), Term::nil()]),
            Term::cons(vec![Term::Int(1)], Term::atom("t")),
            Term::Map(Map::from_pairs(vec![(Term::atom("k"), Term::Int(2))])),
            Term::Pid(Pid {
                node: node.clone(),
                id: 1,
                serial: 2,
                creation: 3,
            }),
            Term::Port(Port {
                node: node.clone(),
                id: 1 << 40,
                creation: 3,
            }),
            Term::Reference(Reference {
                node,
                creation: 3,
                ids: vec![1, 2, 3],
            }),
            Term::atom("ünïcode"),
        ]));
    }

    #[test]
    fn erl_bytes_decode() {
        // term_to_binary({hello, [1,2], <<"x">>}) without the 131.
        let bytes = [
            104, 3, 119, 5, b'h', b'e', b'l', b'l', b'o', 107, 0, 2, 1, 2, 109, 0, 0, 0, 1, b'x',
        ];
        let (t, _) = decode_term(&bytes, &NoAtomCache).unwrap();
        assert_eq!(
            t,
            Term::tuple(vec![
                Term::atom("hello"),
                Term::list(vec![Term::Int(1), Term::Int(2)]),
                Term::binary(&b"x"[..])
            ])
        );
    }

    #[test]
    fn hostile_terms_fail_cleanly() {
        // A list claiming 4 billion elements.
        assert!(decode_term(&[108, 255, 255, 255, 255], &NoAtomCache).is_err());
        // Deep nesting is refused, not a stack overflow (on a 2 MiB test thread).
        let deep = [108, 0, 0, 0, 1].repeat(100_000);
        assert!(decode_term(&deep, &NoAtomCache).is_err());
        // A cache ref with no cache.
        assert!(decode_term(&[82, 0], &NoAtomCache).is_err());
    }
}
