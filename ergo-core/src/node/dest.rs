//! Where a message goes: a pid, a local registered name, a name on some node, or an alias.
//! Owns `Dest` and its conversions; must not route anything.

use ergo_etf::{Atom, Pid, Reference, Term};

/// A message destination.
#[derive(Clone, Debug, PartialEq)]
pub enum Dest {
    /// A process by pid (local or remote).
    Pid(Pid),
    /// A name registered on this node.
    Name(Atom),
    /// `{Name, Node}`: a registered name on a given node (may be this one).
    Remote {
        /// The registered name.
        name: Atom,
        /// The node.
        node: Atom,
    },
    /// An alias (a reference) made by some process.
    Alias(Reference),
}

impl Dest {
    /// The destination as a term (`Pid`, `Name`, `{Name, Node}` or `Ref`).
    pub fn to_term(&self) -> Term {
        match self {
            Dest::Pid(p) => Term::Pid(p.clone()),
            Dest::Name(n) => Term::Atom(n.clone()),
            Dest::Remote { name, node } => {
                Term::tuple(vec![Term::Atom(name.clone()), Term::Atom(node.clone())])
            }
            Dest::Alias(r) => Term::Reference(r.clone()),
        }
    }
}

impl std::fmt::Display for Dest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_term())
    }
}

impl From<Pid> for Dest {
    fn from(p: Pid) -> Dest {
        Dest::Pid(p)
    }
}
impl From<&Pid> for Dest {
    fn from(p: &Pid) -> Dest {
        Dest::Pid(p.clone())
    }
}
impl From<Atom> for Dest {
    fn from(a: Atom) -> Dest {
        Dest::Name(a)
    }
}
impl From<&str> for Dest {
    fn from(a: &str) -> Dest {
        Dest::Name(Atom::new(a))
    }
}
impl From<(Atom, Atom)> for Dest {
    fn from((name, node): (Atom, Atom)) -> Dest {
        Dest::Remote { name, node }
    }
}
impl From<(&str, &str)> for Dest {
    fn from((name, node): (&str, &str)) -> Dest {
        Dest::Remote {
            name: Atom::new(name),
            node: Atom::new(node),
        }
    }
}
impl From<Reference> for Dest {
    fn from(r: Reference) -> Dest {
        Dest::Alias(r)
    }
}
impl From<&Reference> for Dest {
    fn from(r: &Reference) -> Dest {
        Dest::Alias(r.clone())
    }
}
