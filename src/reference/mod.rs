//! The reference server: a conformant implementation of the endpoint.
//!
//! It is the oracle made concrete, not the oracle itself: for every request it
//! picks *one* answer inside the oracle's set, with a configurable check order and
//! configurable choices where the contract is silent. That makes "the reference
//! server's answer is always allowed by the oracle" a real property, and lets tests
//! build several different conformant servers and, with [`Fault`], faulty ones.
//!
//! [`Core`] is a pure function of (request, state, now); [`ReferenceServer`] is a
//! thin HTTP shell around it on `127.0.0.1`.

mod clock;
mod core;
mod http;

pub use self::clock::Clock;
pub use self::core::Core;
pub use self::http::{Received, ReferenceServer, ServerBuilder};

use std::time::Duration;

/// A step of request handling. The server runs them in [`Settings::order`] and
/// answers with the first that fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Only `POST` is allowed (405 otherwise).
    Method,
    /// The impact id must be an existing integer (404 otherwise).
    Path,
    /// The API key must be known (401 / 400).
    Auth,
    /// Body shape, `value`, `date`, extra fields (400).
    Body,
    /// One registration per impact source per window (429).
    RateLimit,
}

impl Stage {
    /// Validate everything, then rate-limit: the order the runner can learn most from.
    pub const VALIDATE_FIRST: [Stage; 5] = [Stage::Method, Stage::Path, Stage::Auth, Stage::Body, Stage::RateLimit];
    /// Rate-limit before looking at the key or the body.
    pub const RATE_LIMIT_FIRST: [Stage; 5] = [Stage::Method, Stage::Path, Stage::RateLimit, Stage::Auth, Stage::Body];
}

/// Choices where CONTRACT.md leaves the answer open. Every combination is conformant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leniency {
    /// Accept numeric strings such as `"1.5"`. Default `false` (400).
    pub numeric_strings: bool,
    /// Accept valid ISO-8601 forms other than RFC 3339 (date only, week date, …).
    /// Default `false` (400).
    pub unusual_dates: bool,
    /// Accept dates before 2000 or after 2100. Default `true`.
    pub far_dates: bool,
    /// Treat `"date": null` as absent. Default `true`.
    pub null_date: bool,
    /// Ignore unknown body fields. Default `true`.
    pub extra_fields: bool,
    /// Accept numbers that underflow to zero (`1e-400`). Default `true`.
    pub underflow: bool,
    /// Read `042` as `42`. Default `false` (404).
    pub leading_zero_ids: bool,
    /// Accept form-encoded bodies with the JSON rules. Default `false` (415).
    pub form_bodies: bool,
    /// The status for a request with no key at all: 401 or 400. Default 401.
    pub missing_key_status: u16,
    /// Honour `APIKEY`/`ApiKey` as the scheme. Default `true` (RFC 9110).
    pub scheme_any_case: bool,
    /// For duplicate keys, the first occurrence wins. Default `false` (last wins,
    /// as Python's `json` does).
    pub first_duplicate_wins: bool,
}

impl Default for Leniency {
    fn default() -> Self {
        Leniency {
            numeric_strings: false,
            unusual_dates: false,
            far_dates: true,
            null_date: true,
            extra_fields: true,
            underflow: true,
            leading_zero_ids: false,
            form_bodies: false,
            missing_key_status: 401,
            scheme_any_case: true,
            first_duplicate_wins: false,
        }
    }
}

impl Leniency {
    /// Accept everything the contract allows to be accepted.
    pub fn permissive() -> Self {
        Leniency {
            numeric_strings: true,
            unusual_dates: true,
            far_dates: true,
            null_date: true,
            extra_fields: true,
            underflow: true,
            leading_zero_ids: true,
            form_bodies: true,
            missing_key_status: 400,
            scheme_any_case: true,
            first_duplicate_wins: true,
        }
    }

    /// Refuse everything the contract allows to be refused.
    pub fn strict() -> Self {
        Leniency {
            numeric_strings: false,
            unusual_dates: false,
            far_dates: false,
            null_date: false,
            extra_fields: false,
            underflow: false,
            leading_zero_ids: false,
            form_bodies: false,
            missing_key_status: 401,
            scheme_any_case: false,
            first_duplicate_wins: false,
        }
    }
}

