//! Calendar arithmetic for the date formats of SigV4 and SRP, with no clock and no tables.

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01, proleptic Gregorian; Howard
/// Hinnant's algorithm, which works in 400-year eras so it needs no tables or loops.
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months counted from March, so the leap day is the last day of the "year".
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The inverse of [`civil_from_days`].
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}


/// The epoch second of an ISO 8601 date (`2026-11-22`, midnight UTC) or time in UTC or with an offset
/// (`2026-11-22T10:00:00Z`, `…T10:00:00.250Z`, `…T12:00:00+02:00`); fractions of a second are dropped.
pub fn parse_iso8601(text: &str) -> Option<i64> {
    let number = |part: &str| -> Option<i64> {
        if part.is_empty() || !part.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (date, time) = match text.split_once(['T', 't', ' ']) {
        Some((date, time)) => (date, Some(time)),
        None => (text, None),
    };
    let mut fields = date.split('-');
    let (year, month, day) = (number(fields.next()?)?, number(fields.next()?)?, number(fields.next()?)?);
    if fields.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) || date.len() != 10 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if civil_from_days(days) != (year, month, day) {
        return None;
    }
    let Some(time) = time else { return Some(days * 86_400) };
    let (clock, offset) = if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else {
        let split = time.rfind(['+', '-'])?;
        let (clock, zone) = time.split_at(split);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (hours, minutes) = zone[1..].split_once(':')?;
        (clock, sign * (number(hours)? * 3600 + number(minutes)? * 60))
    };
    let clock = clock.split_once('.').map_or(clock, |(whole, fraction)| {
        if fraction.bytes().all(|byte| byte.is_ascii_digit()) { whole } else { "" }
    });
    let mut parts = clock.split(':');
    let (hour, minute, second) = (number(parts.next()?)?, number(parts.next()?)?, number(parts.next()?)?);
    if parts.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// An epoch second as ISO 8601 in UTC, `2026-11-22T10:00:00Z`: STS's and IAM's date format.
pub fn iso8601(epoch_seconds: i64) -> String {
    let days = epoch_seconds.div_euclid(86_400);
    let seconds = epoch_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_dates_and_times_parse_to_the_epoch_seconds_they_name() {
        assert_eq!(parse_iso8601("2026-11-22T10:00:00Z"), Some(1_795_341_600));
        assert_eq!(parse_iso8601("2026-11-22T10:00:00Z").map(iso8601).as_deref(), Some("2026-11-22T10:00:00Z"));
        assert_eq!(parse_iso8601("2026-11-22T10:00:00.750Z"), Some(1_795_341_600));
        assert_eq!(parse_iso8601("2026-11-22T12:00:00+02:00"), Some(1_795_341_600));
        assert_eq!(parse_iso8601("2026-11-22T05:30:00-04:30"), Some(1_795_341_600));
        assert_eq!(parse_iso8601("2026-11-22"), Some(1_795_305_600));
        for bad in ["", "2026-11", "2026-02-30", "2026-13-01", "2026-11-22T25:00:00Z", "2026-11-22T10:00Z", "yesterday", "2026-1-22"] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }
}
