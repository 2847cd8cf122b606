//! `#[derive(Term)]` with `#[term(crate = "::ergo_etf")]`: the derive names every item through
//! the given path, so it works in a crate that depends on ergo-etf but not on the `ergo` facade
//! (ergo-core, or this test, which has no `ergo` crate to resolve at all). Each type round-trips
//! through `IntoTerm`/`FromTerm` and encodes to the shape the default root gives.

use ergo_etf::registry::{self, Shape};
use ergo_etf::{FromTerm, IntoTerm, Map, Term};
use ergo_macros::Term;

/// A record with named fields: the tagged-tuple encoding, `FromFields`, a charlist field, a
/// defaulted field, and a registration (reaching `inventory` through `ergo_etf::__private`).
#[derive(Term, Debug, Clone, PartialEq)]
#[term(crate = "::ergo_etf", register)]
struct Job {
    id: u32,
    #[term(charlist)]
    owner: String,
    #[term(default)]
    retries: Option<u8>,
}

/// A map encoding: keys read through `take_field`, a missing key through `missing_field`.
#[derive(Term, Debug, Clone, PartialEq)]
#[term(crate = "::ergo_etf", map)]
struct Point {
    x: i64,
    y: i64,
}

/// An enum with unit, tuple and struct variants.
#[derive(Term, Debug, Clone, PartialEq)]
#[term(crate = "::ergo_etf")]
enum Command {
    Get,
    Incr(i64),
    Move { to: Point, fast: bool },
}

fn round_trip<T: IntoTerm + FromTerm + Clone + PartialEq + std::fmt::Debug>(value: T) -> Term {
    let term = value.clone().into_term();
    match T::from_term(term.clone()) {
        Ok(back) => assert_eq!(back, value, "{term:?}"),
        Err(e) => panic!("{term:?} did not decode back: {e}"),
    }
    term
}

#[test]
fn struct_round_trips_as_a_tagged_tuple() {
    let job = Job {
        id: 7,
        owner: "ann".to_owned(),
        retries: Some(2),
    };
    let term = round_trip(job);
    assert_eq!(
        term,
        Term::tuple(vec![
            Term::atom("job"),
            Term::Int(7),
            Term::List("ann".bytes().map(|b| Term::Int(i64::from(b))).collect()),
            Term::Int(2),
        ])
    );
}

#[test]
fn map_struct_round_trips_and_reports_a_missing_key() {
    let term = round_trip(Point { x: 1, y: -2 });
    assert_eq!(
        term,
        Term::Map(Map::from_pairs(vec![
            (Term::atom("x"), Term::Int(1)),
            (Term::atom("y"), Term::Int(-2)),
        ]))
    );
    let missing = Term::Map(Map::from_pairs(vec![(Term::atom("x"), Term::Int(1))]));
    let err = match Point::from_term(missing) {
        Ok(p) => panic!("decoded {p:?} without a y"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains('y'), "{err}");
}

#[test]
fn enum_round_trips_every_variant_shape() {
    assert_eq!(round_trip(Command::Get), Term::atom("get"));
    assert_eq!(
        round_trip(Command::Incr(5)),
        Term::tuple(vec![Term::atom("incr"), Term::Int(5)])
    );
    let moved = round_trip(Command::Move {
        to: Point { x: 3, y: 4 },
        fast: true,
    });
    assert_eq!(moved.as_tuple().map(<[Term]>::len), Some(3));
    assert!(Command::from_term(Term::atom("nope")).is_err());
}

#[test]
fn registration_goes_through_the_given_crate() {
    let registration = registry::registrations()
        .find(|r| r.type_name().ends_with("::Job"))
        .unwrap_or_else(|| panic!("Job is not registered"));
    assert_eq!(
        registration.shapes(),
        &[Shape::Tagged {
            tag: "job",
            arity: 4
        }]
    );
    let term = Job {
        id: 1,
        owner: "bo".to_owned(),
        retries: None,
    }
    .into_term();
    match registry::lookup(&term) {
        Some(Ok(decoded)) => assert_eq!(
            decoded.downcast_ref::<Job>(),
            Some(&Job {
                id: 1,
                owner: "bo".to_owned(),
                retries: None
            })
        ),
        other => panic!("lookup of {term:?}: {:?}", other.map(|r| r.map(|_| ()))),
    }
}
