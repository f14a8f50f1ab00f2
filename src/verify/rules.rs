//! The client rules as pure functions over the reference server's journal.

use std::time::Duration;

use super::{ClientExpectation, ClientViolation, Kind, Rule};
use crate::checks::parse_retry_after;
use crate::date::{classify, DateClass};
use crate::json::{self, Json};
use crate::reference::Received;
use crate::request::Request;
use crate::KeyPlacement;

/// Every client rule the requests in `received` break, for a client asked to do
/// `expected`: each request on its own, then the sequence (retries and their timing).
///
/// `received` is the reference server's journal for this client's attempt, oldest
/// first (clear it with `clear_received()` before the attempt). Messages name the
/// input and what was received, and never contain the API key. Whether the client
/// *reported* the right result is [`check_outcome`]'s question.
pub fn check_requests(received: &[Received], expected: &ClientExpectation) -> Vec<ClientViolation> {
    let mut out = Vec::new();
    let finite = expected.value.is_finite();
    let numbered = received.len() > 1;
    if !finite {
        for (i, r) in received.iter().enumerate() {
            out.push(ClientViolation {
                rule: Rule::NonFiniteRefused,
                kind: Kind::UnexpectedRequest,
                request: numbered.then_some(i + 1),
                message: format!(
                    "input {} is not finite and must be refused without a request; received {}",
                    super::value_text(expected.value),
                    request_line(&r.request)
                ),
            });
        }
    } else if received.is_empty() {
        out.push(ClientViolation {
            rule: Rule::FiniteValueSent,
            kind: Kind::MissingRequest,
            request: None,
            message: format!(
                "expected one POST {} for input {}; received no request",
                expected.path(),
                super::value_text(expected.value)
            ),
        });
    } else {
        for (i, r) in received.iter().enumerate() {
            let n = numbered.then_some(i + 1);
            for (rule, kind, message) in check_request(&r.request, expected) {
                out.push(ClientViolation { rule, kind, request: n, message });
            }
        }
    }
    sequence(received, &mut out);
    let redactor = expected.redactor();
    for v in &mut out {
        v.message = redactor.redact(&v.message);
    }
    out
}

/// Whether the client reported the right result: success (exit 0, `Ok`) iff the
/// final answer in `received` was 200. A non-finite input must be reported as a
/// failure. `None` when it conforms.
pub fn check_outcome(received: &[Received], expected: &ClientExpectation, reported_success: bool) -> Option<ClientViolation> {
    let how = if reported_success { "reported success" } else { "reported failure" };
    outcome(received, expected, reported_success, how)
}

/// [`check_outcome`] with the words for how the client reported (`exited 0`).
pub(crate) fn outcome(received: &[Received], expected: &ClientExpectation, success: bool, how: &str) -> Option<ClientViolation> {
    let violation = |rule: Rule, message: String| {
        Some(ClientViolation { rule, kind: Kind::Mismatch, request: None, message: expected.redactor().redact(&message) })
    };
    if !expected.value.is_finite() {
        return if success {
            violation(
                Rule::NonFiniteRefused,
                format!(
                    "input {} is not finite and must be reported as a failure; the client {how}",
                    super::value_text(expected.value)
                ),
            )
        } else {
            None
        };
    }
    match received.last() {
        None if success => violation(Rule::ExitCodeMatchesAnswer, format!("no request was answered, but the client {how}")),
        None => None,
        Some(last) if (last.answer.status == 200) != success => violation(
            Rule::ExitCodeMatchesAnswer,
            format!(
                "the final answer was {} {:?}, but the client {how}; expected {}",
                last.answer.status,
                clip(&last.answer.text_for_comparison(), 60),
                if last.answer.status == 200 { "success" } else { "a failure" }
            ),
        ),
        Some(_) => None,
    }
}

/// Panics with every violation [`check_requests`] finds, one per line.
///
/// # Panics
/// When the client broke at least one rule.
#[track_caller]
pub fn assert_conforms(received: &[Received], expected: &ClientExpectation) {
    let violations = check_requests(received, expected);
    if !violations.is_empty() {
        let lines: Vec<String> = violations.iter().map(|v| format!("  {v}")).collect();
        panic!("the client broke {} rule(s) of CONTRACT.md \"The client side\":\n{}", violations.len(), lines.join("\n"));
    }
}

type Found = (Rule, Kind, String);

