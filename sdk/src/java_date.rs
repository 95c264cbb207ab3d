//! Java's `SimpleDateFormat` patterns (`yyyyMMdd`, `yyyy-MM-dd'T'HH:mm:ss.SSSZ`)
//! applied in UTC, as Kafka's `TimestampRouter` and `TimestampConverter`
//! use them.
//!
//! ```
//! use sluice_sdk::java_date::DateFormat;
//!
//! let f = DateFormat::new("yyyy-MM-dd'T'HH:mm:ss.SSS EEE").unwrap();
//! assert_eq!(f.format(1_700_000_000_123), "2023-11-14T22:13:20.123 Tue");
//! assert!(DateFormat::new("yyyy-bb").unwrap_err().contains("Illegal pattern character 'b'"));
//! ```

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A checked pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateFormat(Vec<Token>);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Literal(String),
    /// A pattern letter repeated `count` times.
    Field(char, usize),
}

/// The letters rendered: era, years, months, days, day of year and of week,
/// AM/PM, the four hour styles, minutes, seconds, milliseconds and the zone.
const LETTERS: &str = "GyMLdDEuaHkKhmsSzZX";

impl DateFormat {
    /// Reads `pattern`; letters outside quotes that Java does not know, or
    /// that this port does not render (week-based fields), are refused.
    pub fn new(pattern: &str) -> Result<Self, String> {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars().peekable();
        let mut literal = String::new();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    literal.push('\'');
                    continue;
                }
                let mut closed = false;
                while let Some(q) = chars.next() {
                    if q == '\'' {
                        if chars.peek() == Some(&'\'') {
                            chars.next();
                            literal.push('\'');
                            continue;
                        }
                        closed = true;
                        break;
                    }
                    literal.push(q);
                }
                if !closed {
                    return Err(format!("Unterminated quote in date pattern {pattern:?}"));
                }
            } else if c.is_ascii_alphabetic() {
                if !LETTERS.contains(c) {
                    return Err(if "wWFYe".contains(c) {
                        format!(
                            "Pattern character '{c}' of {pattern:?} (a week-based field) is not supported by Sluice"
                        )
                    } else {
                        format!("Illegal pattern character '{c}' in date pattern {pattern:?}")
                    });
                }
                let mut count = 1;
                while chars.peek() == Some(&c) {
                    chars.next();
                    count += 1;
                }
                if !literal.is_empty() {
                    tokens.push(Token::Literal(std::mem::take(&mut literal)));
                }
                tokens.push(Token::Field(c, count));
            } else {
                literal.push(c);
            }
        }
        if !literal.is_empty() {
            tokens.push(Token::Literal(literal));
        }
        Ok(DateFormat(tokens))
    }

    /// `millis` since the Unix epoch, rendered in UTC.
    pub fn format(&self, millis: i64) -> String {
        let t = Civil::of(millis);
        let mut out = String::new();
        for token in &self.0 {
            match token {
                Token::Literal(s) => out.push_str(s),
                Token::Field(c, n) => field(&mut out, *c, *n, &t),
            }
        }
        out
    }
}

/// A UTC instant split into calendar fields.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    day_of_year: u32,
    /// 0 Monday … 6 Sunday.
    weekday: usize,
    hour: u32,
    minute: u32,
    second: u32,
    milli: u32,
}

impl Civil {
    fn of(millis: i64) -> Civil {
        let days = millis.div_euclid(86_400_000);
        let ms = millis.rem_euclid(86_400_000) as u32;
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        const BEFORE: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
        let day_of_year = BEFORE[month as usize - 1] + day + u32::from(leap && month > 2);
        Civil {
            year,
            month,
            day,
            day_of_year,
            // 1970-01-01 was a Thursday.
            weekday: (days + 3).rem_euclid(7) as usize,
            hour: ms / 3_600_000,
            minute: ms / 60_000 % 60,
            second: ms / 1000 % 60,
            milli: ms % 1000,
        }
    }
}

fn number(out: &mut String, value: i64, width: usize) {
    if value < 0 {
        out.push('-');
    }
    let digits = value.unsigned_abs().to_string();
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(&digits);
}

fn text(out: &mut String, full: &str, count: usize) {
    if count >= 4 {
        out.push_str(full);
    } else {
        out.push_str(&full[..3]);
    }
}

fn field(out: &mut String, letter: char, count: usize, t: &Civil) {
    match letter {
        'G' => out.push_str(if t.year > 0 { "AD" } else { "BC" }),
        'y' => {
            // Years before 1 are years of the BC era.
            let year = if t.year > 0 { t.year } else { 1 - t.year };
            if count == 2 {
                number(out, year % 100, 2);
            } else {
                number(out, year, count);
            }
        }
        'M' | 'L' if count >= 3 => text(out, MONTHS[t.month as usize - 1], count),
        'M' | 'L' => number(out, t.month.into(), count),
        'd' => number(out, t.day.into(), count),
        'D' => number(out, t.day_of_year.into(), count),
        'E' => text(out, DAYS[t.weekday], count),
        'u' => number(out, t.weekday as i64 + 1, count),
        'a' => out.push_str(if t.hour < 12 { "AM" } else { "PM" }),
        'H' => number(out, t.hour.into(), count),
        'k' => number(out, if t.hour == 0 { 24 } else { t.hour.into() }, count),
        'K' => number(out, (t.hour % 12).into(), count),
        'h' => number(
            out,
            if t.hour.is_multiple_of(12) {
                12
            } else {
                (t.hour % 12).into()
            },
            count,
        ),
        'm' => number(out, t.minute.into(), count),
        's' => number(out, t.second.into(), count),
        'S' => number(out, t.milli.into(), count),
        'z' if count >= 4 => out.push_str("Coordinated Universal Time"),
        'z' => out.push_str("UTC"),
        'Z' => out.push_str("+0000"),
        'X' => out.push('Z'),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_render_as_javas_in_utc() {
        let f = |p: &str, ms: i64| DateFormat::new(p).unwrap().format(ms);
        assert_eq!(f("yyyyMMdd", 1_700_000_000_000), "20231114");
        assert_eq!(f("yy-M-d H:m:s.S", 0), "70-1-1 0:0:0.0");
        assert_eq!(
            f("MMM MMMM EEEE D a hh kk KK", 1_709_251_200_000),
            "Mar March Friday 61 AM 12 24 00"
        );
        assert_eq!(f("'at' HH 'o''clock' ''", 3_600_000), "at 01 o'clock '");
        assert_eq!(f("yyyy-MM-dd", -86_400_000), "1969-12-31");
        assert_eq!(f("Z X z G", 0), "+0000 Z UTC AD");
        assert!(DateFormat::new("'open").is_err());
        assert!(
            DateFormat::new("YYYY")
                .unwrap_err()
                .contains("not supported")
        );
    }
}
