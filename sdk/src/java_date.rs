//! Java's `SimpleDateFormat` patterns (`yyyyMMdd`, `yyyy-MM-dd'T'HH:mm:ss.SSSZ`)
//! applied in UTC, as Kafka's `TimestampRouter` and `TimestampConverter`
//! use them: formatting, and parsing as `SimpleDateFormat.parse` does
//! (lenient: a 13th month rolls into the next year; text after the pattern
//! is ignored).
//!
//! ```
//! use sluice_sdk::java_date::DateFormat;
//!
//! let f = DateFormat::new("yyyy-MM-dd'T'HH:mm:ss.SSS EEE").unwrap();
//! assert_eq!(f.format(1_700_000_000_123), "2023-11-14T22:13:20.123 Tue");
//! assert!(DateFormat::new("yyyy-bb").unwrap_err().contains("Illegal pattern character 'b'"));
//! assert_eq!(f.parse("2023-11-14T22:13:20.123 Tue"), Ok(1_700_000_000_123));
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

/// Fields read by [`DateFormat::parse`], before they are put together.
#[derive(Default)]
struct Parsed {
    year: Option<i64>,
    /// 1-based; may exceed 12 (lenient).
    month: Option<i64>,
    day: Option<i64>,
    day_of_year: Option<i64>,
    hour: i64,
    /// AM/PM and a 12-hour clock: `Some(true)` for PM.
    pm: Option<bool>,
    hour12: Option<i64>,
    minute: i64,
    second: i64,
    milli: i64,
    /// Offset east of UTC, in minutes.
    offset: i64,
}

impl DateFormat {
    /// Reads `text` with this pattern into milliseconds since the epoch,
    /// as `SimpleDateFormat.parse` in UTC would: numbers take as many
    /// digits as they find (exactly the pattern's count when a number
    /// follows without a literal between), names match in any case, values
    /// out of range roll over, and text after the pattern is ignored.
    pub fn parse(&self, text: &str) -> Result<i64, String> {
        let fail = || format!("Unparseable date: \"{text}\"");
        let b = text.as_bytes();
        let mut pos = 0;
        let mut p = Parsed::default();
        for (i, token) in self.0.iter().enumerate() {
            match token {
                Token::Literal(lit) => {
                    if !text[pos..].starts_with(lit.as_str()) {
                        return Err(fail());
                    }
                    pos += lit.len();
                }
                Token::Field(c, n) => {
                    let numeric_next = matches!(self.0.get(i + 1), Some(Token::Field(next, m)) if is_numeric(*next, *m));
                    match c {
                        'M' | 'L' if *n >= 3 => {
                            p.month =
                                Some(name(text, &mut pos, &MONTHS).ok_or_else(fail)? as i64 + 1)
                        }
                        'E' => {
                            name(text, &mut pos, &DAYS).ok_or_else(fail)?;
                        }
                        'a' => {
                            let rest = &text[pos..];
                            let pm = if rest.len() >= 2 && rest[..2].eq_ignore_ascii_case("PM") {
                                true
                            } else if rest.len() >= 2 && rest[..2].eq_ignore_ascii_case("AM") {
                                false
                            } else {
                                return Err(fail());
                            };
                            p.pm = Some(pm);
                            pos += 2;
                        }
                        'G' => {
                            let rest = &text[pos..];
                            if rest.len() < 2
                                || !(rest[..2].eq_ignore_ascii_case("AD")
                                    || rest[..2].eq_ignore_ascii_case("BC"))
                            {
                                return Err(fail());
                            }
                            pos += 2;
                        }
                        'Z' | 'X' | 'z' => p.offset = zone(text, &mut pos).ok_or_else(fail)?,
                        _ => {
                            let width = numeric_next.then_some(*n);
                            let (v, digits) = number_at(b, &mut pos, width).ok_or_else(fail)?;
                            match c {
                                'y' => {
                                    p.year = Some(if *n <= 2 && digits == 2 {
                                        two_digit_year(v)
                                    } else {
                                        v
                                    })
                                }
                                'M' | 'L' => p.month = Some(v),
                                'd' => p.day = Some(v),
                                'D' => p.day_of_year = Some(v),
                                'H' => p.hour = v,
                                'k' => p.hour = if v == 24 { 0 } else { v },
                                'K' => p.hour12 = Some(v),
                                'h' => p.hour12 = Some(if v == 12 { 0 } else { v }),
                                'm' => p.minute = v,
                                's' => p.second = v,
                                'S' => p.milli = v,
                                _ => {}
                            }
                        }
                    }
                }
            }
        }
        let year = p.year.unwrap_or(1970);
        let days = match (p.day_of_year, p.month, p.day) {
            (Some(doy), None, None) => days_from_civil(year, 1, 1) + doy - 1,
            (_, month, day) => {
                // Lenient: months past 12 (or before 1) roll the year.
                let m0 = month.unwrap_or(1) - 1;
                let y = year + m0.div_euclid(12);
                let m = m0.rem_euclid(12) + 1;
                days_from_civil(y, m, 1) + day.unwrap_or(1) - 1
            }
        };
        let hour = match (p.hour12, p.pm) {
            (Some(h), pm) => h + if pm == Some(true) { 12 } else { 0 },
            (None, Some(true)) if p.hour < 12 => p.hour + 12,
            _ => p.hour,
        };
        let ms =
            days * 86_400_000 + hour * 3_600_000 + p.minute * 60_000 + p.second * 1000 + p.milli;
        Ok(ms - p.offset * 60_000)
    }
}

