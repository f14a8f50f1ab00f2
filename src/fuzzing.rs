//! Fuzzing entry points: one function per cargo-fuzz target, each asserting one
//! invariant over arbitrary bytes.
//!
//! ### Why the logic lives here and not in `fuzz/`
//! The targets in `fuzz/fuzz_targets/` are one line each (house style rule 10). Keeping
//! the generators and the assertions in the library means three things: the targets
//! cannot drift from the code they test, `cargo test` replays the committed corpus
//! through the very same functions on stable Rust without libFuzzer
//! (`tests/contract/fuzz_corpus.rs`), and a crash that fuzzing finds becomes a
//! regression test by dropping its input into `fuzz/corpus/<target>/`.
//!
//! ### How bytes become inputs
//! The functions read their input through [`arbitrary::Unstructured`], so a mutated byte
//! changes one *choice* (a method, an impact segment, a JSON member) rather than
//! producing yet another malformed blob. Inputs that run out of bytes are padded with
//! zeros, so every byte string is a valid input: each function returns normally unless
//! its invariant breaks, and then it panics, which libFuzzer reports as a crash.
//!
//! Every request generator has one *raw* choice whose parts are length-prefixed byte
//! strings ([`encode_raw_request`]). That is how [`seed_corpus`] carries the
//! catalogue's exact requests into the corpus, where libFuzzer mutates them byte by
//! byte: the structured choices explore the shape of a request, the raw choice
//! explores the bytes of the ones the catalogue already names.

use std::time::Duration;

use arbitrary::{Result, Unstructured};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

use crate::catalogue::{self, Case};
use crate::checks::{self, Context, Verdict};
use crate::json::{self, Json};
use crate::model::{json_number, json_string, Facts, EXAMPLE_KEY, UNKNOWN_KEY};
use crate::oracle::{Oracle, Window};
use crate::reference::{Core, Fault, Settings};
use crate::request::{Answer, Request};
use crate::spec;
use crate::transport::{Exchange, TransportError, MAX_KEPT};
use crate::{encode_body, encode_value, ClientDate, ClientError};

/// The names of the fuzz targets, in the order `fuzz/Cargo.toml` lists them. Each
/// is also the name of the function here that the target calls.
pub const TARGETS: [&str; 5] = ["reference_decision", "oracle_total", "checks_classifier", "client_encoding", "json_reader"];

/// The function behind the fuzz target `name`, or `None` for an unknown name.
///
/// Lets the corpus replay test and the seed writer iterate over [`TARGETS`]
/// instead of repeating the list of functions.
pub fn target(name: &str) -> Option<fn(&[u8])> {
    Some(match name {
        "reference_decision" => reference_decision,
        "oracle_total" => oracle_total,
        "checks_classifier" => checks_classifier,
        "client_encoding" => client_encoding,
        "json_reader" => json_reader,
        _ => return None,
    })
}

/// The impact ids the fuzzed target knows ([`Facts::example`]'s).
const IMPACT_IDS: [u64; 2] = [42, 43];

/// The oracle for [`Facts::example`]: impact ids 42 and 43, key [`EXAMPLE_KEY`].
fn example_oracle() -> Oracle {
    Oracle::new(IMPACT_IDS, [EXAMPLE_KEY])
}

/// Conformant reference-server configurations that differ where the contract is
/// silent, each named, all with [`Facts::example`]'s impact ids and key.
///
/// They answer the same request differently (lenient vs strict choices, the
/// rate limit checked before or after the key and body), so "every one of them
/// answers inside the oracle's set" tests the oracle's set from several sides.
pub fn conformant_settings() -> Vec<(&'static str, Settings)> {
    let base = Settings { impact_ids: IMPACT_IDS.to_vec(), api_keys: vec![EXAMPLE_KEY.to_string()], ..Settings::default() };
    Settings::conformant_variants(base)
}

// --- the targets ---------------------------------------------------------------

/// Target `reference_decision`: **every conformant reference server answers inside
/// the oracle's set**, given the window state it is in.
///
/// Input: a window flag (whether a valid registration at t=0 opened the window of
/// impact 42 or 43), a time `now` in 0..=327 s, then an arbitrary request (see
/// [`request`]). For each of [`conformant_settings`] the window state of the
/// request's impact source is read *before* deciding, because deciding may open it.
///
/// # Panics
/// When a reference server's answer is a violation of the oracle's expectation: then
/// the reference server and the oracle disagree about the contract, and one of them
/// is wrong.
pub fn reference_decision(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok((open_first, opened_id, now, req)) = reference_input(&mut u) else {
        return;
    };
    let oracle = example_oracle();
    for (name, settings) in conformant_settings() {
        let mut core = Core::new(settings);
        if open_first {
            core.decide(&valid_registration(opened_id), Duration::ZERO);
        }
        let window = match oracle.impact_of(&req) {
            Some(id) if core.window_open(id, now) => Window::Open,
            _ => Window::Closed,
        };
        let expected = oracle.expect(&req, window);
        let answer = core.decide(&req, now);
        let judgement = expected.judge(&answer);
        assert!(
            !judgement.is_violation(),
            "reference server '{name}' answered outside the oracle's set\n\
             received: {} {:?}\nallowed:  {}\njudgement: {judgement:?}\n\
             window: {window:?} at {now:?} (opened at 0s: {open_first}, impact {opened_id})\n\
             request:\n{}",
            answer.status,
            answer.text_for_comparison(),
            expected.summary(),
            req.summary(),
        );
    }
}

fn reference_input(u: &mut Unstructured<'_>) -> Result<(bool, u64, Duration, Request)> {
    let open_first = u.arbitrary::<u8>()? % 2 == 1;
    let opened_id = IMPACT_IDS[usize::from(u.arbitrary::<u8>()? % 2)];
    let now = Duration::from_millis(u64::from(u.arbitrary::<u16>()?) * 5);
    Ok((open_first, opened_id, now, request(u)?))
}

/// Target `oracle_total`: **the oracle is total and deterministic**.
///
/// Input: an arbitrary request, then up to four (status in 100..=599, body bytes)
/// answers. For every [`Window`] state, `expect` gives a non-empty set, gives the
/// same set when asked twice, and `judge` takes every answer without panicking.
///
/// # Panics
/// On an empty or unstable expectation (and, as any panic, if the oracle panics).
pub fn oracle_total(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok((req, answers)) = oracle_input(&mut u) else {
        return;
    };
    let oracle = example_oracle();
    for window in [Window::Closed, Window::Open, Window::Unknown] {
        let first = oracle.expect(&req, window);
        assert!(!first.allowed.is_empty(), "the oracle allows nothing ({window:?}) for\n{}", req.summary());
        let second = oracle.expect(&req, window);
        assert_eq!(first, second, "the oracle answered twice differently ({window:?}) for\n{}", req.summary());
        for answer in &answers {
            let _ = first.judge(answer);
        }
    }
}

fn oracle_input(u: &mut Unstructured<'_>) -> Result<(Request, Vec<Answer>)> {
    let req = request(u)?;
    let mut answers = Vec::new();
    loop {
        let status = 100 + u.arbitrary::<u16>()? % 500;
        let body = field(u)?.to_vec();
        answers.push(Answer { status, headers: Vec::new(), body });
        if u.is_empty() || answers.len() == 4 {
            return Ok((req, answers));
        }
    }
}

