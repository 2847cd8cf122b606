//! The term model: one Rust value for every Erlang term.
//!
//! [`Term`] owns no encoding logic (see `decode` and `encode`) and no text logic (see `text`).
//! Equality is Erlang's exact equality (`=:=`): `1` and `1.0` differ, `0.0` and `-0.0` differ
//! (as from OTP 27). Ordering is Erlang's term order
//! (number < atom < reference < fun < port < pid < tuple < map < nil < list < bitstring), with
//! an integer ordered before a float of equal value so that the order is total.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use bytes::Bytes;
use num_bigint::BigInt;

use crate::{Atom, RefIds};

/// Any Erlang term.
///
/// It prints as Erlang text in three forms (see [`crate::text`]): `{}` is `~p` on one line,
/// for people (`{ok,"hi",<<"bin">>}`: printable lists and binaries as strings); `{:#}` and
/// [`Term::pretty`] are `~p` broken over lines to fit 80 columns; [`Term::display_w`] is the
/// exact `~w` text (`{ok,[104,105],<<98,105,110>>}`). `{:?}` is Rust's own debug form.
///
/// The empty list `[]` (nil) is `Term::List(vec![])`. Integers that fit in an `i64` are always
/// `Term::Int`; `Term::BigInt` only holds values outside that range (the constructors and the
/// decoder keep this normal form, so equality of integers is equality of variants).
#[derive(Clone, Debug)]
pub enum Term {
    /// An atom, e.g. `ok`.
    Atom(Atom),
    /// An integer that fits in an `i64`.
    Int(i64),
    /// An integer outside the `i64` range.
    BigInt(Box<BigInt>),
    /// A float (never NaN or infinite when it came from the wire).
    Float(f64),
    /// A binary: a whole number of bytes.
    Binary(Bytes),
    /// A bitstring whose last byte is only partly used.
    BitBinary(BitBinary),
    /// A tuple `{A, B, ...}`.
    Tuple(Vec<Term>),
    /// A proper list `[A, B, ...]`; empty is nil.
    List(Vec<Term>),
    /// An improper list `[A, B | Tail]`: at least one element, and a tail that is not a list.
    ImproperList(Vec<Term>, Box<Term>),
    /// A map `#{K => V}`.
    Map(Map),
    /// A process identifier.
    Pid(Pid),
    /// A port identifier.
    Port(Port),
    /// A reference (also used as an alias).
    Reference(Reference),
    /// A fun (closure), kept opaque.
    Fun(Box<Fun>),
    /// An external fun `fun M:F/A`.
    Export(Box<Export>),
}

/// A bitstring of `bits_in_last` (1..=8) used bits in its last byte; unused low bits are zero.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BitBinary {
    /// The bytes, the last one only partly used.
    pub bytes: Bytes,
    /// How many high bits of the last byte belong to the value (1..=8).
    pub bits_in_last: u8,
}

/// A process identifier: node name, id, serial and creation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Pid {
    /// The node the process lives on.
    pub node: Atom,
    /// The process number (up to 32 bits with V4_NC).
    pub id: u32,
    /// The serial (up to 32 bits with V4_NC).
    pub serial: u32,
    /// The node incarnation the pid belongs to.
    pub creation: u32,
}

/// A port identifier.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Port {
    /// The node the port lives on.
    pub node: Atom,
    /// The port number (64 bits with V4 ports).
    pub id: u64,
    /// The node incarnation.
    pub creation: u32,
}

/// A reference: node, creation and 1 to 5 id words (OTP emits 3; aliases and pid-refs use more).
#[derive(Clone, Debug, Eq)]
pub struct Reference {
    /// The node that made the reference.
    pub node: Atom,
    /// The node incarnation.
    pub creation: u32,
    /// The id words (1 to 5), least significant first, as on the wire.
    pub ids: RefIds,
}

impl PartialEq for Reference {
    /// Equal when all three parts are; the ids are compared first, as they are what tells two
    /// references of one node apart (tables of monitors and calls are searched by reference).
    fn eq(&self, other: &Reference) -> bool {
        self.ids == other.ids && self.creation == other.creation && self.node == other.node
    }
}

impl Hash for Reference {
    /// The parts [`PartialEq`] compares, so equal references hash alike.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.node.hash(state);
        self.creation.hash(state);
        self.ids.hash(state);
    }
}