/// The rules about one request on its own.
fn check_request(req: &Request, exp: &ClientExpectation) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    let mut mismatch = |rule: Rule, message: String| out.push((rule, Kind::Mismatch, message));
    if req.method != "POST" {
        mismatch(Rule::MethodIsPost, format!("received {}; expected POST", request_line(req)));
    }
    let (path, query) = match req.target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (req.target.as_str(), None),
    };
    if !exp.api_key.is_empty() && (req.target.contains(&exp.api_key) || percent_decode(&req.target).contains(&exp.api_key)) {
        mismatch(Rule::KeyNotInUrl, format!("the API key is in the URL: {}", req.target));
    }
    if let Some(q) = query {
        mismatch(Rule::NoQueryString, format!("received the query string ?{q}; expected none"));
    }
    if path != exp.path() {
        mismatch(Rule::ExactPath, format!("received path {path}; expected {}", exp.path()));
    }
    match req.first_header("content-type") {
        None => mismatch(Rule::ContentTypeJson, "no Content-Type header; expected application/json".into()),
        Some(ct) => {
            let ct = String::from_utf8_lossy(ct);
            let media = ct.split(';').next().unwrap_or("").trim();
            if !media.eq_ignore_ascii_case("application/json") {
                mismatch(Rule::ContentTypeJson, format!("received Content-Type: {ct}; expected application/json"));
            }
        }
    }
    let members = match json::parse(&req.body) {
        Ok(Json::Object(m)) => Some(m),
        Ok(other) => {
            mismatch(Rule::BodyIsJsonObject, format!("the body is a JSON {}, not an object: {}", other.kind(), body_text(req)));
            None
        }
        Err(e) => {
            mismatch(Rule::BodyIsJsonObject, format!("the body is not JSON ({e}): {}", body_text(req)));
            None
        }
    };
    if let Some(m) = &members {
        for name in ["value", "date", "api_key"] {
            let n = m.iter().filter(|(k, _)| k == name).count();
            if n > 1 {
                mismatch(Rule::BodyIsJsonObject, format!("\"{name}\" appears {n} times in the body: {}", body_text(req)));
            }
        }
        let field = |name: &str| m.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v);
        if let Some(f) = check_value(exp.value, field("value")) {
            out.push(f);
        }
        if let Some(f) = check_date(exp.given_date(), field("date")) {
            out.push(f);
        }
        out.extend(check_key(req, exp, field("api_key")));
    } else {
        out.extend(check_key(req, exp, None));
    }
    out
}

fn check_value(input: f64, sent: Option<&Json>) -> Option<Found> {
    let input_text = super::value_text(input);
    let not_number = |what: String| {
        Some((Rule::ValueIsJsonNumber, Kind::Mismatch, format!("input {input_text} was sent as {what}; expected a JSON number")))
    };
    match sent {
        None => {
            Some((Rule::ValueIsJsonNumber, Kind::Mismatch, format!("no \"value\" in the body; expected the number {input_text}")))
        }
        Some(Json::Number(text)) => {
            let back = text.parse::<f64>().unwrap_or(f64::NAN);
            if back.to_bits() == input.to_bits() {
                return None;
            }
            let why = if back == input {
                ": the sign of zero was lost".to_string()
            } else if back.is_infinite() {
                ": it overflows to infinity".to_string()
            } else if (back as f32) as f64 == back && (input as f32) as f64 == back {
                ": rounded to float32".to_string()
            } else if format!("{back:?}") == *text {
                ", a different double".to_string()
            } else {
                format!(", a different double ({back:?})")
            };
            Some((Rule::ValueRoundTrips, Kind::Mismatch, format!("input {input_text} was sent as {text}{why}")))
        }
        Some(Json::String(s)) => not_number(format!("the string {}", json_text(&Json::String(s.clone())))),
        Some(Json::NonFinite(t)) => not_number(format!("the bare token {t}, which is not JSON")),
        Some(other) => not_number(format!("{} ({})", json_text(other), other.kind())),
    }
}

