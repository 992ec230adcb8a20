//! ISO 8601, as far as backup schedules use it: the date and time a repeating interval starts at, offsets, and
//! durations; and the checks of a policy kind's schedules and retention durations that build on them.

use super::policy_kinds::PolicyKind;

/// A calendar date and time with an optional offset, as `R/<start>/<interval>` starts:
/// `YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm]`.
fn check_date_time(text: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("{text:?} is not a date and time of the form YYYY-MM-DDThh:mm:ss+hh:mm: {why}"));
    let Some((date, time)) = text.split_once('T') else { return bad("there is no \"T\" between date and time") };
    let date: Vec<&str> = date.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if date.len() != 3 || !digits(date[0], 4) || !digits(date[1], 2) || !digits(date[2], 2) {
        return bad("the date must be YYYY-MM-DD");
    }
    let (year, month, day): (u32, u32, u32) =
        (date[0].parse().unwrap_or(0), date[1].parse().unwrap_or(0), date[2].parse().unwrap_or(0));
    if !(1..=12).contains(&month) {
        return bad("the month must be 01 to 12");
    }
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=days_in_month).contains(&day) {
        return bad(&format!("the month has no day {day}"));
    }
    let (clock, offset) = match time.find(['Z', '+', '-']) {
        Some(i) => time.split_at(i),
        None => (time, ""),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if !(2..=3).contains(&parts.len()) || !digits(parts[0], 2) || !digits(parts[1], 2) {
        return bad("the time must be hh:mm or hh:mm:ss");
    }
    if parts[0].parse::<u32>().unwrap_or(99) > 23 || parts[1].parse::<u32>().unwrap_or(99) > 59 {
        return bad("the hour must be 00 to 23 and the minute 00 to 59");
    }
    if let Some(seconds) = parts.get(2) {
        let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, "0"));
        if !digits(whole, 2) || whole.parse::<u32>().unwrap_or(99) > 59 {
            return bad("the seconds must be 00 to 59");
        }
        if fraction.is_empty() || fraction.len() > 7 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return bad("fractions of a second must be 1 to 7 digits");
        }
    }
    if !offset.is_empty() && offset != "Z" {
        check_offset(offset).map_err(|why| format!("{text:?} has an invalid offset: {why}"))?;
    }
    Ok(())
}

/// An RFC 3339 date and time, as retention rules' `scheduled_backup_times` take them: `YYYY-MM-DDThh:mm:ss`, an
/// optional fraction of a second, and `Z` or `±hh:mm`.
pub(crate) fn check_rfc3339(text: &str) -> Result<(), String> {
    use time::format_description::well_known::Rfc3339;
    check_date_time(text)?;
    time::OffsetDateTime::parse(text, &Rfc3339).map(|_| ()).map_err(|_| {
        format!("{text:?} is not an RFC 3339 date and time: give seconds and an offset, as in 2024-01-01T02:00:00Z")
    })
}

