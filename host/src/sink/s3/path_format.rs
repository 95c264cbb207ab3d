//! Joda-Time date patterns (`'year'=YYYY/'month'=MM`), as Confluent's
//! TimeBasedPartitioner's `path.format` uses them, applied to local times.

use chrono::{Datelike, NaiveDateTime, Timelike};

/// A checked `path.format`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathFormat(Vec<Token>);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Literal(String),
    /// A pattern letter repeated `count` times.
    Field(char, usize),
}

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
/// Letters this formatter renders: years, month, day, day of year, week,
/// day of week, hours, minutes, seconds, fraction, half-day, era.
const SUPPORTED: &str = "yYuxMdDwEeHkhKmsSaG";

/// Why a `path.format` pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("{pattern:?}: a quote is not closed")]
    OpenQuote { pattern: String },
    #[error(
        "{pattern:?}: pattern letter '{letter}' is not supported (supported: {SUPPORTED}); quote literal text, as in 'year'=YYYY"
    )]
    Letter { pattern: String, letter: char },
}

impl PathFormat {
    /// Parses a Joda pattern: letters are fields, `'…'` is literal text
    /// (`''` a quote), anything else is copied.
    pub fn parse(pattern: &str) -> Result<Self, PatternError> {
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
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            literal.push('\'');
                        }
                        Some('\'') => break,
                        Some(c) => literal.push(c),
                        None => {
                            return Err(PatternError::OpenQuote {
                                pattern: pattern.to_string(),
                            });
                        }
                    }
                }
            } else if c.is_ascii_alphabetic() {
                if !SUPPORTED.contains(c) {
                    return Err(PatternError::Letter {
                        pattern: pattern.to_string(),
                        letter: c,
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
        Ok(PathFormat(tokens))
    }

    /// Renders `t` (a local time).
    pub fn format(&self, t: &NaiveDateTime) -> String {
        let mut out = String::with_capacity(32);
        for token in &self.0 {
            match token {
                Token::Literal(s) => out.push_str(s),
                Token::Field(c, n) => field(&mut out, *c, *n, t),
            }
        }
        out
    }
}

fn field(out: &mut String, letter: char, count: usize, t: &NaiveDateTime) {
    // Zero-padded to `count` characters, the sign included, as `{:0count$}`
    // pads, which panics past a width of 65,535: a pattern is the user's.
    let mut num = |v: i64, count: usize| {
        let digits = v.unsigned_abs().to_string();
        if v < 0 {
            out.push('-');
        }
        let width = count.saturating_sub(usize::from(v < 0));
        out.extend(std::iter::repeat_n('0', width.saturating_sub(digits.len())));
        out.push_str(&digits);
    };
    match letter {
        // Joda prints two-digit years for exactly two letters.
        'y' | 'Y' | 'u' | 'x' => {
            let year = if letter == 'x' {
                t.iso_week().year()
            } else {
                t.year()
            } as i64;
            if count == 2 {
                num(year.rem_euclid(100), 2)
            } else {
                num(year, count)
            }
        }
        'M' if count >= 4 => out.push_str(MONTHS[t.month0() as usize]),
        'M' if count == 3 => out.push_str(&MONTHS[t.month0() as usize][..3]),
        'M' => num(t.month() as i64, count),
        'd' => num(t.day() as i64, count),
        'D' => num(t.ordinal() as i64, count),
        'w' => num(t.iso_week().week() as i64, count),
        'E' if count >= 4 => out.push_str(DAYS[t.weekday().num_days_from_monday() as usize]),
        'E' => out.push_str(&DAYS[t.weekday().num_days_from_monday() as usize][..3]),
        'e' => num(t.weekday().number_from_monday() as i64, count),
        'H' => num(t.hour() as i64, count),
        'k' => num(if t.hour() == 0 { 24 } else { t.hour() as i64 }, count),
        'K' => num((t.hour() % 12) as i64, count),
        'h' => num(
            match t.hour() % 12 {
                0 => 12,
                h => h as i64,
            },
            count,
        ),
        'm' => num(t.minute() as i64, count),
        's' => num(t.second() as i64, count),
        'S' => {
            // Fraction of a second: the leading `count` digits of the milliseconds.
            let millis = format!("{:03}", t.and_utc().timestamp_subsec_millis());
            let digits: String = millis
                .chars()
                .chain(std::iter::repeat('0'))
                .take(count)
                .collect();
            out.push_str(&digits);
        }
        'a' => out.push_str(if t.hour() < 12 { "AM" } else { "PM" }),
        'G' => out.push_str(if t.year() > 0 { "AD" } else { "BC" }),
        _ => unreachable!("parse accepts only supported letters"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.3f").unwrap()
    }

    #[test]
    fn numbers_are_padded_to_any_width() {
        let f = PathFormat::parse("HHHH/yyyyyy").unwrap();
        assert_eq!(f.format(&at("2022-04-18 07:00:00.000")), "0007/002022");
        let bc = chrono::NaiveDate::from_ymd_opt(-42, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert_eq!(PathFormat::parse("yyyyy").unwrap().format(&bc), "-0042");
        let wide = PathFormat::parse(&format!("'h'={}", "H".repeat(70_000))).unwrap();
        let path = wide.format(&at("2022-04-18 07:00:00.000"));
        assert_eq!(path.len(), 2 + 70_000);
        assert!(path.ends_with("0007"));
    }

    #[test]
    fn confluents_hourly_pattern() {
        let f = PathFormat::parse("'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH").unwrap();
        assert_eq!(
            f.format(&at("2022-04-18 10:07:00.000")),
            "year=2022/month=04/day=18/hour=10"
        );
    }

    #[test]
    fn text_fields_short_years_and_quotes() {
        let f = PathFormat::parse("yy-MMM-EEE 'it''s' hh:mm:ss.SSS a, D, ''").unwrap();
        assert_eq!(
            f.format(&at("2024-02-05 13:04:09.042")),
            "24-Feb-Mon it's 01:04:09.042 PM, 36, '"
        );
        assert_eq!(
            PathFormat::parse("MMMM EEEE")
                .unwrap()
                .format(&at("2024-02-05 00:00:00.000")),
            "February Monday"
        );
    }

    #[test]
    fn unknown_letters_and_open_quotes_are_refused() {
        assert_eq!(
            PathFormat::parse("year=YYYY").unwrap_err(),
            PatternError::Letter {
                pattern: "year=YYYY".into(),
                letter: 'r'
            }
        );
        assert!(
            PathFormat::parse("'year=YYYY")
                .unwrap_err()
                .to_string()
                .contains("quote")
        );
    }
}
