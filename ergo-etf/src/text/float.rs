//! Floats as OTP 25 writes them (`float_to_list(F, [short])`, used by `~w` and `~p`): the
//! shortest digits that read back to the same float, in plain decimal notation (`123.0`,
//! `0.001`) or in scientific notation (`1.0e10`, `2.5e-7`), whichever is shorter, plain on a
//! tie. There is always a digit on both sides of the point.
//!
//! This module owns float text only. Infinities and NaN have no Erlang syntax (the wire never
//! carries them); they print as `inf`, `-inf` and `nan`, which do not parse.

/// The text of `value` as OTP 25 prints it.
pub(crate) fn format_float(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf".to_string() } else { "-inf".to_string() };
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
    let scientific = scientific_form(&digits, exponent);
    let plain = plain_form(&digits, exponent);
    let body = if scientific.len() < plain.len() { scientific } else { plain };
    format!("{sign}{body}")
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
            (3.14, "3.14"),
        ];
        for (value, text) in cases {
            assert_eq!(format_float(value), text, "{value:?}");
        }
    }
}