/// Target `checks_classifier`: **the checks are a pure function, and a 5xx is always
/// a violation**.
///
/// Input: an arbitrary request, a window state, the target's window in seconds, and
/// an outcome: an answer (any `u16` status, arbitrary headers, a body up to 1 MiB)
/// or a transport error, plus the `truncated` flag. `checks::classify` with the
/// default checks must give the same verdict and failures twice, and
/// [`Verdict::Violation`] for any answer with a status of 500 or more.
///
/// # Panics
/// When the two classifications differ or a 5xx is not a violation.
pub fn checks_classifier(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok((window, window_secs, exchange)) = checks_input(&mut u) else {
        return;
    };
    let expectation = example_oracle().expect(&exchange.request, window);
    let ctx = Context { expectation: &expectation, window_secs };
    let checks = checks::default_checks();
    let first = checks::classify(&ctx, &exchange, &checks);
    let second = checks::classify(&ctx, &exchange, &checks);
    let describe = || match &exchange.outcome {
        Ok(a) => format!(
            "{} {:?} (headers {:?}, truncated {})",
            a.status,
            a.text_for_comparison().chars().take(200).collect::<String>(),
            a.headers,
            exchange.truncated
        ),
        Err(e) => format!("transport error {e:?}"),
    };
    assert_eq!(first, second, "classify is not deterministic for {}\nallowed: {}", describe(), expectation.summary());
    if let Ok(a) = &exchange.outcome {
        assert!(
            a.status < 500 || first.0 == Verdict::Violation,
            "a {} answer was classified {} (failures {:?}): a 5xx is always a violation\n\
             received: {}\nallowed: {}",
            a.status,
            first.0,
            first.1,
            describe(),
            expectation.summary()
        );
    }
}

fn checks_input(u: &mut Unstructured<'_>) -> Result<(Window, u64, Exchange)> {
    let request = request(u)?;
    let window = [Window::Closed, Window::Open, Window::Unknown][usize::from(u.arbitrary::<u8>()? % 3)];
    let window_secs = u64::from(u.arbitrary::<u16>()?);
    let outcome = outcome(u)?;
    let truncated = u.arbitrary::<u8>()? % 2 == 1;
    let elapsed = Duration::from_micros(u64::from(u.arbitrary::<u32>()?));
    Ok((window, window_secs, Exchange { request, outcome, truncated, elapsed }))
}

/// Target `client_encoding`: **the reference client sends exactly what it was given,
/// or nothing**.
///
/// Input: 8 bytes taken as an `f64`'s bits (any pattern: every NaN payload, both
/// zeros, subnormals, infinities), an optional date (parsed from arbitrary text with
/// [`ClientDate::parse`], or built from arbitrary integers), an optional body key.
///
/// A finite value: [`encode_body`] succeeds, its bytes are strict JSON (`serde_json`)
/// for an object with exactly `value`, `date` when given and `api_key` when given;
/// `value` has the very same bits (`-0.0` included); `date` denotes the same instant
/// (with an offset) or the same local time (without one, and still without one).
/// A non-finite value: [`encode_value`] and [`encode_body`] refuse it with
/// [`ClientError::NonFinite`] carrying the same bits (or, for `encode_body` with a
/// date RFC 3339 cannot write, with [`ClientError::InvalidDate`]).
///
/// The one date the client may refuse (with [`ClientError::InvalidDate`]) is one RFC
/// 3339 cannot write: a year outside 0000..=9999 in its own offset or in UTC. Dates
/// built from integers reach such years, and offsets with seconds, which RFC 3339
/// cannot write either (the client must then move to another offset, not drop the
/// seconds).
///
/// # Panics
/// When the body does not carry the value, date or key it was given, or a
/// non-finite value is not refused.
pub fn client_encoding(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok((value, date, key)) = client_input(&mut u) else {
        return;
    };
    assert_client_encoding(value, date.as_ref(), key.as_deref());
}

/// The invariant of [`client_encoding`] for one (value, date, key), so tests can
/// state known inputs directly.
///
/// # Panics
/// As [`client_encoding`].
pub fn assert_client_encoding(value: f64, date: Option<&ClientDate>, key: Option<&str>) {
    if !value.is_finite() {
        let refused = |e: Option<&ClientError>| matches!(e, Some(ClientError::NonFinite(v)) if v.to_bits() == value.to_bits());
        let single = encode_value(value);
        assert!(refused(single.as_ref().err()), "encode_value({value:?}) did not refuse a non-finite value: {single:?}");
        // With an unwritable date as well, either refusal will do: nothing is sent.
        let body = encode_body(value, date, key);
        let date_refused = matches!(body, Err(ClientError::InvalidDate { .. })) && date.is_some_and(outside_rfc3339_years);
        assert!(
            refused(body.as_ref().err()) || date_refused,
            "encode_body({value:?}, {date:?}, ..) did not refuse a non-finite value: {body:?}"
        );
        return;
    }
    let body = match encode_body(value, date, key) {
        Ok(body) => body,
        Err(ClientError::InvalidDate { .. }) if date.is_some_and(outside_rfc3339_years) => return,
        Err(e) => panic!("encode_body refused the finite value {value:?} with date {date:?}: {e}"),
    };
    let shown = String::from_utf8_lossy(&body);
    let parsed: serde_json::Value =
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("the body is not strict JSON ({e}): {shown}"));
    let Some(object) = parsed.as_object() else {
        panic!("the body is not a JSON object: {shown}");
    };
    let sent = object.get("value").and_then(serde_json::Value::as_f64);
    assert_eq!(
        sent.map(f64::to_bits),
        Some(value.to_bits()),
        "value {value:?} (bits {:#018x}) was sent as {sent:?}: {shown}",
        value.to_bits()
    );
    let expected_members = 1 + usize::from(date.is_some()) + usize::from(key.is_some());
    assert_eq!(object.len(), expected_members, "unexpected members in the body: {shown}");
    if let Some(date) = date {
        let text = object
            .get("date")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_else(|| panic!("no date string in the body: {shown}"));
        assert_date_denotes(date, text);
    }
    if let Some(key) = key {
        assert_eq!(
            object.get("api_key").and_then(serde_json::Value::as_str),
            Some(key),
            "api_key was not sent as given: {shown}"
        );
    }
}

/// Whether RFC 3339 cannot write `date`: its year, in its own offset or in UTC, lies
/// outside 0000..=9999. Only such a date may be refused.
fn outside_rfc3339_years(date: &ClientDate) -> bool {
    let years = match date {
        ClientDate::Instant(i) => [i.year(), i.naive_utc().year()],
        ClientDate::Local(l) => [l.year(), l.year()],
    };
    years.iter().any(|y| !(0..=9999).contains(y))
}

/// An instant as nanoseconds on the POSIX timeline, which has no leap seconds.
///
/// chrono writes a leap second as a nanosecond count of 1e9 or more, and lets any
/// minute have one (`23:40:60+06:23:59`). Moved to another offset such a time is
/// written with the extra second carried into the next one (`17:17:01Z`), which is
/// what a reader without leap seconds makes of the original too; chrono's `==`
/// tells the two apart, this does not.
fn timeline_nanos(d: &DateTime<FixedOffset>) -> i128 {
    i128::from(d.timestamp()) * 1_000_000_000 + i128::from(d.timestamp_subsec_nanos())
}