fn check_date(given: Option<&str>, sent: Option<&Json>) -> Option<Found> {
    let found = |rule, message| Some((rule, Kind::Mismatch, message));
    let Some(given) = given else {
        return sent.map(|v| {
            (
                Rule::DateOmitted,
                Kind::Mismatch,
                format!("no date was given, so \"date\" must be left out; received \"date\": {}", json_text(v)),
            )
        });
    };
    let sent = match sent {
        None => return found(Rule::DateSent, format!("date {given} was given but the body has no \"date\"")),
        Some(Json::String(s)) => s,
        Some(other) => {
            return found(
                Rule::DateIsRfc3339,
                format!("date {given} was sent as {}; expected an RFC 3339 string", json_text(other)),
            )
        }
    };
    let sent_q = json_text(&Json::String(sent.clone()));
    match (classify(given), classify(sent)) {
        (_, DateClass::Blank) => found(Rule::DateSent, format!("date {given} was sent as \"\" (blank means now)")),
        (DateClass::Rfc3339(want), DateClass::Rfc3339(got)) => (want != got).then(|| {
            let diff = got.signed_duration_since(want);
            (
                Rule::DateSameInstant,
                Kind::Mismatch,
                format!("date {given} was sent as {sent_q}, a different instant ({} off)", signed_secs(diff)),
            )
        }),
        (DateClass::Rfc3339(_), DateClass::Local(_)) => found(
            Rule::DateSameInstant,
            format!("date {given} was sent as {sent_q}: the offset was dropped (without one it is the server's local time)"),
        ),
        (DateClass::Local(want), DateClass::Local(got)) => (want != got).then(|| {
            (Rule::DateSameInstant, Kind::Mismatch, format!("date {given} (no offset) was sent as {sent_q}, a different time"))
        }),
        (DateClass::Local(_), DateClass::Rfc3339(_)) => {
            found(Rule::DateSameInstant, format!("date {given} has no offset but was sent as {sent_q}: an offset was invented"))
        }
        (_, DateClass::Unusual(why) | DateClass::Invalid(why)) => {
            found(Rule::DateIsRfc3339, format!("date {given} was sent as {sent_q}: not RFC 3339 ({why})"))
        }
        // The given date is not one we can reason about: it must pass unchanged.
        _ => (given != sent).then(|| {
            (Rule::DateSameInstant, Kind::Mismatch, format!("date {given:?} was sent as {sent_q}; expected it unchanged"))
        }),
    }
}

/// Where the key is, per place: absent, right, or present but wrong (with what was seen).
enum Place {
    Absent,
    Valid,
    Wrong(String),
}

fn check_key(req: &Request, exp: &ClientExpectation, body_key: Option<&Json>) -> Vec<Found> {
    let mut out = Vec::new();
    let matches = |k: &str| if exp.api_key.is_empty() { !k.is_empty() } else { k == exp.api_key };
    let mut header = Place::Absent;
    for v in req.header_values("authorization") {
        let v = String::from_utf8_lossy(v);
        let ok = v.split_once(' ').is_some_and(|(scheme, key)| scheme.eq_ignore_ascii_case("apikey") && matches(key.trim()));
        header = match (header, ok) {
            (Place::Valid, _) | (_, true) => Place::Valid,
            (_, false) => Place::Wrong(format!("Authorization: {v}")),
        };
    }
    let body = match body_key {
        None => Place::Absent,
        Some(Json::String(k)) if matches(k) => Place::Valid,
        Some(other) => Place::Wrong(format!("body \"api_key\": {}", json_text(other))),
    };
    for place in [&header, &body] {
        if let Place::Wrong(seen) = place {
            out.push((
                Rule::ApiKeySent,
                Kind::Mismatch,
                format!("received {seen}; expected \"Authorization: apikey <KEY>\" or the body \"api_key\" with the key"),
            ));
        }
    }
    if matches!((&header, &body), (Place::Absent, Place::Absent)) {
        out.push((
            Rule::ApiKeySent,
            Kind::Mismatch,
            "no API key in the Authorization header or the body; expected \"Authorization: apikey <KEY>\" or \"api_key\"".into(),
        ));
    }
    if let Some(want) = exp.key_placement {
        let (in_header, in_body) = (!matches!(header, Place::Absent), !matches!(body, Place::Absent));
        let ok = match want {
            KeyPlacement::Header => in_header && !in_body,
            KeyPlacement::Body => in_body && !in_header,
            KeyPlacement::Both => in_header && in_body,
        };
        if !ok {
            let seen = match (in_header, in_body) {
                (true, true) => "both",
                (true, false) => "the header only",
                (false, true) => "the body only",
                (false, false) => "neither",
            };
            out.push((Rule::KeyPlacement, Kind::Mismatch, format!("the key was in {seen}; expected {want:?}")));
        }
    }
    out
}

