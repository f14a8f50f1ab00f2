//! The reference client: the correct way to call `register_impact`.
//!
//! Everything else in this crate sends raw bytes on purpose, so it can send the
//! wrong thing. This module is the opposite: a typed client that can only send
//! what CONTRACT.md ("The client side") calls conformant. It is the yardstick the
//! client-verification suite measures real clients against, and the simplest way
//! to register a value from Rust.
//!
//! What it guarantees, and why:
//!
//! - The `value` is written as the shortest decimal text that parses back to the
//!   very same double (bit for bit, `-0.0` included), and non-finite values are
//!   refused before any request exists. We write the body ourselves instead of
//!   through serde: `serde_json` turns `f64::NAN` into `null`, silently sending a
//!   value the caller never asked for.
//! - A `date` keeps the instant and the offset it was given with, and a date given
//!   without an offset is sent without one: inventing an offset would move the
//!   instant.
//! - The API key goes in the `Authorization: apikey <KEY>` header and/or the
//!   `api_key` body field, never in the URL, and never in an error message or a
//!   `Debug` string.
//! - One call, one request. The client never retries and never follows redirects:
//!   a 429 opens a 120 s window, and a retry policy that ignores `Retry-After` is
//!   exactly the fault real clients have, so retrying is left to the caller, who
//!   gets the parsed `Retry-After` in [`Outcome::RateLimited`].

use std::error::Error as _;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Timelike};
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};

/// What `Debug` output and error messages show instead of the API key.
const REDACTED: &str = "[redacted]";

/// The user agent sent unless [`ClientBuilder::user_agent`] says otherwise.
const DEFAULT_USER_AGENT: &str = concat!("sleuth-contract/", env!("CARGO_PKG_VERSION"));

/// The request timeout used unless [`ClientBuilder::timeout`] says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the client puts the API key.
///
/// The page documents both places and a server must accept either, so a
/// reference client must be able to exercise each of them (and both at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyPlacement {
    /// `Authorization: apikey <KEY>` only. The default: it keeps the key out of
    /// the body, which servers and proxies are more likely to log.
    #[default]
    Header,
    /// The `api_key` body field only.
    Body,
    /// Both the header and the body field, with the same key.
    Both,
}

impl KeyPlacement {
    fn in_header(self) -> bool {
        matches!(self, KeyPlacement::Header | KeyPlacement::Both)
    }

    fn in_body(self) -> bool {
        matches!(self, KeyPlacement::Body | KeyPlacement::Both)
    }
}

/// The `date` a value applies to.
///
/// Two variants because the contract treats them differently: a date with an
/// offset names one instant and must keep naming it, while a date without an
/// offset is the server's local time and must be passed on without one (adding
/// `Z` would move it by the server's offset).
///
/// `PartialEq` is deliberately not derived: chrono compares `DateTime`s by
/// instant only, so `12:00+02:00 == 10:00Z`, which would hide a lost offset.
#[derive(Debug, Clone, Copy)]
pub enum ClientDate {
    /// An RFC 3339 date-time with an offset (`Z`, `+02:00`, `-05:30`).
    Instant(DateTime<FixedOffset>),
    /// A date-time without an offset: local time at the server.
    Local(NaiveDateTime),
}

impl ClientDate {
    /// Parses RFC 3339 with an offset into [`ClientDate::Instant`], and
    /// `YYYY-MM-DDTHH:MM:SS[.fraction]` without an offset into
    /// [`ClientDate::Local`].
    ///
    /// A blank string is an error here, although the page treats a blank `date`
    /// as "now": a blank date means "no date", and that is spelled `None` at
    /// [`Client::register`], so callers map blank input to `None` themselves
    /// instead of this type pretending to hold a date.
    pub fn parse(s: &str) -> Result<ClientDate, ClientError> {
        let invalid = |reason: String| ClientError::InvalidDate { input: s.to_owned(), reason };
        if s.trim().is_empty() {
            return Err(invalid("the date is blank; pass no date instead and the server uses the current time".to_owned()));
        }
        let rfc3339_error = match DateTime::parse_from_rfc3339(s) {
            Ok(instant) => return Ok(ClientDate::Instant(instant)),
            Err(e) => e,
        };
        // chrono's `%Y` also takes signed and short years (`-024-…`), which RFC 3339
        // does not; require the four-digit year first.
        let four_digit_year = s.len() > 4 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit) && s.as_bytes()[4] == b'-';
        match NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
            Ok(local) if four_digit_year => Ok(ClientDate::Local(local)),
            _ => Err(invalid(format!(
                "expected an rfc 3339 date-time such as 2024-03-01T12:00:00+02:00, \
                 or one without offset such as 2024-03-01T12:00:00 ({rfc3339_error})"
            ))),
        }
    }
}

