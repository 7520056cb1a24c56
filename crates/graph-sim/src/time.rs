//! Wall-clock helpers. Graph and AAD print UTC timestamps in two fixed
//! formats; writing them by hand avoids a date-time dependency.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch.
pub(crate) fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Splits a Unix time into (year, month, day, hour, minute, second), UTC.
fn civil(unix: u64) -> (i64, u32, u32, u64, u64, u64) {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
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
    (year, month, day, secs / 3600, secs % 3600 / 60, secs % 60)
}

/// `2025-03-01T10:31:02`, the form of Graph's `innerError.date`.
pub(crate) fn graph_date(unix: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(unix);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")
}

/// `2025-03-01T10:14:58Z`, the form of Graph's DateTimeOffset properties.
pub(crate) fn iso(unix: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(unix.max(0) as u64);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `Sat, 01 Mar 2025 10:14:58 +0000`, the RFC 5322 form of a MIME `Date:`.
pub(crate) fn rfc5322(unix: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let unix = unix.max(0) as u64;
    let (y, mo, d, h, mi, s) = civil(unix);
    let weekday = DAYS[(unix / 86_400 % 7) as usize];
    let month = MONTHS[(mo - 1) as usize];
    format!("{weekday}, {d:02} {month} {y:04} {h:02}:{mi:02}:{s:02} +0000")
}

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

/// Parses an OData/ISO 8601 date-time (`2022-01-09T00:00:00Z`, fractions and
/// `+hh:mm` offsets allowed) or a bare date (`2022-01-09`, midnight UTC).
/// Returns Unix seconds.
pub(crate) fn parse_iso(text: &str) -> Option<i64> {
    let t = text.trim();
    let num = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let date = t.get(..10)?;
    let (y, m, d) = (
        num(date.get(..4)?)?,
        num(date.get(5..7)?)?,
        num(date.get(8..10)?)?,
    );
    if date.as_bytes()[4] != b'-'
        || date.as_bytes()[7] != b'-'
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&d)
    {
        return None;
    }
    let days = days_from_civil(i64::from(y), m, d);
    let rest = &t[10..];
    if rest.is_empty() {
        return Some(days * 86_400);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (clock, zone) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let clock = clock.split('.').next()?;
    let mut parts = clock.split(':');
    let h = num(parts.next()?)?;
    let mi = num(parts.next()?)?;
    let s = parts.next().map_or(Some(0), num)?;
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let offset = match zone {
        "" | "Z" | "z" => 0,
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let (oh, om) = z[1..].split_once(':').unwrap_or((&z[1..], "0"));
            sign * (i64::from(num(oh)?) * 3600 + i64::from(num(om)?) * 60)
        }
    };
    Some(days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s) - offset)
}

/// `2025-01-02 16:21:38Z`, the form of AAD's error `timestamp`.
pub(crate) fn aad_timestamp(unix: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(unix);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(graph_date(0), "1970-01-01T00:00:00");
        // 2025-03-01T10:31:02Z
        assert_eq!(graph_date(1_740_825_062), "2025-03-01T10:31:02");
        assert_eq!(aad_timestamp(1_735_834_898), "2025-01-02 16:21:38Z");
        // Leap day.
        assert_eq!(graph_date(1_709_164_800), "2024-02-29T00:00:00");
    }

    #[test]
    fn iso_round_trips_and_accepts_offsets() {
        assert_eq!(parse_iso("2025-03-01T10:31:02Z"), Some(1_740_825_062));
        assert_eq!(iso(1_740_825_062), "2025-03-01T10:31:02Z");
        assert_eq!(
            parse_iso("2025-03-01T12:31:02.123+02:00"),
            Some(1_740_825_062)
        );
        assert_eq!(parse_iso("2024-02-29"), Some(1_709_164_800));
        assert_eq!(parse_iso("2024-13-01"), None);
        assert_eq!(parse_iso("yesterday"), None);
        assert_eq!(rfc5322(1_740_825_062), "Sat, 01 Mar 2025 10:31:02 +0000");
    }
}