/// A deliberate fault, for proving that a harness catches it (mutation testing).
/// A server with any fault is *not* conformant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Fault {
    /// Accepts bare `NaN`/`Infinity` tokens as values.
    AcceptNanToken,
    /// Accepts numbers outside the double range (`1e400`).
    AcceptOverflow,
    /// Accepts any string as a value (`"abc"`).
    AcceptAnyString,
    /// Refuses `0` (a real Go client bug, here on the server side).
    RejectZero,
    /// Refuses `-0` and `-0.0`.
    RejectNegativeZero,
    /// Refuses subnormal values.
    RejectSubnormal,
    /// Refuses values beyond ±1e300.
    RejectExtremes,
    /// Answers 500 to `"value": null` (Python's `float(None)` raises `TypeError`).
    ServerErrorOnNullValue,
    /// Answers 500 to a number whose exponent overflows.
    ServerErrorOnHugeExponent,
    /// Uses another text for a bad value.
    WrongValueText,
    /// Accepts impossible calendar dates.
    AcceptImpossibleDate,
    /// Refuses dates with a non-zero offset.
    RejectOffsetDates,
    /// Refuses fractional seconds.
    RejectFractionalSeconds,
    /// Refuses dates without an offset.
    RejectLocalDates,
    /// Refuses `"date": ""`.
    RejectBlankDate,
    /// Accepts any date string.
    AcceptAnyDate,
    /// Ignores the body `api_key`.
    IgnoreBodyKey,
    /// Ignores the `Authorization` header.
    IgnoreHeaderKey,
    /// Accepts any non-empty key.
    AcceptUnknownKey,
    /// Says `Unauthorised` instead of `Unauthorized`.
    WrongUnauthorizedText,
    /// Puts the id in the 404 text (`MetricImpactSource 7 Not Found`, as an old page did).
    NotFoundTextWithId,
    /// Registers values for impact ids that do not exist.
    AcceptUnknownImpact,
    /// Answers `OK` instead of `Success`.
    WrongSuccessText,
    /// Answers 201 instead of 200.
    SuccessIs201,
    /// Sends 429 without `Retry-After`.
    RetryAfterMissing,
    /// Sends `Retry-After: 0`.
    RetryAfterZero,
    /// Sends `Retry-After` as an HTTP-date.
    RetryAfterHttpDate,
    /// Sends `Retry-After: 3600`, longer than the window.
    RetryAfterTooLong,
    /// The window is half as long as configured (and `Retry-After` says so).
    WindowTooShort,
    /// The window is twice as long, but `Retry-After` counts down the configured one.
    WindowTooLong,
    /// No rate limit at all.
    NoRateLimit,
    /// Uses another text for 429.
    WrongRateLimitText,
    /// Answers 503 instead of 429.
    RateLimitIs503,
    /// Answers 500 to malformed JSON.
    ServerErrorOnMalformedBody,
    /// Registers on `GET` too.
    AcceptGet,
    /// Closes the connection without answering when the value is bad.
    ResetOnBadValue,
    /// Never answers an unknown key (hangs).
    HangOnUnknownKey,
    /// Answers 404 with an 8 MiB body.
    HugeNotFoundBody,
    /// Answers a bad value with invalid UTF-8 bytes.
    InvalidUtf8ValueText,
}

impl Fault {
    /// Every fault.
    pub const ALL: [Fault; 39] = [
        Fault::AcceptNanToken,
        Fault::AcceptOverflow,
        Fault::AcceptAnyString,
        Fault::RejectZero,
        Fault::RejectNegativeZero,
        Fault::RejectSubnormal,
        Fault::RejectExtremes,
        Fault::ServerErrorOnNullValue,
        Fault::ServerErrorOnHugeExponent,
        Fault::WrongValueText,
        Fault::AcceptImpossibleDate,
        Fault::RejectOffsetDates,
        Fault::RejectFractionalSeconds,
        Fault::RejectLocalDates,
        Fault::RejectBlankDate,
        Fault::AcceptAnyDate,
        Fault::IgnoreBodyKey,
        Fault::IgnoreHeaderKey,
        Fault::AcceptUnknownKey,
        Fault::WrongUnauthorizedText,
        Fault::NotFoundTextWithId,
        Fault::AcceptUnknownImpact,
        Fault::WrongSuccessText,
        Fault::SuccessIs201,
        Fault::RetryAfterMissing,
        Fault::RetryAfterZero,
        Fault::RetryAfterHttpDate,
        Fault::RetryAfterTooLong,
        Fault::WindowTooShort,
        Fault::WindowTooLong,
        Fault::NoRateLimit,
        Fault::WrongRateLimitText,
        Fault::RateLimitIs503,
        Fault::ServerErrorOnMalformedBody,
        Fault::AcceptGet,
        Fault::ResetOnBadValue,
        Fault::HangOnUnknownKey,
        Fault::HugeNotFoundBody,
        Fault::InvalidUtf8ValueText,
    ];
}

/// How the reference server behaves.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Impact ids that exist. Default `[1]`.
    pub impact_ids: Vec<u64>,
    /// Valid API keys. Default none (set one).
    pub api_keys: Vec<String>,
    /// The rate-limit window. Default 120 s.
    pub window: Duration,
    /// Check order. Default [`Stage::VALIDATE_FIRST`].
    pub order: Vec<Stage>,
    /// Choices where the contract is silent.
    pub leniency: Leniency,
    /// Deliberate faults. Default none.
    pub faults: Vec<Fault>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            impact_ids: vec![1],
            api_keys: Vec::new(),
            window: Duration::from_secs(crate::spec::DEFAULT_WINDOW_SECS),
            order: Stage::VALIDATE_FIRST.to_vec(),
            leniency: Leniency::default(),
            faults: Vec::new(),
        }
    }
}

impl Settings {
    /// Conformant configurations built on `base` that differ where the contract is
    /// silent (lenient or strict choices; the rate limit checked before or after the
    /// key and body). "Every one of them answers inside the oracle's set" tests the
    /// oracle's set from several sides; the property tests and fuzz targets use them.
    pub fn conformant_variants(base: Settings) -> Vec<(&'static str, Settings)> {
        vec![
            ("default", base.clone()),
            ("permissive", Settings { leniency: Leniency::permissive(), ..base.clone() }),
            ("strict", Settings { leniency: Leniency::strict(), ..base.clone() }),
            ("rate-limit-first", Settings { order: Stage::RATE_LIMIT_FIRST.to_vec(), ..base.clone() }),
            (
                "body-before-auth",
                Settings { order: vec![Stage::Method, Stage::Body, Stage::Auth, Stage::Path, Stage::RateLimit], ..base },
            ),
        ]
    }

    /// Whether `fault` is switched on.
    pub fn has(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }
}
