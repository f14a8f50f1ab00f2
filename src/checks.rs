//! Checks: each looks at one exchange and may report a [`Failure`].
//!
//! Names follow Schemathesis (`not_a_server_error`, `status_code_conformance`, …).
//! A [`Check`] is a small `Send + Sync` trait with one method, and closures
//! implement it, so users can add their own.

use crate::oracle::{Expectation, Judgement, StatusRule};
use crate::request::Answer;
use crate::spec;
use crate::transport::{Exchange, TransportError};

/// One broken rule, with what was expected and what was received.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Failure {
    /// The check's name.
    pub check: &'static str,
    /// Expected vs received, in one or two lines.
    pub message: String,
}

/// What a check knows besides the exchange.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub expectation: &'a Expectation,
    /// The target's window in seconds (bounds `Retry-After`).
    pub window_secs: u64,
}

/// A check over one exchange.
pub trait Check: Send + Sync {
    fn check(&self, ctx: &Context<'_>, exchange: &Exchange) -> Option<Failure>;
}

impl<F> Check for F
where
    F: Fn(&Context<'_>, &Exchange) -> Option<Failure> + Send + Sync,
{
    fn check(&self, ctx: &Context<'_>, exchange: &Exchange) -> Option<Failure> {
        self(ctx, exchange)
    }
}

fn answer(ex: &Exchange) -> Option<&Answer> {
    ex.outcome.as_ref().ok()
}

/// The target answered at all, in time, with HTTP.
pub fn answered(_: &Context<'_>, ex: &Exchange) -> Option<Failure> {
    match &ex.outcome {
        Ok(_) => None,
        Err(TransportError::Timeout(d)) => {
            Some(Failure { check: "answered_in_time", message: format!("no answer within {}s", d.as_secs_f64()) })
        }
        Err(e) => Some(Failure { check: "answered", message: e.to_string() }),
    }
}

/// Never a 5xx.
pub fn not_a_server_error(_: &Context<'_>, ex: &Exchange) -> Option<Failure> {
    let a = answer(ex)?;
    (a.status >= 500).then(|| Failure {
        check: "not_a_server_error",
        message: format!("received {} {:?}; a 5xx is never allowed", a.status, short(&a.text_for_comparison())),
    })
}

/// The status is one the oracle allows.
pub fn status_code_conformance(ctx: &Context<'_>, ex: &Exchange) -> Option<Failure> {
    let a = answer(ex)?;
    if a.status >= 500 || ctx.expectation.allows_status(a.status) {
        return None;
    }
    let documented: Vec<String> = ctx.expectation.statuses().iter().map(StatusRule::to_string).collect();
    Some(Failure {
        check: "status_code_conformance",
        message: format!("received {} {:?}; allowed: {}", a.status, short(&a.text_for_comparison()), documented.join(", ")),
    })
}

/// For an allowed status, the text the contract prescribes, byte for byte.
pub fn text_conformance(ctx: &Context<'_>, ex: &Exchange) -> Option<Failure> {
    let a = answer(ex)?;
    if ex.truncated {
        if let Judgement::WrongText { expected } = ctx.expectation.judge_parts(a.status, "\u{0}truncated") {
            return Some(Failure {
                check: "text_conformance",
                message: format!(
                    "received {} with a body over {} bytes; expected {:?}",
                    a.status,
                    crate::transport::MAX_KEPT,
                    expected
                ),
            });
        }
        return None;
    }
    match ctx.expectation.judge(a) {
        Judgement::WrongText { expected } => Some(Failure {
            check: "text_conformance",
            message: format!(
                "received {} {:?}; expected text {}",
                a.status,
                short(&a.text_for_comparison()),
                quote_list(&expected)
            ),
        }),
        _ => None,
    }
}

/// A 429 carries `Retry-After` as whole seconds in 1..=window.
pub fn retry_after_conformance(ctx: &Context<'_>, ex: &Exchange) -> Option<Failure> {
    let a = answer(ex)?;
    if a.status != 429 {
        return None;
    }
    let fail = |message: String| Some(Failure { check: "retry_after_conformance", message });
    match a.header("retry-after") {
        None => fail("429 without a Retry-After header".into()),
        Some(v) => match parse_retry_after(v) {
            None => fail(format!("Retry-After {v:?} is not whole seconds (RFC 9110 delay-seconds)")),
            Some(0) => fail("Retry-After 0: must be at least 1".into()),
            Some(n) if n > ctx.window_secs => fail(format!("Retry-After {n} is longer than the {}s window", ctx.window_secs)),
            Some(_) => None,
        },
    }
}

/// `Retry-After` as delay-seconds: ASCII digits only (surrounding spaces allowed).
pub fn parse_retry_after(v: &str) -> Option<u64> {
    let t = v.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(t.parse().unwrap_or(u64::MAX))
}

/// The built-in checks, in reporting order.
pub fn default_checks() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(answered),
        Box::new(not_a_server_error),
        Box::new(status_code_conformance),
        Box::new(text_conformance),
        Box::new(retry_after_conformance),
    ]
}

