//! Dates for the Date condition operators: epoch seconds or ISO 8601 (the W3C profile IAM documents),
//! turned into epoch seconds without a calendar dependency.

/// Seconds since 1970-01-01T00:00:00Z, or `None` if `text` is neither epoch seconds nor an ISO 8601 date.
///
/// Accepted: `1767322800`, `2026-01-02`, `2026-01-02T03:04Z`, `2026-01-02T03:04:05Z`,
/// `2026-01-02T03:04:05.678Z` and the same with `+hh:mm`/`-hh:mm` (or no zone, read as UTC).
/// Fractions of a second are dropped: IAM compares dates to the second.
pub(super) fn epoch_seconds(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return text.parse().ok();
    }
    let mut cursor = Cursor { rest: text.as_bytes() };
    let year = cursor.number(4)?;
    cursor.require(b'-')?;
    let month = cursor.number(2)?;
    cursor.require(b'-')?;
    let day = cursor.number(2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut seconds_of_day = 0;
    let mut offset_seconds = 0;
    if cursor.accept(b'T') || cursor.accept(b't') {
        let hour = cursor.number(2)?;
        cursor.require(b':')?;
        let minute = cursor.number(2)?;
        let mut second = 0;
        if cursor.accept(b':') {
            second = cursor.number(2)?;
            if cursor.accept(b'.') && cursor.digits() == 0 {
                return None;
            }
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        seconds_of_day = hour * 3600 + minute * 60 + second;
        offset_seconds = cursor.zone()?;
    }
    if !cursor.rest.is_empty() {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + seconds_of_day - offset_seconds)
}

struct Cursor<'a> {
    rest: &'a [u8],
}

impl Cursor<'_> {
    fn accept(&mut self, expected: u8) -> bool {
        match self.rest.split_first() {
            Some((&first, rest)) if first == expected => {
                self.rest = rest;
                true
            }
            _ => false,
        }
    }

    fn require(&mut self, expected: u8) -> Option<()> {
        self.accept(expected).then_some(())
    }

    /// Exactly `count` decimal digits.
    fn number(&mut self, count: usize) -> Option<i64> {
        let digits = self.rest.get(..count)?;
        let mut value = 0;
        for &digit in digits {
            if !digit.is_ascii_digit() {
                return None;
            }
            value = value * 10 + i64::from(digit - b'0');
        }
        self.rest = self.rest.get(count..)?;
        Some(value)
    }

    /// Skips a run of digits, answering how many there were.
    fn digits(&mut self) -> usize {
        let count = self.rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
        self.rest = self.rest.get(count..).unwrap_or_default();
        count
    }

    /// `Z`, `+hh:mm`, `-hh:mm` or nothing (UTC), as seconds east of UTC.
    fn zone(&mut self) -> Option<i64> {
        if self.accept(b'Z') || self.accept(b'z') || self.rest.is_empty() {
            return Some(0);
        }
        let sign = if self.accept(b'+') {
            1
        } else if self.accept(b'-') {
            -1
        } else {
            return None;
        };
        let hours = self.number(2)?;
        self.require(b':')?;
        let minutes = self.number(2)?;
        if hours > 23 || minutes > 59 {
            return None;
        }
        Some(sign * (hours * 3600 + minutes * 60))
    }
}

fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`): counting
/// years from March puts the leap day last, so each 400-year era has the same shape.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}