/// Whether the sent date `text` denotes `date`: the same instant for a date with an
/// offset, the same local time (and still no offset) for one without.
fn assert_date_denotes(date: &ClientDate, text: &str) {
    match date {
        ClientDate::Instant(instant) => {
            let back = DateTime::parse_from_rfc3339(text)
                .unwrap_or_else(|e| panic!("date {instant:?} was sent as {text:?}, which is not RFC 3339: {e}"));
            assert_eq!(timeline_nanos(&back), timeline_nanos(instant), "date {instant:?} was sent as {text:?}, another instant");
        }
        ClientDate::Local(local) => {
            let back = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .unwrap_or_else(|e| panic!("local date {local:?} was sent as {text:?}, which does not read back: {e}"));
            assert_eq!(back, *local, "local date {local:?} was sent as {text:?}, another local time");
            assert!(
                DateTime::parse_from_rfc3339(text).is_err(),
                "local date {local:?} was sent as {text:?}, with an invented offset"
            );
        }
    }
}

fn client_input(u: &mut Unstructured<'_>) -> Result<(f64, Option<ClientDate>, Option<String>)> {
    let value = f64::from_bits(u.arbitrary::<u64>()?);
    let date = match u.arbitrary::<u8>()? % 4 {
        0 => None,
        1 => ClientDate::parse(&String::from_utf8_lossy(field(u)?)).ok(),
        2 => {
            let local = local_from_ints(u)?;
            // Mostly whole minutes, as RFC 3339 writes offsets; sometimes with seconds.
            let seconds = if u.arbitrary::<u8>()? % 4 == 3 {
                u.arbitrary::<i32>()? % 86_400
            } else {
                i32::from(u.arbitrary::<i16>()? % (24 * 60)) * 60
            };
            FixedOffset::east_opt(seconds).and_then(|offset| offset.from_local_datetime(&local).single()).map(ClientDate::Instant)
        }
        _ => Some(ClientDate::Local(local_from_ints(u)?)),
    };
    let key = match u.arbitrary::<u8>()? % 3 {
        0 => None,
        1 => Some(EXAMPLE_KEY.to_string()),
        _ => Some(String::from_utf8_lossy(field(u)?).into_owned()),
    };
    Ok((value, date, key))
}

/// A local date-time from arbitrary integers: mostly a year RFC 3339 can write
/// (0000..=9999), sometimes any year chrono holds; a leap second allowed when the
/// second is 59.
fn local_from_ints(u: &mut Unstructured<'_>) -> Result<NaiveDateTime> {
    let year =
        if u.arbitrary::<u8>()? % 8 == 7 { u.arbitrary::<i32>()? % 300_000 } else { i32::from(u.arbitrary::<u16>()? % 10_000) };
    let month = u32::from(u.arbitrary::<u8>()? % 12) + 1;
    let day = u32::from(u.arbitrary::<u8>()? % 31) + 1;
    let hour = u32::from(u.arbitrary::<u8>()? % 24);
    let minute = u32::from(u.arbitrary::<u8>()? % 60);
    let second = u32::from(u.arbitrary::<u8>()? % 60);
    let nano = u.arbitrary::<u32>()? % 2_000_000_000;
    let date =
        NaiveDate::from_ymd_opt(year, month, day).or_else(|| NaiveDate::from_ymd_opt(year, month, 28)).unwrap_or(NaiveDate::MIN);
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nano)
        .or_else(|| NaiveTime::from_hms_nano_opt(hour, minute, second, nano % 1_000_000_000))
        .unwrap_or(NaiveTime::MIN);
    Ok(date.and_time(time))
}

/// Target `json_reader`: **the crate's JSON reader accepts all that `serde_json`
/// accepts, and reads it the same way**.
///
/// Input: the bytes themselves. `json::parse` must never panic (its nesting is
/// limited to [`json::MAX_DEPTH`]); whenever `serde_json` accepts the bytes as a
/// value, `json::parse` accepts them too, with the same kinds at every position,
/// equal strings and booleans, numbers that read as the same double, and objects
/// whose last member of each name agrees (`serde_json` keeps the last of duplicate
/// keys, our reader keeps them all in order).
///
/// # Panics
/// On the first disagreement, naming its position (`$.value[2]`).
pub fn json_reader(data: &[u8]) {
    let ours = json::parse(data);
    let Ok(theirs) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let shown = String::from_utf8_lossy(data);
    let ours = match ours {
        Ok(v) => v,
        Err(e) => panic!("serde_json accepts what json::parse refuses ({e}): {shown:?}"),
    };
    if let Some(why) = disagreement(&theirs, &ours, "$") {
        panic!("json::parse and serde_json disagree: {why}\ninput: {shown:?}");
    }
}

/// Where and how `ours` reads differently from `theirs`, or `None`.
fn disagreement(theirs: &serde_json::Value, ours: &Json, at: &str) -> Option<String> {
    use serde_json::Value as V;
    let differ = || Some(format!("at {at}: serde_json {theirs} vs {ours:?}"));
    match (theirs, ours) {
        (V::Null, Json::Null) => None,
        (V::Bool(a), Json::Bool(b)) if a == b => None,
        (V::Number(n), Json::Number(t)) => {
            let ours = t.parse::<f64>().ok();
            (ours.is_none() || ours != n.as_f64()).then(differ).flatten()
        }
        (V::String(a), Json::String(b)) if a == b => None,
        (V::Array(a), Json::Array(b)) if a.len() == b.len() => {
            a.iter().zip(b).enumerate().find_map(|(i, (x, y))| disagreement(x, y, &format!("{at}[{i}]")))
        }
        (V::Object(map), Json::Object(members)) => {
            let mut names: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            if names.len() != map.len() {
                return differ();
            }
            map.iter().find_map(|(k, v)| match members.iter().rev().find(|(name, _)| name == k) {
                Some((_, ours)) => disagreement(v, ours, &format!("{at}.{k}")),
                None => Some(format!("at {at}: member {k:?} missing")),
            })
        }
        _ => differ(),
    }
}

// --- generators ----------------------------------------------------------------

/// The first byte of a raw request ([`encode_raw_request`]).
const REQUEST_RAW: u8 = 0;
/// The first byte of a raw answer outcome.
const OUTCOME_RAW: u8 = 0;
/// Headers a raw request or answer holds at most.
const MAX_RAW_HEADERS: u8 = 32;

/// A byte string prefixed by its length (`u16`, little-endian), cut short when the
/// input runs out.
fn field<'a>(u: &mut Unstructured<'a>) -> Result<&'a [u8]> {
    let len = usize::from(u.arbitrary::<u16>()?);
    u.bytes(len.min(u.len()))
}

/// [`field`] with a `u32` length, for bodies.
fn long_field<'a>(u: &mut Unstructured<'a>) -> Result<&'a [u8]> {
    let len = usize::try_from(u.arbitrary::<u32>()?).unwrap_or(usize::MAX);
    u.bytes(len.min(u.len()))
}

fn put_field(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u16::try_from(bytes.len()).expect("a seed field fits in u16");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(bytes);
}

