//! Sends a [`Request`]'s exact parts to a target and buffers the answer, bounded.
//!
//! Bad answers are data, not crashes: a hang becomes [`TransportError::Timeout`], a
//! reset or a non-HTTP reply becomes [`TransportError::Broken`], and a huge body is
//! cut at [`MAX_KEPT`] bytes (read up to [`MAX_READ`], then the connection is dropped).

use std::time::{Duration, Instant};

use crate::request::{Answer, Redactor, Request};

/// Body bytes kept for checks and reports.
pub const MAX_KEPT: usize = 64 * 1024;
/// Body bytes read at most before giving up on the rest.
pub const MAX_READ: usize = 4 * 1024 * 1024;

/// Why there is no answer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "detail")]
pub enum TransportError {
    /// Nothing came back within the timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The connection could not be made (refused, unresolvable host).
    #[error("could not connect: {0}")]
    Connect(String),
    /// The connection broke, or the reply was not HTTP.
    #[error("broken answer: {0}")]
    Broken(String),
    /// The request itself cannot be sent (a method or header HTTP forbids).
    #[error("request cannot be sent: {0}")]
    Unsendable(String),
}

/// A request and what came of it.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub request: Request,
    pub outcome: Result<Answer, TransportError>,
    /// Whether the body was longer than [`MAX_KEPT`] and was cut.
    pub truncated: bool,
    pub elapsed: Duration,
}

/// A target: a base URL and an HTTP client with a per-request timeout.
#[derive(Clone, Debug)]
pub struct Transport {
    base: String,
    http: reqwest::Client,
    timeout: Duration,
    redactor: Redactor,
}

/// Why a base URL is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid target URL '{url}': {reason}")]
pub struct UrlError {
    pub url: String,
    pub reason: String,
}

/// Checks a base URL: absolute `http`/`https` with a host, no query or fragment.
pub fn parse_base_url(url: &str) -> Result<reqwest::Url, UrlError> {
    let err = |reason: &str| UrlError { url: url.to_string(), reason: reason.to_string() };
    let parsed = reqwest::Url::parse(url).map_err(|e| err(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(err("scheme must be http or https"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(err("no host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(err("a base URL has no query or fragment"));
    }
    Ok(parsed)
}

/// The longest per-answer timeout accepted (a day).
pub const MAX_TIMEOUT_SECS: f64 = 86_400.0;

/// A `--timeout` in seconds as a duration: positive, at least a millisecond and at
/// most [`MAX_TIMEOUT_SECS`] (a huge value would not fit a `Duration`).
pub fn timeout_from_secs(secs: f64) -> Result<Duration, String> {
    if secs.is_finite() && (0.001..=MAX_TIMEOUT_SECS).contains(&secs) {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(format!("--timeout must be between 0.001 and {MAX_TIMEOUT_SECS} seconds, not {secs}"))
    }
}

impl Transport {
    /// A transport to `base` (validated by [`parse_base_url`]). `redactor` scrubs
    /// secrets from error messages.
    pub fn new(base: &str, timeout: Duration, redactor: Redactor) -> Result<Self, UrlError> {
        parse_base_url(base)?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .pool_max_idle_per_host(4)
            .build()
            .map_err(|e| UrlError { url: base.to_string(), reason: e.to_string() })?;
        Ok(Transport { base: base.trim_end_matches('/').to_string(), http, timeout, redactor })
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Whether `req` can be put on the wire at all (valid method token and header
    /// bytes). Generated cases that cannot are skipped, not reported.
    pub fn sendable(req: &Request) -> bool {
        reqwest::Method::from_bytes(req.method.as_bytes()).is_ok()
            && req.headers.iter().all(|(n, v)| {
                reqwest::header::HeaderName::from_bytes(n.as_bytes()).is_ok()
                    && reqwest::header::HeaderValue::from_bytes(v).is_ok()
            })
            && reqwest::Url::parse(&format!("http://h{}", req.target)).is_ok()
            && req.target.starts_with('/')
    }

    /// Sends `req` and buffers the answer.
    pub async fn send(&self, req: &Request) -> Exchange {
        let start = Instant::now();
        let (outcome, truncated) = match self.try_send(req).await {
            Ok((a, t)) => (Ok(a), t),
            Err(e) => (Err(e), false),
        };
        Exchange { request: req.clone(), outcome, truncated, elapsed: start.elapsed() }
    }

    async fn try_send(&self, req: &Request) -> Result<(Answer, bool), TransportError> {
        let unsendable = |e: String| TransportError::Unsendable(e);
        let method = reqwest::Method::from_bytes(req.method.as_bytes()).map_err(|e| unsendable(e.to_string()))?;
        let url = format!("{}{}", self.base, req.target);
        let mut builder = self.http.request(method, &url);
        for (n, v) in &req.headers {
            let name = reqwest::header::HeaderName::from_bytes(n.as_bytes()).map_err(|e| unsendable(e.to_string()))?;
            let value = reqwest::header::HeaderValue::from_bytes(v).map_err(|e| unsendable(e.to_string()))?;
            builder = builder.header(name, value);
        }
        if !req.body.is_empty() {
            builder = builder.body(req.body.clone());
        }
        let mut response = builder.send().await.map_err(|e| self.classify(e))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let mut body = Vec::new();
        let mut read = 0usize;
        let mut truncated = false;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    read += chunk.len();
                    let room = MAX_KEPT.saturating_sub(body.len());
                    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if chunk.len() > room {
                        truncated = true;
                    }
                    if read > MAX_READ {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(self.classify(e)),
            }
        }
        Ok((Answer { status, headers, body }, truncated))
    }

    fn classify(&self, e: reqwest::Error) -> TransportError {
        use std::error::Error as _;
        let mut msg = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            source = s.source();
        }
        let msg = self.redactor.redact(&msg);
        if e.is_timeout() {
            TransportError::Timeout(self.timeout)
        } else if e.is_connect() {
            TransportError::Connect(msg)
        } else {
            TransportError::Broken(msg)
        }
    }
}
