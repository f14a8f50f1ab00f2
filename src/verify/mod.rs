//! Client verification: does a *client* of `register_impact` send what CONTRACT.md
//! ("The client side") asks, and react to the answers as it says?
//!
//! The reference server records every request it receives (with its arrival time)
//! and can be told to answer the next requests with forced answers (400, 401, 404,
//! 429). This module judges that journal against what the client was asked to do:
//! the request itself (method, path, no query, `Content-Type`, a JSON object body,
//! `value` bit for bit, `date` as the same instant or omitted, the API key in the
//! header or body and never in the URL) and the client's reaction (no retry after
//! 400, 401 or 404; after a 429, give up or retry exactly once no sooner than
//! `Retry-After`; nothing after a 200; success reported iff the final answer was 200).
//!
//! Violations use Pact's vocabulary: a **mismatch** is a request that arrived but is
//! wrong, an **unexpected request** is one that should not have been sent at all
//! (a retry, a non-finite value), a **missing request** is one that never came.
//!
//! Two front doors share these checks:
//!
//! - `sleuth-contract verify-client -- CMD [ARGS...]` runs a command-line client many
//!   times against the reference server, with proptest-generated inputs and forced
//!   answers ([`verify_main`]).
//! - In your own tests, like wiremock's `verify()`: start the reference server, point
//!   your client at it, then ask [`check_requests`] for the violations, or call
//!   [`assert_conforms`], which panics with every message.
//!
//! ```
//! use sleuth_contract::verify::{self, ClientExpectation};
//! use sleuth_contract::{Client, ClientDate, ReferenceServer};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let server = ReferenceServer::builder().impact_id(42).api_key("secret").start().await.unwrap();
//!
//! // Your client, pointed at the reference server (here: the crate's own).
//! let client = Client::builder(server.url(), "secret", 42).build().unwrap();
//! let date = ClientDate::parse("2024-03-01T12:00:00+02:00").unwrap();
//! client.register(0.1, Some(&date)).await.unwrap();
//!
//! let expected = ClientExpectation::for_server(&server, 0.1).date("2024-03-01T12:00:00+02:00");
//! assert_eq!(verify::check_requests(&server.received(), &expected), vec![]);
//! verify::assert_conforms(&server.received(), &expected); // the same, as a panic
//!
//! // To see how it reacts to a refusal, force the next answer.
//! server.clear_received();
//! server.force_answers(verify::Scenario::Forced401.forced_answers(1));
//! let outcome = client.register(0.1, None).await.unwrap();
//! let expected = ClientExpectation::for_server(&server, 0.1);
//! verify::assert_conforms(&server.received(), &expected);
//! let reported_success = outcome == sleuth_contract::Outcome::Registered;
//! assert_eq!(verify::check_outcome(&server.received(), &expected, reported_success), None);
//! # }
//! ```
//!
//! ### Why the journal and not a mock with expectations?
//! The rules are about *sequences* and *time* ("waited at least `Retry-After`
//! seconds, then tried once more"), which per-request matchers cannot say. The
//! journal keeps every request, in order, with the server's clock time at arrival,
//! so one pure function can judge the whole exchange and be unit-tested without
//! sockets.

mod plan;
mod rules;
mod run;

pub use self::plan::{input_date, plan, render_args, value_text, Input, Plan, Planned, DEFAULT_RUNS};
pub use self::rules::{assert_conforms, check_outcome, check_requests};
pub use self::run::{verify_main, VerifyArgs, VerifyError};

use crate::request::{Answer, Redactor};
use crate::spec;
use crate::KeyPlacement;

/// What a client was asked to do: register `value` (at `date`, if any) for
/// `impact_id` with `api_key`.
#[derive(Clone)]
pub struct ClientExpectation {
    /// The impact id the client was configured with.
    pub impact_id: u64,
    /// The API key the client was configured with. Never printed: messages show
    /// `$SLEUTH_API_KEY` instead.
    pub api_key: String,
    /// The value the client was asked to register (non-finite: it must refuse).
    pub value: f64,
    /// The date the client was given, as text; `None` (or blank) for none.
    pub date: Option<String>,
    /// Where the key must go. `None` (the default) accepts every placement the
    /// contract allows: header, body or both.
    pub key_placement: Option<KeyPlacement>,
}

impl std::fmt::Debug for ClientExpectation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientExpectation")
            .field("impact_id", &self.impact_id)
            .field("api_key", &crate::request::REDACTED)
            .field("value", &self.value)
            .field("date", &self.date)
            .field("key_placement", &self.key_placement)
            .finish()
    }
}

