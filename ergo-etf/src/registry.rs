//! The type registry: Rust types registered with `#[derive(Term)]` + `#[term(register)]` are
//! recorded at link time (through `inventory`), so that an incoming [`Term`] can be turned into
//! the Rust value its shape names without the receiver knowing the type in advance.
//!
//! A shape is what identifies a registered type's terms: a tag atom and arity for tagged
//! tuples, an atom for unit structs and unit variants, the `__struct__` module atom for Elixir
//! structs. Two registrations of one shape are an error reported by [`check`] (which the runtime
//! calls when a node starts); [`lookup`] never silently picks one of them. This module owns only
//! the registry; it must not know how a type encodes itself beyond the shapes it declares.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use crate::{ConvertError, FromTerm, Term};

/// The shape of the terms one registered type (or one enum variant) is encoded as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// The atom with this text (a unit struct or a unit enum variant).
    Atom(&'static str),
    /// A tuple of `arity` elements (the tag included) whose first element is the atom `tag`.
    Tagged {
        /// The tag atom's text.
        tag: &'static str,
        /// The tuple's arity, the tag included.
        arity: usize,
    },
    /// A map whose `__struct__` key holds the atom with this text (an Elixir struct).
    ElixirStruct(&'static str),
}

impl Shape {
    /// The shape of a term, if it has one a registration could claim.
    pub fn of(term: &Term) -> Option<ShapeKey<'_>> {
        match term {
            Term::Atom(a) => Some(ShapeKey::Atom(a.as_str())),
            Term::Tuple(elems) => match elems.first() {
                Some(Term::Atom(tag)) => Some(ShapeKey::Tagged(tag.as_str(), elems.len())),
                _ => None,
            },
            Term::Map(map) => match map.get_atom("__struct__") {
                Some(Term::Atom(module)) => Some(ShapeKey::ElixirStruct(module.as_str())),
                _ => None,
            },
            _ => None,
        }
    }

    fn key(&self) -> ShapeKey<'static> {
        match *self {
            Shape::Atom(a) => ShapeKey::Atom(a),
            Shape::Tagged { tag, arity } => ShapeKey::Tagged(tag, arity),
            Shape::ElixirStruct(m) => ShapeKey::ElixirStruct(m),
        }
    }
}

/// A shape borrowed from a term, used to find the registration that claims it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShapeKey<'a> {
    /// An atom.
    Atom(&'a str),
    /// A tuple with a tag atom and this arity (tag included).
    Tagged(&'a str, usize),
    /// A map with this `__struct__` atom.
    ElixirStruct(&'a str),
}

impl fmt::Display for ShapeKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShapeKey::Atom(a) => write!(f, "the atom {a}"),
            ShapeKey::Tagged(tag, arity) => write!(f, "{{{tag}, ...}} of arity {arity}"),
            ShapeKey::ElixirStruct(module) => write!(f, "%{{__struct__ => {module}}}"),
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.key().fmt(f)
    }
}

/// Decodes a term into a registered type, boxed.
pub type DecodeFn = fn(Term) -> Result<Box<dyn Any + Send>, ConvertError>;

/// One registered type: its name, the shapes its terms take, and how to decode one.
/// Built by `#[derive(Term)]`'s generated code; construct with [`Registration::new`].
pub struct Registration {
    type_name: &'static str,
    shapes: &'static [Shape],
    decode: DecodeFn,
}

impl Registration {
    /// A registration of `T` under these shapes.
    pub const fn new<T: FromTerm + Any + Send>(
        type_name: &'static str,
        shapes: &'static [Shape],
    ) -> Registration {
        Registration {
            type_name,
            shapes,
            decode: decode_boxed::<T>,
        }
    }

    /// The registered type's name.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// The shapes the type's terms take.
    pub fn shapes(&self) -> &'static [Shape] {
        self.shapes
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("type_name", &self.type_name)
            .field("shapes", &self.shapes)
            .finish()
    }
}

fn decode_boxed<T: FromTerm + Any + Send>(term: Term) -> Result<Box<dyn Any + Send>, ConvertError> {
    T::from_term(term).map(|value| Box::new(value) as Box<dyn Any + Send>)
}

inventory::collect!(Registration);

/// Every registration linked into the program.
pub fn registrations() -> impl Iterator<Item = &'static Registration> {
    inventory::iter::<Registration>.into_iter()
}