/// Whether two RFC 3339 date-times name the same instant (`…T02:00:00Z` and `…T02:00:00+00:00`).
pub(crate) fn same_instant(a: &str, b: &str) -> bool {
    use time::format_description::well_known::Rfc3339;
    match (time::OffsetDateTime::parse(a, &Rfc3339), time::OffsetDateTime::parse(b, &Rfc3339)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// An RFC 3339 date-time as one spelling of its instant (UTC, `Z`); other text as it is.
pub(crate) fn instant_key(text: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .and_then(|t| t.to_offset(time::UtcOffset::UTC).format(&Rfc3339).ok())
        .unwrap_or_else(|| text.to_owned())
}

/// `±hh:mm` with hh up to 14.
pub(crate) fn check_offset(text: &str) -> Result<(), String> {
    let rest = text.strip_prefix(['+', '-']).ok_or("an offset starts with + or -")?;
    let (hours, minutes) = rest.split_once(':').ok_or("an offset is ±hh:mm")?;
    let two = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !two(hours) || !two(minutes) {
        return Err("an offset is ±hh:mm".to_owned());
    }
    if hours.parse::<u32>().unwrap_or(99) > 14 || minutes.parse::<u32>().unwrap_or(99) > 59 {
        return Err("an offset is at most 14 hours".to_owned());
    }
    Ok(())
}

/// An ISO 8601 duration: `P[nY][nM][nW][nD][T[nH][nM][nS]]`, with at least one non-zero component.
pub(crate) fn check_iso_duration(text: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("{text:?} is not an ISO 8601 duration such as P7D, P4W or PT12H: {why}"));
    let Some(rest) = text.strip_prefix('P') else { return bad("it must start with P") };
    let (date, time) = match rest.split_once('T') {
        Some((date, "")) => return bad(&format!("nothing follows the T in {date}T")),
        Some((date, time)) => (date, Some(time)),
        None => (rest, None),
    };
    let mut any = false;
    let mut non_zero = false;
    for (part, units) in [(date, "YMWD"), (time.unwrap_or(""), "HMS")] {
        let mut order = 0;
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let Some(position) = units.find(c) else {
                return bad(&format!("{c:?} is not a unit here (use {units})"));
            };
            if number.is_empty() {
                return bad(&format!("the unit {c} has no number"));
            }
            if position < order {
                return bad("the units are out of order");
            }
            order = position + 1;
            any = true;
            non_zero |= number.bytes().any(|b| b != b'0');
            number.clear();
        }
        if !number.is_empty() {
            return bad(&format!("the number {number} has no unit"));
        }
    }
    if !any {
        return bad("it has no component");
    }
    if !non_zero {
        return bad("it is zero");
    }
    Ok(())
}

/// About how many days an ISO 8601 duration lasts (years of 365.25 days, months of 30.44), for limits; `None` when
/// it is not a duration [`check_iso_duration`] accepts.
fn approximate_days(text: &str) -> Option<f64> {
    check_iso_duration(text).ok()?;
    let rest = text.strip_prefix('P')?;
    let date = rest.split_once('T').map_or(rest, |(date, _)| date);
    let mut days = 0.0;
    let mut number = String::new();
    for c in date.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: f64 = number.parse().ok()?;
        number.clear();
        days += n * match c {
            'Y' => 365.25,
            'M' => 30.44,
            'W' => 7.0,
            _ => 1.0,
        };
    }
    Some(days)
}

/// A retention duration within kind `K`'s documented maximum.
pub(crate) fn check_retention_limit<K: PolicyKind>(text: &str) -> Result<(), String> {
    match (K::MAX_RETENTION_YEARS, approximate_days(text)) {
        (Some(years), Some(days)) if days > f64::from(years) * 365.25 + 1.0 => {
            return Err(format!("{text:?} is longer than the {years} years Azure keeps backups of {}", K::NOUN));
        }
        _ => {}
    }
    match (K::MAX_RETENTION_DAYS, approximate_days(text)) {
        (Some(limit), Some(days)) if days > f64::from(limit) + 0.5 => {
            Err(format!("{text:?} is longer than the {limit} days Azure keeps backups of {}", K::NOUN))
        }
        _ => Ok(()),
    }
}

