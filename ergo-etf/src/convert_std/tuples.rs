//! Rust tuples of 1 to 12 elements as Erlang tuples of the same arity. An element's error names
//! its position (`0`, `1`, ... as in Rust's `t.0`).

use crate::{ConvertError, FromTerm, IntoTerm, Term};

macro_rules! tuple_impl {
    ($arity:literal: $($name:ident $idx:tt),+) => {
        impl<$($name: IntoTerm),+> IntoTerm for ($($name,)+) {
            fn into_term(self) -> Term {
                Term::Tuple(vec![$(self.$idx.into_term()),+])
            }
        }
        impl<$($name: FromTerm),+> FromTerm for ($($name,)+) {
            fn from_term(term: Term) -> Result<($($name,)+), ConvertError> {
                match term {
                    Term::Tuple(elems) if elems.len() == $arity => {
                        let mut elems = elems.into_iter();
                        Ok(($(
                            $name::from_term(elems.next().unwrap_or_else(Term::nil))
                                .map_err(|e| e.within(stringify!($idx)))?,
                        )+))
                    }
                    other => Err(ConvertError::new(
                        concat!("tuple of ", $arity),
                        concat!("a tuple of arity ", $arity),
                        &other,
                    )),
                }
            }
        }
    };
}

tuple_impl!(1: A 0);
tuple_impl!(2: A 0, B 1);
tuple_impl!(3: A 0, B 1, C 2);
tuple_impl!(4: A 0, B 1, C 2, D 3);
tuple_impl!(5: A 0, B 1, C 2, D 3, E 4);
tuple_impl!(6: A 0, B 1, C 2, D 3, E 4, F 5);
tuple_impl!(7: A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_impl!(8: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_impl!(9: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_impl!(10: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_impl!(11: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_impl!(12: A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