fn put_long_field(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).expect("a seed body fits in u32");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(bytes);
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Encodes `req` so that the request generator reads it back exactly (the raw
/// choice): `0`, then method, target, header count, each header's name and value,
/// each as a `u16`-length-prefixed byte string, then the body with a `u32` length.
///
/// Method, target and header names are strings, so they must be UTF-8 to survive.
///
/// # Panics
/// With more than 32 headers or a part longer than its length prefix allows.
pub fn encode_raw_request(req: &Request) -> Vec<u8> {
    let mut out = vec![REQUEST_RAW];
    put_field(&mut out, req.method.as_bytes());
    put_field(&mut out, req.target.as_bytes());
    let count =
        u8::try_from(req.headers.len()).ok().filter(|n| *n <= MAX_RAW_HEADERS).expect("a seed request has at most 32 headers");
    out.push(count);
    for (name, value) in &req.headers {
        put_field(&mut out, name.as_bytes());
        put_field(&mut out, value);
    }
    put_long_field(&mut out, &req.body);
    out
}

/// An arbitrary request: one time in four the raw choice (any method, target,
/// headers and body bytes), otherwise built from the contract's vocabulary.
///
/// The structured request has a method (mostly `POST`, sometimes `GET`, `HEAD`,
/// lower case or arbitrary), a target (impact 42 or 43, an unknown id, leading
/// zeros, a non-integer segment, a query string, or a wholly arbitrary target),
/// `Content-Type` and `Authorization` headers with realistic or arbitrary values
/// (sometimes repeated, sometimes absent), and a body (a JSON object whose `value`,
/// `date`, `api_key` and extra members are drawn from the catalogue's classes,
/// a form body, a non-object JSON text or raw bytes), sometimes with one byte
/// flipped, inserted or removed.
fn request(u: &mut Unstructured<'_>) -> Result<Request> {
    if u.arbitrary::<u8>()? % 4 == REQUEST_RAW {
        return raw_request(u);
    }
    let method = method(u)?;
    let target = target_path(u)?;
    let (body, form) = body(u)?;
    let mut headers = Vec::new();
    if let Some(ct) = content_type(u, form)? {
        let name = *u.choose(&["Content-Type", "content-type", "CONTENT-TYPE"])?;
        headers.push((name.to_string(), ct));
    }
    if let Some(auth) = authorization(u)? {
        let name = *u.choose(&["Authorization", "authorization"])?;
        headers.push((name.to_string(), auth));
    }
    if u.ratio(1u8, 6)? {
        // A repeated header: servers read the first, the oracle must cope with both.
        if u.ratio(1u8, 2)? {
            if let Some(auth) = authorization(u)? {
                headers.push(("Authorization".into(), auth));
            }
        } else if let Some(ct) = content_type(u, form)? {
            headers.push(("Content-Type".into(), ct));
        }
    }
    if u.ratio(1u8, 8)? {
        headers.push((u.arbitrary::<String>()?, u.arbitrary::<Vec<u8>>()?));
    }
    if u.ratio(1u8, 2)? {
        headers.reverse();
    }
    Ok(Request { method, target, headers, body })
}

fn raw_request(u: &mut Unstructured<'_>) -> Result<Request> {
    let method = lossy(field(u)?);
    let target = lossy(field(u)?);
    let count = u.arbitrary::<u8>()? % (MAX_RAW_HEADERS + 1);
    let mut headers = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let name = lossy(field(u)?);
        headers.push((name, field(u)?.to_vec()));
    }
    let body = long_field(u)?.to_vec();
    Ok(Request { method, target, headers, body })
}

fn method(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(4u8, 5)? {
        return Ok("POST".into());
    }
    const ODD: &[&str] =
        &["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "post", "Post", "TRACE", "CONNECT", "", "POST ", " POST", "PO ST"];
    if u.ratio(1u8, 5)? {
        return u.arbitrary::<String>();
    }
    Ok(u.choose(ODD)?.to_string())
}

fn target_path(u: &mut Unstructured<'_>) -> Result<String> {
    const ODD_SEGMENTS: &[&str] = &[
        "",
        "-1",
        "-42",
        "1.5",
        "42abc",
        "abc",
        " 42",
        "42 ",
        "+42",
        "0x2a",
        "4 2",
        "42%20",
        "%34%32",
        "\u{ff14}\u{ff12}",
        "42/",
        "/42",
        "..",
        "42?",
        "18446744073709551616",
        "99999999999999999999999",
        "0",
    ];
    let seg = match u.choose_index(10)? {
        0..=2 => "42".to_string(),
        3 => "43".to_string(),
        4 => u.arbitrary::<u64>()?.to_string(),
        5 => {
            let zeros = "0".repeat(usize::from(u.arbitrary::<u8>()? % 4) + 1);
            format!("{zeros}{}", u.choose(&["42", "43", "0", "7", "999999", ""])?)
        }
        6 => u.choose(ODD_SEGMENTS)?.to_string(),
        7 => u.arbitrary::<String>()?,
        8 => return u.arbitrary::<String>(), // a wholly arbitrary target
        _ => {
            const TARGETS: &[&str] = &[
                "/api/1/impact/42/register_impact/",
                "/API/1/impact/42/register_impact",
                "/api/1/impact/42/register_impact/extra",
                "//api/1/impact/42/register_impact",
                "/api/2/impact/42/register_impact",
                "api/1/impact/42/register_impact",
                "/api/1/impact/42",
                "/",
                "",
                "*",
                "http://h/api/1/impact/42/register_impact",
            ];
            return Ok(u.choose(TARGETS)?.to_string());
        }
    };
    let mut target = spec::register_path(&seg);
    if u.ratio(1u8, 8)? {
        let query = match u.choose_index(4)? {
            0 => format!("api_key={EXAMPLE_KEY}"),
            1 => String::new(),
            2 => "value=1.5".to_string(),
            _ => u.arbitrary::<String>()?,
        };
        target = format!("{target}?{query}");
    }
    Ok(target)
}

fn content_type(u: &mut Unstructured<'_>, form: bool) -> Result<Option<Vec<u8>>> {
    if u.ratio(3u8, 5)? {
        let usual = if form { "application/x-www-form-urlencoded" } else { "application/json" };
        return Ok(Some(usual.into()));
    }
    const OTHERS: &[&str] = &[
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/json;charset=latin-1",
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=utf-8",
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/problem+json",
        "",
        " application/json ",
    ];
    Ok(match u.choose_index(4)? {
        0 => None,
        1 => Some(u.arbitrary::<Vec<u8>>()?),
        _ => Some(u.choose(OTHERS)?.as_bytes().to_vec()),
    })
}

fn authorization(u: &mut Unstructured<'_>) -> Result<Option<Vec<u8>>> {
    if u.ratio(3u8, 5)? {
        return Ok(Some(format!("apikey {EXAMPLE_KEY}").into_bytes()));
    }
    let k = EXAMPLE_KEY;
    let value = match u.choose_index(18)? {
        0 | 1 => return Ok(None),
        2 => format!("APIKEY {k}"),
        3 => format!("ApiKey {k}"),
        4 => format!(" apikey  {k} "),
        5 => format!("Bearer {k}"),
        6 => k.to_string(),
        7 => format!("apikey {UNKNOWN_KEY}"),
        8 => "apikey ".to_string(),
        9 => "apikey".to_string(),
        10 => "Basic c2M6ZXhhbXBsZQ==".to_string(),
        11 => format!("apikey {k} extra"),
        12 => format!("apikey\t{k}"),
        13 => format!("apikey {k}x"),
        14 => format!("apikey {}", u.arbitrary::<String>()?),
        15 => String::new(),
        _ => return Ok(Some(u.arbitrary::<Vec<u8>>()?)),
    };
    Ok(Some(value.into_bytes()))
}

const VALUE_TEXTS: &[&str] = &[
    "1.5",
    "0",
    "-0",
    "-0.0",
    "42",
    "1e3",
    "2E-3",
    "1.5e+2",
    "5e-324",
    "2.225073858507201e-308",
    "1.7976931348623157e308",
    "-1.7976931348623157e308",
    "1.7976931348623159e308",
    "1e400",
    "-1e400",
    "1e-400",
    "0e400",
    "0.0e-999",
    "NaN",
    "Infinity",
    "-Infinity",
    "-NaN",
    "nan",
    "null",
    "true",
    "false",
    "[]",
    "[1.5]",
    "{}",
    "\"\"",
    "\"abc\"",
    "\"1.5\"",
    "\" 1.5 \"",
    "\"42\"",
    "\"1e400\"",
    "\"NaN\"",
    "\"Infinity\"",
    "\"-inf\"",
    "\"1_000\"",
    "+1",
    ".5",
    "1.",
    "01",
    "0x10",
    "1e",
    "-",
    "1.5.5",
];

const DATE_TEXTS: &[&str] = &[
    "2024-03-01T12:00:00Z",
    "2024-03-01T12:00:00+02:00",
    "2024-03-01T12:00:00-05:30",
    "2024-03-01T12:00:00.123456Z",
    "2024-03-01T12:00:00.5+00:00",
    "2024-03-01T12:00:00",
    "2024-03-01T12:00:00.25",
    "",
    " ",
    "2024-03-01",
    "20240301T120000Z",
    "2024-W09-5",
    "2024-061",
    "2024-03-01t12:00:00z",
    "2024-03-01 12:00:00Z",
    "2024-03-01T23:59:60Z",
    "2024-03-01T24:00:00Z",
    "1999-12-31T23:59:59Z",
    "2101-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999999Z",
    "2024-02-30T12:00:00Z",
    "2023-02-29T12:00:00Z",
    "2024-13-01T12:00:00Z",
    "2024-03-01T25:00:00Z",
    "2024-03-01T12:60:00Z",
    "2024-03-01T12:00:00+24:00",
    "2024-03-01T12:00:00+0200",
    "03/01/2024",
    "yesterday",
    "1709294400",
    "2024/03/01 12:00",
    "now",
];

const NON_STRING_DATES: &[&str] = &["null", "1709294400", "true", "{}", "[]", "[\"2024-03-01\"]"];

const NAMES: &[&str] = &["value", "date", "api_key", "Value", "value ", "api-key", "apiKey", "DATE", "impact_id", "comment", ""];

/// The JSON text of a `value` member.
fn value_text(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.choose_index(6)? {
        0 | 1 => u.choose(VALUE_TEXTS)?.to_string(),
        2 => {
            let v = f64::from_bits(u.arbitrary::<u64>()?);
            if v.is_finite() {
                json_number(v)
            } else {
                "1.5".into()
            }
        }
        3 => {
            // A hand-made number token: long mantissas, exponents far out of range.
            let sign = if u.arbitrary::<bool>()? { "-" } else { "" };
            let int = u.arbitrary::<u64>()?;
            let frac = u.arbitrary::<u32>()?;
            let exp = i32::from(u.arbitrary::<i16>()? % 700);
            format!("{sign}{int}.{frac}e{exp}")
        }
        4 => json_string(&u.arbitrary::<String>()?),
        _ => u.arbitrary::<String>()?,
    })
}

