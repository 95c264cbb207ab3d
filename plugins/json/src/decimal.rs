//! Kafka Connect's `Decimal`: Java's `BigDecimal`, an arbitrary-precision
//! unscaled integer and a scale (value = unscaled × 10^-scale). Read from a
//! JSON number's exact text (Jackson keeps the scale it was written with:
//! `12.340` has scale 3, `1E+2` scale -2) or from base64 two's-complement
//! bytes with the schema's scale; written as Java's `BigDecimal.toString`
//! or back to those bytes.

use num_bigint::BigInt;

/// Jackson's longest number (`StreamReadConstraints.maxNumberLength`):
/// Kafka's JsonConverter refuses longer ones, and their conversion would
/// cost time quadratic in their length.
pub const MAX_NUMBER_LEN: usize = 1000;

/// A decimal number with its scale, as Java's `BigDecimal`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decimal {
    pub unscaled: BigInt,
    pub scale: i32,
}

impl Decimal {
    /// Parses a JSON number's text exactly, keeping its scale. `None` if it
    /// is not a JSON number or its exponent is out of `BigDecimal`'s range.
    pub fn parse_json_number(text: &str) -> Option<Decimal> {
        if text.len() > MAX_NUMBER_LEN {
            return None;
        }
        let (negative, rest) = match text.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, text),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (int, frac) = match mantissa.split_once('.') {
            Some((i, f)) => (i, f),
            None => (mantissa, ""),
        };
        let digits_ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits_ok(int) || (mantissa.contains('.') && !digits_ok(frac)) {
            return None;
        }
        let exponent: i64 = match exponent {
            None => 0,
            Some(e) => {
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if !digits_ok(digits) {
                    return None;
                }
                // Longer exponents are out of range whatever their digits.
                if digits.len() > 11 {
                    return None;
                }
                e.parse().ok()?
            }
        };
        let scale = i64::try_from(frac.len()).ok()? - exponent;
        let scale = i32::try_from(scale).ok()?;
        let mut all = String::with_capacity(int.len() + frac.len() + 1);
        if negative {
            all.push('-');
        }
        all.push_str(int);
        all.push_str(frac);
        let unscaled: BigInt = all.parse().ok()?;
        Some(Decimal { unscaled, scale })
    }

    /// From Connect's encoded form: big-endian two's-complement bytes of the
    /// unscaled value (Java's `new BigInteger(bytes)`, which refuses zero
    /// bytes) and the schema's scale.
    pub fn from_bytes(bytes: &[u8], scale: i32) -> Result<Decimal, String> {
        if bytes.is_empty() {
            return Err("Zero length BigInteger".into());
        }
        Ok(Decimal {
            unscaled: BigInt::from_signed_bytes_be(bytes),
            scale,
        })
    }

    /// Connect's encoded form: the unscaled value's shortest big-endian
    /// two's-complement bytes (Java's `BigInteger.toByteArray`).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.unscaled.to_signed_bytes_be()
    }

    /// Java's `BigDecimal.toString()`: plain digits when the scale is
    /// non-negative and the adjusted exponent is at least -6, scientific
    /// notation (`1.23E+5`) otherwise.
    pub fn to_java_string(&self) -> String {
        let raw = self.unscaled.to_string();
        let (sign, digits) = match raw.strip_prefix('-') {
            Some(d) => ("-", d),
            None => ("", raw.as_str()),
        };
        let scale = i64::from(self.scale);
        let adjusted = digits.len() as i64 - 1 - scale;
        let mut out = String::from(sign);
        if scale >= 0 && adjusted >= -6 {
            if scale == 0 {
                out.push_str(digits);
            } else if digits.len() as i64 > scale {
                let point = digits.len() - scale as usize;
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            } else {
                out.push_str("0.");
                for _ in 0..(scale as usize - digits.len()) {
                    out.push('0');
                }
                out.push_str(digits);
            }
        } else {
            out.push_str(&digits[..1]);
            if digits.len() > 1 {
                out.push('.');
                out.push_str(&digits[1..]);
            }
            out.push('E');
            if adjusted >= 0 {
                out.push('+');
            }
            out.push_str(&adjusted.to_string());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::parse_json_number(text).unwrap()
    }

    #[test]
    fn json_numbers_keep_their_scale() {
        assert_eq!(d("12.340").scale, 3);
        assert_eq!(d("12.340").unscaled, BigInt::from(12340));
        assert_eq!(d("1E+2").scale, -2);
        assert_eq!(d("-1.5e-3").scale, 4);
        assert_eq!(d("-1.5e-3").unscaled, BigInt::from(-15));
        assert_eq!(d("12345678901234567890123").scale, 0);
        for bad in [
            "",
            "-",
            "1.",
            ".5",
            "1e",
            "01x",
            "1e+",
            "NaN",
            "1e99999999999999",
        ] {
            assert_eq!(Decimal::parse_json_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn prints_as_java_big_decimal() {
        for (text, java) in [
            ("12.340", "12.340"),
            ("0.001", "0.001"),
            ("0.0000001", "1E-7"),
            ("1E+2", "1E+2"),
            ("-1.5e-3", "-0.0015"),
            ("123", "123"),
            ("-0.00000012", "-1.2E-7"),
            ("1.23e5", "1.23E+5"),
            ("123e-2", "1.23"),
        ] {
            assert_eq!(d(text).to_java_string(), java, "{text}");
        }
    }

    #[test]
    fn bytes_are_twos_complement_big_endian() {
        assert_eq!(d("1.27").to_bytes(), vec![127]);
        assert_eq!(d("1.28").to_bytes(), vec![0, 128]);
        assert_eq!(d("-1.28").to_bytes(), vec![128]);
        let back = Decimal::from_bytes(&[0xff, 0x38], 2).unwrap();
        assert_eq!(back.to_java_string(), "-2.00");
        assert!(Decimal::from_bytes(&[], 2).is_err());
    }
}