/// The rules about the sequence: nothing after 200, no retry after 400/401/404,
/// after a 429 one retry no sooner than `Retry-After`.
fn sequence(received: &[Received], out: &mut Vec<ClientViolation>) {
    let mut retried_429 = false;
    for (i, pair) in received.windows(2).enumerate() {
        let (prev, cur) = (&pair[0], &pair[1]);
        let n = i + 2;
        let gap = cur.at.saturating_sub(prev.at);
        let answered = format!("{} {:?}", prev.answer.status, clip(&prev.answer.text_for_comparison(), 60));
        let found = match prev.answer.status {
            200 => Some((
                Rule::NoRequestAfterSuccess,
                format!("{} came {} after a 200: the value was already registered", request_line(&cur.request), secs(gap)),
            )),
            400 | 401 | 404 => Some((
                Rule::NoRetryOn400401404,
                format!("retried {} after {answered}; 400, 401 and 404 must not be retried", secs(gap)),
            )),
            429 if retried_429 => Some((
                Rule::AtMostOneRetry,
                format!(
                    "another retry {} after a second {answered}; after a 429 a client tries once more and the second answer decides",
                    secs(gap)
                ),
            )),
            429 => {
                retried_429 = true;
                match prev.answer.header("retry-after").and_then(parse_retry_after) {
                    Some(wait) if gap < Duration::from_secs(wait) => Some((
                        Rule::RetryAfterRespected,
                        format!("retried {} after a 429 with Retry-After: {wait}; expected at least {wait}s", secs(gap)),
                    )),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some((rule, message)) = found {
            out.push(ClientViolation { rule, kind: Kind::UnexpectedRequest, request: Some(n), message });
        }
    }
}

/// `POST /path {"value": 1}` (body clipped).
pub(crate) fn request_line(r: &Request) -> String {
    if r.body.is_empty() {
        format!("{} {}", r.method, r.target)
    } else {
        format!("{} {} {}", r.method, r.target, body_text(r))
    }
}

fn body_text(r: &Request) -> String {
    clip(&String::from_utf8_lossy(&r.body), 160)
}

/// A JSON value written back compactly (numbers as their source text).
fn json_text(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(t) => t.clone(),
        Json::NonFinite(t) => (*t).to_string(),
        Json::String(s) => serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}")),
        Json::Array(items) => format!("[{}]", items.iter().map(json_text).collect::<Vec<_>>().join(",")),
        Json::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}:{}", json_text(&Json::String(k.clone())), json_text(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

pub(crate) fn clip(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n).collect::<String>())
    } else {
        s.to_string()
    }
}

pub(crate) fn secs(d: Duration) -> String {
    format!("{:.3}s", d.as_secs_f64())
}

fn signed_secs(d: chrono::TimeDelta) -> String {
    let nanos = d.num_nanoseconds().map(|n| n as f64 / 1e9).unwrap_or(d.num_seconds() as f64);
    format!("{nanos:+}s")
}