impl ClientExpectation {
    /// Registering `value` for `impact_id` with `api_key`, no date, key anywhere.
    pub fn new(impact_id: u64, api_key: impl Into<String>, value: f64) -> Self {
        ClientExpectation { impact_id, api_key: api_key.into(), value, date: None, key_placement: None }
    }

    /// Registering `value` against `server`: its first impact id and first API key.
    pub fn for_server(server: &crate::ReferenceServer, value: f64) -> Self {
        let settings = server.settings();
        ClientExpectation::new(
            settings.impact_ids.first().copied().unwrap_or(1),
            settings.api_keys.first().cloned().unwrap_or_default(),
            value,
        )
    }

    /// The date the client was given. Default none.
    pub fn date(mut self, date: impl Into<String>) -> Self {
        self.date = Some(date.into());
        self
    }

    /// Requires this exact key placement. Default: any the contract allows.
    pub fn key_placement(mut self, placement: KeyPlacement) -> Self {
        self.key_placement = Some(placement);
        self
    }

    /// The path the client must post to.
    pub fn path(&self) -> String {
        spec::register_path(&self.impact_id.to_string())
    }

    fn redactor(&self) -> Redactor {
        Redactor::new([self.api_key.clone()])
    }

    /// The date, unless it is missing or blank (a blank date counts as none).
    fn given_date(&self) -> Option<&str> {
        self.date.as_deref().filter(|d| !d.trim().is_empty())
    }
}

/// One rule of CONTRACT.md "The client side". The name is what reports print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The method is `POST`.
    MethodIsPost,
    /// The path is exactly `/api/1/impact/{IMPACT_ID}/register_impact`.
    ExactPath,
    /// The request target has no query string.
    NoQueryString,
    /// The API key never appears in the URL.
    KeyNotInUrl,
    /// `Content-Type: application/json` (media type case-insensitive, parameters allowed).
    ContentTypeJson,
    /// The body is a JSON object (each field at most once).
    BodyIsJsonObject,
    /// `value` is a JSON number.
    ValueIsJsonNumber,
    /// `value` parses back to the input, bit for bit (`-0.0` included).
    ValueRoundTrips,
    /// A non-finite input is refused: no request, a failure reported.
    NonFiniteRefused,
    /// A finite input is sent.
    FiniteValueSent,
    /// A given date is sent.
    DateSent,
    /// The sent date is an RFC 3339 date-time.
    DateIsRfc3339,
    /// The sent date denotes the same instant (an offset neither dropped nor invented).
    DateSameInstant,
    /// Without a date, the `date` field is left out (`"date": null` is not leaving it out).
    DateOmitted,
    /// The key is in `Authorization: apikey <KEY>` or the body `api_key`, or both.
    ApiKeySent,
    /// The key is where [`ClientExpectation::key_placement`] says.
    KeyPlacement,
    /// Nothing is sent after a 200.
    NoRequestAfterSuccess,
    /// 400, 401 and 404 are never retried.
    NoRetryOn400401404,
    /// A retry after a 429 waits at least `Retry-After` seconds.
    RetryAfterRespected,
    /// After a 429, at most one retry.
    AtMostOneRetry,
    /// Success is reported (exit 0) iff the final answer was 200.
    ExitCodeMatchesAnswer,
    /// The client finishes within the timeout.
    FinishedInTime,
}

impl Rule {
    /// The rule's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Rule::MethodIsPost => "method_is_post",
            Rule::ExactPath => "exact_path",
            Rule::NoQueryString => "no_query_string",
            Rule::KeyNotInUrl => "key_not_in_url",
            Rule::ContentTypeJson => "content_type_json",
            Rule::BodyIsJsonObject => "body_is_json_object",
            Rule::ValueIsJsonNumber => "value_is_json_number",
            Rule::ValueRoundTrips => "value_round_trips",
            Rule::NonFiniteRefused => "non_finite_refused",
            Rule::FiniteValueSent => "finite_value_sent",
            Rule::DateSent => "date_sent",
            Rule::DateIsRfc3339 => "date_is_rfc3339",
            Rule::DateSameInstant => "date_same_instant",
            Rule::DateOmitted => "date_omitted",
            Rule::ApiKeySent => "api_key_sent",
            Rule::KeyPlacement => "key_placement",
            Rule::NoRequestAfterSuccess => "no_request_after_success",
            Rule::NoRetryOn400401404 => "no_retry_on_400_401_404",
            Rule::RetryAfterRespected => "retry_after_respected",
            Rule::AtMostOneRetry => "at_most_one_retry",
            Rule::ExitCodeMatchesAnswer => "exit_code_matches_answer",
            Rule::FinishedInTime => "finished_in_time",
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Pact's words for what went wrong with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A request (or the client's result) that came but is wrong.
    Mismatch,
    /// A request that should not have been sent.
    UnexpectedRequest,
    /// A request that should have been sent and was not.
    MissingRequest,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Mismatch => "mismatch",
            Kind::UnexpectedRequest => "unexpected request",
            Kind::MissingRequest => "missing request",
        })
    }
}

