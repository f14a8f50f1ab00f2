//! proptest strategies for every request class of CONTRACT.md.
//!
//! Named functions, one per field, composed into [`valid_spec`], [`invalid_spec`]
//! and [`any_spec`], and rendered for [`Facts::example`] by [`valid_case`],
//! [`invalid_case`] and [`any_case`] (or for other facts by the `_for` variants).
//!
//! ### Why not `any::<f64>()` alone?
//! It never yields NaN or infinity, rarely yields `-0.0`, subnormals or the
//! extremes, and its values almost never have long shortest decimals. The value
//! strategies below ask for each of those on purpose.

use chrono::{DateTime, Duration, FixedOffset, SecondsFormat, TimeZone, Utc};
use proptest::prelude::*;

use crate::model::{json_number, json_string, Auth, Body, Facts, ImpactRef, KeyRef, Member, Spec};
use crate::request::Request;

/// Finite doubles, weighted towards the edges: zeros, subnormals, extremes,
/// integers near 2^53, and values with long shortest decimals.
pub fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => proptest::num::f64::ANY.prop_filter("finite", |v| v.is_finite()),
        1 => prop::sample::select(vec![
            0.0, -0.0, 5e-324, -5e-324, f64::MIN_POSITIVE, 2.225073858507201e-308, f64::MAX, f64::MIN,
            0.30000000000000004, 0.1, 1e300, 1e-300, 9007199254740993.0, 1.0, -1.0, 1e16, 1e-7,
        ]),
        1 => (1u64..(1u64 << 52)).prop_map(f64::from_bits), // subnormals
        1 => any::<i64>().prop_map(|i| i as f64),
        1 => (any::<u32>(), 1u32..20).prop_map(|(a, b)| a as f64 / b as f64),  // long decimals
    ]
}

/// NaN (including payload and signalling NaNs), +inf and -inf.
pub fn non_finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        (1u64..(1u64 << 52), any::<bool>()).prop_map(|(payload, neg)| {
            let bits = 0x7ff0_0000_0000_0000u64 | payload | if neg { 1 << 63 } else { 0 };
            f64::from_bits(bits)
        }),
    ]
}

/// Any f64 at all, non-finite included.
pub fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![4 => finite_f64(), 1 => non_finite_f64()]
}

/// A `value` member that must be accepted: a finite JSON number (raw text).
pub fn valid_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => finite_f64().prop_map(json_number),
        1 => any::<i64>().prop_map(|i| i.to_string()),
        1 => (any::<i32>(), 0u32..1000, -300i32..300).prop_map(|(m, f, e)| format!("{m}.{f}e{e}")),
    ]
    .prop_filter("not an underflow", |t| {
        t.parse::<f64>()
            .map(|v| v != 0.0 || !t.split(['e', 'E']).next().unwrap_or("").bytes().any(|b| (b'1'..=b'9').contains(&b)))
            .unwrap_or(false)
    })
}

/// A `value` member the contract requires to be refused (`None` = missing).
pub fn invalid_value() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        // `null` gets its own weight: it is the classic path to a 500 in a Python
        // server (`float(None)` raises TypeError, not ValueError).
        Just(Some("null".to_string())),
        // Bare non-finite tokens too: Python's `json` accepts them by default, so
        // they are the likeliest way a real server registers a NaN.
        prop::sample::select(vec!["NaN", "Infinity", "-Infinity"]).prop_map(|s| Some(s.to_string())),
        prop::sample::select(vec![
            "null",
            "true",
            "false",
            "[]",
            "[1]",
            "{}",
            "\"\"",
            "\"abc\"",
            "NaN",
            "Infinity",
            "-Infinity",
            "\"NaN\"",
            "\"Infinity\"",
            "\"-inf\"",
            "1e400",
            "-1e400",
            "+1",
            ".5",
            "1.",
            "01",
            "0x10",
            "1e",
            "--1",
            "nan",
        ])
        .prop_map(|s| Some(s.to_string())),
        (309u32..100_000).prop_map(|e| Some(format!("1e{e}"))),
        "[a-zA-Z ]{1,12}".prop_map(|s| Some(json_string(&s))),
    ]
}