/// A local fun (NEW_FUN_EXT), kept as its parts so it re-encodes byte-exact.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fun {
    /// The fun's arity.
    pub arity: u8,
    /// The MD5 of the module code that made it.
    pub uniq: [u8; 16],
    /// The index in the module's fun table.
    pub index: u32,
    /// The module that defines it.
    pub module: Atom,
    /// The old index (an integer term on the wire).
    pub old_index: Term,
    /// The old uniq (an integer term on the wire).
    pub old_uniq: Term,
    /// The process that made it.
    pub pid: Term,
    /// The captured free variables.
    pub free_vars: Vec<Term>,
}

/// An external fun `fun Module:Function/Arity`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Export {
    /// The module.
    pub module: Atom,
    /// The function.
    pub function: Atom,
    /// The arity.
    pub arity: u8,
}

/// A map with keys of any term. Entries are kept sorted by key in term order with no duplicates,
/// so two equal maps have equal entries and lookups are binary searches.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Map {
    entries: Vec<(Term, Term)>,
}

impl Map {
    /// An empty map.
    pub fn new() -> Map {
        Map {
            entries: Vec::new(),
        }
    }

    /// Builds a map from pairs; a later duplicate key replaces an earlier one (as `maps:from_list`).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (Term, Term)>) -> Map {
        let mut entries: Vec<(Term, Term)> = pairs.into_iter().collect();
        // Stable sort keeps the insertion order of equal keys; keep the last of each run.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Term, Term)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => out.push((k, v)),
            }
        }
        Map { entries: out }
    }

    /// Builds a map from pairs, returning the first duplicated key if there is one (as
    /// `binary_to_term` refuses duplicate keys).
    pub fn try_from_pairs(mut entries: Vec<(Term, Term)>) -> Result<Map, Term> {
        if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            if let Some(w) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
                return Err(w[0].0.clone());
            }
        }
        Ok(Map { entries })
    }

    /// The value under `key`.
    pub fn get(&self, key: &Term) -> Option<&Term> {
        self.entries
            .binary_search_by(|(k, _)| k.cmp(key))
            .ok()
            .map(|i| &self.entries[i].1)
    }

    /// The value under the atom key `key` (the common case for struct-like maps).
    pub fn get_atom(&self, key: &str) -> Option<&Term> {
        self.entries
            .iter()
            .find(|(k, _)| matches!(k, Term::Atom(a) if a == key))
            .map(|(_, v)| v)
    }

    /// Inserts or replaces, returning the old value.
    pub fn insert(&mut self, key: Term, value: Term) -> Option<Term> {
        match self.entries.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// Removes a key, returning its value.
    pub fn remove(&mut self, key: &Term) -> Option<Term> {
        match self.entries.binary_search_by(|(k, _)| k.cmp(key)) {
            Ok(i) => Some(self.entries.remove(i).1),
            Err(_) => None,
        }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Term, &Term)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The entries in key order, by value.
    pub fn into_entries(self) -> Vec<(Term, Term)> {
        self.entries
    }
}

impl Term {
    /// The atom with this text.
    pub fn atom(text: &str) -> Term {
        Term::Atom(Atom::new(text))
    }

    /// A tuple of these elements.
    pub fn tuple(elems: impl Into<Vec<Term>>) -> Term {
        Term::Tuple(elems.into())
    }

    /// A proper list of these elements.
    pub fn list(elems: impl Into<Vec<Term>>) -> Term {
        Term::List(elems.into())
    }

    /// The empty list `[]`.
    pub fn nil() -> Term {
        Term::List(Vec::new())
    }

    /// A binary with these bytes.
    pub fn binary(bytes: impl Into<Bytes>) -> Term {
        Term::Binary(bytes.into())
    }

    /// An integer in normal form: `Int` when it fits in an `i64`, `BigInt` otherwise.
    pub fn bigint(value: BigInt) -> Term {
        match i64::try_from(&value) {
            Ok(v) => Term::Int(v),
            Err(_) => Term::BigInt(Box::new(value)),
        }
    }

    /// `[Head | Tail]`, normalising: a list tail is appended, so the result is a proper list when
    /// `tail` is one.
    pub fn cons(mut head: Vec<Term>, tail: Term) -> Term {
        if head.is_empty() {
            return tail;
        }
        match tail {
            Term::List(rest) => {
                head.extend(rest);
                Term::List(head)
            }
            Term::ImproperList(rest, t) => {
                head.extend(rest);
                Term::ImproperList(head, t)
            }
            other => Term::ImproperList(head, Box::new(other)),
        }
    }

    /// The atom's text, if this is an atom.
    pub fn as_atom(&self) -> Option<&Atom> {
        match self {
            Term::Atom(a) => Some(a),
            _ => None,
        }
    }

    /// Whether this is the atom with this text.
    pub fn is_atom(&self, text: &str) -> bool {
        matches!(self, Term::Atom(a) if a == text)
    }