/// Whether a pattern letter repeated `count` times is read as a number.
fn is_numeric(c: char, count: usize) -> bool {
    match c {
        'M' | 'L' => count < 3,
        _ => "yduHkKhmsSD".contains(c),
    }
}

/// A number at `pos`: exactly `width` digits when given, else as many as
/// there are (a sign allowed); the value and how many digits it had.
fn number_at(b: &[u8], pos: &mut usize, width: Option<usize>) -> Option<(i64, usize)> {
    let start = *pos;
    let mut i = start;
    let negative = width.is_none() && b.get(i) == Some(&b'-');
    if negative || (width.is_none() && b.get(i) == Some(&b'+')) {
        i += 1;
    }
    let digits_start = i;
    while i < b.len() && b[i].is_ascii_digit() && width.is_none_or(|w| i - digits_start < w) {
        i += 1;
    }
    let digits = i - digits_start;
    if digits == 0 || digits > 18 {
        return None;
    }
    let v: i64 = std::str::from_utf8(&b[digits_start..i])
        .ok()?
        .parse()
        .ok()?;
    *pos = i;
    Some((if negative { -v } else { v }, digits))
}

/// The index of the name at `pos` (a full name, or its first three letters), in any case.
fn name(text: &str, pos: &mut usize, names: &[&str]) -> Option<usize> {
    let rest = &text[*pos..];
    let lower = rest.to_ascii_lowercase();
    for (i, full) in names.iter().enumerate() {
        let f = full.to_ascii_lowercase();
        if lower.starts_with(&f) {
            *pos += f.len();
            return Some(i);
        }
    }
    for (i, full) in names.iter().enumerate() {
        let short = full[..3].to_ascii_lowercase();
        if lower.starts_with(&short) {
            *pos += 3;
            return Some(i);
        }
    }
    None
}

/// A zone at `pos`: `Z`, `UTC`, `GMT`, or an offset `±hhmm`, `±hh:mm`,
/// `±hh` (optionally after `GMT`); minutes east of UTC.
fn zone(text: &str, pos: &mut usize) -> Option<i64> {
    let rest = &text[*pos..];
    if let Some(r) = rest
        .strip_prefix("GMT")
        .or_else(|| rest.strip_prefix("UTC"))
    {
        *pos += 3;
        if !r.starts_with(['+', '-']) {
            return Some(0);
        }
    } else if rest.starts_with('Z') {
        *pos += 1;
        return Some(0);
    }
    let b = text.as_bytes();
    let sign = match b.get(*pos) {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return None,
    };
    let digits = |at: usize, n: usize| -> Option<i64> {
        let s = text.get(at..at + n)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let start = *pos + 1;
    let hours = digits(start, 2)?;
    let (minutes, end) = if b.get(start + 2) == Some(&b':') {
        (digits(start + 3, 2)?, start + 5)
    } else if let Some(m) = digits(start + 2, 2) {
        (m, start + 4)
    } else {
        (0, start + 2)
    };
    *pos = end;
    Some(sign * (hours * 60 + minutes))
}

/// SimpleDateFormat's reading of a two-digit year: within 80 years before
/// and 20 years after now.
fn two_digit_year(v: i64) -> i64 {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let this_year = Civil::of(now_ms).year;
    let start = this_year - 80;
    let mut y = start - start.rem_euclid(100) + v;
    if y < start {
        y += 100;
    }
    y
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// days-from-civil).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
        let p = |pat: &str, t: &str| DateFormat::new(pat).unwrap().parse(t);
        assert_eq!(p("yyyyMMdd", "20231114"), Ok(1_699_920_000_000));
        assert_eq!(
            p("yyyy-MM-dd HH:mm:ss.SSS", "1969-12-31 23:59:59.999"),
            Ok(-1)
        );
        assert_eq!(
            p("yyyy-MM-dd", "2023-13-01"),
            Ok(p("yyyy-MM-dd", "2024-01-01").unwrap())
        );
        assert_eq!(p("yyyy-MM-dd'T'HH:mmZ", "1970-01-01T01:00+0100"), Ok(0));
        assert_eq!(p("yyyy-MM-dd'T'HH:mmXXX", "1970-01-01T00:00Z"), Ok(0));
        assert_eq!(
            p("dd MMM yyyy hh:mm a", "02 jan 1970 01:00 PM"),
            Ok(86_400_000 + 13 * 3_600_000)
        );
        assert_eq!(p("yyyy-MM-dd", "1970-01-02 trailing"), Ok(86_400_000));
        assert!(p("yyyy-MM-dd", "1970/01/02").is_err());
        assert!(p("yyyy-MM-dd", "").is_err());
        assert!(
            DateFormat::new("YYYY")
                .unwrap_err()
                .contains("not supported")
        );
    }
}
