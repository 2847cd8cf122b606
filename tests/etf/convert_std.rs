//! `IntoTerm`/`FromTerm` for std types and the wrapper types: exact terms both ways, range
//! checks, and errors that name the Rust type and what was found.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use ergo::{Atom, AtomText, Binary, Charlist, ConvertError, FromTerm, IntoTerm, Map, Pid, Term};
use num_bigint::BigInt;

fn round_trip<T: IntoTerm + FromTerm + Clone + PartialEq + std::fmt::Debug>(
    value: T,
    expected: Term,
) {
    let term = value.clone().into_term();
    assert_eq!(term, expected, "encoding of {value:?}");
    assert_eq!(T::from_term(term).as_ref(), Ok(&value));
}

fn error_of<T: FromTerm + std::fmt::Debug>(term: Term) -> ConvertError {
    T::from_term(term).expect_err("conversion should fail")
}

fn big(text: &str) -> Term {
    Term::bigint(text.parse::<BigInt>().expect("bigint literal"))
}

#[test]
fn integers_round_trip_and_are_range_checked() {
    round_trip(-128i8, Term::Int(-128));
    round_trip(255u8, Term::Int(255));
    round_trip(i64::MIN, Term::Int(i64::MIN));
    round_trip(u64::MAX, big("18446744073709551615"));
    round_trip(i128::MIN, big("-170141183460469231731687303715884105728"));
    round_trip(u128::MAX, big("340282366920938463463374607431768211455"));
    round_trip(usize::MAX, big(&usize::MAX.to_string()));
    round_trip(-5isize, Term::Int(-5));
    round_trip(7u32, Term::Int(7));

    let err = error_of::<u8>(Term::Int(256));
    assert_eq!(err.target, "u8");
    assert!(
        err.expected.contains("u8's range") && err.found.contains("256"),
        "{err}"
    );
    assert_eq!(error_of::<u32>(Term::Int(-1)).target, "u32");
    assert_eq!(error_of::<i64>(big("9223372036854775808")).target, "i64");
    assert_eq!(error_of::<u64>(big("18446744073709551616")).target, "u64");
    assert_eq!(error_of::<i32>(Term::Float(1.0)).target, "i32");
    assert_eq!(u64::from_term(big("18446744073709551615")), Ok(u64::MAX));
}

#[test]
fn floats_bools_chars_and_unit() {
    round_trip(1.5f64, Term::Float(1.5));
    round_trip(-0.25f32, Term::Float(-0.25));
    assert_eq!(error_of::<f64>(Term::Int(1)).target, "f64");
    assert_eq!(error_of::<f32>(Term::Float(1e300)).target, "f32");
    round_trip(true, Term::atom("true"));
    round_trip(false, Term::atom("false"));
    let err = error_of::<bool>(Term::atom("yes"));
    assert_eq!(err.expected, "the atom true or false");
    assert!(err.found.contains("yes"), "{err}");
    round_trip('é', Term::Int(233));
    assert_eq!(error_of::<char>(Term::Int(0xD800)).target, "char");
    round_trip((), Term::atom("ok"));
    assert_eq!(error_of::<()>(Term::atom("error")).target, "()");
}

#[test]
fn strings_are_utf8_binaries_and_charlists_are_explicit() {
    round_trip(
        String::from("héllo"),
        Term::binary("héllo".as_bytes().to_vec()),
    );
    assert_eq!("abc".into_term(), Term::binary(b"abc".to_vec()));
    round_trip(Box::<str>::from("x"), Term::binary(b"x".to_vec()));
    let err = error_of::<String>(Term::binary(vec![0xff, 0xfe]));
    assert_eq!(
        (err.target, err.expected.as_str()),
        ("String", "a UTF-8 binary")
    );
    // A charlist is not a String: "" and [] stay distinct.
    assert_eq!(error_of::<String>(Term::nil()).target, "String");

    let snowman = Term::list(vec![Term::Int(0x2603), Term::Int(104)]);
    round_trip(Charlist("☃h".into()), snowman);
    round_trip(Charlist(String::new()), Term::nil());
    let err = error_of::<Charlist>(Term::list(vec![Term::Int(104), Term::Int(-1)]));
    assert_eq!(err.path, vec!["[1]".to_string()]);
    assert_eq!(
        error_of::<Charlist>(Term::binary(b"h".to_vec())).target,
        "Charlist"
    );

    round_trip(AtomText("hello world".into()), Term::atom("hello world"));
    assert_eq!(
        error_of::<AtomText>(Term::binary(b"x".to_vec())).target,
        "AtomText"
    );
}

