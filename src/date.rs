//! Classifies a `date` string the way CONTRACT.md's date table does.
//!
//! ### Why a classifier and not just `chrono`'s parsers?
//! The contract treats ISO-8601 forms differently: RFC 3339 and offset-less
//! extended date-times must be accepted, date-only / basic / week / ordinal forms are
//! left open, impossible calendar values and non-ISO text must be refused. chrono's
//! parsers answer "parsed or not", and its RFC 3339 parser is lenient (it takes a
//! space or lower-case `t`), so it cannot say *which* row a string falls in. This
//! module recognises the form from its shape and leaves every calendar question
//! (month lengths, leap years, ISO weeks, ordinals) to chrono.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};

/// What a `date` string is, per CONTRACT.md.
#[derive(Clone, Debug, PartialEq)]
pub enum DateClass {
    /// `""`: left blank, means now.
    Blank,
    /// A strict RFC 3339 date-time with an offset (`Z` or `±HH:MM`).
    Rfc3339(DateTime<FixedOffset>),
    /// An extended date-time without an offset (local time).
    Local(NaiveDateTime),
    /// A valid ISO-8601 form the contract leaves open (the reason names it):
    /// accepting or refusing it are both conformant.
    Unusual(&'static str),
    /// Refused: an impossible calendar value or not ISO-8601 at all.
    Invalid(&'static str),
}

impl DateClass {
    /// The calendar year, for the far-past / far-future rule.
    pub fn year(&self) -> Option<i32> {
        use chrono::Datelike;
        match self {
            DateClass::Rfc3339(d) => Some(d.year()),
            DateClass::Local(d) => Some(d.year()),
            _ => None,
        }
    }

    /// Whether the year lies outside 2000..=2100 (CONTRACT.md: unspecified).
    pub fn far_from_now(&self) -> bool {
        self.year().is_some_and(|y| !(2000..=2100).contains(&y))
    }
}

/// Whether `s` matches `template`, where `d` stands for an ASCII digit and every
/// other template byte must match itself.
fn shape(s: &str, template: &str) -> bool {
    s.len() == template.len() && s.bytes().zip(template.bytes()).all(|(c, t)| if t == b'd' { c.is_ascii_digit() } else { c == t })
}

fn num(s: &str) -> u32 {
    s.parse().unwrap_or(u32::MAX)
}

fn ymd(s: &str) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(num(&s[0..4]) as i32, num(&s[5..7]), num(&s[8..10]))
}

/// Classifies a `date` field's string value.
pub fn classify(s: &str) -> DateClass {
    if s.is_empty() {
        return DateClass::Blank;
    }
    if s.trim().is_empty() {
        return DateClass::Unusual("blank but for white space");
    }
    if !s.is_ascii() {
        return DateClass::Invalid("not ISO-8601: non-ASCII characters");
    }
    if shape(s, "dddd-dd-dd") {
        return match ymd(s) {
            Some(_) => DateClass::Unusual("date only"),
            None => DateClass::Invalid("impossible calendar date"),
        };
    }
    if shape(s, "dddd-Wdd-d") || shape(s, "dddd-Wdd") {
        let day = if s.len() == 10 { num(&s[9..10]) } else { 1 };
        let wd = match day {
            1 => chrono::Weekday::Mon,
            2 => chrono::Weekday::Tue,
            3 => chrono::Weekday::Wed,
            4 => chrono::Weekday::Thu,
            5 => chrono::Weekday::Fri,
            6 => chrono::Weekday::Sat,
            7 => chrono::Weekday::Sun,
            _ => return DateClass::Invalid("impossible week day"),
        };
        return match NaiveDate::from_isoywd_opt(num(&s[0..4]) as i32, num(&s[6..8]), wd) {
            Some(_) => DateClass::Unusual("ISO week date"),
            None => DateClass::Invalid("impossible ISO week"),
        };
    }
    if shape(s, "dddd-ddd") {
        return match NaiveDate::from_yo_opt(num(&s[0..4]) as i32, num(&s[5..8])) {
            Some(_) => DateClass::Unusual("ordinal date"),
            None => DateClass::Invalid("impossible ordinal day"),
        };
    }
    if s.len() >= 15 && shape(&s[..15], "ddddddddTdddddd") {
        let date = NaiveDate::from_ymd_opt(num(&s[0..4]) as i32, num(&s[4..6]), num(&s[6..8]));
        let time = NaiveTime::from_hms_opt(num(&s[9..11]), num(&s[11..13]), num(&s[13..15]));
        let zone_ok = matches!(&s[15..], "" | "Z") || shape(&s[15..], "+dddd") || shape(&s[15..], "-dddd");
        return match (date, time, zone_ok) {
            (Some(_), Some(_), true) => DateClass::Unusual("ISO basic format"),
            (_, _, false) => DateClass::Invalid("not ISO-8601: bad zone in basic format"),
            _ => DateClass::Invalid("impossible calendar value"),
        };
    }
    extended(s)
}

/// `YYYY-MM-DD(T|t| )hh:mm[:ss[(.|,)f+]][Z|z|±hh:mm|±hhmm|±hh]`.
fn extended(s: &str) -> DateClass {
    if s.len() < 16 || !shape(&s[..10], "dddd-dd-dd") || !shape(&s[11..16], "dd:dd") {
        return DateClass::Invalid("not ISO-8601");
    }
    let mut unusual: Option<&'static str> = match s.as_bytes()[10] {
        b'T' => None,
        b't' => Some("lower-case 't' separator"),
        b' ' => Some("space instead of 'T'"),
        _ => return DateClass::Invalid("not ISO-8601: bad date-time separator"),
    };
    let (hh, mm) = (num(&s[11..13]), num(&s[14..16]));
    let mut rest = &s[16..];
    let mut ss = 0;
    if let Some(r) = rest.strip_prefix(':') {
        if r.len() < 2 || !shape(&r[..2], "dd") {
            return DateClass::Invalid("not ISO-8601: bad seconds");
        }
        ss = num(&r[..2]);
        rest = &r[2..];
    } else {
        unusual = unusual.or(Some("no seconds"));
    }
    let mut fraction_zero = true;
    if let Some(sep) = rest.chars().next().filter(|c| *c == '.' || *c == ',') {
        let digits = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return DateClass::Invalid("not ISO-8601: empty fraction");
        }
        fraction_zero = rest[1..1 + digits].bytes().all(|b| b == b'0');
        if sep == ',' {
            unusual = unusual.or(Some("comma before fraction"));
        }
        rest = &rest[1 + digits..];
    }
    let offset_secs: Option<i32> = match rest {
        "" => None,
        "Z" => Some(0),
        "z" => {
            unusual = unusual.or(Some("lower-case 'z'"));
            Some(0)
        }
        z if shape(z, "+dd:dd")
            || shape(z, "-dd:dd")
            || shape(z, "+dddd")
            || shape(z, "-dddd")
            || shape(z, "+dd")
            || shape(z, "-dd") =>
        {
            let digits: String = z[1..].chars().filter(char::is_ascii_digit).collect();
            let (oh, om) = (num(&digits[..2]), if digits.len() == 4 { num(&digits[2..]) } else { 0 });
            if oh > 23 || om > 59 {
                return DateClass::Invalid("impossible offset");
            }
            if z.len() != 6 {
                unusual = unusual.or(Some("offset without colon or minutes"));
            }
            let secs = (oh * 3600 + om * 60) as i32;
            Some(if z.starts_with('-') { -secs } else { secs })
        }
        _ => return DateClass::Invalid("not ISO-8601: bad offset"),
    };
    if ymd(s).is_none() {
        return DateClass::Invalid("impossible calendar date");
    }
    if hh == 24 && mm == 0 && ss == 0 && fraction_zero {
        return DateClass::Unusual("24:00 end of day");
    }
    if hh > 23 || mm > 59 || ss > 60 {
        return DateClass::Invalid("impossible time of day");
    }
    if ss == 60 {
        return DateClass::Unusual("leap second");
    }
    if let Some(why) = unusual {
        return DateClass::Unusual(why);
    }
    // The strict forms: chrono parses them for the instant.
    match offset_secs {
        Some(_) => match DateTime::parse_from_rfc3339(s) {
            Ok(d) => DateClass::Rfc3339(d),
            Err(_) => DateClass::Invalid("not RFC 3339"),
        },
        None => {
            let fmt = if s.len() > 19 { "%Y-%m-%dT%H:%M:%S%.f" } else { "%Y-%m-%dT%H:%M:%S" };
            match NaiveDateTime::parse_from_str(s, fmt) {
                Ok(d) => DateClass::Local(d),
                Err(_) => DateClass::Invalid("not ISO-8601"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> &'static str {
        match classify(s) {
            DateClass::Blank => "blank",
            DateClass::Rfc3339(_) => "rfc3339",
            DateClass::Local(_) => "local",
            DateClass::Unusual(_) => "unusual",
            DateClass::Invalid(_) => "invalid",
        }
    }

    #[test]
    fn rfc3339_and_local_forms_are_recognised() {
        for s in
            ["2024-03-01T12:00:00Z", "2024-03-01T12:00:00+02:00", "2024-03-01T12:00:00.123456789-05:30", "2024-02-29T00:00:00Z"]
        {
            assert_eq!(kind(s), "rfc3339", "{s}");
        }
        for s in ["2024-03-01T12:00:00", "2024-03-01T12:00:00.5"] {
            assert_eq!(kind(s), "local", "{s}");
        }
    }

    #[test]
    fn forms_the_contract_leaves_open_are_unusual() {
        for s in [
            "2024-03-01",
            "20240301T120000Z",
            "2024-W09-5",
            "2024-061",
            "2024-03-01t12:00:00Z",
            "2024-03-01T12:00:00z",
            "2024-03-01 12:00:00Z",
            "2016-12-31T23:59:60Z",
            "2024-03-01T24:00:00Z",
            "2024-03-01T12:00Z",
            "2024-03-01T12:00:00,5Z",
            "2024-03-01T12:00:00+0200",
            "  ",
        ] {
            assert_eq!(kind(s), "unusual", "{s}");
        }
    }

    #[test]
    fn impossible_and_non_iso_values_are_invalid() {
        for s in [
            "2024-02-30",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-03-01T25:00:00Z",
            "2024-03-01T12:60:00Z",
            "2024-03-01T12:00:00+24:00",
            "03/01/2024",
            "yesterday",
            "1709294400",
            "2024/03/01 12:00",
            "2024-W54-1",
            "2023-366",
            "2024-03-01T12:00:00Q",
            "2024-03-01T",
            "2024-03-01T12:00:00.Z",
            "\u{e9}t\u{e9}",
        ] {
            assert_eq!(kind(s), "invalid", "{s}");
        }
    }

    #[test]
    fn far_years_are_flagged() {
        assert!(classify("1999-12-31T23:59:59Z").far_from_now());
        assert!(classify("2101-01-01T00:00:00").far_from_now());
        assert!(!classify("2024-03-01T12:00:00Z").far_from_now());
    }
}
