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

/// Java's `String.hashCode`.
pub fn string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// Java's `Long.hashCode`.
pub fn long_hash(v: i64) -> i32 {
    (v ^ ((v as u64) >> 32) as i64) as i32
}

/// The order a `java.util.HashMap` iterates keys with these hash codes,
/// inserted in this order: by bucket, then in insertion order. Kafka's and
/// Confluent's converters hand over maps (and JSON Schema properties
/// without `connect.index`) in this order.
///
/// ```
/// use sluice_sdk::java::{hash_map_order, string_hash};
///
/// let names = ["id", "name", "ts", "amount"];
/// let hashes: Vec<i32> = names.iter().map(|n| string_hash(n)).collect();
/// assert_eq!(hash_map_order(&hashes), [3, 1, 0, 2]);
/// ```
pub fn hash_map_order(hashes: &[i32]) -> Vec<usize> {
    // HashMap's table: 16 buckets, doubled whenever it passes 3/4 full.
    let mut capacity: usize = 16;
    while hashes.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let bucket = |h: i32| {
        let h = h as u32;
        ((h ^ (h >> 16)) as usize) & (capacity - 1)
    };
    let mut order: Vec<usize> = (0..hashes.len()).collect();
    order.sort_by_key(|&i| bucket(hashes[i]));
    order
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

/// How a header value is written back to bytes: Connect's
/// `header.converter`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderConverter {
    /// `SimpleHeaderConverter` (Connect's default): `Values.convertToString`.
    Simple,
    /// `StringConverter`: the value's `toString()`.
    String,
}

impl HeaderConverter {
    /// The converter a `header.converter` class names.
    pub fn from_class(class: &str) -> Result<Self, String> {
        match class.trim() {
            "" | "org.apache.kafka.connect.storage.SimpleHeaderConverter" => {
                Ok(HeaderConverter::Simple)
            }
            "org.apache.kafka.connect.storage.StringConverter" => Ok(HeaderConverter::String),
            other => Err(format!(
                "header.converter {other:?} is not one Sluice has: use org.apache.kafka.connect.storage.SimpleHeaderConverter or org.apache.kafka.connect.storage.StringConverter"
            )),
        }
    }
}

/// The `header.converter` key of the transforms that write headers, which
/// Sluice sets from the connector's `header.converter`.
pub const HEADER_CONVERTER_KEY: crate::config::ConfigKey = crate::config::ConfigKey::optional(
    "header.converter",
    crate::config::ConfigType::String,
    Some("org.apache.kafka.connect.storage.SimpleHeaderConverter"),
    "How header values are written: Connect's SimpleHeaderConverter or StringConverter (set from the connector's header.converter)",
);

/// The text `converter` writes for a Connect value (its schema, none when
/// schemaless, and its payload JSON) as a header; `None` for null. Bytes are
/// base64 with either converter (Java's `StringConverter` would write the
/// array's identity, `[B@1b6d3586`).
pub fn header_text(
    converter: HeaderConverter,
    schema: Option<&crate::schema::Schema>,
    value: &serde_json::Value,
) -> Option<String> {
    if value.is_null() {
        return None;
    }
    let mut out = String::new();
    append(&mut out, converter, schema, value, false);
    Some(out)
}

fn append(
    out: &mut String,
    converter: HeaderConverter,
    schema: Option<&crate::schema::Schema>,
    value: &serde_json::Value,
    embedded: bool,
) {
    use crate::schema::{DATE, DECIMAL, TIME, TIMESTAMP, Type};
    use serde_json::Value;
    let simple = converter == HeaderConverter::Simple;
    let ty = schema.map(|s| &s.ty);
    let name = schema.and_then(|s| s.name.as_deref());
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if matches!(name, Some(DATE | TIME | TIMESTAMP)) => {
            let v = n.as_i64().unwrap_or_default();
            let ms = if name == Some(DATE) {
                v * 86_400_000
            } else {
                v
            };
            let pattern = if !simple {
                "EEE MMM dd HH:mm:ss 'UTC' yyyy"
            } else if ms < 86_400_000 {
                "HH:mm:ss.SSS'Z'"
            } else if ms % 86_400_000 == 0 {
                "yyyy-MM-dd"
            } else {
                "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
            };
            if let Ok(f) = crate::java_date::DateFormat::new(pattern) {
                out.push_str(&f.format(ms));
            }
        }
        Value::Number(n) => match (ty, n.as_i64()) {
            (Some(Type::Float32), _) => {
                out.push_str(&float_to_string(n.as_f64().unwrap_or_default() as f32))
            }
            (Some(Type::Float64), _) | (None, None) => {
                out.push_str(&double_to_string(n.as_f64().unwrap_or_default()))
            }
            (_, Some(i)) => out.push_str(&i.to_string()),
            (_, None) => out.push_str(&n.to_string()),
        },
        Value::String(s) if name == Some(DECIMAL) => {
            let scale = schema
                .and_then(|s| s.parameter("scale"))
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let unscaled = {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .ok()
                    .filter(|b| !b.is_empty() && b.len() <= 16)
                    .map(|b| {
                        let mut be = [if b[0] & 0x80 != 0 { 0xff } else { 0 }; 16];
                        be[16 - b.len()..].copy_from_slice(&b);
                        i128::from_be_bytes(be)
                    })
            };
            match unscaled {
                Some(u) => out.push_str(&decimal_to_string(u, scale)),
                None => out.push_str(s),
            }
        }
        Value::String(s) => {
            if embedded && simple {
                out.push('"');
                out.push_str(&s.replace('\\', "\\\\").replace('"', "\\\""));
                out.push('"');
            } else {
                out.push_str(s);
            }
        }
        Value::Array(items) => {
            let item = match ty {
                Some(Type::Array(i)) => Some(&**i),
                _ => None,
            };
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(if simple { "," } else { ", " });
                }
                append(out, converter, item, v, true);
            }
            out.push(']');
        }
        Value::Object(map) => match ty {
            Some(Type::Struct(fields)) => {
                out.push_str(if simple { "{" } else { "Struct{" });
                let mut first = true;
                for f in fields {
                    let v = map.get(&f.name).cloned().unwrap_or(Value::Null);
                    let v = if v.is_null() {
                        f.schema.default.clone().unwrap_or(Value::Null)
                    } else {
                        v
                    };
                    if !simple && v.is_null() {
                        continue;
                    }
                    if !std::mem::take(&mut first) {
                        out.push(',');
                    }
                    if simple {
                        append(out, converter, None, &Value::String(f.name.clone()), true);
                        out.push(':');
                    } else {
                        out.push_str(&f.name);
                        out.push('=');
                    }
                    append(out, converter, Some(&f.schema), &v, true);
                }
                out.push('}');
            }
            _ => {
                let values = match ty {
                    Some(Type::Map(_, v)) => Some(&**v),
                    _ => None,
                };
                out.push('{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push_str(if simple { "," } else { ", " });
                    }
                    if simple {
                        append(out, converter, None, &Value::String(k.clone()), true);
                        out.push(':');
                    } else {
                        out.push_str(k);
                        out.push('=');
                    }
                    append(out, converter, values, v, true);
                }
                out.push('}');
            }
        },
    }
}