/// Any `value` member, valid, invalid or open (`None` = missing).
pub fn any_value() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => valid_value().prop_map(Some),
        2 => invalid_value(),
        1 => prop::sample::select(vec!["1e-400", "\"1.5\"", "\"42\"", "\" 7 \"", "2e-324"]).prop_map(|s| Some(s.to_string())),
        1 => ".{0,20}".prop_map(Some),
    ]
}

/// A date-time in 2000..=2100 with an offset and optional fraction.
pub fn rfc3339_date() -> impl Strategy<Value = String> {
    (946_684_800i64..4_102_444_800, -14 * 60..=14 * 60i32, prop::option::of(0u32..1_000_000_000), 0usize..4).prop_map(
        |(secs, off_min, nanos, form)| {
            let utc: DateTime<Utc> = Utc.timestamp_opt(secs, nanos.unwrap_or(0)).single().unwrap_or_default();
            let off = FixedOffset::east_opt(off_min * 60).unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));
            let fmt = if nanos.is_some() { SecondsFormat::AutoSi } else { SecondsFormat::Secs };
            match form {
                0 => utc.to_rfc3339_opts(fmt, true),
                1 => utc.with_timezone(&off).to_rfc3339_opts(fmt, false),
                2 => utc.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string(),
                _ => utc.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
            }
        },
    )
}

/// A `date` member that must be accepted (`None` = absent).
pub fn valid_date() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(json_string(""))),
        4 => rfc3339_date().prop_map(|d| Some(json_string(&d))),
    ]
}

/// A `date` member that must be refused.
pub fn invalid_date() -> impl Strategy<Value = String> {
    prop_oneof![
        (2000i32..2100, 13u32..100, 1u32..28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}T12:00:00Z")),
        (2000i32..2100, 1u32..13, 32u32..100).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}T12:00:00Z")),
        (2000i32..2100, 24u32..100).prop_map(|(y, h)| format!("{y:04}-03-01T{h:02}:30:00Z")),
        prop::sample::select(vec![
            "2024-02-30T12:00:00Z",
            "2023-02-29T00:00:00Z",
            "03/01/2024",
            "yesterday",
            "1709294400",
            "2024/03/01 12:00"
        ])
        .prop_map(str::to_string),
        "[a-z/][a-z/ ]{0,11}",
    ]
    .prop_map(|s| json_string(&s))
    .boxed()
    .prop_union(prop::sample::select(vec!["1709294400", "true", "{}", "[]", "NaN"]).prop_map(str::to_string).boxed())
}

/// Any `date` member (`None` = absent), including open forms.
pub fn any_date() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => valid_date(),
        2 => invalid_date().prop_map(Some),
        1 => prop::sample::select(vec!["2024-03-01", "20240301T120000Z", "2024-W09-5", "2024-061", "2024-03-01 12:00:00Z", "null", "\"1999-01-01T00:00:00Z\""])
            .prop_map(|s| Some(if s.starts_with('"') || s == "null" { s.to_string() } else { json_string(s) })),
        1 => ".{0,24}".prop_map(|s| Some(json_string(&s))),
    ]
}

/// Where a valid key goes: header, body or both.
pub fn valid_auth() -> impl Strategy<Value = (Auth, Option<KeyRef>)> {
    prop_oneof![
        Just((Auth::Scheme("apikey".into(), KeyRef::Valid), None)),
        Just((Auth::None, Some(KeyRef::Valid))),
        Just((Auth::Scheme("apikey".into(), KeyRef::Valid), Some(KeyRef::Valid))),
    ]
}