/// The JSON text of a `date` member.
fn date_text(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.choose_index(6)? {
        0..=2 => json_string(u.choose(DATE_TEXTS)?),
        3 => u.choose(NON_STRING_DATES)?.to_string(),
        4 => {
            // Date-shaped, with fields that may be out of range (impossible dates,
            // far years, odd offsets).
            let (y, mo, d) = (u.arbitrary::<u16>()? % 10_000, u.arbitrary::<u8>()? % 100, u.arbitrary::<u8>()? % 100);
            let (h, mi, s) = (u.arbitrary::<u8>()? % 100, u.arbitrary::<u8>()? % 100, u.arbitrary::<u8>()? % 100);
            let offset = *u.choose(&["Z", "", "+02:00", "-05:30", "+14:00", "z", ".5Z", "+99:99"])?;
            json_string(&format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{offset}"))
        }
        _ => json_string(&u.arbitrary::<String>()?),
    })
}

/// The JSON text of an `api_key` member.
fn key_text(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.choose_index(9)? {
        0..=3 => json_string(EXAMPLE_KEY),
        4 => json_string(UNKNOWN_KEY),
        5 => u.choose(&["\"\"", "null", "42", "{}", "[]", "true"])?.to_string(),
        6 => json_string(&format!(" {EXAMPLE_KEY} ")),
        7 => json_string(&format!("apikey {EXAMPLE_KEY}")),
        _ => json_string(&u.arbitrary::<String>()?),
    })
}

fn member_text(u: &mut Unstructured<'_>, name: &str) -> Result<String> {
    match name {
        "value" => value_text(u),
        "date" => date_text(u),
        "api_key" => key_text(u),
        _ => match u.choose_index(4)? {
            0 => value_text(u),
            1 => date_text(u),
            2 => key_text(u),
            _ => Ok(u.choose(&["1", "\"deploy 42\"", "{\"a\": [1, {\"b\": null}]}", "NaN", "[[[[1]]]]"])?.to_string()),
        },
    }
}

/// A body and whether it is form-encoded (so the usual `Content-Type` differs).
fn body(u: &mut Unstructured<'_>) -> Result<(Vec<u8>, bool)> {
    let (mut body, form) = match u.choose_index(8)? {
        0..=4 => (json_object(u)?, false),
        5 => (form_body(u)?, true),
        6 => {
            const OTHER: &[&str] = &[
                "",
                " ",
                "[]",
                "[{\"value\": 1.5}]",
                "1.5",
                "\"value\"",
                "null",
                "{",
                "{\"value\": 1.5,}",
                "{\"value\" 1.5}",
                "\u{feff}{\"value\": 1.5}",
                "{\"value\": 1.5}{\"value\": 2}",
                "{\"value\": 1.5} x",
                "{\"value\": 1.5 /* c */}",
                "{'value': 1.5}",
                "{value: 1.5}",
            ];
            (u.choose(OTHER)?.as_bytes().to_vec(), false)
        }
        _ => (u.arbitrary::<Vec<u8>>()?, false),
    };
    if !body.is_empty() && u.ratio(1u8, 8)? {
        let at = u.choose_index(body.len())?;
        match u.choose_index(4)? {
            0 => body[at] ^= 1 << (u.arbitrary::<u8>()? % 8),
            1 => body.insert(at, u.arbitrary::<u8>()?),
            2 => {
                body.remove(at);
            }
            _ => body.truncate(at),
        }
    }
    Ok((body, form))
}

fn json_object(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let mut members: Vec<(String, String)> = Vec::new();
    if u.ratio(7u8, 8)? {
        members.push(("value".into(), value_text(u)?));
    }
    if u.ratio(1u8, 2)? {
        members.push(("date".into(), date_text(u)?));
    }
    if u.ratio(1u8, 3)? {
        members.push(("api_key".into(), key_text(u)?));
    }
    for _ in 0..u.int_in_range(0u8..=2)? {
        let name = if u.ratio(3u8, 4)? { u.choose(NAMES)?.to_string() } else { u.arbitrary::<String>()? };
        let text = member_text(u, &name)?;
        members.push((name, text));
    }
    if !members.is_empty() && u.ratio(1u8, 6)? {
        // A duplicate key with a value of its own.
        let name = members[u.choose_index(members.len())?].0.clone();
        let text = member_text(u, &name)?;
        members.push((name, text));
    }
    if u.ratio(1u8, 4)? {
        members.reverse();
    }
    let sep = *u.choose(&[", ", ",", " ,\n  "])?;
    let colon = *u.choose(&[": ", ":", " : "])?;
    let inner: Vec<String> = members.iter().map(|(n, v)| format!("{}{colon}{v}", json_string(n))).collect();
    let pad = *u.choose(&["", " ", "\n", "\t"])?;
    Ok(format!("{pad}{{{}}}{pad}", inner.join(sep)).into_bytes())
}