/// One broken client rule: which, what kind, and a message naming the input and
/// what was received. The API key never appears in it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ClientViolation {
    pub rule: Rule,
    pub kind: Kind,
    /// The request it is about, 1-based in arrival order (`None`: the run as a whole).
    pub request: Option<usize>,
    /// Expected vs received, in one line.
    pub message: String,
}

impl std::fmt::Display for ClientViolation {
    /// `value_round_trips: mismatch: request 1: input 0.1 was sent as 0.100000, …`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: ", self.rule, self.kind)?;
        if let Some(n) = self.request {
            write!(f, "request {n}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// What the reference server answers while a client runs.
///
/// The forced answers go to the client's first requests; anything after them is
/// answered by the reference server itself (a valid retry gets 200).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// The server answers as it would (200 for a valid registration).
    Normal,
    /// The first request gets `400 Bad Request - …`: no retry, report failure.
    Forced400,
    /// The first request gets `401 Unauthorized`: no retry, report failure.
    Forced401,
    /// The first request gets `404 MetricImpactSource Not Found`: no retry, report failure.
    Forced404,
    /// The first request gets 429 with `Retry-After`: give up, or wait and retry
    /// once (the retry is answered normally, so it gets 200).
    Forced429,
    /// The first two requests get 429: a client that retries once must then
    /// give up, so a retry storm shows.
    Forced429Twice,
}

impl Scenario {
    /// Every scenario.
    pub const ALL: [Scenario; 6] = [
        Scenario::Normal,
        Scenario::Forced400,
        Scenario::Forced401,
        Scenario::Forced404,
        Scenario::Forced429,
        Scenario::Forced429Twice,
    ];

    /// The name used in case ids (`run-007/forced-429`).
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Normal => "normal",
            Scenario::Forced400 => "forced-400",
            Scenario::Forced401 => "forced-401",
            Scenario::Forced404 => "forced-404",
            Scenario::Forced429 => "forced-429",
            Scenario::Forced429Twice => "forced-429-twice",
        }
    }

    /// The answers to pass to [`ReferenceServer::force_answers`](crate::ReferenceServer::force_answers);
    /// 429s carry `Retry-After: retry_after_secs`.
    pub fn forced_answers(self, retry_after_secs: u64) -> Vec<Answer> {
        let limited = || Answer::text(429, spec::TEXT_RATE_LIMITED).with_header("Retry-After", retry_after_secs.to_string());
        match self {
            Scenario::Normal => vec![],
            Scenario::Forced400 => vec![Answer::text(400, spec::TEXT_BAD_VALUE)],
            Scenario::Forced401 => vec![Answer::text(401, spec::TEXT_UNAUTHORIZED)],
            Scenario::Forced404 => vec![Answer::text(404, spec::TEXT_NOT_FOUND)],
            Scenario::Forced429 => vec![limited()],
            Scenario::Forced429Twice => vec![limited(), limited()],
        }
    }

    /// What a conformant client does here, in words (for reports).
    pub fn rule_text(self, retry_after_secs: u64) -> String {
        match self {
            Scenario::Normal => "one POST; exit 0 iff it is answered 200".into(),
            Scenario::Forced400 | Scenario::Forced401 | Scenario::Forced404 => {
                let status = &self.name()["forced-".len()..];
                format!("one POST, answered {status} (forced); no retry; a non-zero exit")
            }
            Scenario::Forced429 => format!(
                "one POST, answered 429 with Retry-After: {retry_after_secs} (forced); then give up (non-zero exit) \
                 or retry once at least {retry_after_secs}s later (exit 0 iff that gets 200)"
            ),
            Scenario::Forced429Twice => format!(
                "one POST, answered 429 with Retry-After: {retry_after_secs} (forced); then give up, \
                 or retry once at least {retry_after_secs}s later, which gets 429 again; a non-zero exit, no third request"
            ),
        }
    }
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