/// A backup schedule: `R/<start>/<interval>` with one of the intervals of kind `K`.
pub(crate) fn check_repeating_interval_of<K: PolicyKind>(text: &str) -> Result<(), String> {
    let parts: Vec<&str> = text.split('/').collect();
    if parts.len() != 3 {
        return Err(format!(
            "{text:?} is not a repeating interval of the form R/<start>/<interval>, for example {}",
            K::EXAMPLE_INTERVAL
        ));
    }
    match parts[0] {
        "R" => {}
        r if r.starts_with('R') => {
            return Err(format!("{text:?} has a repetition count ({r}); backup schedules repeat forever: use R/"));
        }
        _ => return Err(format!("{text:?} must start with R/ (a repeating interval)")),
    }
    check_date_time(parts[1])?;
    if !K::INTERVALS.contains(&parts[2]) {
        return Err(format!(
            "{text:?} repeats every {}, but {} can be backed up only every {}",
            parts[2],
            K::NOUN,
            K::INTERVALS.join(", ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::policy_kinds::DiskPolicy;

    #[test]
    fn kubernetes_backups_are_kept_up_to_360_days() {
        use crate::resources::policy_kinds::KubernetesClusterPolicy as K;
        for within in ["P360D", "P4W", "P11M", "P51W", "PT8640H"] {
            assert!(check_retention_limit::<K>(within).is_ok(), "{within}");
        }
        for beyond in ["P361D", "P12M", "P1Y", "P52W"] {
            let error = check_retention_limit::<K>(beyond).expect_err(beyond);
            assert!(error.contains("longer than the 360 days Azure keeps backups of Kubernetes clusters"), "{error}");
        }
        assert!(check_retention_limit::<DiskPolicy>("P5Y").is_ok(), "no documented limit for disks");
    }

    #[test]
    fn instants_have_one_spelling() {
        assert_eq!(instant_key("2024-01-01T07:30:00+05:30"), instant_key("2024-01-01T02:00:00Z"));
        assert_eq!(instant_key("not a time"), "not a time");
    }

    #[test]
    fn rfc3339_times() {
        for good in ["2024-01-01T02:00:00Z", "2024-01-01T02:00:00+05:30", "2024-02-29T23:59:59.5-08:00"] {
            assert!(check_rfc3339(good).is_ok(), "{good}");
        }
        for bad in ["2024-01-01T02:00Z", "2024-01-01T02:00:00", "2023-02-29T02:00:00Z", "02:00:00Z", "monday"] {
            assert!(check_rfc3339(bad).is_err(), "{bad}");
        }
        assert!(same_instant("2024-01-01T02:00:00Z", "2024-01-01T02:00:00+00:00"));
        assert!(same_instant("2024-01-01T07:30:00+05:30", "2024-01-01T02:00:00.000Z"));
        assert!(!same_instant("2024-01-01T02:00:00Z", "2024-01-01T02:00:00+01:00"));
    }

    #[test]
    fn iso_durations() {
        for good in ["P7D", "P4W", "P1Y", "P1Y2M3DT4H5M6S", "PT12H", "PT1M", "P30D", "P0DT1H"] {
            assert!(check_iso_duration(good).is_ok(), "{good}");
        }
        for (bad, why) in [
            ("7D", "start with P"),
            ("P", "no component"),
            ("PT", "nothing follows the T"),
            ("P0D", "zero"),
            ("P7", "no unit"),
            ("PD", "has no number"),
            ("P1D2Y", "out of order"),
            ("P1H", "not a unit"),
            ("PT1D", "not a unit"),
            ("P-1D", "not a unit"),
            ("p7d", "start with P"),
        ] {
            let e = check_iso_duration(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn repeating_intervals() {
        for good in [
            "R/2024-01-01T02:00:00+00:00/PT4H",
            "R/2021-07-01T19:00:00Z/P1D",
            "R/2024-02-29T23:59/PT12H",
            "R/2023-10-15T14:30:45.123+05:30/PT6H",
            "R/2023-10-15T14:30:00-08:00/PT8H",
            "R/2023-10-15T14:30:00/P1D",
        ] {
            assert!(
                check_repeating_interval_of::<DiskPolicy>(good).is_ok(),
                "{good}: {:?}",
                check_repeating_interval_of::<DiskPolicy>(good)
            );
        }
        for (bad, why) in [
            ("R/2024-01-01T02:00:00+00:00", "R/<start>/<interval>"),
            ("R5/2024-01-01T02:00:00+00:00/PT4H", "repetition count"),
            ("X/2024-01-01T02:00:00+00:00/PT4H", "must start with R/"),
            ("R/2024-01-01T02:00:00+00:00/PT5H", "every PT4H, PT6H"),
            ("R/2024-01-01T02:00:00+00:00/P1W", "only every"),
            ("R/2023-02-29T02:00:00Z/P1D", "no day 29"),
            ("R/2024-13-01T02:00:00Z/P1D", "month"),
            ("R/2024-01-01T24:00:00Z/P1D", "hour"),
            ("R/2024-01-01T1430/P1D", "hh:mm"),
            ("R/2024-01-01 02:00:00Z/P1D", "\"T\""),
            ("R/2024-01-01T02:00:00+15:00/P1D", "14 hours"),
            ("R/2024-01-01T02:00:00+0530/P1D", "±hh:mm"),
            ("R/2024-01-01T02:00:60Z/P1D", "seconds"),
            ("R/2024-1-01T02:00:00Z/P1D", "YYYY-MM-DD"),
        ] {
            let e = check_repeating_interval_of::<DiskPolicy>(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