#[test]
fn binaries_are_bytes_or_the_binary_wrapper_and_vec_u8_is_a_list() {
    round_trip(Bytes::from_static(b"\x00\x01"), Term::binary(vec![0, 1]));
    round_trip(Binary(vec![1, 2, 3]), Term::binary(vec![1, 2, 3]));
    round_trip(vec![1u8, 2], Term::list(vec![Term::Int(1), Term::Int(2)]));
    assert_eq!(error_of::<Bytes>(Term::nil()).target, "Bytes");
    assert_eq!(error_of::<Binary>(Term::nil()).target, "Binary");
}

#[test]
fn sequences_and_sets_are_lists() {
    round_trip(Vec::<i32>::new(), Term::nil());
    round_trip(
        vec![vec![1i32], vec![]],
        Term::list(vec![Term::list(vec![Term::Int(1)]), Term::nil()]),
    );
    round_trip(
        VecDeque::from([1i64, 2]),
        Term::list(vec![Term::Int(1), Term::Int(2)]),
    );
    round_trip(
        BTreeSet::from([3u8, 1]),
        Term::list(vec![Term::Int(1), Term::Int(3)]),
    );
    let set: HashSet<u8> =
        HashSet::from_term(Term::list(vec![Term::Int(2), Term::Int(2)])).expect("set");
    assert_eq!(set, HashSet::from([2]));
    assert_eq!(
        [1u8, 2].into_term(),
        Term::list(vec![Term::Int(1), Term::Int(2)])
    );
    assert_eq!(
        (&[true][..]).into_term(),
        Term::list(vec![Term::atom("true")])
    );

    let err = error_of::<Vec<u8>>(Term::list(vec![Term::Int(1), Term::atom("x")]));
    assert_eq!(
        (err.target, err.path.clone()),
        ("u8", vec!["[1]".to_string()])
    );
    let improper = Term::ImproperList(vec![Term::Int(1)], Box::new(Term::Int(2)));
    assert_eq!(error_of::<Vec<u8>>(improper).expected, "a proper list");
}

#[test]
fn option_result_box_arc() {
    round_trip(None::<i32>, Term::atom("undefined"));
    round_trip(Some(4i32), Term::Int(4));
    // The documented ambiguity: `undefined` is always None.
    assert_eq!(Option::<Atom>::from_term(Term::atom("undefined")), Ok(None));
    round_trip(
        Ok::<i32, String>(1),
        Term::tuple(vec![Term::atom("ok"), Term::Int(1)]),
    );
    round_trip(
        Err::<i32, Atom>(Atom::new("enoent")),
        Term::tuple(vec![Term::atom("error"), Term::atom("enoent")]),
    );
    let err = error_of::<Result<i32, Atom>>(Term::tuple(vec![Term::atom("ok"), Term::atom("x")]));
    assert_eq!(
        (err.target, err.path.clone()),
        ("i32", vec!["ok".to_string()])
    );
    assert_eq!(
        error_of::<Result<i32, Atom>>(Term::atom("ok")).target,
        "Result"
    );
    round_trip(Box::new(3u8), Term::Int(3));
    assert_eq!(Arc::new(5u8).into_term(), Term::Int(5));
    assert_eq!(Arc::<u8>::from_term(Term::Int(5)).map(|a| *a), Ok(5));
}

#[test]
fn tuples_up_to_twelve() {
    round_trip((1u8,), Term::tuple(vec![Term::Int(1)]));
    round_trip(
        (Atom::new("ok"), 2i32),
        Term::tuple(vec![Term::atom("ok"), Term::Int(2)]),
    );
    let twelve = (
        1u8,
        2u8,
        3u8,
        4u8,
        5u8,
        6u8,
        7u8,
        8u8,
        9u8,
        10u8,
        11u8,
        String::from("z"),
    );
    let mut elems: Vec<Term> = (1..=11).map(Term::Int).collect();
    elems.push(Term::binary(b"z".to_vec()));
    round_trip(twelve, Term::tuple(elems));
    let err = error_of::<(u8, u8)>(Term::tuple(vec![Term::Int(1)]));
    assert_eq!(
        (err.target, err.expected.as_str()),
        ("tuple of 2", "a tuple of arity 2")
    );
    let err = error_of::<(u8, u8)>(Term::tuple(vec![Term::Int(1), Term::Int(-1)]));
    assert_eq!(err.path, vec!["1".to_string()]);
}

#[test]
fn maps_and_term_model_parts() {
    let expected = Term::Map(Map::from_pairs(vec![
        (Term::atom("a"), Term::Int(1)),
        (Term::atom("b"), Term::Int(2)),
    ]));
    round_trip(
        BTreeMap::from([(Atom::new("a"), 1i64), (Atom::new("b"), 2)]),
        expected.clone(),
    );
    round_trip(
        HashMap::from([(Atom::new("a"), 1i64), (Atom::new("b"), 2)]),
        expected.clone(),
    );
    let err = error_of::<HashMap<Atom, u8>>(Term::Map(Map::from_pairs(vec![(
        Term::atom("k"),
        Term::Int(-1),
    )])));
    assert_eq!(err.target, "u8");
    assert!(err.path[0].contains('k'), "{err}");
    assert_eq!(
        error_of::<BTreeMap<Atom, u8>>(Term::nil()).target,
        "BTreeMap"
    );

    let pid = Pid {
        node: Atom::new("a@b"),
        id: 1,
        serial: 2,
        creation: 3,
    };
    round_trip(pid.clone(), Term::Pid(pid));
    round_trip(Atom::new("x"), Term::atom("x"));
    let Term::Map(m) = expected else {
        unreachable!()
    };
    round_trip(m.clone(), Term::Map(m));
    assert_eq!(error_of::<Pid>(Term::atom("x")).target, "Pid");
}

