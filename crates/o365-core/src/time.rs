//! UTC date-times as users type them and Graph writes them. Written by hand
//! because only two input shapes and one output shape are needed, which a
//! date-time crate would add tens of kilobytes of wasm for.

/// Days since the Unix epoch of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day, seconds of the day) of a Unix time, UTC.
fn civil(unix: i64) -> (i64, u32, u32, i64) {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day, secs)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses a UTC date-time: the vendor document's `2022-01-09 00:00`, ISO 8601
/// (`2022-01-09T00:00:00Z`, with fractions or a `+02:00` offset), or a bare
/// date (midnight). `/` may separate the date's parts. Returns Unix seconds.
pub fn parse_utc(text: &str) -> Option<i64> {
    let t = text.trim();
    let digits = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (date, rest) = t.split_at(t.find(['T', 't', ' ']).unwrap_or(t.len()));
    let mut parts = date.split(['-', '/']);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 {
        return None;
    }
    let (y, m, d) = (i64::from(digits(y)?), digits(m)?, digits(d)?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    let day = days_from_civil(y, m, d) * 86_400;
    let rest = rest.trim_start_matches(['T', 't', ' ']);
    if rest.is_empty() {
        return Some(day);
    }
    let (clock, zone) = rest.split_at(rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len()));
    let clock = clock.trim().split('.').next()?;
    let mut hms = clock.split(':');
    let h = digits(hms.next()?)?;
    let mi = digits(hms.next()?)?;
    let s = match hms.next() {
        Some(s) => digits(s)?,
        None => 0,
    };
    if hms.next().is_some() || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let offset = match zone.trim() {
        "" | "Z" | "z" => 0,
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let body = &z[1..];
            let (oh, om) = body
                .split_once(':')
                .unwrap_or((body.get(..2)?, body.get(2..).unwrap_or("0")));
            let (oh, om) = (digits(oh)?, if om.is_empty() { 0 } else { digits(om)? });
            if oh > 14 || om > 59 {
                return None;
            }
            sign * (i64::from(oh) * 3600 + i64::from(om) * 60)
        }
    };
    Some(day + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s) - offset)
}

/// `2022-01-09T00:00:00Z`, the form Graph's `$filter` takes unquoted.
pub fn iso(unix: i64) -> String {
    let (y, mo, d, s) = civil(unix);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// `2022-01-09`, the form KQL's `received>=` takes.
pub fn date(unix: i64) -> String {
    let (y, mo, d, _) = civil(unix);
    format!("{y:04}-{mo:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_and_iso_forms_parse_to_the_same_instant() {
        let t = 1_641_686_400; // 2022-01-09T00:00:00Z
        assert_eq!(parse_utc("2022-01-09 00:00"), Some(t));
        assert_eq!(parse_utc("2022-01-09T00:00:00Z"), Some(t));
        assert_eq!(parse_utc("2022-01-09T02:00:00.123+02:00"), Some(t));
        assert_eq!(parse_utc("2022-01-08T19:00:00-0500"), Some(t));
        assert_eq!(parse_utc("2022/01/09"), Some(t));
        assert_eq!(parse_utc(" 2022-01-09 00:00:30 "), Some(t + 30));
        assert_eq!(iso(t + 3_723), "2022-01-09T01:02:03Z");
        assert_eq!(date(t + 86_399), "2022-01-09");
        assert_eq!(parse_utc(&iso(1_709_164_800)), Some(1_709_164_800)); // a leap day
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in [
            "",
            "yesterday",
            "2022-13-01",
            "2022-02-30",
            "2022-01-09 25:00",
            "22-01-09",
            "2022-01-09 10",
            "2022-01-09T10:00:00+99:00",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }
}
