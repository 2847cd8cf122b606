//! Floats as OTP 25 writes them (`float_to_list(F, [short])`, used by `~w` and `~p`): the
//! shortest digits that read back to the same float, in plain decimal notation (`123.0`,
//! `0.001`) or in scientific notation (`1.0e10`, `2.5e-7`), whichever is shorter, plain on a
//! tie. There is always a digit on both sides of the point.
//!
//! Two details differ from a plain "shortest round-trip" printer: when two digit strings of the
//! shortest length both read back to the float, OTP's Ryu picks the one nearer the exact value
//! (an even last digit on a tie), and values of magnitude 2^53 or more always use scientific
//! notation.
//!
//! This module owns float text only. Infinities and NaN have no Erlang syntax (the wire never
//! carries them); they print as `inf`, `-inf` and `nan`, which do not parse.

use num_bigint::BigInt;
use num_traits::Zero;

/// The text of `value` as OTP 25 prints it.
pub(crate) fn format_float(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 {
            "inf".to_string()
        } else {
            "-inf".to_string()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.2345e-7", "1e10", "0e0".
    let sci = format!("{value:e}");
    let (mantissa, exponent) = match sci.split_once('e') {
        Some(parts) => parts,
        None => return sci,
    };
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = nearest_digits(value.abs(), digits, exponent);
    let scientific = scientific_form(&digits, exponent);
    let plain = plain_form(&digits, exponent);
    let body = if scientific.len() < plain.len() || value.abs() >= TWO_POW_53 {
        scientific
    } else {
        plain
    };
    format!("{sign}{body}")
}

/// From this magnitude on OTP prints floats in scientific notation only.
const TWO_POW_53: f64 = 9_007_199_254_740_992.0;

/// Among the digit strings of this length that read back to `value` (the given one and its
/// neighbours in the last digit), the one nearest the exact value, an even last digit on a tie.
fn nearest_digits(value: f64, digits: String, exponent: i64) -> String {
    let Some(given) = BigInt::parse_bytes(digits.as_bytes(), 10) else {
        return digits;
    };
    if digits.len() < 2 {
        return digits;
    }
    let power = exponent - (digits.len() as i64 - 1);
    let bits = value.to_bits();
    let (exp_field, fraction) = ((bits >> 52) & 0x7ff, bits & ((1u64 << 52) - 1));
    let (mantissa, exp2) = if exp_field == 0 {
        (fraction, -1074i64)
    } else {
        (fraction | (1u64 << 52), exp_field as i64 - 1075)
    };
    // Both sides scaled to integers: candidate × 10^power and mantissa × 2^exp2.
    let scale = |n: BigInt, pow10: i64, pow2: i64| -> BigInt {
        let mut n = n * BigInt::from(10u8).pow((pow10 - power.min(0)) as u32);
        n <<= (pow2 - exp2.min(0)) as u32;
        n
    };
    let exact = scale(BigInt::from(mantissa), 0, exp2);
    let distance = |candidate: &BigInt| {
        (scale(candidate.clone(), power, 0) - &exact)
            .magnitude()
            .clone()
    };
    let mut best = (distance(&given), given.clone());
    for candidate in [&given - 1u8, &given + 1u8] {
        let text = candidate.to_string();
        if text.len() != digits.len() || text.ends_with('0') {
            continue;
        }
        if format!("{text}e{power}").parse::<f64>().ok() != Some(value) {
            continue;
        }
        let d = distance(&candidate);
        let even = |n: &BigInt| (n % 2u8).is_zero();
        if d < best.0 || (d == best.0 && even(&candidate) && !even(&best.1)) {
            best = (d, candidate);
        }
    }
    best.1.to_string()
}

/// `d.ddde±x` with at least one digit after the point.
fn scientific_form(digits: &str, exponent: i64) -> String {
    let (first, rest) = digits.split_at(1.min(digits.len()));
    let rest = if rest.is_empty() { "0" } else { rest };
    format!("{first}.{rest}e{exponent}")
}

/// Plain decimal notation of `0.digits × 10^(exponent+1)`.
fn plain_form(digits: &str, exponent: i64) -> String {
    let count = digits.len() as i64;
    if exponent < 0 {
        let zeros = "0".repeat((-exponent - 1) as usize);
        format!("0.{zeros}{digits}")
    } else if exponent >= count - 1 {
        let zeros = "0".repeat((exponent - (count - 1)) as usize);
        format!("{digits}{zeros}.0")
    } else {
        let (int_part, frac_part) = digits.split_at((exponent + 1) as usize);
        format!("{int_part}.{frac_part}")
    }
}

#[cfg(test)]
mod tests {
    use super::format_float;

    #[test]
    fn picks_the_shorter_notation() {
        let cases = [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1.0e10, "1.0e10"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (1.0e-5, "1.0e-5"),
            (123456789.0, "123456789.0"),
            (1.0e-4, "0.0001"),
            (100.0, "100.0"),
            (1.2345678901234567e19, "1.2345678901234567e19"),
            (0.000123, "1.23e-4"),
            (5.0e-324, "5.0e-324"),
            (3.25, "3.25"),
            (-1902919785192324.2, "-1902919785192324.2"),
            (9007199254740992.0, "9.007199254740992e15"),
            (1234567891234567.0, "1234567891234567.0"),
        ];
        for (value, text) in cases {
            assert_eq!(format_float(value), text, "{value:?}");
        }
    }
}
