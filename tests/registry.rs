//! The type registry: types marked `#[term(register)]` are found by the shape of an incoming
//! term (tag + arity, atom, Elixir `__struct__`) and decoded to the right Rust type; other shapes
//! are not claimed; a claimed shape with bad contents is an error naming the field.
//!
//! Its own test binary: the registry holds every registered type linked into the binary, and
//! `registrations_are_consistent` and `unclaimed_shapes_are_none` check all of it, so another
//! test's registered types would change what they check (the duplicate of
//! tests/registry_duplicate.rs would fail them).

use ergo::registry::{self, LookupError, Shape};
use ergo::{IntoTerm, Map, Term};

#[derive(ergo::Term, Debug, Clone, PartialEq)]
#[term(register)]
struct UserProfile {
    name: String,
    age: u32,
}

#[derive(ergo::Term, Debug, Clone, PartialEq)]
#[term(register)]
enum Command {
    Incr(i64),
    Get,
    #[term(rename = "set_to")]
    Set {
        value: i64,
    },
}

#[derive(ergo::Term, Debug, Clone, PartialEq)]
#[term(register, elixir_struct = "Elixir.Reg.Account")]
struct Account {
    id: u64,
}

#[derive(ergo::Term, Debug, Clone, PartialEq)]
#[term(register)]
struct Heartbeat;

/// Not registered: its shape must not be claimed.
#[derive(ergo::Term, Debug, Clone, PartialEq)]
struct Unregistered {
    x: i32,
}

fn decode(term: &Term) -> registry::Decoded {
    match registry::lookup(term) {
        Some(Ok(decoded)) => decoded,
        Some(Err(e)) => panic!("lookup of {term:?} failed: {e}"),
        None => panic!("no registered type claims {term:?}"),
    }
}

#[test]
fn registrations_are_consistent() {
    if let Err(err) = registry::check() {
        panic!("{err}");
    }
    let names: Vec<&str> = registry::registrations().map(|r| r.type_name()).collect();
    for expected in [
        "registry::UserProfile",
        "registry::Command",
        "registry::Account",
        "registry::Heartbeat",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(
        !names.iter().any(|n| n.ends_with("Unregistered")),
        "{names:?}"
    );
    let command = registry::registrations()
        .find(|r| r.type_name() == "registry::Command")
        .expect("Command");
    assert_eq!(
        command.shapes(),
        &[
            Shape::Tagged {
                tag: "incr",
                arity: 2
            },
            Shape::Atom("get"),
            Shape::Tagged {
                tag: "set_to",
                arity: 2
            }
        ]
    );
}

#[test]
fn tagged_tuples_decode_to_their_registered_type() {
    let value = UserProfile {
        name: "ann".into(),
        age: 42,
    };
    let decoded = decode(&value.clone().into_term());
    assert_eq!(decoded.type_name(), "registry::UserProfile");
    assert_eq!(decoded.downcast_ref::<UserProfile>(), Some(&value));
    assert!(decoded.downcast_ref::<Command>().is_none());
    let decoded = match decoded.downcast::<Command>() {
        Ok(c) => panic!("a UserProfile downcast to {c:?}"),
        Err(decoded) => decoded,
    };
    assert_eq!(decoded.downcast::<UserProfile>().ok(), Some(value));
}

#[test]
fn every_enum_variant_shape_decodes_to_the_enum() {
    for command in [Command::Incr(-3), Command::Get, Command::Set { value: 9 }] {
        let decoded = decode(&command.clone().into_term());
        assert_eq!(decoded.downcast_ref::<Command>(), Some(&command));
    }
}

#[test]
fn elixir_structs_and_unit_structs_decode() {
    let account = Account { id: 77 };
    assert_eq!(
        decode(&account.clone().into_term()).downcast_ref::<Account>(),
        Some(&account)
    );
    assert!(decode(&Term::atom("heartbeat")).is::<Heartbeat>());
}

#[test]
fn unclaimed_shapes_are_none() {
    let unclaimed = [
        Unregistered { x: 1 }.into_term(),
        // Right tag, wrong arity.
        Term::tuple(vec![
            Term::atom("user_profile"),
            Term::binary(b"a".to_vec()),
        ]),
        Term::tuple(vec![Term::atom("get")]),
        Term::atom("set_to"),
        Term::tuple(vec![Term::Int(1), Term::Int(2)]),
        Term::tuple(vec![]),
        Term::Int(5),
        Term::Map(Map::from_pairs(vec![(
            Term::atom("__struct__"),
            Term::atom("Elixir.Reg.Other"),
        )])),
        Term::Map(Map::new()),
    ];
    for term in unclaimed {
        assert!(registry::lookup(&term).is_none(), "{term:?} was claimed");
    }
}

#[test]
fn claimed_shape_with_bad_contents_is_a_conversion_error() {
    let term = Term::tuple(vec![
        Term::atom("user_profile"),
        Term::binary(b"ann".to_vec()),
        Term::Int(-1),
    ]);
    match registry::lookup(&term) {
        Some(Err(LookupError::Convert(e))) => {
            assert_eq!(e.target, "u32");
            assert_eq!(e.path, vec!["UserProfile".to_string(), "age".to_string()]);
        }
        other => panic!("expected a conversion error, got {other:?}"),
    }
}
