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
}
