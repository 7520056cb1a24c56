//! UTC date-times as users type them and as Graph writes them. Only UTC is accepted (the
//! seed's time parameters are UTC), so a few lines of calendar arithmetic replace a
//! date-time dependency.

use crate::error::Error;

/// Howard Hinnant's days-from-civil: days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// `2023-10-10T00:00:00`: Graph's `dateTimeTimeZone.dateTime` (the zone travels apart).
pub fn graph_local(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// `2023-10-10T00:00:00Z`
pub fn iso_utc(unix: u64) -> String {
    format!("{}Z", graph_local(unix))
}

/// Reads a UTC date-time: `2023-10-10 00:00`, `2023-10-10T00:00:00Z`, with optional
/// seconds, fraction, `Z` or `+00:00`, or a bare date (midnight). Returns Unix seconds.
pub fn parse_utc(label: &str, text: &str) -> Result<u64, Error> {
    let t = text.trim();
    let bad = || {
        Error::input(
            label,
            format!(
                "'{t}' is not a UTC date and time; use e.g. 2023-10-10 00:00 or 2023-10-10T00:00:00Z."
            ),
        )
    };
    let (date, time) = match t.split_once(['T', 't', ' ']) {
        Some((d, rest)) => (d, rest.trim()),
        None => (t, ""),
    };
    let time = if let Some(x) = time.strip_suffix(['Z', 'z']) {
        x
    } else if let Some(x) = time.strip_suffix("+00:00") {
        x
    } else if time.len() > 6 && matches!(time.as_bytes()[time.len() - 6], b'+' | b'-') {
        return Err(Error::input(
            label,
            format!("'{t}' has a time-zone offset; give the time in UTC (e.g. 2023-10-10 00:00)."),
        ));
    } else {
        time
    };
    let num = |s: &str| s.parse::<u32>().map_err(|_| bad());
    let dparts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = dparts[..] else {
        return Err(bad());
    };
    if y.len() != 4 {
        return Err(bad());
    }
    let (y, m, d) = (i64::from(num(y)?), num(m)?, num(d)?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) || y < 1970 {
        return Err(bad());
    }
    let (mut h, mut mi, mut s) = (0, 0, 0);
    if !time.is_empty() {
        let time = time.split('.').next().unwrap_or(time);
        let tparts: Vec<&str> = time.split(':').collect();
        match tparts[..] {
            [a, b] => (h, mi) = (num(a)?, num(b)?),
            [a, b, c] => (h, mi, s) = (num(a)?, num(b)?, num(c)?),
            _ => return Err(bad()),
        }
        if h > 23 || mi > 59 || s > 59 {
            return Err(bad());
        }
    }
    let days = days_from_civil(y, m, d);
    Ok(days as u64 * 86_400 + u64::from(h) * 3600 + u64::from(mi) * 60 + u64::from(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_and_iso_forms_read_the_same() {
        let a = parse_utc("Scheduled Start Time", "2023-10-10 00:00").unwrap();
        assert_eq!(a, 1_696_896_000);
        assert_eq!(parse_utc("x", "2023-10-10T00:00:00Z").unwrap(), a);
        assert_eq!(parse_utc("x", "2023-10-10T00:00:00.000+00:00").unwrap(), a);
        assert_eq!(parse_utc("x", "2023-10-10").unwrap(), a);
        assert_eq!(graph_local(a), "2023-10-10T00:00:00");
        assert_eq!(iso_utc(a + 3_723), "2023-10-10T01:02:03Z");
        assert_eq!(graph_local(951_782_400), "2000-02-29T00:00:00");
    }

    #[test]
    fn bad_dates_name_the_parameter() {
        for bad in [
            "10/10/2023",
            "2023-02-30 00:00",
            "2023-10-10 25:00",
            "tomorrow",
            "",
        ] {
            let e = parse_utc("Scheduled End Time", bad)
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("Scheduled End Time:"), "{bad}: {e}");
        }
        let e = parse_utc("x", "2023-10-10T00:00:00+02:00")
            .unwrap_err()
            .to_string();
        assert!(e.contains("in UTC"), "{e}");
    }
}