fn form_body(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let mut form = form_urlencoded::Serializer::new(String::new());
    if u.ratio(7u8, 8)? {
        let v = match u.choose_index(3)? {
            0 => "1.5".to_string(),
            1 => u.choose(&["-0", "1e400", "NaN", "abc", "", " 2 ", "inf", "1_000", "0x10"])?.to_string(),
            _ => u.arbitrary::<String>()?,
        };
        form.append_pair("value", &v);
    }
    if u.ratio(1u8, 2)? {
        form.append_pair("date", u.choose(DATE_TEXTS)?);
    }
    if u.ratio(1u8, 2)? {
        let key = if u.ratio(3u8, 4)? { EXAMPLE_KEY } else { UNKNOWN_KEY };
        form.append_pair("api_key", key);
    }
    if u.ratio(1u8, 8)? {
        form.append_pair(&u.arbitrary::<String>()?, &u.arbitrary::<String>()?);
    }
    Ok(form.finish().into_bytes())
}

/// A valid registration for `impact_id` ([`Facts::example`]'s key in the header).
fn valid_registration(impact_id: u64) -> Request {
    Request::post(spec::register_path(&impact_id.to_string()))
        .header("Content-Type", "application/json")
        .header("Authorization", format!("apikey {EXAMPLE_KEY}"))
        .body(r#"{"value": 1.5}"#)
}

const ANSWER_TEXTS: &[&str] = &[
    spec::TEXT_SUCCESS,
    spec::TEXT_BAD_VALUE,
    spec::TEXT_UNAUTHORIZED,
    spec::TEXT_NOT_FOUND,
    spec::TEXT_RATE_LIMITED,
    "Bad Request - date must be an ISO-8601 date-time",
    "Method Not Allowed",
    "Internal Server Error",
    "OK",
    "Unauthorised",
    "",
];

const RETRY_AFTER_VALUES: &[&str] = &[
    "1",
    "120",
    "119",
    "0",
    "121",
    "3600",
    "1.5",
    " 60 ",
    "",
    "-1",
    "+5",
    "99999999999999999999999",
    "Fri, 01 Mar 2024 12:02:00 GMT",
];

/// What came of an exchange: a raw answer (status, headers and body as given), a
/// structured one (a status the contract knows, `Retry-After` values, the exact
/// texts, bodies up to 1 MiB), or one of the transport errors.
fn outcome(u: &mut Unstructured<'_>) -> Result<std::result::Result<Answer, TransportError>> {
    let mode = u.arbitrary::<u8>()? % 8;
    Ok(match mode {
        OUTCOME_RAW => Ok(raw_answer(u)?),
        1..=3 => Ok(structured_answer(u)?),
        4 => Err(TransportError::Timeout(Duration::from_millis(u64::from(u.arbitrary::<u32>()?)))),
        5 => Err(TransportError::Connect(u.arbitrary()?)),
        6 => Err(TransportError::Broken(u.arbitrary()?)),
        _ => Err(TransportError::Unsendable(u.arbitrary()?)),
    })
}

fn raw_answer(u: &mut Unstructured<'_>) -> Result<Answer> {
    let status = u.arbitrary::<u16>()?;
    let count = u.arbitrary::<u8>()? % (MAX_RAW_HEADERS + 1);
    let mut headers = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let name = lossy(field(u)?);
        headers.push((name, lossy(field(u)?)));
    }
    let body = long_field(u)?.to_vec();
    Ok(Answer { status, headers, body })
}

fn structured_answer(u: &mut Unstructured<'_>) -> Result<Answer> {
    const STATUSES: &[u16] = &[200, 201, 204, 301, 400, 401, 403, 404, 405, 415, 429, 500, 502, 503, 599, 600, 999];
    let status = if u.ratio(3u8, 4)? { *u.choose(STATUSES)? } else { u.arbitrary::<u16>()? };
    let mut headers = Vec::new();
    for _ in 0..u.int_in_range(0u8..=3)? {
        let name = if u.ratio(3u8, 4)? {
            u.choose(&["Retry-After", "retry-after", "RETRY-AFTER", "Content-Type"])?.to_string()
        } else {
            u.arbitrary::<String>()?
        };
        let value = if u.ratio(3u8, 4)? { u.choose(RETRY_AFTER_VALUES)?.to_string() } else { u.arbitrary::<String>()? };
        headers.push((name, value));
    }
    let body = match u.choose_index(5)? {
        0 | 1 => {
            let text = *u.choose(ANSWER_TEXTS)?;
            let end = *u.choose(&["", "", "\n", "\r\n", "\n\n", " "])?;
            format!("{text}{end}").into_bytes()
        }
        2 => u.arbitrary::<Vec<u8>>()?,
        3 => {
            // Up to 1 MiB: an exact text followed by filler, possibly invalid UTF-8,
            // as a misbehaving server might send (the transport keeps 64 KiB).
            let mut body = u.choose(ANSWER_TEXTS)?.as_bytes().to_vec();
            let filler = *u.choose(&[b'x', b'\n', 0xff, 0xc3, b' '])?;
            let len = usize::from(u.arbitrary::<u16>()?) * 16;
            body.resize(body.len() + len, filler);
            body
        }
        _ => Vec::new(),
    };
    Ok(Answer { status, headers, body })
}

// --- seed corpus ---------------------------------------------------------------

/// One seed input for a fuzz target: a file name (from the catalogue case id it
/// comes from, or a short description) and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seed {
    /// The file name in `fuzz/corpus/<target>/`: lower-case ASCII, digits, `-`, `_`.
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Seed {
    fn new(name: &str, bytes: Vec<u8>) -> Self {
        let name = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c.to_ascii_lowercase() } else { '_' })
            .collect();
        Seed { name, bytes }
    }
}

/// The seed corpus of the fuzz target `target`, derived from the catalogue
/// ([`catalogue::catalogue`] of [`Facts::example`]) so that fuzzing starts from every
/// request class CONTRACT.md names; empty for an unknown target.
///
/// Deterministic, distinct names, distinct contents, and at most 300 seeds per target.
/// `examples/fuzz_seeds.rs` writes them to `fuzz/corpus/<target>/`.
pub fn seed_corpus(target: &str) -> Vec<Seed> {
    let cases = catalogue::catalogue(&Facts::example());
    let seeds = match target {
        "reference_decision" => reference_seeds(&cases),
        "oracle_total" => oracle_seeds(&cases),
        "checks_classifier" => checks_seeds(&cases),
        "client_encoding" => client_seeds(&cases),
        "json_reader" => json_seeds(&cases),
        _ => Vec::new(),
    };
    distinct(seeds)
}

/// Drops seeds whose bytes or name repeat an earlier seed's.
fn distinct(seeds: Vec<Seed>) -> Vec<Seed> {
    let mut out: Vec<Seed> = Vec::with_capacity(seeds.len());
    for s in seeds {
        if !out.iter().any(|o| o.bytes == s.bytes || o.name == s.name) {
            out.push(s);
        }
    }
    out
}