    /// The elements, if this is a tuple.
    pub fn as_tuple(&self) -> Option<&[Term]> {
        match self {
            Term::Tuple(t) => Some(t),
            _ => None,
        }
    }

    /// Whether this is nil, `[]`.
    pub fn is_nil(&self) -> bool {
        matches!(self, Term::List(l) if l.is_empty())
    }

    /// The name of this term's Erlang type, for error messages (`atom`, `integer`, `tuple`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Term::Atom(_) => "atom",
            Term::Int(_) | Term::BigInt(_) => "integer",
            Term::Float(_) => "float",
            Term::Binary(_) => "binary",
            Term::BitBinary(_) => "bitstring",
            Term::Tuple(_) => "tuple",
            Term::List(l) if l.is_empty() => "nil",
            Term::List(_) => "list",
            Term::ImproperList(..) => "improper list",
            Term::Map(_) => "map",
            Term::Pid(_) => "pid",
            Term::Port(_) => "port",
            Term::Reference(_) => "reference",
            Term::Fun(_) => "fun",
            Term::Export(_) => "fun",
        }
    }

    /// The rank of this term's type in Erlang's term order.
    fn order_rank(&self) -> u8 {
        match self {
            Term::Int(_) | Term::BigInt(_) | Term::Float(_) => 0,
            Term::Atom(_) => 1,
            Term::Reference(_) => 2,
            Term::Fun(_) | Term::Export(_) => 3,
            Term::Port(_) => 4,
            Term::Pid(_) => 5,
            Term::Tuple(_) => 6,
            Term::Map(_) => 7,
            Term::List(l) if l.is_empty() => 8,
            Term::List(_) | Term::ImproperList(..) => 9,
            Term::Binary(_) | Term::BitBinary(_) => 10,
        }
    }
}

