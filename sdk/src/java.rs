//! Java's text forms of numbers and booleans, as Kafka's transforms use
//! them: `Double.toString`, `Float.toString`, `BigDecimal.toString`, and
//! the parsing rules of `Long.parseLong`, `Double.parseDouble` and
//! `Boolean.parseBoolean`.
//!
//! ```
//! use sluice_sdk::java;
//!
//! assert_eq!(java::double_to_string(1e10), "1.0E10");
//! assert_eq!(java::double_to_string(2.5), "2.5");
//! assert_eq!(java::float_to_string(0.1), "0.1");
//! assert_eq!(java::parse_long("-42"), Some(-42));
//! assert_eq!(java::parse_long(" 42"), None);
//! assert_eq!(java::parse_double(" 1.5f "), Some(1.5));
//! assert_eq!(java::decimal_to_string(-12345, 2), "-123.45");
//! ```

/// Java's `Double.toString`.
pub fn double_to_string(d: f64) -> String {
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let abs = d.abs();
    if (1e-3..1e7).contains(&abs) {
        plain(format!("{d}"))
    } else {
        scientific(&format!("{d:e}"))
    }
}

/// Java's `Float.toString`.
pub fn float_to_string(f: f32) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let abs = f.abs();
    if (1e-3..1e7).contains(&abs) {
        plain(format!("{f}"))
    } else {
        scientific(&format!("{f:e}"))
    }
}

/// A plain decimal with at least one digit after the point.
fn plain(s: String) -> String {
    if s.contains('.') { s } else { s + ".0" }
}

/// Rust's `1.5e-7` as Java's `1.5E-7` (a digit after the point always).
fn scientific(s: &str) -> String {
    let (mantissa, exp) = s.split_once('e').unwrap_or((s, "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.to_string()
    } else {
        format!("{mantissa}.0")
    };
    format!("{mantissa}E{exp}")
}

/// Java's `Long.parseLong`: an optional sign and ASCII digits, nothing
/// else (no spaces); `None` out of range.
pub fn parse_long(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Java's `Double.parseDouble`: surrounding whitespace and control
/// characters ignored, `NaN`, `Infinity`, decimal digits with an exponent,
/// and a trailing `f`/`d` type suffix. (Hexadecimal floats are not read.)
pub fn parse_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if unsigned == "NaN" || unsigned == "Infinity" {
        return if unsigned == "NaN" {
            Some(f64::NAN)
        } else if t.starts_with('-') {
            Some(f64::NEG_INFINITY)
        } else {
            Some(f64::INFINITY)
        };
    }
    let body = t.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(t);
    let number = body.strip_prefix(['+', '-']).unwrap_or(body);
    let mantissa = number.split(['e', 'E']).next().unwrap_or("");
    if !mantissa.bytes().any(|b| b.is_ascii_digit())
        || !number
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    body.parse().ok()
}

/// Java's `Boolean.parseBoolean`: `true` in any case, anything else false.
pub fn parse_boolean(s: &str) -> bool {
    s.eq_ignore_ascii_case("true")
}

/// Java's `BigDecimal.toString` of `unscaled` × 10^-`scale`: plain when
/// the scale is not negative and the number is not tiny, else scientific
/// (`1.23E+5`).
pub fn decimal_to_string(unscaled: i128, scale: i32) -> String {
    let sign = if unscaled < 0 { "-" } else { "" };
    let digits = unscaled.unsigned_abs().to_string();
    let adjusted = digits.len() as i64 - 1 - i64::from(scale);
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    if scale > 0 && adjusted >= -6 {
        let scale = scale as usize;
        return if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            format!("{sign}{int}.{frac}")
        } else {
            format!("{sign}0.{}{digits}", "0".repeat(scale - digits.len()))
        };
    }
    let (first, rest) = digits.split_at(1);
    let point = if rest.is_empty() {
        String::new()
    } else {
        format!(".{rest}")
    };
    let exp = if adjusted >= 0 {
        format!("+{adjusted}")
    } else {
        adjusted.to_string()
    };
    format!("{sign}{first}{point}E{exp}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_and_floats_print_as_in_java() {
        assert_eq!(double_to_string(100.0), "100.0");
        assert_eq!(double_to_string(1234567.0), "1234567.0");
        assert_eq!(double_to_string(12345678.0), "1.2345678E7");
        assert_eq!(double_to_string(0.001), "0.001");
        assert_eq!(double_to_string(0.0001), "1.0E-4");
        assert_eq!(double_to_string(-0.0), "-0.0");
        assert_eq!(double_to_string(f64::NAN), "NaN");
        assert_eq!(float_to_string(1e10), "1.0E10");
        assert_eq!(float_to_string(3.4028235e38), "3.4028235E38");
    }

    #[test]
    fn parsing_follows_javas_rules() {
        assert_eq!(parse_long("+7"), Some(7));
        assert_eq!(parse_long("9223372036854775808"), None);
        assert_eq!(parse_long("1.0"), None);
        assert_eq!(parse_long(""), None);
        assert_eq!(parse_double("1e3"), Some(1000.0));
        assert_eq!(parse_double(".5"), Some(0.5));
        assert_eq!(parse_double("5."), Some(5.0));
        assert_eq!(parse_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_double("inf"), None);
        assert_eq!(parse_double("nan"), None);
        assert_eq!(parse_double("1,5"), None);
        assert!(parse_boolean("TRUE") && !parse_boolean("yes"));
    }

    #[test]
    fn decimals_print_as_bigdecimal_does() {
        assert_eq!(decimal_to_string(12345, 2), "123.45");
        assert_eq!(decimal_to_string(5, 3), "0.005");
        assert_eq!(decimal_to_string(-5, 1), "-0.5");
        assert_eq!(decimal_to_string(123, -2), "1.23E+4");
        assert_eq!(decimal_to_string(1, 10), "1E-10");
        assert_eq!(decimal_to_string(0, 0), "0");
    }
}