#[test]
fn term_from_plain_values() {
    // Integers: `Int` when they fit an i64, a bignum otherwise, as their IntoTerm.
    assert_eq!(Term::from(5i64), Term::Int(5));
    assert_eq!(Term::from(5), Term::Int(5));
    assert_eq!(Term::from(-128i8), Term::Int(-128));
    assert_eq!(Term::from(255u8), Term::Int(255));
    assert_eq!(Term::from(-7i16), Term::Int(-7));
    assert_eq!(Term::from(u16::MAX), Term::Int(65535));
    assert_eq!(Term::from(i32::MIN), Term::Int(i64::from(i32::MIN)));
    assert_eq!(Term::from(u32::MAX), Term::Int(i64::from(u32::MAX)));
    assert_eq!(Term::from(i64::MIN), Term::Int(i64::MIN));
    assert_eq!(Term::from(-3isize), Term::Int(-3));
    assert_eq!(Term::from(3usize), Term::Int(3));
    assert_eq!(Term::from(i128::from(i64::MAX)), Term::Int(i64::MAX));
    assert_eq!(Term::from(u64::MAX), big("18446744073709551615"));
    assert_eq!(
        Term::from(i128::MIN),
        big("-170141183460469231731687303715884105728")
    );
    assert_eq!(
        Term::from(u128::MAX),
        big("340282366920938463463374607431768211455")
    );
    // A bignum goes over the wire and comes back as the same u64.
    let bytes = ergo::etf::to_bytes(&Term::from(u64::MAX)).expect("encode");
    let back = ergo::etf::from_bytes(&bytes).expect("decode");
    assert_eq!(u64::from_term(back), Ok(u64::MAX));

    // Floats, booleans.
    assert_eq!(Term::from(1.5f64), Term::Float(1.5));
    assert_eq!(Term::from(-0.25f32), Term::Float(-0.25));
    assert_eq!(Term::from(true), Term::atom("true"));
    assert_eq!(Term::from(false), Term::atom("false"));

    // Text is a UTF-8 binary, as Elixir strings are; bytes are a binary.
    assert_eq!(
        Term::from("héllo"),
        Term::binary("héllo".as_bytes().to_vec())
    );
    assert_eq!(Term::from(String::from("a")), Term::binary(&b"a"[..]));
    assert_eq!(Term::from(&String::from("a")), Term::binary(&b"a"[..]));
    assert_eq!(Term::from(Box::<str>::from("a")), Term::binary(&b"a"[..]));
    assert_eq!(Term::from(vec![1u8, 2, 3]), Term::binary(vec![1u8, 2, 3]));
    assert_eq!(Term::from(&[1u8, 2][..]), Term::binary(vec![1u8, 2]));
    assert_eq!(
        Term::from(Bytes::from_static(b"xy")),
        Term::binary(&b"xy"[..])
    );
    // IntoTerm keeps `Vec<u8>` a list: `From` is the one that reads bytes as a binary.
    assert_eq!(
        vec![1u8, 2].into_term(),
        Term::list(vec![Term::Int(1), Term::Int(2)])
    );

    // The wrappers and the term model's parts.
    assert_eq!(Term::from(Binary(vec![7])), Term::binary(vec![7u8]));
    assert_eq!(
        Term::from(Charlist::from("hi")),
        "\"hi\"".parse::<Term>().expect("parse")
    );
    assert_eq!(Term::from(AtomText::from("x")), Term::atom("x"));
    assert_eq!(Term::from(Atom::new("ok")), Term::atom("ok"));
    let pid = Pid {
        node: Atom::new("a@b"),
        id: 1,
        serial: 2,
        creation: 3,
    };
    assert_eq!(Term::from(pid.clone()), Term::Pid(pid));
    assert_eq!(Term::from(Map::new()), Term::Map(Map::new()));

    // `Into<Term>` where a term is expected.
    let reply: Term = "done".into();
    assert_eq!(reply.to_string(), "<<\"done\">>");
    let items: Vec<Term> = vec![1.into(), "a".into(), true.into(), Atom::new("b").into()];
    assert_eq!(
        Term::list(items).display_w().to_string(),
        "[1,<<97>>,true,b]"
    );
}
