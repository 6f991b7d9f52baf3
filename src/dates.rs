//! PocketBase's date format: `2006-01-02 15:04:05.000Z` (a space, not `T`), always UTC.

use chrono::{DateTime, Utc};

pub const FORMAT: &str = "%Y-%m-%d %H:%M:%S%.3fZ";

/// The current time in PocketBase's format.
pub fn now() -> String {
    format(Utc::now())
}

/// `t` in [`FORMAT`], written field by field (chrono's `format` interprets the pattern on every
/// call; this runs for every record written and every request logged).
pub fn format(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let millis = t.timestamp_subsec_millis().min(999);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{millis:03}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parses PocketBase's format and RFC 3339 (what most clients send).
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.fZ")
        .map(|n| n.and_utc())
        .ok()
        .or_else(|| DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips_pocketbase_format() {
        let t = super::parse("2026-11-21 20:24:39.527Z").expect("parse");
        assert_eq!(super::format(t), "2026-11-21 20:24:39.527Z");
        assert_eq!(super::format(super::parse("2026-11-21T20:24:39Z").expect("rfc3339")), "2026-11-21 20:24:39.000Z");
        assert!(super::parse("yesterday").is_none());
        assert_eq!(super::now().len(), 24);
        // Leap seconds and the smallest and largest fractions keep the shape.
        let t = super::parse("2026-01-02 03:04:05.999Z").expect("parse");
        assert_eq!(super::format(t), t.format(super::FORMAT).to_string());
        let t = super::parse("0999-12-31 23:59:59.000Z").expect("parse");
        assert_eq!(super::format(t), "0999-12-31 23:59:59.000Z");
    }
}