/// A header literal as Connect's `Values.parseString` reads it and a header
/// converter writes it back: `null` is a null header; a number is written
/// as the type it parses to (`007` → `7`, `1.50` → `1.5`, `1e3` → `1000`);
/// anything else (text, `true`, `false`) is written as given. Literals that
/// hold Connect's list, map or time syntax (`[`, `{`, `:`, `,`, `"`) are
/// written as given too.
pub fn literal_header(literal: &str) -> Option<String> {
    let token = literal.trim();
    if token == "null" {
        return None;
    }
    if token.is_empty()
        || literal.contains(['[', ']', '{', '}', ':', ',', '"'])
        || !token.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '-')
    {
        return Some(if matches!(token, "true" | "false") {
            token.to_string()
        } else {
            literal.to_string()
        });
    }
    let Some((unscaled, scale)) = big_decimal(token) else {
        return Some(literal.to_string());
    };
    // Values.parseAsNumber: an exact integer when it is whole and fits a
    // long (and is not a fraction below 1), else a float or double when it
    // has a fraction, else a Decimal.
    let digits = unscaled.unsigned_abs().to_string();
    let whole = unscaled == 0
        || scale <= 0
        || digits.trim_end_matches('0').len() + (scale as usize) <= digits.len();
    let text = decimal_to_string(unscaled, scale);
    let value: f64 = text.parse().unwrap_or(f64::NAN);
    if whole && value.abs() <= 1e19 {
        let integral = if scale <= 0 {
            unscaled.checked_mul(10i128.checked_pow((-scale) as u32)?)?
        } else {
            unscaled / 10i128.pow(scale as u32)
        };
        if let Ok(l) = i64::try_from(integral) {
            return Some(l.to_string());
        }
    }
    if scale != 0 && (value as f32).is_finite() {
        return Some(float_to_string(value as f32));
    }
    if scale != 0 && value.is_finite() {
        return Some(double_to_string(value));
    }
    Some(text)
}

/// Java's `new BigDecimal(text)`: unscaled value and scale.
fn big_decimal(text: &str) -> Option<(i128, i32)> {
    let (mantissa, exp) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (sign, m) = match mantissa.strip_prefix('-') {
        Some(m) => (-1, m),
        None => (1, mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (int, frac) = m.split_once('.').unwrap_or((m, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits = format!("{int}{frac}");
    let unscaled: i128 = digits.parse().ok()?;
    Some((sign * unscaled, frac.len() as i32 - exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_codes_match_javas() {
        // Values from Java's "x".hashCode() and Long.hashCode(x).
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("id"), 3355);
        assert_eq!(string_hash("name"), 3373707);
        assert_eq!(string_hash("amount"), -1413853096);
        assert_eq!(string_hash("é"), 233);
        assert_eq!(long_hash(7), 7);
        assert_eq!(long_hash(-1), 0);
        assert_eq!(long_hash(1 << 32), 1);
    }

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
    fn header_literals_come_back_as_connect_writes_them() {
        assert_eq!(literal_header("42").as_deref(), Some("42"));
        assert_eq!(literal_header("007").as_deref(), Some("7"));
        assert_eq!(literal_header("1.50").as_deref(), Some("1.5"));
        assert_eq!(literal_header("1e3").as_deref(), Some("1000"));
        assert_eq!(
            literal_header("hello world").as_deref(),
            Some("hello world")
        );
        assert_eq!(literal_header("null"), None);
        assert_eq!(literal_header(" true ").as_deref(), Some("true"));
    }

    #[test]
    fn header_values_are_written_as_connects_converters_write_them() {
        use serde_json::json;
        let list = json!(["a", 1, true]);
        assert_eq!(
            header_text(HeaderConverter::Simple, None, &list).as_deref(),
            Some(r#"["a",1,true]"#)
        );
        assert_eq!(
            header_text(HeaderConverter::String, None, &list).as_deref(),
            Some("[a, 1, true]")
        );
        assert_eq!(
            header_text(HeaderConverter::Simple, None, &json!("x")).as_deref(),
            Some("x")
        );
        assert_eq!(
            header_text(HeaderConverter::Simple, None, &json!(2.0)).as_deref(),
            Some("2.0")
        );
        assert_eq!(
            header_text(HeaderConverter::Simple, None, &serde_json::Value::Null),
            None
        );
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
