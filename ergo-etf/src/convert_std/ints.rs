//! Integers and floats: every primitive integer type (range-checked on the way in, big values
//! through `num-bigint`), `f32`/`f64`, and `char` as a codepoint. Nothing else.

use num_bigint::BigInt;

use crate::{ConvertError, FromTerm, IntoTerm, Term};

/// Every primitive integer type: an `Int` when the value fits in an `i64`, a bignum otherwise;
/// range-checked on the way in.
macro_rules! int_conversions {
    ($($t:ty),*) => {$(
        impl IntoTerm for $t {
            fn into_term(self) -> Term {
                match i64::try_from(self) {
                    Ok(v) => Term::Int(v),
                    Err(_) => Term::bigint(BigInt::from(self)),
                }
            }
        }
        impl FromTerm for $t {
            fn from_term(term: Term) -> Result<$t, ConvertError> {
                let in_range = match &term {
                    Term::Int(v) => <$t>::try_from(*v).ok(),
                    Term::BigInt(v) => <$t>::try_from(&**v).ok(),
                    _ => None,
                };
                in_range.ok_or_else(|| {
                    ConvertError::new(
                        stringify!($t),
                        concat!("an integer in ", stringify!($t), "'s range"),
                        &term,
                    )
                })
            }
        }
    )*};
}
int_conversions!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

impl IntoTerm for f64 {
    fn into_term(self) -> Term {
        Term::Float(self)
    }
}

impl FromTerm for f64 {
    fn from_term(term: Term) -> Result<f64, ConvertError> {
        match term {
            Term::Float(f) => Ok(f),
            other => Err(ConvertError::new("f64", "a float", &other)),
        }
    }
}

impl IntoTerm for f32 {
    fn into_term(self) -> Term {
        Term::Float(f64::from(self))
    }
}

impl FromTerm for f32 {
    /// Reads a float that fits in an `f32` (precision may be lost; magnitude may not).
    fn from_term(term: Term) -> Result<f32, ConvertError> {
        match term {
            Term::Float(f) if !f.is_finite() || f.abs() <= f64::from(f32::MAX) => Ok(f as f32),
            other => Err(ConvertError::new("f32", "a float in f32's range", &other)),
        }
    }
}

impl IntoTerm for char {
    fn into_term(self) -> Term {
        Term::Int(i64::from(u32::from(self)))
    }
}

impl FromTerm for char {
    fn from_term(term: Term) -> Result<char, ConvertError> {
        match &term {
            Term::Int(v) => u32::try_from(*v).ok().and_then(char::from_u32),
            _ => None,
        }
        .ok_or_else(|| {
            ConvertError::new("char", "an integer that is a Unicode scalar value", &term)
        })
    }
}