/// Key placements that must be refused (unknown keys, no key, wrong schemes).
pub fn invalid_auth() -> impl Strategy<Value = (Auth, Option<KeyRef>)> {
    prop_oneof![
        Just((Auth::Scheme("apikey".into(), KeyRef::Unknown), None)),
        Just((Auth::None, Some(KeyRef::Unknown))),
        Just((Auth::Scheme("apikey".into(), KeyRef::Unknown), Some(KeyRef::Unknown))),
        Just((Auth::None, None)),
        Just((Auth::Scheme("Bearer".into(), KeyRef::Unknown), None)),
        "[a-zA-Z0-9]{1,20}".prop_map(|k| (Auth::Scheme("apikey".into(), KeyRef::Literal(format!("zz{k}"))), None)),
    ]
}

/// Any key placement, including conflicts and odd schemes.
pub fn any_auth() -> impl Strategy<Value = (Auth, Option<KeyRef>)> {
    prop_oneof![
        3 => valid_auth(),
        2 => invalid_auth(),
        1 => (prop::sample::select(vec!["APIKEY", "ApiKey", "Bearer", "Token", "apikey", ""]), prop::option::of(prop::sample::select(vec![KeyRef::Valid, KeyRef::Unknown])))
            .prop_map(|(scheme, body)| (Auth::Scheme(scheme.into(), KeyRef::Valid), body)),
        1 => ".{0,30}".prop_map(|raw| (Auth::Raw(raw), None)),
    ]
}

/// An impact reference: mostly known, sometimes unknown or not an integer.
pub fn any_impact() -> impl Strategy<Value = ImpactRef> {
    prop_oneof![
        6 => Just(ImpactRef::Known),
        1 => Just(ImpactRef::Missing),
        1 => Just(ImpactRef::LeadingZeros),
        1 => "[0-9a-z.\\-+]{0,12}".prop_map(ImpactRef::Raw),
    ]
}

fn object(value: Option<String>, date: Option<String>, key: Option<KeyRef>) -> Body {
    let mut m = Vec::new();
    if let Some(v) = value {
        m.push(("value".to_string(), Member::Json(v)));
    }
    if let Some(d) = date {
        m.push(("date".to_string(), Member::Json(d)));
    }
    if let Some(k) = key {
        m.push(("api_key".to_string(), Member::Key(k)));
    }
    Body::Object(m)
}

fn spec(auth: Auth, impact: ImpactRef, body: Body) -> Spec {
    Spec { method: "POST".into(), impact, auth, content_type: Some("application/json".into()), body }
}

prop_compose! {
    /// A request the contract requires to be accepted (with the window closed).
    pub fn valid_spec()(value in valid_value(), date in valid_date(), (auth, key) in valid_auth(),
                        ct in prop::sample::select(vec!["application/json", "application/json; charset=utf-8", "Application/JSON"]),
                        shuffle in any::<bool>()) -> Spec {
        let mut s = spec(auth, ImpactRef::Known, object(Some(value), date, key));
        if let (true, Body::Object(m)) = (shuffle, &mut s.body) {
            m.reverse();
        }
        s.content_type = Some(ct.to_string());
        s
    }
}

/// A request the contract requires to be refused: at least one definite fault.
pub fn invalid_spec() -> BoxedStrategy<Spec> {
    let bad_value =
        (invalid_value(), valid_date(), valid_auth()).prop_map(|(v, d, (a, k))| spec(a, ImpactRef::Known, object(v, d, k)));
    let bad_date = (valid_value(), invalid_date(), valid_auth())
        .prop_map(|(v, d, (a, k))| spec(a, ImpactRef::Known, object(Some(v), Some(d), k)));
    let bad_key =
        (valid_value(), valid_date(), invalid_auth()).prop_map(|(v, d, (a, k))| spec(a, ImpactRef::Known, object(Some(v), d, k)));
    let bad_impact = valid_spec().prop_map(|s| s.impact(ImpactRef::Missing));
    let bad_method = (valid_spec(), prop::sample::select(vec!["GET", "PUT", "DELETE", "PATCH"])).prop_map(|(s, m)| s.method(m));
    let bad_body = (valid_spec(), 0usize..64).prop_map(|(s, cut)| {
        let facts = Facts::example();
        let bytes = s.body_bytes(&facts);
        let cut = cut.min(bytes.len().saturating_sub(1));
        s.raw_body(bytes[..cut].to_vec())
    });
    prop_oneof![bad_value.boxed(), bad_date.boxed(), bad_key.boxed(), bad_impact.boxed(), bad_method.boxed(), bad_body.boxed()]
        .boxed()
}