/// The default reference server's answer to `req`, with the window of impact 42
/// opened at t=0 first when `open`, at `now`.
fn reference_answer(settings: Settings, open: bool, now: Duration, req: &Request) -> Answer {
    let mut core = Core::new(settings);
    if open {
        core.decide(&valid_registration(42), Duration::ZERO);
    }
    core.decide(req, now)
}

fn reference_seeds(cases: &[Case]) -> Vec<Seed> {
    let prefix = |open: bool, id_byte: u8, now_ms: u64| {
        let mut out = vec![u8::from(open), id_byte];
        let ticks = u16::try_from(now_ms / 5).expect("seed times fit");
        out.extend_from_slice(&ticks.to_le_bytes());
        out
    };
    let mut seeds = Vec::new();
    for c in cases {
        let mut bytes = prefix(false, 0, 0);
        bytes.extend(encode_raw_request(&c.request));
        seeds.push(Seed::new(&c.id, bytes));
    }
    // The same requests inside an open window, where check order matters.
    for c in cases.iter().filter(|c| c.id.starts_with("valid/") || c.id.starts_with("auth/") || c.id.starts_with("impact/")) {
        let mut bytes = prefix(true, 0, 60_000);
        bytes.extend(encode_raw_request(&c.request));
        seeds.push(Seed::new(&format!("window-open-{}", c.id), bytes));
    }
    // The window's edges for a valid request: just opened, last tick, closed again.
    let valid = encode_raw_request(&valid_registration(42));
    for (name, ms) in [("window-edge-0ms", 0), ("window-edge-119995ms", 119_995), ("window-edge-120000ms", 120_000)] {
        let mut bytes = prefix(true, 0, ms);
        bytes.extend(&valid);
        seeds.push(Seed::new(name, bytes));
    }
    seeds
}

fn put_answers(out: &mut Vec<u8>, answers: &[(u16, &[u8])]) {
    for (status, body) in answers {
        let s = status.saturating_sub(100);
        out.extend_from_slice(&s.to_le_bytes());
        put_field(out, body);
    }
}

fn oracle_seeds(cases: &[Case]) -> Vec<Seed> {
    let settings = conformant_settings().remove(0).1;
    cases
        .iter()
        .map(|c| {
            let answer = reference_answer(settings.clone(), false, Duration::ZERO, &c.request);
            let mut bytes = vec![0u8; 0];
            bytes.extend(encode_raw_request(&c.request));
            put_answers(&mut bytes, &[(answer.status, &answer.body), (500, b"Internal Server Error")]);
            Seed::new(&c.id, bytes)
        })
        .collect()
}

/// The most body bytes a seed keeps.
const SEED_BODY_MAX: usize = 4096;

/// Encodes a checks input: request, window, window seconds, a raw answer, the
/// truncated flag and the elapsed time.
fn checks_bytes(req: &Request, window: Window, answer: &Answer) -> Vec<u8> {
    let mut out = encode_raw_request(req);
    out.push(match window {
        Window::Closed => 0,
        Window::Open => 1,
        Window::Unknown => 2,
    });
    out.extend_from_slice(&120u16.to_le_bytes());
    out.push(OUTCOME_RAW);
    out.extend_from_slice(&answer.status.to_le_bytes());
    let headers = &answer.headers[..answer.headers.len().min(usize::from(MAX_RAW_HEADERS))];
    out.push(u8::try_from(headers.len()).expect("at most 32 headers"));
    for (n, v) in headers {
        put_field(&mut out, n.as_bytes());
        put_field(&mut out, v.as_bytes());
    }
    // The transport keeps 64 KiB of a longer body and says it was cut; a seed keeps
    // 4 KiB, so one huge answer does not raise libFuzzer's input size for the rest.
    let kept = &answer.body[..answer.body.len().min(SEED_BODY_MAX)];
    put_long_field(&mut out, kept);
    out.push(u8::from(answer.body.len() > MAX_KEPT));
    out.extend_from_slice(&1000u32.to_le_bytes());
    out
}

fn checks_seeds(cases: &[Case]) -> Vec<Seed> {
    let oracle = example_oracle();
    let base = conformant_settings().remove(0).1;
    let mut seeds: Vec<Seed> = cases
        .iter()
        .map(|c| {
            let answer = reference_answer(base.clone(), false, Duration::ZERO, &c.request);
            Seed::new(&c.id, checks_bytes(&c.request, Window::Closed, &answer))
        })
        .collect();
    // For each planted fault, the first case (window closed, or open at 1 s) where
    // the faulty server answers differently: a seed whose verdict is a violation.
    for fault in Fault::ALL {
        let faulty = Settings { faults: vec![fault], ..base.clone() };
        let found = [false, true].into_iter().find_map(|open| {
            let now = Duration::from_secs(u64::from(open));
            cases.iter().find_map(|c| {
                let good = reference_answer(base.clone(), open, now, &c.request);
                let bad = reference_answer(faulty.clone(), open, now, &c.request);
                (good != bad).then(|| {
                    let window = match oracle.impact_of(&c.request) {
                        Some(42) if open => Window::Open,
                        _ => Window::Closed,
                    };
                    checks_bytes(&c.request, window, &bad)
                })
            })
        });
        if let Some(bytes) = found {
            seeds.push(Seed::new(&format!("fault-{fault:?}"), bytes));
        }
    }
    let valid = encode_raw_request(&valid_registration(42));
    for (name, mode, payload) in [
        ("transport-timeout", 4u8, 30_000u32.to_le_bytes().to_vec()),
        ("transport-connect", 5, tail_sized(b"connection refused")),
        ("transport-broken", 6, tail_sized(b"connection reset")),
        ("transport-unsendable", 7, tail_sized(b"invalid method")),
    ] {
        let mut bytes = valid.clone();
        bytes.push(0);
        bytes.extend_from_slice(&120u16.to_le_bytes());
        bytes.push(mode);
        bytes.extend(payload);
        seeds.push(Seed::new(name, bytes));
    }
    seeds
}

/// `text` as `String::arbitrary` reads it when it is the last thing in the input:
/// the bytes, then their length in one byte (`arbitrary` takes lengths from the end).
fn tail_sized(text: &[u8]) -> Vec<u8> {
    let mut out = text.to_vec();
    out.push(u8::try_from(text.len()).expect("a short text"));
    out
}

/// Encodes a client input: value bits, date (as text for [`ClientDate::parse`]),
/// body key.
fn client_bytes(value: f64, date: Option<&str>, key: Option<&str>) -> Vec<u8> {
    let mut out = value.to_bits().to_le_bytes().to_vec();
    match date {
        None => out.push(0),
        Some(d) => {
            out.push(1);
            put_field(&mut out, d.as_bytes());
        }
    }
    match key {
        None => out.push(0),
        Some(EXAMPLE_KEY) => out.push(1),
        Some(k) => {
            out.push(2);
            put_field(&mut out, k.as_bytes());
        }
    }
    out
}