/// The verdict on one exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Allowed on a row the contract specifies.
    Conforms,
    /// The target broke the contract.
    Violation,
    /// Allowed only because the contract is silent; recorded, never a failure.
    Unspecified,
    /// We could not ask (connection refused, unsendable request).
    Error,
    /// Not sent: the run stopped or the registration budget was spent before it.
    /// Neither a pass nor a failure; listed so that nothing silently disappears.
    Skipped,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Conforms => "conforms",
            Verdict::Violation => "violation",
            Verdict::Unspecified => "unspecified",
            Verdict::Error => "error",
            Verdict::Skipped => "skipped",
        })
    }
}

/// Runs `checks` on an exchange and folds the results into a verdict.
/// Pure and deterministic: the same exchange always gets the same verdict.
pub fn classify(ctx: &Context<'_>, ex: &Exchange, checks: &[Box<dyn Check>]) -> (Verdict, Vec<Failure>) {
    if let Err(TransportError::Connect(_) | TransportError::Unsendable(_)) = &ex.outcome {
        let failures = answered(ctx, ex).into_iter().collect();
        return (Verdict::Error, failures);
    }
    let failures: Vec<Failure> = checks.iter().filter_map(|c| c.check(ctx, ex)).collect();
    if !failures.is_empty() {
        return (Verdict::Violation, failures);
    }
    let verdict = match answer(ex).map(|a| ctx.expectation.judge(a)) {
        Some(Judgement::Unspecified { .. }) => Verdict::Unspecified,
        Some(Judgement::Conforms { .. }) => Verdict::Conforms,
        // A truncated body judged by its prefix; the checks above decide.
        _ => Verdict::Conforms,
    };
    (verdict, failures)
}

fn short(s: &str) -> String {
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(120).collect::<String>())
    } else {
        s.to_string()
    }
}

fn quote_list(v: &[&str]) -> String {
    v.iter().map(|t| format!("{t:?}")).collect::<Vec<_>>().join(" or ")
}

/// The 429 text, for callers that need it without the oracle.
pub const RATE_LIMITED_TEXT: &str = spec::TEXT_RATE_LIMITED;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::{Oracle, Window};
    use crate::request::Request;
    use std::time::Duration;

    fn ex(status: u16, text: &str, headers: &[(&str, &str)]) -> Exchange {
        let mut a = Answer::text(status, text);
        for (n, v) in headers {
            a = a.with_header(n, *v);
        }
        Exchange { request: Request::post("/"), outcome: Ok(a), truncated: false, elapsed: Duration::ZERO }
    }

    fn valid_in_window() -> Expectation {
        let r = Request::post("/api/1/impact/1/register_impact")
            .header("content-type", "application/json")
            .header("authorization", "apikey k")
            .body("{\"value\": 1}");
        Oracle::new([1], ["k"]).expect(&r, Window::Open)
    }

    #[test]
    fn retry_after_must_be_whole_seconds_within_the_window() {
        let e = valid_in_window();
        let ctx = Context { expectation: &e, window_secs: 120 };
        let t = spec::TEXT_RATE_LIMITED;
        assert_eq!(retry_after_conformance(&ctx, &ex(429, t, &[("Retry-After", "120")])), None);
        for (v, why) in [
            ("0", "at least 1"),
            ("121", "longer than"),
            ("1.5", "not whole seconds"),
            ("Fri, 01 Mar 2024 12:02:00 GMT", "not whole seconds"),
        ] {
            let f = retry_after_conformance(&ctx, &ex(429, t, &[("Retry-After", v)])).expect(v);
            assert!(f.message.contains(why), "{v}: {}", f.message);
        }
        assert_eq!(retry_after_conformance(&ctx, &ex(429, t, &[])).unwrap().message, "429 without a Retry-After header");
    }

    #[test]
    fn classify_names_the_broken_checks() {
        let e = valid_in_window();
        let ctx = Context { expectation: &e, window_secs: 120 };
        let (v, f) = classify(&ctx, &ex(200, "Success", &[]), &default_checks());
        assert_eq!(v, Verdict::Violation);
        assert_eq!(f[0].check, "status_code_conformance");
        assert_eq!(f[0].message, "received 200 \"Success\"; allowed: 429");
        let (v, f) = classify(&ctx, &ex(503, "busy", &[]), &default_checks());
        assert_eq!((v, f[0].check), (Verdict::Violation, "not_a_server_error"));
    }
}