/// Byte-level mutations of a valid body: flips, insertions, deletions.
pub fn mutated_spec() -> impl Strategy<Value = Spec> {
    (valid_spec(), prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4)).prop_map(|(s, edits)| {
        let mut bytes = s.body_bytes(&Facts::example());
        for (at, byte, op) in edits {
            if bytes.is_empty() {
                bytes.push(byte);
                continue;
            }
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => {
                    bytes.remove(i);
                }
            }
        }
        s.raw_body(bytes)
    })
}

prop_compose! {
    /// Any request: every field drawn from its `any_` strategy, plus odd content
    /// types, duplicate and extra members, and form bodies.
    pub fn mixed_spec()(value in any_value(), date in any_date(), (auth, key) in any_auth(), impact in any_impact(),
                        ct in prop::sample::select(vec![Some("application/json"), None, Some("text/plain"), Some("application/x-www-form-urlencoded")]),
                        extra in prop::option::of(("[a-z_]{1,8}", prop::sample::select(vec!["1", "\"x\"", "null", "NaN", "[]"]))),
                        dup in prop::option::of(any_value()),
                        form in prop::bool::weighted(0.1)) -> Spec {
        let mut s = spec(auth, impact, object(value, date, key));
        if let Some((name, v)) = extra {
            s = s.push(&name, Member::Json(v.to_string()));
        }
        if let Some(Some(v)) = dup {
            s = s.push("value", Member::Json(v));
        }
        if form {
            s = s.as_form();
        } else {
            s.content_type = ct.map(str::to_string);
        }
        s
    }
}

/// Any request: valid, invalid, mixed, byte-mutated, or another method.
///
/// Boxed: the unboxed type nests deeply enough to overflow a test thread's stack.
pub fn any_spec() -> BoxedStrategy<Spec> {
    prop_oneof![
        3 => valid_spec().boxed(),
        3 => invalid_spec().boxed(),
        4 => mixed_spec().boxed(),
        2 => mutated_spec().boxed(),
        1 => (mixed_spec(), prop::sample::select(vec!["HEAD", "OPTIONS", "GET", "PUT"])).prop_map(|(s, m)| s.method(m)).boxed(),
    ]
    .boxed()
}

/// [`valid_spec`] rendered for [`Facts::example`].
pub fn valid_case() -> impl Strategy<Value = Request> {
    valid_case_for(Facts::example())
}

/// [`invalid_spec`] rendered for [`Facts::example`].
pub fn invalid_case() -> impl Strategy<Value = Request> {
    invalid_case_for(Facts::example())
}

/// [`any_spec`] rendered for [`Facts::example`].
pub fn any_case() -> impl Strategy<Value = Request> {
    any_case_for(Facts::example())
}

/// [`valid_spec`] rendered for `facts`.
pub fn valid_case_for(facts: Facts) -> impl Strategy<Value = Request> {
    valid_spec().prop_map(move |s| s.render(&facts))
}

/// [`invalid_spec`] rendered for `facts`.
pub fn invalid_case_for(facts: Facts) -> impl Strategy<Value = Request> {
    invalid_spec().prop_map(move |s| s.render(&facts))
}

/// [`any_spec`] rendered for `facts`.
pub fn any_case_for(facts: Facts) -> impl Strategy<Value = Request> {
    any_spec().prop_map(move |s| s.render(&facts))
}

/// A date that is `minutes` before `now`, as RFC 3339 (used to keep generated
/// valid dates recent against real targets).
pub fn recent(now: DateTime<Utc>, minutes: i64) -> String {
    (now - Duration::minutes(minutes)).to_rfc3339_opts(SecondsFormat::Secs, true)
}
