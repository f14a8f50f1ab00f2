//! The catalogue: named, deterministic cases covering every row of CONTRACT.md.
//!
//! Each case has a stable id (`value/nan-token`, `date/feb-30`, …), the row it
//! exercises, and the statuses the contract allows when the window is closed,
//! written by hand from CONTRACT.md. That declaration is independent of the oracle,
//! and a test asserts the two agree for every case: the catalogue checks the oracle.

use chrono::{Duration, SecondsFormat};

use crate::model::{json_number, json_string, Auth, Facts, ImpactRef, KeyRef, Member, Spec};
use crate::oracle::StatusRule;
use crate::request::Request;
use crate::row::Row;

/// One named case.
#[derive(Clone, Debug)]
pub struct Case {
    /// Stable id, `section/name`.
    pub id: String,
    /// The CONTRACT.md row it exercises.
    pub row: Row,
    /// What it sends, in a few words.
    pub summary: String,
    /// The statuses CONTRACT.md allows with the window closed (hand-written).
    pub declared: Vec<StatusRule>,
    /// The request in model terms.
    pub spec: Spec,
    /// The exact request.
    pub request: Request,
}

/// Parses a declaration like `"200|400"`, `"4xx"`, `"!5xx"`.
fn declared(s: &str) -> Vec<StatusRule> {
    let mut v: Vec<StatusRule> = s
        .split('|')
        .map(|p| match p {
            "4xx" => StatusRule::ClientError,
            "!5xx" => StatusRule::NotServerError,
            n => StatusRule::Exact(n.parse().expect("catalogue declarations are numbers")),
        })
        .collect();
    v.sort();
    v
}

struct Builder<'a> {
    facts: &'a Facts,
    cases: Vec<Case>,
}

impl Builder<'_> {
    fn add(&mut self, id: &str, row: Row, decl: &str, summary: &str, spec: Spec) {
        debug_assert!(!self.cases.iter().any(|c| c.id == id), "duplicate case id {id}");
        let request = spec.render(self.facts);
        self.cases.push(Case { id: id.to_string(), row, summary: summary.to_string(), declared: declared(decl), spec, request });
    }
}