impl std::str::FromStr for ClientDate {
    type Err = ClientError;

    /// Same as [`ClientDate::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ClientDate::parse(s)
    }
}

impl fmt::Display for ClientDate {
    /// The text [`encode_date`] sends.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&encode_date(self))
    }
}

/// How the server answered one registration.
///
/// Every HTTP answer is an `Outcome`, not an error: a 401 is the server doing
/// its job, and callers (the example binary, the verification suite) need to
/// tell a refusal from a failure to ask, which is a [`ClientError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 200: the value was registered.
    Registered,
    /// 429: the impact source's window is open. `retry_after` is the
    /// `Retry-After` header as delay-seconds, `None` if it was absent or not a
    /// whole number of seconds (an HTTP-date is not accepted: the contract says
    /// the server sends seconds).
    RateLimited {
        /// How long to wait, counted from receiving the 429, before one retry.
        retry_after: Option<Duration>,
    },
    /// 400, with the server's text (it names the problem).
    BadRequest(String),
    /// 401: the API key is unknown (or missing).
    Unauthorized,
    /// 404: no impact source with this id.
    NotFound,
    /// Any other status, with its text: the contract allows none of them as an
    /// answer to a conformant request.
    Unexpected {
        /// The HTTP status code.
        status: u16,
        /// The response body, decoded lossily as UTF-8.
        text: String,
    },
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Registered => f.write_str("registered"),
            Outcome::RateLimited { retry_after: Some(d) } => write!(f, "rate limited: retry after {} s", d.as_secs()),
            Outcome::RateLimited { retry_after: None } => f.write_str("rate limited: no usable retry-after header"),
            Outcome::BadRequest(text) => write!(f, "bad request: {text:?}"),
            Outcome::Unauthorized => f.write_str("unauthorized: the api key was refused"),
            Outcome::NotFound => f.write_str("not found: no impact source with this id"),
            Outcome::Unexpected { status, text } => {
                write!(f, "unexpected answer {status}: {text:?}")
            }
        }
    }
}