fn cmp_int_float(i: &BigInt, f: f64) -> Ordering {
    // Exact comparison: compare i with the float's integral part, then the fraction.
    let fl = f.floor();
    match num_traits::FromPrimitive::from_f64(fl) {
        Some(fi) => {
            let fi: BigInt = fi;
            match i.cmp(&fi) {
                Ordering::Equal if f > fl => Ordering::Less,
                // Equal value: the integer orders first (a total order over =:=).
                Ordering::Equal => Ordering::Less,
                o => o,
            }
        }
        None => {
            if f > 0.0 {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
    }
}

fn cmp_i64_float(i: i64, f: f64) -> Ordering {
    if (-(1i64 << 53)..=(1i64 << 53)).contains(&i) {
        match (i as f64).partial_cmp(&f) {
            Some(Ordering::Equal) | None => Ordering::Less,
            Some(o) => o,
        }
    } else {
        cmp_int_float(&BigInt::from(i), f)
    }
}

fn cmp_lists(a: &[Term], at: Option<&Term>, b: &[Term], bt: Option<&Term>) -> Ordering {
    // Lists compare element by element; when one runs out, its tail compares with the other's
    // remaining list (a proper list's tail is nil).
    for (x, y) in a.iter().zip(b.iter()) {
        match x.cmp(y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    if a.len() == b.len() && at.is_none() && bt.is_none() {
        // Both proper and equal so far: comparing their nil tails would recurse forever.
        return Ordering::Equal;
    }
    let nil = Term::nil();
    let rest_a: Term;
    let rest_b: Term;
    let ta = if a.len() > b.len() {
        rest_a = Term::cons(a[b.len()..].to_vec(), at.cloned().unwrap_or_else(Term::nil));
        &rest_a
    } else {
        at.unwrap_or(&nil)
    };
    let tb = if b.len() > a.len() {
        rest_b = Term::cons(b[a.len()..].to_vec(), bt.cloned().unwrap_or_else(Term::nil));
        &rest_b
    } else {
        bt.unwrap_or(&nil)
    };
    ta.cmp(tb)
}

impl Ord for Term {
    fn cmp(&self, other: &Term) -> Ordering {
        use Term::*;
        let (ra, rb) = (self.order_rank(), other.order_rank());
        if ra != rb {
            return ra.cmp(&rb);
        }
        match (self, other) {
            (Int(a), Int(b)) => a.cmp(b),
            (Int(a), BigInt(b)) => num_bigint::BigInt::from(*a).cmp(b),
            (BigInt(a), Int(b)) => (**a).cmp(&num_bigint::BigInt::from(*b)),
            (BigInt(a), BigInt(b)) => a.cmp(b),
            (Float(a), Float(b)) => a.total_cmp(b),
            (Int(a), Float(b)) => cmp_i64_float(*a, *b),
            (Float(a), Int(b)) => cmp_i64_float(*b, *a).reverse(),
            (BigInt(a), Float(b)) => cmp_int_float(a, *b),
            (Float(a), BigInt(b)) => cmp_int_float(b, *a).reverse(),
            (Atom(a), Atom(b)) => a.cmp(b),
            (Reference(a), Reference(b)) => a
                .node
                .cmp(&b.node)
                .then_with(|| a.ids.iter().rev().cmp(b.ids.iter().rev()))
                .then_with(|| a.creation.cmp(&b.creation)),
            // As OTP 25 orders them (checked live): module, index as a signed 32-bit number,
            // old uniq, number of free variables, then the free variables. OTP subtracts the
            // indices, which is not a total order once two are 2^31 apart (real indices are
            // small); comparing them signed agrees with it everywhere else. Funs that OTP
            // holds equal from there on (one fun-table entry) are told apart by the remaining
            // fields, so that the order stays consistent with exact equality.
            (Fun(a), Fun(b)) => a
                .module
                .cmp(&b.module)
                .then_with(|| (a.index as i32).cmp(&(b.index as i32)))
                .then_with(|| a.old_uniq.cmp(&b.old_uniq))
                .then_with(|| a.free_vars.len().cmp(&b.free_vars.len()))
                .then_with(|| a.free_vars.cmp(&b.free_vars))
                .then_with(|| a.uniq.cmp(&b.uniq))
                .then_with(|| a.old_index.cmp(&b.old_index))
                .then_with(|| a.pid.cmp(&b.pid))
                .then_with(|| a.arity.cmp(&b.arity)),
            (Export(a), Export(b)) => {
                (&a.module, &a.function, a.arity).cmp(&(&b.module, &b.function, b.arity))
            }
            (Fun(_), Export(_)) => Ordering::Less,
            (Export(_), Fun(_)) => Ordering::Greater,
            // As OTP 25 orders them (checked live): ports by node, creation, id; pids by
            // serial, id, node, creation.
            (Port(a), Port(b)) => (&a.node, a.creation, a.id).cmp(&(&b.node, b.creation, b.id)),
            (Pid(a), Pid(b)) => {
                (a.serial, a.id, &a.node, a.creation).cmp(&(b.serial, b.id, &b.node, b.creation))
            }
            (Tuple(a), Tuple(b)) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (Map(a), Map(b)) => a
                .len()
                .cmp(&b.len())
                .then_with(|| a.iter().map(|e| e.0).cmp(b.iter().map(|e| e.0)))
                .then_with(|| a.iter().map(|e| e.1).cmp(b.iter().map(|e| e.1))),
            (List(a), List(b)) => cmp_lists(a, None, b, None),
            (List(a), ImproperList(b, bt)) => cmp_lists(a, None, b, Some(bt)),
            (ImproperList(a, at), List(b)) => cmp_lists(a, Some(at), b, None),
            (ImproperList(a, at), ImproperList(b, bt)) => cmp_lists(a, Some(at), b, Some(bt)),
            (Binary(a), Binary(b)) => a.cmp(b),
            (Binary(a), BitBinary(b)) => cmp_bits(a, 8, &b.bytes, b.bits_in_last),
            (BitBinary(a), Binary(b)) => cmp_bits(&a.bytes, a.bits_in_last, b, 8),
            (BitBinary(a), BitBinary(b)) => {
                cmp_bits(&a.bytes, a.bits_in_last, &b.bytes, b.bits_in_last)
            }
            _ => Ordering::Equal,
        }
    }
}

fn cmp_bits(a: &[u8], abits: u8, b: &[u8], bbits: u8) -> Ordering {
    let alen = if a.is_empty() {
        0
    } else {
        (a.len() - 1) * 8 + abits as usize
    };
    let blen = if b.is_empty() {
        0
    } else {
        (b.len() - 1) * 8 + bbits as usize
    };
    a.cmp(b).then(alen.cmp(&blen))
}

impl PartialOrd for Term {
    fn partial_cmp(&self, other: &Term) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Term {
    fn eq(&self, other: &Term) -> bool {
        use Term::*;
        match (self, other) {
            (Atom(a), Atom(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (BigInt(a), BigInt(b)) => a == b,
            (Float(a), Float(b)) => a.to_bits() == b.to_bits(),
            (Binary(a), Binary(b)) => a == b,
            (BitBinary(a), BitBinary(b)) => a == b,
            (Tuple(a), Tuple(b)) => a == b,
            (List(a), List(b)) => a == b,
            (ImproperList(a, at), ImproperList(b, bt)) => a == b && at == bt,
            (Map(a), Map(b)) => a == b,
            (Pid(a), Pid(b)) => a == b,
            (Port(a), Port(b)) => a == b,
            (Reference(a), Reference(b)) => a == b,
            (Fun(a), Fun(b)) => a == b,
            (Export(a), Export(b)) => a == b,
            _ => false,
        }
    }
}
impl Eq for Term {}

impl Hash for Term {
    fn hash<H: Hasher>(&self, state: &mut H) {
        use Term::*;
        std::mem::discriminant(self).hash(state);
        match self {
            Atom(a) => a.hash(state),
            Int(i) => i.hash(state),
            BigInt(b) => b.hash(state),
            Float(f) => f.to_bits().hash(state),
            Binary(b) => b.hash(state),
            BitBinary(b) => b.hash(state),
            Tuple(t) | List(t) => t.hash(state),
            ImproperList(l, t) => {
                l.hash(state);
                t.hash(state)
            }
            Map(m) => m.hash(state),
            Pid(p) => p.hash(state),
            Port(p) => p.hash(state),
            Reference(r) => r.hash(state),
            Fun(f) => f.hash(state),
            Export(e) => e.hash(state),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn term_order_follows_erlang() {
        let order = [
            Term::Int(1),
            Term::atom("a"),
            Term::Pid(Pid {
                node: Atom::new("n@h"),
                id: 1,
                serial: 0,
                creation: 1,
            }),
            Term::tuple(vec![]),
            Term::Map(Map::new()),
            Term::nil(),
            Term::list(vec![Term::Int(1)]),
            Term::binary(&b"a"[..]),
        ];
        for w in order.windows(2) {
            assert!(w[0] < w[1], "{:?} < {:?}", w[0], w[1]);
        }
        assert!(Term::Int(1) < Term::Float(1.5));
        assert!(Term::Float(0.5) < Term::Int(1));
        assert_ne!(Term::Int(1), Term::Float(1.0));
        assert_eq!(Term::nil().cmp(&Term::nil()), Ordering::Equal);
        assert_eq!(
            Term::list(vec![Term::Int(1)]).cmp(&Term::list(vec![Term::Int(1)])),
            Ordering::Equal
        );
    }

    #[test]
    fn map_from_pairs_sorts_and_dedups() {
        let m = Map::from_pairs([
            (Term::Int(2), Term::atom("b")),
            (Term::Int(1), Term::atom("a")),
            (Term::Int(2), Term::atom("c")),
        ]);
        assert_eq!(m.len(), 2);
        assert_eq!(m.get(&Term::Int(2)), Some(&Term::atom("c")));
        assert!(Map::try_from_pairs(vec![
            (Term::Int(1), Term::nil()),
            (Term::Int(1), Term::nil())
        ])
        .is_err());
    }

    fn fun(module: &str, index: u32, old_uniq: i64, free_vars: Vec<Term>) -> Term {
        Term::Fun(Box::new(Fun {
            arity: 1,
            uniq: [0; 16],
            index,
            module: Atom::new(module),
            old_index: Term::Int(0),
            old_uniq: Term::Int(old_uniq),
            pid: Term::Pid(Pid {
                node: Atom::new("n@h"),
                id: 1,
                serial: 0,
                creation: 1,
            }),
            free_vars,
        }))
    }

    #[test]
    fn funs_order_as_otp_25_orders_them() {
        // Each pair is smaller-first, as `<` said on a live OTP 25 node.
        let pairs = [
            (fun("m", 0x91EC_097C, 1, vec![]), fun("m", 0, 1, vec![])),
            (fun("m", 1, 1, vec![]), fun("m", 2, 1, vec![])),
            (fun("a", 9, 1, vec![]), fun("b", 1, 1, vec![])),
            (fun("m", 1, 2, vec![]), fun("m", 2, 1, vec![])),
            (fun("m", 5, 1, vec![Term::Int(1)]), fun("m", 5, 2, vec![])),
            (
                fun("m", 5, 1, vec![Term::Int(2)]),
                fun("m", 5, 1, vec![Term::Int(1), Term::Int(1)]),
            ),
            (
                fun("m", 5, 1, vec![Term::Int(1)]),
                fun("m", 5, 1, vec![Term::Int(2)]),
            ),
        ];
        for (small, big) in pairs {
            assert_eq!(small.cmp(&big), Ordering::Less, "{small:?} < {big:?}");
            assert_eq!(big.cmp(&small), Ordering::Greater);
        }
    }
}