/// The whole catalogue for a target. Dates are relative to `facts.now`, so the same
/// catalogue is deterministic for fixed facts and recent for a real run.
pub fn catalogue(facts: &Facts) -> Vec<Case> {
    let mut b = Builder { facts, cases: Vec::new() };
    let v = Spec::valid;
    b.add("valid/header-key", Row::KeyValid, "200", "the page's first example: key in the header", v());

    // --- value -----------------------------------------------------------------
    let finite: &[(&str, &str, &str)] = &[
        ("integer", "42", "an integer"),
        ("zero", "0", "zero"),
        ("negative-zero", "-0", "-0 as an integer token"),
        ("negative-zero-float", "-0.0", "-0.0"),
        ("fraction", "1.5", "a fraction"),
        ("negative", "-273.15", "a negative fraction"),
        ("exponent", "1e3", "exponent form"),
        ("exponent-upper", "2E-3", "upper-case exponent"),
        ("exponent-plus", "1.5e+2", "exponent with a plus sign"),
        ("subnormal-min", "5e-324", "the smallest subnormal"),
        ("subnormal", "2.225073858507201e-308", "the largest subnormal"),
        ("min-normal", "2.2250738585072014e-308", "the smallest normal double"),
        ("max", "1.7976931348623157e308", "the largest double"),
        ("negative-max", "-1.7976931348623157e308", "the most negative double"),
        ("long-shortest", "0.30000000000000004", "a long shortest decimal"),
        ("more-digits-than-double", "3.14159265358979323846264338327950288", "more digits than a double holds"),
        ("above-2-53", "9007199254740993", "an integer above 2^53 (rounds)"),
        ("thirty-digit-integer", "123456789012345678901234567890", "a 30-digit integer"),
        ("tiny", "1e-300", "a tiny normal value"),
        ("max-rounds-down", "1.7976931348623158e308", "just above max, rounds to max"),
    ];
    for (id, raw, what) in finite {
        b.add(&format!("value/{id}"), Row::ValueFinite, "200", what, v().value(raw));
    }
    let not_number: &[(&str, Option<&str>, &str)] = &[
        ("missing", None, "no value field"),
        ("null", Some("null"), "null"),
        ("true", Some("true"), "true"),
        ("false", Some("false"), "false"),
        ("array", Some("[1.5]"), "an array"),
        ("empty-array", Some("[]"), "an empty array"),
        ("object", Some(r#"{"v": 1.5}"#), "an object"),
        ("empty-string", Some(r#""""#), "an empty string"),
        ("string-abc", Some(r#""abc""#), "a word"),
        ("string-space", Some(r#"" ""#), "a blank string"),
        ("string-comma-decimal", Some(r#""1,5""#), "a comma decimal string"),
    ];
    for (id, raw, what) in not_number {
        let spec = match raw {
            Some(r) => v().value(r),
            None => v().without("value"),
        };
        b.add(&format!("value/{id}"), Row::ValueNotNumber, "400", what, spec);
    }
    let non_finite: &[(&str, &str)] = &[
        ("nan-token", "NaN"),
        ("infinity-token", "Infinity"),
        ("negative-infinity-token", "-Infinity"),
        ("nan-string", r#""NaN""#),
        ("infinity-string", r#""Infinity""#),
        ("negative-infinity-string", r#""-Infinity""#),
        ("nan-lower-string", r#""nan""#),
        ("inf-string", r#""inf""#),
    ];
    for (id, raw) in non_finite {
        b.add(&format!("value/{id}"), Row::ValueNonFinite, "400", raw, v().value(raw));
    }
    for (id, raw) in
        [("overflow", "1e400"), ("negative-overflow", "-1e400"), ("overflow-1.8e308", "1.8e308"), ("overflow-long", "1e99999")]
    {
        b.add(&format!("value/{id}"), Row::ValueOverflow, "400", raw, v().value(raw));
    }
    b.add("value/overflow-string", Row::ValueOverflow, "400", "\"1e400\" as a string", v().value(r#""1e400""#));
    for (id, raw) in [("underflow", "1e-400"), ("negative-underflow", "-1e-400"), ("underflow-2e-324", "2e-324")] {
        b.add(&format!("value/{id}"), Row::ValueUnderflow, "200|400", raw, v().value(raw));
    }
    for (id, raw) in [
        ("plus-sign", "+1"),
        ("leading-dot", ".5"),
        ("trailing-dot", "1."),
        ("leading-zero", "01"),
        ("hex", "0x10"),
        ("bare-exponent", "1e"),
        ("double-minus", "--1"),
        ("two-dots", "1.5.5"),
        ("underscore", "1_000"),
        ("nan-lower-token", "nan"),
    ] {
        b.add(&format!("value/{id}"), Row::ValueNonJsonNumber, "400", raw, v().value(raw));
    }
    for (id, raw) in [
        ("numeric-string", r#""1.5""#),
        ("integer-string", r#""42""#),
        ("exponent-string", r#""1e3""#),
        ("padded-string", r#"" 1.5 ""#),
    ] {
        b.add(&format!("value/{id}"), Row::ValueNumericString, "200|400", raw, v().value(raw));
    }

    // --- date ------------------------------------------------------------------
    let recent = facts.now - Duration::minutes(10);
    let z = recent.to_rfc3339_opts(SecondsFormat::Secs, true);
    let day = recent.format("%Y-%m-%d").to_string();
    let local = recent.format("%Y-%m-%dT%H:%M:%S").to_string();
    let hms = recent.format("%H:%M:%S").to_string();
    let valid_dates: Vec<(&str, String)> = vec![
        ("utc-z", z.clone()),
        (
            "offset-plus",
            recent
                .with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).expect("valid"))
                .to_rfc3339_opts(SecondsFormat::Secs, false),
        ),
        (
            "offset-minus-half-hour",
            recent
                .with_timezone(&chrono::FixedOffset::west_opt(5 * 3600 + 1800).expect("valid"))
                .to_rfc3339_opts(SecondsFormat::Secs, false),
        ),
        ("offset-zero", format!("{local}+00:00")),
        ("offset-minus-zero", format!("{local}-00:00")),
        ("fraction-millis", recent.to_rfc3339_opts(SecondsFormat::Millis, true)),
        ("fraction-one-digit", format!("{local}.5Z")),
        ("fraction-micros", format!("{local}.123456Z")),
        ("fraction-nanos", format!("{local}.123456789+01:00")),
        ("local-no-offset", local.clone()),
        ("local-fraction", format!("{local}.25")),
        ("python-isoformat", format!("{local}.123456")),
        ("leap-day", "2024-02-29T12:00:00Z".to_string()),
    ];
    for (id, d) in &valid_dates {
        b.add(&format!("date/{id}"), Row::DateValid, "200", d, v().date(d));
    }
    b.add("date/blank", Row::DateBlank, "200", "\"\": left blank", v().date(""));
    b.add("date/absent", Row::DateAbsent, "200", "no date field", v());
    let unusual: Vec<(&str, String)> = vec![
        ("date-only", day.clone()),
        ("basic-format", recent.format("%Y%m%dT%H%M%SZ").to_string()),
        ("week-date", recent.format("%G-W%V-%u").to_string()),
        ("ordinal-date", recent.format("%Y-%j").to_string()),
        ("lowercase-t", z.replace('T', "t")),
        ("lowercase-z", z.replace('Z', "z")),
        ("space-separator", z.replace('T', " ")),
        ("space-separator-no-offset", local.replace('T', " ")),
        ("leap-second", "2016-12-31T23:59:60Z".to_string()),
        ("hour-24", format!("{day}T24:00:00Z")),
        ("no-seconds", format!("{day}T{}Z", &hms[..5])),
        ("comma-fraction", format!("{local},5Z")),
        ("offset-no-colon", format!("{local}+0200")),
        ("offset-hours-only", format!("{local}+02")),
        ("whitespace-only", "   ".to_string()),
    ];
    for (id, d) in &unusual {
        b.add(&format!("date/{id}"), Row::DateUnusual, "200|400", d, v().date(d));
    }
    for (id, d) in [
        ("year-1999", "1999-12-31T23:59:59Z"),
        ("epoch-1970", "1970-01-01T00:00:00Z"),
        ("year-2101", "2101-01-01T00:00:00Z"),
        ("year-9999", "9999-12-31T23:59:59Z"),
        ("year-0001", "0001-01-01T00:00:00Z"),
    ] {
        b.add(&format!("date/{id}"), Row::DateFarRange, "200|400", d, v().date(d));
    }
    for (id, d) in [
        ("feb-30", "2024-02-30T12:00:00Z"),
        ("feb-29-non-leap", "2023-02-29T12:00:00Z"),
        ("month-13", "2024-13-01T12:00:00Z"),
        ("month-00", "2024-00-10T12:00:00Z"),
        ("day-32", "2024-03-32T12:00:00Z"),
        ("day-00", "2024-03-00T12:00:00Z"),
        ("april-31", "2024-04-31T12:00:00Z"),
        ("hour-25", "2024-03-01T25:00:00Z"),
        ("minute-60", "2024-03-01T12:60:00Z"),
        ("second-61", "2024-03-01T12:00:61Z"),
        ("offset-24", "2024-03-01T12:00:00+24:00"),
        ("date-only-feb-30", "2024-02-30"),
    ] {
        b.add(&format!("date/{id}"), Row::DateImpossible, "400", d, v().date(d));
    }
    for (id, d) in [
        ("us-format", "03/01/2024".to_string()),
        ("word-yesterday", "yesterday".to_string()),
        ("word-now", "now".to_string()),
        ("epoch-string", "1709294400".to_string()),
        ("slashes", "2024/03/01 12:00".to_string()),
        ("rfc-2822", "Fri, 01 Mar 2024 12:00:00 GMT".to_string()),
        ("no-padding", "2024-3-1T12:00:00Z".to_string()),
        ("time-only", "T12:00:00Z".to_string()),
        ("trailing-t", format!("{day}T")),
        ("control-bytes", "\u{0}\u{1b}[31m\u{ff}".to_string()),
        ("bad-offset", format!("{local}+2:00")),
        ("trailing-garbage", format!("{z}x")),
    ] {
        b.add(&format!("date/{id}"), Row::DateNotIso, "400", &d, v().date(&d));
    }
    for (id, raw) in [
        ("number", "1709294400"),
        ("true", "true"),
        ("object", r#"{"date": "2024-03-01"}"#),
        ("array", r#"["2024-03-01T12:00:00Z"]"#),
        ("nan-token", "NaN"),
    ] {
        b.add(&format!("date/{id}"), Row::DateWrongType, "400", raw, v().date_raw(raw));
    }
    b.add("date/null", Row::DateNull, "200|400", "null", v().date_raw("null"));

    // --- auth ------------------------------------------------------------------
    let body_only = || v().auth(Auth::None).body_key(KeyRef::Valid);
    b.add("auth/body-key", Row::KeyValid, "200", "the page's second example: key in the body", body_only());
    b.add("auth/both-valid", Row::KeyValid, "200", "valid key in header and body", v().body_key(KeyRef::Valid));
    b.add(
        "auth/body-key-first",
        Row::KeyValid,
        "200",
        "api_key before value",
        v().auth(Auth::None).without("value").body_key(KeyRef::Valid).value("1.5"),
    );
    b.add(
        "auth/header-valid-body-unknown",
        Row::KeyConflict,
        "200|401",
        "valid header key, unknown body key",
        v().body_key(KeyRef::Unknown),
    );
    b.add(
        "auth/header-unknown-body-valid",
        Row::KeyConflict,
        "200|401",
        "unknown header key, valid body key",
        v().auth(Auth::Scheme("apikey".into(), KeyRef::Unknown)).body_key(KeyRef::Valid),
    );
    for (id, scheme) in [("scheme-upper", "APIKEY"), ("scheme-camel", "ApiKey"), ("scheme-title", "Apikey")] {
        b.add(
            &format!("auth/{id}"),
            Row::KeySchemeCase,
            "200|401",
            &format!("{scheme} <valid key>"),
            v().auth(Auth::Scheme(scheme.into(), KeyRef::Valid)),
        );
    }
    for (id, raw) in [
        ("body-key-null", "null"),
        ("body-key-number", "12345"),
        ("body-key-object", r#"{"key": "x"}"#),
        ("body-key-array", "[]"),
        ("body-key-true", "true"),
    ] {
        b.add(
            &format!("auth/{id}"),
            Row::KeyBodyWrongType,
            "400|401",
            &format!("api_key {raw}, no header"),
            v().auth(Auth::None).set("api_key", Member::Json(raw.into())),
        );
    }
    b.add(
        "auth/unknown-header",
        Row::KeyUnknown,
        "401",
        "unknown key in the header",
        v().auth(Auth::Scheme("apikey".into(), KeyRef::Unknown)),
    );
    b.add("auth/unknown-body", Row::KeyUnknown, "401", "unknown key in the body", v().auth(Auth::None).body_key(KeyRef::Unknown));
    b.add(
        "auth/unknown-both",
        Row::KeyUnknown,
        "401",
        "unknown key in both places",
        v().auth(Auth::Scheme("apikey".into(), KeyRef::Unknown)).body_key(KeyRef::Unknown),
    );
    b.add(
        "auth/unknown-header-with-padding",
        Row::KeyUnknown,
        "401",
        "the valid key with a trailing x",
        v().auth(Auth::Scheme("apikey".into(), KeyRef::Literal(format!("{}x", facts.api_key)))),
    );
    b.add("auth/no-key", Row::KeyMissing, "400|401", "no key anywhere", v().auth(Auth::None));
    b.add(
        "auth/body-key-empty",
        Row::KeyMissing,
        "400|401",
        "api_key \"\"",
        v().auth(Auth::None).body_key(KeyRef::Literal(String::new())),
    );
    b.add("auth/header-scheme-only", Row::KeyMissing, "400|401", "Authorization: apikey", v().auth(Auth::Raw("apikey".into())));
    b.add("auth/header-empty", Row::KeyMissing, "400|401", "Authorization: (empty)", v().auth(Auth::Raw(String::new())));
    b.add(
        "auth/bearer-scheme",
        Row::KeyOtherScheme,
        "200|400|401",
        "Bearer <valid key>",
        v().auth(Auth::Scheme("Bearer".into(), KeyRef::Valid)),
    );
    b.add(
        "auth/token-scheme",
        Row::KeyOtherScheme,
        "200|400|401",
        "Token <valid key>",
        v().auth(Auth::Scheme("Token".into(), KeyRef::Valid)),
    );
    b.add(
        "auth/key-without-scheme",
        Row::KeyOtherScheme,
        "200|400|401",
        "Authorization: <valid key>",
        v().auth(Auth::Raw(facts.api_key.clone())),
    );
    b.add(
        "auth/bearer-unknown",
        Row::KeyOtherScheme,
        "400|401",
        "Bearer <unknown key>",
        v().auth(Auth::Scheme("Bearer".into(), KeyRef::Unknown)),
    );
    b.add(
        "auth/basic-scheme",
        Row::KeyOtherScheme,
        "400|401",
        "Basic dXNlcjpwYXNz",
        v().auth(Auth::Raw("Basic dXNlcjpwYXNz".into())),
    );

    // --- impact ------------------------------------------------------------------
    if facts.impact_ids.len() > 1 {
        b.add("impact/second-known", Row::ImpactKnown, "200", "the second known impact id", v().impact(ImpactRef::KnownAt(1)));
    }
    b.add("impact/unknown", Row::ImpactUnknown, "404", "an integer id that does not exist", v().impact(ImpactRef::Missing));
    b.add(
        "impact/huge-integer",
        Row::ImpactUnknown,
        "404",
        "a 20-digit id",
        v().impact(ImpactRef::Raw("99999999999999999999".into())),
    );
    b.add("impact/zero", Row::ImpactUnknown, "404", "id 0", v().impact(ImpactRef::Raw("0".into())));
    for (id, seg) in [
        ("letters", "abc"),
        ("fraction", "1.5"),
        ("trailing-letters", "42abc"),
        ("empty", ""),
        ("negative", "-1"),
        ("plus-sign", "+42"),
        ("percent-space", "%2042"),
        ("hex", "0x2a"),
    ] {
        b.add(
            &format!("impact/{id}"),
            Row::ImpactNotInteger,
            "400|404",
            &format!("impact id {seg:?}"),
            v().impact(ImpactRef::Raw(seg.into())),
        );
    }
    b.add(
        "impact/leading-zeros",
        Row::ImpactLeadingZeros,
        "200|400|404",
        "the known id with a leading zero",
        v().impact(ImpactRef::LeadingZeros),
    );
    b.add(
        "impact/leading-zeros-unknown",
        Row::ImpactLeadingZeros,
        "400|404",
        "the missing id with a leading zero",
        v().impact(ImpactRef::Raw(format!("0{}", facts.missing_impact_id))),
    );

    // --- body ------------------------------------------------------------------
    let raw = |bytes: &[u8]| v().raw_body(bytes.to_vec());
    for (id, body) in [
        ("unclosed-object", &b"{"[..]),
        ("missing-brace", br#"{"value": 1.5"#),
        ("trailing-comma", br#"{"value": 1.5,}"#),
        ("single-quotes", br#"{'value': 1.5}"#),
        ("unquoted-key", br#"{value: 1.5}"#),
        ("trailing-garbage", br#"{"value": 1.5}x"#),
        ("two-objects", br#"{"value": 1.5}{"value": 2}"#),
        ("empty", b""),
        ("whitespace", b"  \n "),
        ("array", br#"[{"value": 1.5}]"#),
        ("number", b"1.5"),
        ("string", br#""1.5""#),
        ("null", b"null"),
        ("invalid-utf8", b"{\"value\": 1.5, \"x\": \"\xff\xfe\"}"),
        ("nul-byte", b"{\"value\": 1.5}\x00"),
        ("comment", b"{\"value\": 1.5 /* c */}"),
    ] {
        b.add(&format!("body/{id}"), Row::BodyMalformed, "400", &String::from_utf8_lossy(body), raw(body));
    }
    for (id, name, val) in [
        ("extra-number", "extra", "1"),
        ("extra-string", "comment", r#""deploy 42""#),
        ("extra-capitalised-value", "Value", "2"),
        ("extra-impact-id", "impact_id", "7"),
        ("extra-nested", "meta", r#"{"a": [1, {"b": null}]}"#),
        ("extra-nan-token", "x", "NaN"),
    ] {
        b.add(
            &format!("body/{id}"),
            Row::BodyExtraFields,
            "200|400",
            &format!("extra field {name}: {val}"),
            v().push(name, Member::Json(val.into())),
        );
    }
    let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    b.add(
        "body/extra-deeply-nested",
        Row::BodyExtraFields,
        "200|400",
        "an extra field nested 100 deep",
        v().push("deep", Member::Json(deep)),
    );
    b.add(
        "body/duplicate-value-valid-then-string",
        Row::BodyDuplicateKeys,
        "200|400",
        r#""value": 1.5, "value": "x""#,
        v().push("value", Member::Json(r#""x""#.into())),
    );
    b.add(
        "body/duplicate-value-both-valid",
        Row::BodyDuplicateKeys,
        "200|400",
        r#""value": 1.5, "value": 2"#,
        v().push("value", Member::Json("2".into())),
    );
    b.add(
        "body/duplicate-value-invalid-then-valid",
        Row::BodyDuplicateKeys,
        "200|400",
        r#""value": "x", "value": 1.5"#,
        v().value(r#""x""#).push("value", Member::Json("1.5".into())),
    );
    b.add(
        "body/duplicate-date",
        Row::BodyDuplicateKeys,
        "200|400",
        "a valid date then an impossible one",
        v().date(&z).push("date", Member::Json(json_string("2024-02-30T00:00:00Z"))),
    );
    b.add(
        "body/duplicate-api-key",
        Row::BodyDuplicateKeys,
        "200|400|401",
        "body key valid then unknown, no header",
        body_only().push("api_key", Member::Key(KeyRef::Unknown)),
    );
    b.add(
        "body/form-body-key",
        Row::BodyForm,
        "200|400|401|415",
        "form-encoded value and api_key",
        v().auth(Auth::None).body_key(KeyRef::Valid).as_form(),
    );
    b.add("body/form-header-key", Row::BodyForm, "200|400|401|415", "form-encoded value, key in header", v().as_form());
    b.add("body/form-with-date", Row::BodyForm, "200|400|401|415", "form-encoded value and date", v().date(&z).as_form());
    b.add("body/form-bad-value", Row::BodyForm, "400|401|415", "form-encoded value=abc", v().value(r#""abc""#).as_form());
    b.add(
        "body/content-type-charset",
        Row::KeyValid,
        "200",
        "application/json; charset=utf-8",
        v().content_type(Some("application/json; charset=utf-8")),
    );
    b.add("body/content-type-upper", Row::KeyValid, "200", "APPLICATION/JSON", v().content_type(Some("APPLICATION/JSON")));
    b.add("body/content-type-missing", Row::BodyContentType, "200|400|415", "JSON body, no Content-Type", v().content_type(None));
    b.add(
        "body/content-type-text",
        Row::BodyContentType,
        "200|400|415",
        "JSON body as text/plain",
        v().content_type(Some("text/plain")),
    );
    b.add(
        "body/utf8-bom",
        Row::BodyContentType,
        "200|400|415",
        "a UTF-8 byte order mark before the JSON",
        raw(b"\xEF\xBB\xBF{\"value\": 1.5}"),
    );
    b.add(
        "body/whitespace-around",
        Row::ValueFinite,
        "200",
        "JSON with surrounding white space",
        raw(b" \n\t{ \"value\" :\n1.5 } \r\n"),
    );
    b.add(
        "body/unicode-escaped-key",
        Row::ValueFinite,
        "200",
        "the key \"value\" written with \\u escapes",
        raw(br#"{"\u0076alue": 1.5}"#),
    );

    // --- method ----------------------------------------------------------------
    for m in ["GET", "PUT", "DELETE", "PATCH"] {
        b.add(&format!("method/{}", m.to_lowercase()), Row::MethodOther, "4xx", &format!("{m} with a valid body"), v().method(m));
    }
    for m in ["HEAD", "OPTIONS"] {
        b.add(&format!("method/{}", m.to_lowercase()), Row::MethodHeadOptions, "!5xx", m, v().method(m).raw_body(Vec::new()));
    }

    // --- several faults --------------------------------------------------------
    let unknown_key = || Auth::Scheme("apikey".into(), KeyRef::Unknown);
    b.add(
        "multi/unknown-key-unknown-impact",
        Row::ManyFaults,
        "401|404",
        "unknown key and unknown impact id",
        v().auth(unknown_key()).impact(ImpactRef::Missing),
    );
    b.add("multi/nan-unknown-key", Row::ManyFaults, "400|401", "NaN token and unknown key", v().value("NaN").auth(unknown_key()));
    b.add(
        "multi/bad-value-bad-date",
        Row::ManyFaults,
        "400",
        "value \"abc\" and date feb-30",
        v().value(r#""abc""#).date("2024-02-30T00:00:00Z"),
    );
    b.add(
        "multi/missing-value-unknown-impact",
        Row::ManyFaults,
        "400|404",
        "no value and unknown impact id",
        v().without("value").impact(ImpactRef::Missing),
    );
    b.add(
        "multi/malformed-unknown-impact",
        Row::ManyFaults,
        "400|404",
        "malformed JSON and unknown impact id",
        raw(b"{").impact(ImpactRef::Missing),
    );
    b.add("multi/no-key-bad-value", Row::ManyFaults, "400|401", "no key and value null", v().auth(Auth::None).value("null"));
    b.add(
        "multi/overflow-unknown-body-key",
        Row::ManyFaults,
        "400|401",
        "1e400 and unknown body key",
        v().auth(Auth::None).value("1e400").body_key(KeyRef::Unknown),
    );
    b.add(
        "multi/everything-wrong",
        Row::ManyFaults,
        "400|401|404",
        "unknown key, unknown id, NaN, bad date",
        v().auth(unknown_key()).impact(ImpactRef::Missing).value("NaN").date("yesterday"),
    );
    b.add(
        "multi/not-integer-unknown-key",
        Row::ManyFaults,
        "400|401|404",
        "impact abc and unknown key",
        v().impact(ImpactRef::Raw("abc".into())).auth(unknown_key()),
    );

    // A few generated finite values, so the catalogue also carries edge cases of the
    // encoder (the shortest form of each).
    for (id, x) in [("shortest-0.1", 0.1f64), ("shortest-1e-7", 1e-7), ("shortest-1e16", 1e16), ("shortest-neg-tiny", -4.9e-324)]
    {
        b.add(&format!("value/{id}"), Row::ValueFinite, "200", &json_number(x), v().value(&json_number(x)));
    }
    b.cases
}

/// The ids of [`catalogue`], in order (for `cases` listings and selection).
pub fn ids(facts: &Facts) -> Vec<String> {
    catalogue(facts).into_iter().map(|c| c.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_has_at_least_150_cases_with_unique_ids() {
        let cases = catalogue(&Facts::example());
        assert!(cases.len() >= 150, "only {} cases", cases.len());
        let mut ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate ids");
    }

    #[test]
    fn every_row_but_the_window_rows_has_a_case() {
        let cases = catalogue(&Facts::example());
        for row in Row::ALL {
            if matches!(row, Row::RateWindow | Row::RateInWindow | Row::PathOther) {
                continue; // exercised by the runner's window scenario / fuzzing
            }
            assert!(cases.iter().any(|c| c.row == row), "no case for {row:?}");
        }
    }
}

#[cfg(test)]
mod oracle_agreement {
    use super::*;
    use crate::oracle::{Oracle, Window};

    #[test]
    fn the_oracle_allows_exactly_the_declared_statuses_for_every_case() {
        let facts = Facts::example();
        let oracle = Oracle::new(facts.impact_ids.clone(), [facts.api_key.clone()]);
        let mut wrong = Vec::new();
        for c in catalogue(&facts) {
            let e = oracle.expect(&c.request, Window::Closed);
            if e.statuses() != c.declared {
                wrong.push(format!("{}: declared {:?}, oracle {:?} ({})", c.id, c.declared, e.statuses(), e.summary()));
            }
        }
        assert!(wrong.is_empty(), "{} disagreements:\n{}", wrong.len(), wrong.join("\n"));
    }
}