/// Why the client could not ask the server (as opposed to the server saying no,
/// which is an [`Outcome`]).
///
/// Messages carry the input that caused them, except the API key, which is a
/// secret: it never appears in any message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// `NaN` or an infinity: JSON has no such number, and a server must refuse
    /// it, so the client refuses first and sends nothing.
    #[error("refusing to send non-finite value {0}")]
    NonFinite(f64),
    /// The base URL is not an absolute `http`/`https` URL, or the endpoint built
    /// from it would carry a query string or fragment.
    #[error("invalid base url '{url}': {reason}")]
    InvalidBaseUrl {
        /// The base URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The text is not a date-time [`ClientDate::parse`] accepts.
    #[error("invalid date '{input}': {reason}")]
    InvalidDate {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The API key cannot be sent as given. Unlike the other errors it does not
    /// carry its input: the input is a secret.
    #[error("invalid api key: {reason}")]
    InvalidApiKey {
        /// What is wrong with it.
        reason: String,
    },
    /// The user agent is not a valid HTTP header value.
    #[error("invalid user agent '{input}': {reason}")]
    InvalidUserAgent {
        /// The user agent as given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The request could not be sent or its answer not read (connection
    /// refused, timeout, TLS, ...). The message comes from the HTTP stack with
    /// the API key scrubbed out.
    #[error("request failed: {0}")]
    Transport(String),
}

/// Configures a [`Client`]. Every option has a default; only [`build`] fails.
///
/// [`build`]: ClientBuilder::build
pub struct ClientBuilder {
    base_url: String,
    api_key: String,
    impact_id: u64,
    key_placement: KeyPlacement,
    timeout: Duration,
    user_agent: String,
}

impl ClientBuilder {
    /// Where the API key goes.
    ///
    /// Default is [`KeyPlacement::Header`].
    pub fn key_placement(mut self, placement: KeyPlacement) -> ClientBuilder {
        self.key_placement = placement;
        self
    }

    /// Total time allowed for one request, from connecting to reading the whole
    /// answer; past it, [`Client::register`] returns [`ClientError::Transport`].
    ///
    /// Default is 30 seconds.
    pub fn timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeout = timeout;
        self
    }

    /// The `User-Agent` header, so server logs can tell this client apart.
    ///
    /// Default is `sleuth-contract/<crate version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> ClientBuilder {
        self.user_agent = user_agent.into();
        self
    }

    /// Checks the options and builds the client.
    ///
    /// Fails with [`ClientError::InvalidBaseUrl`] for a base URL that is not an
    /// absolute `http`/`https` URL or that carries a query or fragment,
    /// [`ClientError::InvalidApiKey`] for an empty key or one that cannot be an
    /// HTTP header value, [`ClientError::InvalidUserAgent`] likewise, and
    /// [`ClientError::Transport`] if the HTTP stack cannot start (TLS setup).
    pub fn build(self) -> Result<Client, ClientError> {
        let endpoint = endpoint_url(&self.base_url, self.impact_id)?;
        if self.api_key.is_empty() {
            return Err(ClientError::InvalidApiKey { reason: "the key is empty".to_owned() });
        }
        let auth_header = if self.key_placement.in_header() {
            let mut value = HeaderValue::from_str(&format!("apikey {}", self.api_key)).map_err(|_| {
                ClientError::InvalidApiKey { reason: "it contains characters an http header cannot carry".to_owned() }
            })?;
            // Keeps the value out of the HTTP stack's own Debug output.
            value.set_sensitive(true);
            Some(value)
        } else {
            None
        };
        let user_agent = HeaderValue::from_str(&self.user_agent)
            .map_err(|e| ClientError::InvalidUserAgent { input: self.user_agent.clone(), reason: e.to_string() })?;
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .user_agent(user_agent)
            // A redirect would be a second request (and reqwest turns a
            // redirected POST into a GET); the caller sees the 3xx instead.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| transport_error(&e, &self.api_key))?;
        Ok(Client {
            http,
            endpoint,
            api_key: self.api_key,
            impact_id: self.impact_id,
            key_placement: self.key_placement,
            auth_header,
            timeout: self.timeout,
            user_agent: self.user_agent,
        })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("api_key", &REDACTED)
            .field("impact_id", &self.impact_id)
            .field("key_placement", &self.key_placement)
            .field("timeout", &self.timeout)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// A client for one impact source: it registers values against
/// `{base}/api/1/impact/{impact_id}/register_impact`.
///
/// Cheap to clone (the connection pool is shared).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: reqwest::Url,
    api_key: String,
    impact_id: u64,
    key_placement: KeyPlacement,
    /// `Some` when the placement puts the key in the header; built once so
    /// `register` cannot fail on it.
    auth_header: Option<HeaderValue>,
    timeout: Duration,
    user_agent: String,
}

impl Client {
    /// Starts configuring a client for the impact source `impact_id` at
    /// `base_url` (for Sleuth itself, `https://app.sleuth.io`).
    pub fn builder(base_url: impl Into<String>, api_key: impl Into<String>, impact_id: u64) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            api_key: api_key.into(),
            impact_id,
            key_placement: KeyPlacement::default(),
            timeout: DEFAULT_TIMEOUT,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
        }
    }

    /// The exact URL every registration is posted to.
    pub fn endpoint(&self) -> &str {
        self.endpoint.as_str()
    }

    /// Registers `value`, at `date` if given (the server uses the current time
    /// otherwise), and reports how the server answered.
    ///
    /// Sends exactly one request, or none: a non-finite `value` is refused with
    /// [`ClientError::NonFinite`] before anything is sent. Never retries; on
    /// [`Outcome::RateLimited`] the caller decides whether to wait
    /// `retry_after` and call again.
    pub async fn register(&self, value: f64, date: Option<&ClientDate>) -> Result<Outcome, ClientError> {
        let body_key = self.key_placement.in_body().then_some(self.api_key.as_str());
        let body = encode_body(value, date, body_key)?;

        let mut request =
            self.http.post(self.endpoint.clone()).header(CONTENT_TYPE, HeaderValue::from_static("application/json")).body(body);
        if let Some(auth) = &self.auth_header {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        let response = request.send().await.map_err(|e| transport_error(&e, &self.api_key))?;

        let status = response.status().as_u16();
        let retry_after = response.headers().get(RETRY_AFTER).and_then(parse_delay);
        let text = response.text().await.map_err(|e| transport_error(&e, &self.api_key))?;

        Ok(match status {
            200 => Outcome::Registered,
            400 => Outcome::BadRequest(text),
            401 => Outcome::Unauthorized,
            404 => Outcome::NotFound,
            429 => Outcome::RateLimited { retry_after },
            status => Outcome::Unexpected { status, text },
        })
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint.as_str())
            .field("api_key", &REDACTED)
            .field("impact_id", &self.impact_id)
            .field("key_placement", &self.key_placement)
            .field("timeout", &self.timeout)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// Writes a finite `value` as a JSON number: the shortest decimal that parses
/// back to the same double, bit for bit.
///
/// Rust's `{:?}` for `f64` is exactly that, and always JSON-shaped: a digit
/// before and after any point, an exponent without `+` (`1.0`, `-0.0`,
/// `0.30000000000000004`, `5e-324`, `1e300`). `{}` would spell `1e300` with 301
/// digits, and serde would write `NaN` as `null`. `NaN` and infinities have no
/// JSON spelling, hence [`ClientError::NonFinite`].
pub fn encode_value(value: f64) -> Result<String, ClientError> {
    if !value.is_finite() {
        return Err(ClientError::NonFinite(value));
    }
    Ok(format!("{value:?}"))
}

/// Writes a date as the ISO-8601 text sent in `date`.
///
/// An [`ClientDate::Instant`] keeps its own offset (`2024-03-01T12:00:00+02:00`,
/// UTC as `+00:00`), a [`ClientDate::Local`] gets none. Fractional seconds are
/// written with as many digits as they need and no more (`.5`, not `.500`;
/// none for a whole second), so the text denotes the very instant it was given
/// and never claims a precision the input did not have.
///
/// RFC 3339 offsets have no seconds: an offset such as `+00:00:30` (possible in
/// chrono) is written as the same instant in UTC instead of being cut to
/// `+00:00`, which would move the instant. Years outside 0000..=9999 cannot be
/// written at all; [`encode_body`] refuses them (see [`check_date`]).
pub fn encode_date(date: &ClientDate) -> String {
    match date {
        ClientDate::Instant(instant) if instant.offset().local_minus_utc() % 60 != 0 => {
            let utc = instant.naive_utc();
            format!("{}{}+00:00", utc.format("%Y-%m-%dT%H:%M:%S"), fraction(utc.nanosecond()))
        }
        ClientDate::Instant(instant) => {
            format!("{}{}{}", instant.format("%Y-%m-%dT%H:%M:%S"), fraction(instant.nanosecond()), instant.format("%:z"),)
        }
        ClientDate::Local(local) => format!("{}{}", local.format("%Y-%m-%dT%H:%M:%S"), fraction(local.nanosecond()),),
    }
}

/// Refuses a date RFC 3339 cannot express: a year outside 0000..=9999 (chrono
/// allows them; the text would be `+10000-…` or `-0001-…`, which no RFC 3339
/// parser reads back).
pub fn check_date(date: &ClientDate) -> Result<(), ClientError> {
    use chrono::Datelike;
    let year = match date {
        // The year as written: UTC when the offset has seconds (see encode_date).
        ClientDate::Instant(i) if i.offset().local_minus_utc() % 60 != 0 => i.naive_utc().year(),
        ClientDate::Instant(i) => i.year(),
        ClientDate::Local(l) => l.year(),
    };
    if (0..=9999).contains(&year) {
        Ok(())
    } else {
        Err(ClientError::InvalidDate { input: encode_date(date), reason: "RFC 3339 years have four digits (0000-9999)".into() })
    }
}

/// `.` and the significant digits of the fractional second, or nothing.
///
/// chrono stores a leap second as `nanosecond >= 1_000_000_000` (and `%S`
/// prints `60` for it), so only the remainder is the fraction.
fn fraction(nanosecond: u32) -> String {
    let nanos = nanosecond % 1_000_000_000;
    if nanos == 0 {
        return String::new();
    }
    let digits = format!("{nanos:09}");
    format!(".{}", digits.trim_end_matches('0'))
}

/// Writes the request body: `{"value":…}`, then `"date"` if there is one, then
/// `"api_key"` if `body_key` is given.
///
/// Built as text rather than through a serde struct, so a value is only ever
/// written by [`encode_value`] (serde would turn `NaN` into `null`), and an
/// absent date is an absent field rather than `"date":null`. Strings go through
/// `serde_json` so any key or date text is escaped correctly.
pub fn encode_body(value: f64, date: Option<&ClientDate>, body_key: Option<&str>) -> Result<Vec<u8>, ClientError> {
    // The value first: a non-finite value is refused as such, whatever the date.
    let value = encode_value(value)?;
    if let Some(d) = date {
        check_date(d)?;
    }
    let mut body = String::with_capacity(96);
    body.push_str("{\"value\":");
    body.push_str(&value);
    if let Some(date) = date {
        body.push_str(",\"date\":");
        body.push_str(&json_string(&encode_date(date)));
    }
    if let Some(key) = body_key {
        body.push_str(",\"api_key\":");
        body.push_str(&json_string(key));
    }
    body.push('}');
    Ok(body.into_bytes())
}

/// A JSON string literal for `s`, quotes included.
fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("serialising a str to json cannot fail")
}