fn client_seeds(cases: &[Case]) -> Vec<Seed> {
    let mut seeds = Vec::new();
    for c in cases {
        let Ok(Json::Object(members)) = json::parse(&c.request.body) else {
            continue;
        };
        let get = |name: &str| members.iter().find(|(k, _)| k == name).map(|(_, v)| v);
        let value = match get("value") {
            Some(Json::Number(t)) => t.parse::<f64>().unwrap_or(f64::INFINITY),
            Some(Json::NonFinite(t)) => {
                t.trim_start_matches('-').parse::<f64>().map_or(f64::NAN, |v| if t.starts_with('-') { -v } else { v })
            }
            _ => continue,
        };
        let date = match get("date") {
            Some(Json::String(s)) => Some(s.as_str()),
            _ => None,
        };
        let key = match get("api_key") {
            Some(Json::String(s)) => Some(s.as_str()),
            _ => None,
        };
        seeds.push(Seed::new(&c.id, client_bytes(value, date, key)));
    }
    let specials: &[(&str, f64)] = &[
        ("nan", f64::NAN),
        ("nan-negative", -f64::NAN),
        ("nan-signalling", f64::from_bits(0x7ff0_0000_0000_0001)),
        ("infinity", f64::INFINITY),
        ("infinity-negative", f64::NEG_INFINITY),
        ("zero-negative", -0.0),
        ("subnormal-min", f64::from_bits(1)),
        ("subnormal-max", f64::from_bits(0x000f_ffff_ffff_ffff)),
        ("normal-min", f64::MIN_POSITIVE),
        ("max", f64::MAX),
        ("min", f64::MIN),
        ("epsilon", f64::EPSILON),
        ("one-third", 1.0 / 3.0),
        ("two-pow-53-plus-one", 9_007_199_254_740_993.0),
        ("large-integer", 1e16),
    ];
    for (name, v) in specials {
        seeds.push(Seed::new(&format!("f64-{name}"), client_bytes(*v, None, None)));
    }
    // Dates built from integers (mode 2 with an offset, mode 3 without): a leap
    // second, the largest offsets, year 0000, the last nanosecond of 9999, years
    // RFC 3339 cannot write, an offset with seconds.
    let ints = |mode: u8, year: i32, [mo, d, h, mi, s]: [u8; 5], nano: u32, offset_secs: i32| {
        let mut out = 1.5f64.to_bits().to_le_bytes().to_vec();
        out.push(mode);
        match u16::try_from(year) {
            Ok(y) if y < 10_000 => {
                out.push(0);
                out.extend_from_slice(&y.to_le_bytes());
            }
            _ => {
                out.push(7);
                out.extend_from_slice(&year.to_le_bytes());
            }
        }
        out.extend_from_slice(&[mo - 1, d - 1, h, mi, s]);
        out.extend_from_slice(&nano.to_le_bytes());
        if mode == 2 {
            match i16::try_from(offset_secs / 60) {
                Ok(minutes) if offset_secs % 60 == 0 => {
                    out.push(0);
                    out.extend_from_slice(&minutes.to_le_bytes());
                }
                _ => {
                    out.push(3);
                    out.extend_from_slice(&offset_secs.to_le_bytes());
                }
            }
        }
        out.push(2);
        put_field(&mut out, "k\"\\\u{1}\u{e9}".as_bytes());
        out
    };
    for (name, bytes) in [
        ("date-ints-leap-second", ints(2, 2016, [12, 31, 23, 59, 59], 1_500_000_000, 0)),
        ("date-ints-offset-max", ints(2, 2024, [3, 1, 12, 0, 0], 0, 1439 * 60)),
        ("date-ints-offset-min", ints(2, 2024, [3, 1, 12, 0, 0], 0, -1439 * 60)),
        ("date-ints-offset-seconds", ints(2, 2024, [3, 1, 12, 0, 0], 0, 30)),
        ("date-ints-year-zero", ints(2, 0, [1, 1, 0, 0, 0], 1, -330 * 60)),
        ("date-ints-year-10000", ints(2, 10_000, [1, 1, 2, 0, 0], 0, 5 * 3600)),
        ("date-ints-year-minus-1", ints(3, -1, [12, 31, 23, 0, 0], 0, 0)),
        ("date-ints-local-end", ints(3, 9999, [12, 31, 23, 59, 59], 999_999_999, 0)),
        ("date-ints-local-leap", ints(3, 2024, [2, 29, 23, 59, 59], 1_000_000_000, 0)),
    ] {
        seeds.push(Seed::new(name, bytes));
    }
    seeds
}

fn json_seeds(cases: &[Case]) -> Vec<Seed> {
    let mut seeds: Vec<Seed> = cases.iter().map(|c| Seed::new(&c.id, c.request.body.clone())).collect();
    let extra: &[(&str, &[u8])] = &[
        ("surrogate-pair", br#""\ud83d\ude00""#),
        ("lone-surrogate", br#""\ud800""#),
        ("big-integer", b"123456789012345678901234567890"),
        ("u64-max-plus-one", b"18446744073709551616"),
        ("i64-min", b"-9223372036854775808"),
        ("nested-128", &[b'['; 128]),
        ("escapes", br#"{"a\"b": "\\\/\b\f\n\r\t\u0000"}"#),
        ("duplicate-last-wins", br#"{"a": 1, "a": [true]}"#),
    ];
    for (name, bytes) in extra {
        seeds.push(Seed::new(&format!("json-{name}"), bytes.to_vec()));
    }
    seeds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_request_reads_back_exactly() {
        let req = Request {
            method: "PÖST".into(),
            target: "/x?y".into(),
            headers: vec![("A".into(), vec![0xff, 0]), ("b".into(), Vec::new())],
            body: b"{\"value\": NaN}".to_vec(),
        };
        let bytes = encode_raw_request(&req);
        let mut u = Unstructured::new(&bytes);
        assert_eq!(request(&mut u).unwrap(), req);
        assert!(u.is_empty());
    }

    #[test]
    fn a_reference_seed_reads_back_as_its_catalogue_request() {
        let cases = catalogue::catalogue(&Facts::example());
        let seed = &seed_corpus("reference_decision")[0];
        let mut u = Unstructured::new(&seed.bytes);
        let (open, _, now, req) = reference_input(&mut u).unwrap();
        assert_eq!((open, now, &req), (false, Duration::ZERO, &cases[0].request));
    }

    #[test]
    fn a_checks_seed_reads_back_with_its_answer() {
        let cases = catalogue::catalogue(&Facts::example());
        let answer = Answer::text(429, spec::TEXT_RATE_LIMITED).with_header("Retry-After", "7");
        let bytes = checks_bytes(&cases[3].request, Window::Open, &answer);
        let mut u = Unstructured::new(&bytes);
        let (window, secs, ex) = checks_input(&mut u).unwrap();
        assert_eq!((window, secs), (Window::Open, 120));
        assert_eq!(ex.request, cases[3].request);
        assert_eq!(ex.outcome, Ok(answer));
        assert!(!ex.truncated);
    }

    #[test]
    fn a_client_seed_reads_back_as_its_value_date_and_key() {
        let bytes = client_bytes(-0.0, Some("2024-03-01T12:00:00+02:00"), Some("k"));
        let mut u = Unstructured::new(&bytes);
        let (v, date, key) = client_input(&mut u).unwrap();
        assert_eq!(v.to_bits(), (-0.0f64).to_bits());
        assert_eq!(date.map(|d| d.to_string()).as_deref(), Some("2024-03-01T12:00:00+02:00"));
        assert_eq!(key.as_deref(), Some("k"));
    }

    #[test]
    fn every_target_has_a_function_and_a_modest_distinct_seed_corpus() {
        for name in TARGETS {
            assert!(target(name).is_some(), "{name}");
            let seeds = seed_corpus(name);
            assert!((20..=300).contains(&seeds.len()), "{name}: {} seeds", seeds.len());
            assert_eq!(distinct(seeds.clone()), seeds, "{name}");
        }
        assert!(target("nope").is_none());
        assert!(seed_corpus("nope").is_empty());
    }
}
