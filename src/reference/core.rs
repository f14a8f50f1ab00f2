//! The reference server's decision: a pure function of (request, state, now).

use std::collections::HashMap;
use std::time::Duration;

use super::{Fault, Settings, Stage};
use crate::date::{self, DateClass};
use crate::json::{self, Json};
use crate::request::{Answer, Request};
use crate::spec;

/// Header the core sets to ask the HTTP shell for a transport-level fault; the
/// shell removes it before answering.
pub(crate) const SHELL_FAULT: &str = "x-reference-shell-fault";

/// The server's state and settings. [`Core::decide`] is the whole server.
#[derive(Clone, Debug)]
pub struct Core {
    settings: Settings,
    /// When each impact source's window opened.
    opened: HashMap<u64, Duration>,
}

/// A body field as the server reads it.
#[derive(Clone, Debug)]
enum Field {
    Json(Json),
    Form(String),
}

struct Parsed {
    /// `Err(answer)`: the body cannot be read as an object.
    fields: Result<Vec<(String, Field)>, Answer>,
}

impl Parsed {
    fn get(&self, name: &str) -> Option<&Field> {
        self.fields.as_ref().ok()?.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

fn bad(text: &str) -> Answer {
    Answer::text(400, text)
}

impl Core {
    /// A server with these settings and every window closed.
    pub fn new(settings: Settings) -> Self {
        Core { settings, opened: HashMap::new() }
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Closes every window (as if the server restarted).
    pub fn reset(&mut self) {
        self.opened.clear();
    }

    /// Whether `impact_id`'s window is open at `now`.
    pub fn window_open(&self, impact_id: u64, now: Duration) -> bool {
        self.remaining(impact_id, now).is_some()
    }

    fn effective_window(&self) -> Duration {
        let w = self.settings.window;
        if self.settings.has(Fault::WindowTooShort) {
            w / 2
        } else if self.settings.has(Fault::WindowTooLong) {
            w * 2
        } else {
            w
        }
    }

    fn remaining(&self, id: u64, now: Duration) -> Option<Duration> {
        let opened = *self.opened.get(&id)?;
        let end = opened + self.effective_window();
        (now < end).then(|| end - now)
    }

    /// Answers one request at time `now`, updating the rate-limit state.
    pub fn decide(&mut self, req: &Request, now: Duration) -> Answer {
        let s = &self.settings;
        if s.has(Fault::AcceptGet) && req.method == "GET" {
            return self.success(req, now);
        }
        let id = self.resolve_impact(req);
        let parsed = self.parse_body(req);
        let order = s.order.clone();
        for stage in order {
            let answer = match stage {
                Stage::Method => self.check_method(req),
                Stage::Path => id.as_ref().err().cloned(),
                Stage::Auth => self.check_auth(req, &parsed),
                Stage::Body => self.check_body(&parsed),
                Stage::RateLimit => id.as_ref().ok().and_then(|id| self.check_rate(*id, now)),
            };
            if let Some(a) = answer {
                return self.shell_faults(a);
            }
        }
        match id {
            Ok(_) => self.success(req, now),
            Err(a) => a,
        }
    }

    fn success(&mut self, req: &Request, now: Duration) -> Answer {
        let id = self.resolve_impact(req).unwrap_or_else(|_| self.settings.impact_ids.first().copied().unwrap_or(0));
        if !self.settings.has(Fault::NoRateLimit) {
            self.opened.insert(id, now);
        }
        let status = if self.settings.has(Fault::SuccessIs201) { 201 } else { 200 };
        let text = if self.settings.has(Fault::WrongSuccessText) { "OK" } else { spec::TEXT_SUCCESS };
        Answer::text(status, text)
    }

    fn shell_faults(&self, a: Answer) -> Answer {
        let s = &self.settings;
        let value_text = a.status == 400 && a.body == spec::TEXT_BAD_VALUE.as_bytes();
        if value_text && s.has(Fault::ResetOnBadValue) {
            return a.with_header(SHELL_FAULT, "reset");
        }
        if value_text && s.has(Fault::InvalidUtf8ValueText) {
            let mut a = a;
            a.body = b"Bad Request - impact value must be a number \xff\xfe".to_vec();
            return a;
        }
        if a.status == 401 && s.has(Fault::HangOnUnknownKey) {
            return a.with_header(SHELL_FAULT, "hang");
        }
        if a.status == 404 && s.has(Fault::HugeNotFoundBody) {
            let mut a = a;
            a.body = vec![b'x'; 8 << 20];
            return a;
        }
        a
    }

    fn check_method(&self, req: &Request) -> Option<Answer> {
        (req.method != "POST").then(|| Answer::text(405, "Method Not Allowed").with_header("Allow", "POST"))
    }

    fn resolve_impact(&self, req: &Request) -> Result<u64, Answer> {
        let s = &self.settings;
        let not_found = |id: &str| {
            let text = if s.has(Fault::NotFoundTextWithId) {
                format!("MetricImpactSource {id} Not Found")
            } else {
                spec::TEXT_NOT_FOUND.to_string()
            };
            Answer::text(404, &text)
        };
        let Some((seg, _query)) = spec::split_target(&req.target) else {
            return Err(Answer::text(404, "Not Found"));
        };
        if seg.is_empty() || !seg.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Answer::text(404, "Not Found"));
        }
        if seg.len() > 1 && seg.starts_with('0') && !s.leniency.leading_zero_ids {
            return Err(not_found(seg));
        }
        match seg.parse::<u64>() {
            Ok(id) if s.impact_ids.contains(&id) => Ok(id),
            _ if s.has(Fault::AcceptUnknownImpact) => Ok(s.impact_ids.first().copied().unwrap_or(0)),
            _ => Err(not_found(seg)),
        }
    }

    fn parse_body(&self, req: &Request) -> Parsed {
        let s = &self.settings;
        let media = req
            .first_header("content-type")
            .map(|v| String::from_utf8_lossy(v).split(';').next().unwrap_or("").trim().to_ascii_lowercase());
        if media.as_deref() == Some("application/x-www-form-urlencoded") {
            if !s.leniency.form_bodies {
                return Parsed { fields: Err(Answer::text(415, "Unsupported Media Type")) };
            }
            let fields = form_urlencoded::parse(&req.body).map(|(k, v)| (k.into_owned(), Field::Form(v.into_owned()))).collect();
            return Parsed { fields: Ok(self.dedup(fields)) };
        }
        match json::parse(&req.body) {
            Ok(Json::Object(m)) => Parsed { fields: Ok(self.dedup(m.into_iter().map(|(k, v)| (k, Field::Json(v))).collect())) },
            Ok(_) => Parsed { fields: Err(bad("Bad Request - body must be a JSON object")) },
            Err(e) if s.has(Fault::ServerErrorOnMalformedBody) => Parsed { fields: Err(Answer::text(500, &e.to_string())) },
            Err(e) => Parsed { fields: Err(bad(&format!("Bad Request - {e}"))) },
        }
    }

    fn dedup(&self, fields: Vec<(String, Field)>) -> Vec<(String, Field)> {
        let mut out: Vec<(String, Field)> = Vec::new();
        for (k, v) in fields {
            match out.iter_mut().find(|(ok, _)| *ok == k) {
                Some(slot) if !self.settings.leniency.first_duplicate_wins => slot.1 = v,
                Some(_) => {}
                None => out.push((k, v)),
            }
        }
        out
    }

    fn check_auth(&self, req: &Request, parsed: &Parsed) -> Option<Answer> {
        let s = &self.settings;
        let unauthorized =
            || Answer::text(401, if s.has(Fault::WrongUnauthorizedText) { "Unauthorised" } else { spec::TEXT_UNAUTHORIZED });
        let header_key: Option<String> = if s.has(Fault::IgnoreHeaderKey) {
            None
        } else {
            req.first_header("authorization").and_then(|raw| {
                let v = String::from_utf8_lossy(raw);
                let (scheme, key) = v.trim().split_once(' ')?;
                let honoured = scheme == "apikey" || (s.leniency.scheme_any_case && scheme.eq_ignore_ascii_case("apikey"));
                let key = key.trim();
                (honoured && !key.is_empty()).then(|| key.to_string())
            })
        };
        let body_key: Result<Option<String>, Answer> = match parsed.get("api_key") {
            _ if s.has(Fault::IgnoreBodyKey) => Ok(None),
            None => Ok(None),
            Some(Field::Json(Json::String(k))) | Some(Field::Form(k)) => Ok((!k.is_empty()).then(|| k.clone())),
            Some(Field::Json(_)) => Err(bad("Bad Request - api_key must be a string")),
        };
        let body_key = match body_key {
            Ok(k) => k,
            Err(a) => return Some(a),
        };
        let keys: Vec<&String> = header_key.iter().chain(body_key.iter()).collect();
        if keys.is_empty() {
            return Some(match s.leniency.missing_key_status {
                400 => bad("Bad Request - missing api key"),
                _ => unauthorized(),
            });
        }
        let known = |k: &String| s.api_keys.contains(k) || s.has(Fault::AcceptUnknownKey);
        if keys.iter().all(|k| known(k)) {
            None
        } else {
            Some(unauthorized())
        }
    }

    fn value_answer(&self) -> Answer {
        bad(if self.settings.has(Fault::WrongValueText) { "Bad Request - value must be a number" } else { spec::TEXT_BAD_VALUE })
    }

    fn check_body(&self, parsed: &Parsed) -> Option<Answer> {
        let fields = match &parsed.fields {
            Ok(f) => f,
            Err(a) => return Some(a.clone()),
        };
        if let Some(a) = self.check_value(parsed.get("value")) {
            return Some(a);
        }
        if let Some(a) = self.check_date(parsed.get("date")) {
            return Some(a);
        }
        if !self.settings.leniency.extra_fields {
            if let Some((k, _)) = fields.iter().find(|(k, _)| !matches!(k.as_str(), "value" | "date" | "api_key")) {
                return Some(bad(&format!("Bad Request - unknown field '{k}'")));
            }
        }
        None
    }

    fn check_value(&self, field: Option<&Field>) -> Option<Answer> {
        let s = &self.settings;
        let v: f64 = match field {
            Some(Field::Json(Json::Number(t))) => {
                let v: f64 = t.parse().unwrap_or(f64::INFINITY);
                if !v.is_finite() {
                    if s.has(Fault::ServerErrorOnHugeExponent) {
                        return Some(Answer::text(500, "Internal Server Error"));
                    }
                    if s.has(Fault::AcceptOverflow) {
                        return None;
                    }
                    return Some(self.value_answer());
                }
                let underflow = v == 0.0 && t.split(['e', 'E']).next().unwrap_or("").bytes().any(|b| (b'1'..=b'9').contains(&b));
                if underflow && !s.leniency.underflow {
                    return Some(self.value_answer());
                }
                v
            }
            Some(Field::Json(Json::NonFinite(_))) if s.has(Fault::AcceptNanToken) => return None,
            Some(Field::Json(Json::Null)) if s.has(Fault::ServerErrorOnNullValue) => {
                return Some(Answer::text(500, "TypeError: float() argument must be a string or a real number, not 'NoneType'"))
            }
            Some(Field::Json(Json::String(_))) if s.has(Fault::AcceptAnyString) => return None,
            Some(Field::Json(Json::String(t))) if s.leniency.numeric_strings => match numeric(t) {
                Some(v) => v,
                None => return Some(self.value_answer()),
            },
            Some(Field::Form(t)) => match numeric(t) {
                Some(v) => v,
                None => return Some(self.value_answer()),
            },
            _ => return Some(self.value_answer()),
        };
        let reject = (s.has(Fault::RejectZero) && v == 0.0)
            || (s.has(Fault::RejectNegativeZero) && v == 0.0 && v.is_sign_negative())
            || (s.has(Fault::RejectSubnormal) && v != 0.0 && v.abs() < f64::MIN_POSITIVE)
            || (s.has(Fault::RejectExtremes) && v.abs() > 1e300);
        reject.then(|| self.value_answer())
    }

    fn check_date(&self, field: Option<&Field>) -> Option<Answer> {
        let s = &self.settings;
        let bad_date = || Some(bad("Bad Request - date must be an ISO-8601 date-time"));
        let text = match field {
            None => return None,
            Some(Field::Json(Json::String(t))) | Some(Field::Form(t)) => t,
            Some(Field::Json(Json::Null)) if s.leniency.null_date => return None,
            Some(Field::Json(_)) => return Some(bad("Bad Request - date must be a string")),
        };
        if s.has(Fault::AcceptAnyDate) {
            return None;
        }
        let class = date::classify(text);
        match class {
            DateClass::Blank if s.has(Fault::RejectBlankDate) => bad_date(),
            DateClass::Blank => None,
            DateClass::Rfc3339(d) if s.has(Fault::RejectOffsetDates) && d.offset().local_minus_utc() != 0 => bad_date(),
            DateClass::Local(_) if s.has(Fault::RejectLocalDates) => bad_date(),
            DateClass::Rfc3339(_) | DateClass::Local(_) if s.has(Fault::RejectFractionalSeconds) && text.contains('.') => {
                bad_date()
            }
            DateClass::Rfc3339(_) | DateClass::Local(_) if class.far_from_now() && !s.leniency.far_dates => bad_date(),
            DateClass::Rfc3339(_) | DateClass::Local(_) => None,
            DateClass::Unusual(_) if s.leniency.unusual_dates => None,
            DateClass::Invalid(why) if why.starts_with("impossible") && s.has(Fault::AcceptImpossibleDate) => None,
            DateClass::Unusual(_) | DateClass::Invalid(_) => bad_date(),
        }
    }

    fn check_rate(&self, id: u64, now: Duration) -> Option<Answer> {
        let s = &self.settings;
        let remaining = self.remaining(id, now)?;
        let text = if s.has(Fault::WrongRateLimitText) { "Too Many Requests" } else { spec::TEXT_RATE_LIMITED };
        let status = if s.has(Fault::RateLimitIs503) { 503 } else { 429 };
        let answer = Answer::text(status, text);
        // Whole seconds, rounded up, at least 1 (RFC 9110 delay-seconds).
        let honest = remaining.as_secs() + u64::from(remaining.subsec_nanos() > 0);
        let secs = if s.has(Fault::WindowTooLong) {
            // Lies: counts down the configured window, not the real one.
            let nominal = s.window.saturating_sub(self.effective_window().saturating_sub(remaining));
            nominal.as_secs().max(1)
        } else {
            honest.max(1)
        };
        Some(if s.has(Fault::RetryAfterMissing) {
            answer
        } else if s.has(Fault::RetryAfterZero) {
            answer.with_header("Retry-After", "0")
        } else if s.has(Fault::RetryAfterHttpDate) {
            answer.with_header("Retry-After", "Fri, 01 Mar 2024 12:02:00 GMT")
        } else if s.has(Fault::RetryAfterTooLong) {
            answer.with_header("Retry-After", "3600")
        } else {
            answer.with_header("Retry-After", secs.to_string())
        })
    }
}

/// A numeric string as a lenient server reads it; `None` (refuse) for anything that
/// is not a finite number.
fn numeric(t: &str) -> Option<f64> {
    let lower = t.trim().to_ascii_lowercase();
    if lower.trim_start_matches(['+', '-']).starts_with(['i', 'n']) {
        return None;
    }
    lower.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn core() -> Core {
        Core::new(Settings { impact_ids: vec![42], api_keys: vec!["k".into()], ..Settings::default() })
    }

    fn valid() -> Request {
        Request::post(spec::register_path("42"))
            .header("Content-Type", "application/json")
            .header("Authorization", "apikey k")
            .body(r#"{"value": 1.5}"#)
    }

    #[test]
    fn the_window_walks_200_then_429_counting_down_then_200() {
        let mut c = core();
        let s = Duration::from_secs;
        assert_eq!(c.decide(&valid(), s(0)).status, 200);
        let first = c.decide(&valid(), s(1));
        assert_eq!((first.status, first.header("retry-after")), (429, Some("119")));
        let later = c.decide(&valid(), s(100) + Duration::from_millis(500));
        assert_eq!(later.header("retry-after"), Some("20"));
        let last = c.decide(&valid(), s(119) + Duration::from_millis(999));
        assert_eq!(last.header("retry-after"), Some("1"));
        assert_eq!(c.decide(&valid(), s(120)).status, 200);
    }

    #[test]
    fn a_numeric_string_is_a_finite_number_or_nothing() {
        assert_eq!(numeric(" 1.5 "), Some(1.5));
        assert_eq!(numeric("inf"), None);
        assert_eq!(numeric("1e400"), None);
        assert_eq!(numeric("abc"), None);
    }
}