/// Builds and checks `{base}/api/1/impact/{id}/register_impact`.
///
/// Works on the text, not on a parsed base, so a base with a path prefix keeps
/// it; the result is then parsed and checked as a whole, which also catches a
/// `?` or `#` in the base (they would turn our path into a query or fragment).
fn endpoint_url(base_url: &str, impact_id: u64) -> Result<reqwest::Url, ClientError> {
    let invalid = |reason: String| ClientError::InvalidBaseUrl { url: base_url.to_owned(), reason };
    let base = base_url.strip_suffix('/').unwrap_or(base_url);
    let url =
        reqwest::Url::parse(&format!("{base}/api/1/impact/{impact_id}/register_impact")).map_err(|e| invalid(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!("scheme '{}' is not http or https", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host".to_owned()));
    }
    if url.query().is_some() {
        return Err(invalid("it has a query string, and the endpoint takes none".to_owned()));
    }
    if url.fragment().is_some() {
        return Err(invalid("it has a fragment".to_owned()));
    }
    Ok(url)
}

/// `Retry-After` as RFC 9110 delay-seconds: ASCII digits only, surrounding
/// whitespace tolerated. Anything else (an HTTP-date, a fraction, a sign) is
/// `None`: guessing would risk retrying early.
fn parse_delay(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u64>().ok().map(Duration::from_secs)
}

/// A transport error's message with its whole cause chain (reqwest's top line
/// alone is often just "error sending request"), the API key scrubbed out.
///
/// The key is never in the URL, so it should never be in the message either;
/// the scrub is a second line of defence, should a lower layer ever echo a
/// header or body.
fn transport_error(error: &reqwest::Error, api_key: &str) -> ClientError {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !message.contains(&cause_text) {
            message.push_str(": ");
            message.push_str(&cause_text);
        }
        source = cause.source();
    }
    if !api_key.is_empty() {
        message = message.replace(api_key, REDACTED);
    }
    ClientError::Transport(message)
}
