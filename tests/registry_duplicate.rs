//! Two registered types claiming one shape: `registry::check` reports it (naming the shape and
//! both types), and `lookup` refuses to pick either. Its own test binary, so the duplicate does
//! not poison the other registry tests.

use ergo::registry::{self, LookupError, RegistryError};
use ergo::{IntoTerm, Term};

#[derive(ergo::Term, Debug, Clone, PartialEq)]
#[term(register)]
struct Dup(i32);

#[derive(ergo::Term, Debug, Clone, PartialEq)]
#[term(register, tag = "dup")]
struct Other {
    text: String,
}

#[derive(ergo::Term, Debug, Clone, PartialEq)]
#[term(register)]
enum Signal {
    /// `{dup, ...}` has arity 3 here: a different shape, no clash.
    Dup(i32, i32),
    /// The atom `dup` is a different shape from any `{dup, ...}` tuple.
    #[term(rename = "dup")]
    Plain,
}

#[test]
fn check_reports_every_type_claiming_a_shape() {
    match registry::check() {
        Err(RegistryError::DuplicateShapes(duplicates)) => {
            assert_eq!(duplicates.len(), 1, "{duplicates:?}");
            let dup = &duplicates[0];
            assert_eq!(
                dup.types,
                vec!["registry_duplicate::Dup", "registry_duplicate::Other"]
            );
            assert!(
                dup.shape.contains("dup") && dup.shape.contains('2'),
                "{}",
                dup.shape
            );
            let message = RegistryError::DuplicateShapes(duplicates.clone()).to_string();
            assert!(
                message.contains("registry_duplicate::Dup")
                    && message.contains("registry_duplicate::Other"),
                "{message}"
            );
        }
        other => panic!("expected a duplicate-shape error, got {other:?}"),
    }
}

#[test]
fn lookup_never_picks_one_of_two_claims() {
    for term in [Dup(1).into_term(), Other { text: "x".into() }.into_term()] {
        match registry::lookup(&term) {
            Some(Err(LookupError::Ambiguous { types, .. })) => assert_eq!(types.len(), 2),
            other => panic!("expected an ambiguity error for {term:?}, got {other:?}"),
        }
    }
}

#[test]
fn shapes_without_a_clash_still_decode() {
    let three = Signal::Dup(1, 2).into_term();
    let decoded = registry::lookup(&three)
        .and_then(Result::ok)
        .expect("claimed once");
    assert_eq!(decoded.downcast_ref::<Signal>(), Some(&Signal::Dup(1, 2)));
    let plain = registry::lookup(&Term::atom("dup"))
        .and_then(Result::ok)
        .expect("claimed once");
    assert_eq!(plain.downcast_ref::<Signal>(), Some(&Signal::Plain));
}