/// A value decoded through the registry: the boxed Rust value and the name of its type.
pub struct Decoded {
    type_name: &'static str,
    value: Box<dyn Any + Send>,
}

impl Decoded {
    /// The Rust type's name, as registered.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// Whether the value is a `T`.
    pub fn is<T: Any>(&self) -> bool {
        self.value.is::<T>()
    }

    /// The value, if it is a `T`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.value.downcast_ref::<T>()
    }

    /// The value by value, or `self` back when it is not a `T`.
    pub fn downcast<T: Any>(self) -> Result<T, Decoded> {
        match self.value.downcast::<T>() {
            Ok(value) => Ok(*value),
            Err(value) => Err(Decoded {
                type_name: self.type_name,
                value,
            }),
        }
    }

    /// The boxed value.
    pub fn into_any(self) -> Box<dyn Any + Send> {
        self.value
    }
}

impl fmt::Debug for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoded")
            .field("type_name", &self.type_name)
            .finish_non_exhaustive()
    }
}

/// Why the registry could not decode a term whose shape is registered.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LookupError {
    /// More than one type claims the term's shape (see [`check`]); none is picked.
    #[error("{shape} is registered by more than one type: {}", .types.join(", "))]
    Ambiguous {
        /// The shape, as text.
        shape: String,
        /// The types that claim it.
        types: Vec<&'static str>,
    },
    /// The registered type's `FromTerm` refused the term.
    #[error(transparent)]
    Convert(#[from] ConvertError),
}

/// One shape claimed by several registered types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateShape {
    /// The shape, as text.
    pub shape: String,
    /// The types that claim it.
    pub types: Vec<&'static str>,
}

/// What is wrong with the set of registrations linked into the program.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RegistryError {
    /// Some shapes are claimed by more than one type.
    #[error("term shapes registered more than once: {}", describe_duplicates(.0))]
    DuplicateShapes(Vec<DuplicateShape>),
}

fn describe_duplicates(duplicates: &[DuplicateShape]) -> String {
    duplicates
        .iter()
        .map(|d| format!("{} by {}", d.shape, d.types.join(" and ")))
        .collect::<Vec<_>>()
        .join("; ")
}

type Index = HashMap<ShapeKey<'static>, Vec<&'static Registration>>;

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index: Index = HashMap::new();
        for registration in registrations() {
            for shape in registration.shapes {
                let claims = index.entry(shape.key()).or_default();
                // One type may list one shape twice (it is still one claim).
                if !claims.iter().any(|r| std::ptr::eq(*r, registration)) {
                    claims.push(registration);
                }
            }
        }
        index
    })
}

/// Checks that no shape is claimed by two registered types. The runtime calls this when a node
/// starts; an error names every duplicated shape and the types that claim it.
pub fn check() -> Result<(), RegistryError> {
    let mut duplicates: Vec<DuplicateShape> = index()
        .iter()
        .filter(|(_, claims)| claims.len() > 1)
        .map(|(shape, claims)| {
            let mut types: Vec<&'static str> = claims.iter().map(|r| r.type_name).collect();
            types.sort_unstable();
            DuplicateShape {
                shape: shape.to_string(),
                types,
            }
        })
        .collect();
    if duplicates.is_empty() {
        Ok(())
    } else {
        duplicates.sort_by(|a, b| a.shape.cmp(&b.shape));
        Err(RegistryError::DuplicateShapes(duplicates))
    }
}

/// Decodes a term into the registered type whose shape it has.
///
/// `None` when no registered type claims the term's shape; `Some(Err(_))` when the shape is
/// claimed by several types ([`LookupError::Ambiguous`]) or the claiming type refused the term
/// (e.g. a field of the wrong type).
pub fn lookup(term: &Term) -> Option<Result<Decoded, LookupError>> {
    let key = Shape::of(term)?;
    // Covariance lets the 'static-keyed index be searched with a key borrowed from `term`.
    let index: &HashMap<ShapeKey<'_>, Vec<&'static Registration>> = index();
    let claims = index.get(&key)?;
    match claims.as_slice() {
        [registration] => Some(
            (registration.decode)(term.clone())
                .map(|value| Decoded {
                    type_name: registration.type_name,
                    value,
                })
                .map_err(LookupError::from),
        ),
        _ => Some(Err(LookupError::Ambiguous {
            shape: key.to_string(),
            types: claims.iter().map(|r| r.type_name).collect(),
        })),
    }
}