/// `%XX` escapes decoded (lossily), so a key sent as `api%5Fkey=…` or with its own
/// characters escaped is still found in the URL.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Answer;

    const KEY: &str = "sk-test-0123";

    fn exp(value: f64) -> ClientExpectation {
        ClientExpectation::new(7, KEY, value)
    }

    fn good(body: &str) -> Request {
        Request::post("/api/1/impact/7/register_impact")
            .header("Content-Type", "application/json")
            .header("Authorization", format!("apikey {KEY}"))
            .body(body)
    }

    fn at(ms: u64, request: Request, answer: Answer) -> Received {
        Received { at: Duration::from_millis(ms), request, answer }
    }

    fn ok() -> Answer {
        Answer::text(200, "Success")
    }

    fn limited(secs: u64) -> Answer {
        Answer::text(429, crate::spec::TEXT_RATE_LIMITED).with_header("Retry-After", secs.to_string())
    }

    fn messages(received: &[Received], e: &ClientExpectation) -> Vec<String> {
        check_requests(received, e).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_conformant_request_breaks_no_rule() {
        let e = exp(-0.0).date("2024-03-01T12:00:00+02:00");
        let r = good(r#"{"value": -0.0, "date": "2024-03-01T10:00:00Z"}"#);
        assert_eq!(messages(&[at(0, r, ok())], &e), Vec::<String>::new());
        assert_eq!(check_outcome(&[at(0, good(r#"{"value": 1}"#), ok())], &exp(1.0), true), None);
    }

    #[test]
    fn a_quoted_value_is_not_a_number() {
        let m = messages(&[at(0, good(r#"{"value": "1.5"}"#), ok())], &exp(1.5));
        assert_eq!(m, ["value_is_json_number: mismatch: input 1.5 was sent as the string \"1.5\"; expected a JSON number"]);
    }

    #[test]
    fn a_rounded_value_and_a_lost_negative_zero_do_not_round_trip() {
        let m = messages(&[at(0, good(r#"{"value": 0.123457}"#), ok())], &exp(0.12345678));
        assert_eq!(m, ["value_round_trips: mismatch: input 0.12345678 was sent as 0.123457, a different double"]);
        let m = messages(&[at(0, good(r#"{"value": 0}"#), ok())], &exp(-0.0));
        assert_eq!(m, ["value_round_trips: mismatch: input -0.0 was sent as 0: the sign of zero was lost"]);
        let m = messages(&[at(0, good(r#"{"value": 0.10000000149011612}"#), ok())], &exp(0.1));
        assert!(m[0].contains("rounded to float32"), "{m:?}");
    }

    #[test]
    fn a_non_finite_input_must_not_be_sent_and_must_fail() {
        let m = messages(&[at(0, good(r#"{"value": NaN}"#), Answer::text(400, "x"))], &exp(f64::NAN));
        assert_eq!(m.len(), 1);
        assert!(m[0].starts_with("non_finite_refused: unexpected request: input NaN is not finite"), "{m:?}");
        let v = check_outcome(&[], &exp(f64::INFINITY), true).unwrap();
        assert_eq!(v.rule, Rule::NonFiniteRefused);
        assert_eq!(check_outcome(&[], &exp(f64::NEG_INFINITY), false), None);
    }

    #[test]
    fn a_finite_input_that_is_never_sent_is_a_missing_request() {
        assert_eq!(
            messages(&[], &exp(0.0)),
            ["finite_value_sent: missing request: expected one POST /api/1/impact/7/register_impact for input 0.0; received no request"]
        );
    }

    #[test]
    fn dates_must_keep_their_instant_and_form() {
        let e = exp(1.0).date("2024-03-01T12:00:00+02:00");
        let one = |date: &str| messages(&[at(0, good(&format!(r#"{{"value": 1, "date": {date}}}"#)), ok())], &e);
        assert_eq!(
            one(r#""2024-03-01T12:00:00""#),
            ["date_same_instant: mismatch: date 2024-03-01T12:00:00+02:00 was sent as \"2024-03-01T12:00:00\": the offset was dropped (without one it is the server's local time)"]
        );
        assert_eq!(
            one(r#""2024-03-01 10:00:00+00:00""#),
            ["date_is_rfc3339: mismatch: date 2024-03-01T12:00:00+02:00 was sent as \"2024-03-01 10:00:00+00:00\": not RFC 3339 (space instead of 'T')"]
        );
        assert_eq!(
            one(r#""2024-03-01T12:00:00Z""#),
            ["date_same_instant: mismatch: date 2024-03-01T12:00:00+02:00 was sent as \"2024-03-01T12:00:00Z\", a different instant (+7200s off)"]
        );
        assert!(one("null")[0].starts_with("date_is_rfc3339"));
        let m = messages(&[at(0, good(r#"{"value": 1}"#), ok())], &e);
        assert!(m[0].starts_with("date_sent: mismatch"), "{m:?}");
    }

    #[test]
    fn without_a_date_null_is_not_omitting_it() {
        let m = messages(&[at(0, good(r#"{"value": 1, "date": null}"#), ok())], &exp(1.0));
        assert_eq!(m, ["date_omitted: mismatch: no date was given, so \"date\" must be left out; received \"date\": null"]);
    }

    #[test]
    fn the_key_in_the_query_is_reported_without_the_key() {
        let r = Request::post(format!("/api/1/impact/7/register_impact?api_key={KEY}"))
            .header("Content-Type", "application/json")
            .body(r#"{"value": 1}"#);
        let m = messages(&[at(0, r, Answer::text(401, "Unauthorized"))], &exp(1.0));
        assert_eq!(
            m,
            [
                "key_not_in_url: mismatch: the API key is in the URL: /api/1/impact/7/register_impact?api_key=$SLEUTH_API_KEY",
                "no_query_string: mismatch: received the query string ?api_key=$SLEUTH_API_KEY; expected none",
                "api_key_sent: mismatch: no API key in the Authorization header or the body; expected \"Authorization: apikey <KEY>\" or \"api_key\"",
            ]
        );
    }

    #[test]
    fn the_scheme_is_case_insensitive_but_must_be_apikey() {
        let r = |auth: &str| {
            Request::post("/api/1/impact/7/register_impact")
                .header("Content-Type", "Application/JSON; charset=utf-8")
                .header("Authorization", auth.to_string())
                .body(r#"{"value": 1}"#)
        };
        assert!(messages(&[at(0, r(&format!("APIKEY {KEY}")), ok())], &exp(1.0)).is_empty());
        let m = messages(&[at(0, r(&format!("Bearer {KEY}")), ok())], &exp(1.0));
        assert_eq!(m.len(), 1);
        assert!(m[0].starts_with("api_key_sent: mismatch: received Authorization: Bearer $SLEUTH_API_KEY"), "{m:?}");
        assert!(!m[0].contains(KEY));
    }

    #[test]
    fn method_path_content_type_and_body_shape_are_checked() {
        let r = Request {
            method: "PUT".into(),
            target: "/api/1/impact/7/register".into(),
            headers: vec![
                ("content-type".into(), b"application/x-www-form-urlencoded".to_vec()),
                ("authorization".into(), format!("apikey {KEY}").into_bytes()),
            ],
            body: b"value=1".to_vec(),
        };
        let rules: Vec<Rule> = check_requests(&[at(0, r, Answer::text(405, "x"))], &exp(1.0)).iter().map(|v| v.rule).collect();
        assert_eq!(rules, [Rule::MethodIsPost, Rule::ExactPath, Rule::ContentTypeJson, Rule::BodyIsJsonObject]);
    }

    #[test]
    fn a_retry_after_401_is_unexpected() {
        let body = r#"{"value": 1}"#;
        let m = messages(&[at(0, good(body), Answer::text(401, "Unauthorized")), at(20, good(body), ok())], &exp(1.0));
        assert_eq!(
            m,
            ["no_retry_on_400_401_404: unexpected request: request 2: retried 0.020s after 401 \"Unauthorized\"; 400, 401 and 404 must not be retried"]
        );
    }

    #[test]
    fn a_retry_after_429_must_wait_and_come_once() {
        let body = r#"{"value": 1}"#;
        assert!(messages(&[at(0, good(body), limited(1)), at(1000, good(body), ok())], &exp(1.0)).is_empty());
        let m = messages(&[at(0, good(body), limited(1)), at(5, good(body), ok())], &exp(1.0));
        assert_eq!(
            m,
            ["retry_after_respected: unexpected request: request 2: retried 0.005s after a 429 with Retry-After: 1; expected at least 1s"]
        );
        let storm = [at(0, good(body), limited(1)), at(1000, good(body), limited(1)), at(2000, good(body), ok())];
        let v = check_requests(&storm, &exp(1.0));
        assert_eq!(v.len(), 1);
        assert_eq!((v[0].rule, v[0].request), (Rule::AtMostOneRetry, Some(3)));
    }

    #[test]
    fn success_must_be_reported_iff_the_final_answer_is_200() {
        let body = r#"{"value": 1}"#;
        let refused = [at(0, good(body), Answer::text(401, "Unauthorized"))];
        let v = check_outcome(&refused, &exp(1.0), true).unwrap();
        assert_eq!(
            v.to_string(),
            "exit_code_matches_answer: mismatch: the final answer was 401 \"Unauthorized\", but the client reported success; expected a failure"
        );
        assert_eq!(check_outcome(&refused, &exp(1.0), false), None);
        let retried = [at(0, good(body), limited(1)), at(1000, good(body), ok())];
        assert_eq!(check_outcome(&retried, &exp(1.0), true), None);
    }

    #[test]
    #[should_panic(expected = "the client broke 1 rule(s) of CONTRACT.md \"The client side\":\n  value_is_json_number: mismatch")]
    fn assert_conforms_panics_with_every_message() {
        assert_conforms(&[at(0, good(r#"{"value": "2"}"#), ok())], &exp(2.0));
    }

    #[test]
    fn percent_escapes_do_not_hide_the_key() {
        assert_eq!(percent_decode("a%2Db+c%zz%4"), "a-b c%zz%4");
    }
}
