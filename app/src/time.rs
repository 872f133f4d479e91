//! Showing and reading times in the configured zone (default Asia/Tokyo).

use crate::i18n::Msg;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Parses the display zone's name, falling back to Asia/Tokyo.
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::Asia::Tokyo)
}

/// `2026-12-06 02:00 JST`
pub fn format(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// `2026-12-06T02:00` for a `datetime-local` input.
pub fn to_input(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

/// Reads a `datetime-local` value in `tz`; empty is `None`. Times that do not
/// exist in the zone (a DST gap) are refused; ambiguous ones take the earlier.
pub fn parse_local(s: &str, tz: Tz) -> Result<Option<DateTime<Utc>>, Msg> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| Msg::ErrDateTime)?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| Some(t.with_timezone(&Utc)))
        .ok_or(Msg::ErrDateTime)
}

/// "in 8 days" / "in 5 h" from `now` to `at` (future only; past gives None).
pub fn until(now: DateTime<Utc>, at: DateTime<Utc>, lang: crate::i18n::Lang) -> Option<String> {
    let secs = (at - now).num_seconds();
    if secs <= 0 {
        return None;
    }
    let (n, unit) = if secs >= 2 * 86_400 {
        (secs / 86_400, Msg::Days)
    } else {
        ((secs + 3_599) / 3_600, Msg::Hours)
    };
    Some(format!(
        "{} {n} {}",
        Msg::InPrefix.text(lang),
        unit.text(lang)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_round_trip_in_tokyo() {
        let tz = chrono_tz::Asia::Tokyo;
        let t = parse_local("2026-12-06T02:00", tz).unwrap().unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-05T17:00:00+00:00");
        assert_eq!(to_input(t, tz), "2026-12-06T02:00");
        assert_eq!(format(t, tz), "2026-12-06 02:00 JST");
        assert_eq!(parse_local("", tz), Ok(None));
        assert_eq!(parse_local("tomorrow", tz), Err(Msg::ErrDateTime));
    }

    #[test]
    fn relative_times() {
        let now = parse_local("2026-11-28T02:00", chrono_tz::UTC)
            .unwrap()
            .unwrap();
        let at = parse_local("2026-12-06T02:00", chrono_tz::UTC)
            .unwrap()
            .unwrap();
        assert_eq!(
            until(now, at, crate::i18n::Lang::En).as_deref(),
            Some("in 8 days")
        );
        assert_eq!(until(at, now, crate::i18n::Lang::En), None);
        let soon = now + chrono::Duration::minutes(90);
        assert_eq!(
            until(now, soon, crate::i18n::Lang::Ja).as_deref(),
            Some("あと 2 時間")
        );
    }

    #[test]
    fn dst_gap_is_refused() {
        let ny = chrono_tz::America::New_York;
        assert_eq!(parse_local("2026-03-08T02:30", ny), Err(Msg::ErrDateTime));
    }
}
