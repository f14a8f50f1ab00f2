//! Mutation tests: a reference server with one deliberate fault must make `probe`
//! fail, naming the case that exposes it; conformant servers that differ where the
//! contract is silent must pass.

use std::time::Duration;

use sleuth_contract::checks::Verdict;
use sleuth_contract::model::Facts;
use sleuth_contract::reference::{Clock, Fault, Leniency, ReferenceServer, Stage};
use sleuth_contract::report::Report;
use sleuth_contract::runner::{run, ProbeConfig, Wait};

pub async fn probe_server(server: &ReferenceServer, facts: Facts) -> Report {
    let mut cfg = ProbeConfig::new(server.url(), facts);
    cfg.wait = Wait::Virtual(server.clock().clone());
    cfg.max_registrations = u32::MAX;
    cfg.timeout = Duration::from_millis(500);
    run(cfg).await.expect("probe runs")
}

fn facts() -> Facts {
    Facts::example()
}

pub async fn start(
    build: impl FnOnce(sleuth_contract::reference::ServerBuilder) -> sleuth_contract::reference::ServerBuilder,
) -> ReferenceServer {
    let f = facts();
    let mut b = ReferenceServer::builder().api_key(f.api_key.clone()).clock(Clock::manual());
    for id in &f.impact_ids {
        b = b.impact_id(*id);
    }
    build(b).start().await.expect("server starts")
}

async fn assert_caught(fault: Fault, case: &str) {
    let server = start(|b| b.fault(fault)).await;
    let report = probe_server(&server, facts()).await;
    let violations: Vec<&str> = report.cases.iter().filter(|c| c.verdict == Verdict::Violation).map(|c| c.id.as_str()).collect();
    assert_eq!(report.exit_code(), 1, "{fault:?} not caught; violations: {violations:?}");
    assert!(violations.contains(&case), "{fault:?}: expected a violation on {case}, got {violations:?}");
}

macro_rules! caught {
    ($($name:ident: $fault:ident => $case:literal;)*) => {$(
        #[tokio::test]
        async fn $name() {
            assert_caught(Fault::$fault, $case).await;
        }
    )*};
}

caught! {
    probe_catches_a_server_that_accepts_nan_tokens: AcceptNanToken => "value/nan-token";
    probe_catches_a_server_that_accepts_overflowing_numbers: AcceptOverflow => "value/overflow";
    probe_catches_a_server_that_accepts_any_string_value: AcceptAnyString => "value/string-abc";
    probe_catches_a_server_that_rejects_zero: RejectZero => "value/zero";
    probe_catches_a_server_that_rejects_negative_zero: RejectNegativeZero => "value/negative-zero";
    probe_catches_a_server_that_rejects_subnormals: RejectSubnormal => "value/subnormal-min";
    probe_catches_a_server_that_rejects_the_largest_double: RejectExtremes => "value/max";
    probe_catches_a_500_on_null_value: ServerErrorOnNullValue => "value/null";
    probe_catches_a_500_on_a_huge_exponent: ServerErrorOnHugeExponent => "value/overflow";
    probe_catches_a_wrong_value_text: WrongValueText => "value/missing";
    probe_catches_a_server_that_accepts_feb_30: AcceptImpossibleDate => "date/feb-30";
    probe_catches_a_server_that_rejects_offsets: RejectOffsetDates => "date/offset-plus";
    probe_catches_a_server_that_rejects_fractional_seconds: RejectFractionalSeconds => "date/fraction-millis";
    probe_catches_a_server_that_rejects_local_dates: RejectLocalDates => "date/local-no-offset";
    probe_catches_a_server_that_rejects_a_blank_date: RejectBlankDate => "date/blank";
    probe_catches_a_server_that_accepts_any_date: AcceptAnyDate => "date/word-yesterday";
    probe_catches_a_server_that_ignores_the_body_key: IgnoreBodyKey => "auth/body-key";
    probe_catches_a_server_that_ignores_the_header_key: IgnoreHeaderKey => "window/first-registration";
    probe_catches_a_server_that_accepts_unknown_keys: AcceptUnknownKey => "auth/unknown-header";
    probe_catches_a_wrong_unauthorized_text: WrongUnauthorizedText => "auth/unknown-header";
    probe_catches_the_id_in_the_not_found_text: NotFoundTextWithId => "impact/unknown";
    probe_catches_a_server_that_accepts_unknown_impact_ids: AcceptUnknownImpact => "impact/unknown";
    probe_catches_a_wrong_success_text: WrongSuccessText => "window/first-registration";
    probe_catches_201_instead_of_200: SuccessIs201 => "window/first-registration";
    probe_catches_a_missing_retry_after: RetryAfterMissing => "window/second-registration";
    probe_catches_retry_after_zero: RetryAfterZero => "window/second-registration";
    probe_catches_retry_after_as_an_http_date: RetryAfterHttpDate => "window/second-registration";
    probe_catches_retry_after_longer_than_the_window: RetryAfterTooLong => "window/second-registration";
    probe_catches_a_window_that_is_too_short: WindowTooShort => "window/late-in-window";
    probe_catches_a_window_that_is_too_long: WindowTooLong => "window/after-retry-after";
    probe_catches_a_server_without_a_rate_limit: NoRateLimit => "window/second-registration";
    probe_catches_a_wrong_rate_limit_text: WrongRateLimitText => "window/second-registration";
    probe_catches_503_instead_of_429: RateLimitIs503 => "window/second-registration";
    probe_catches_a_500_on_malformed_json: ServerErrorOnMalformedBody => "body/unclosed-object";
    probe_catches_a_server_that_registers_on_get: AcceptGet => "method/get";
    probe_catches_a_connection_reset: ResetOnBadValue => "value/nan-token";
    probe_catches_a_hang: HangOnUnknownKey => "auth/unknown-header";
    probe_catches_a_huge_body: HugeNotFoundBody => "impact/unknown";
    probe_catches_invalid_utf8_text: InvalidUtf8ValueText => "value/missing";
}

#[test]
fn every_fault_has_a_mutation_test() {
    let source = include_str!("mutants.rs");
    for f in Fault::ALL {
        assert!(source.contains(&format!(": {f:?} =>")), "no mutation test for {f:?}");
    }
}

async fn assert_conforms(
    name: &str,
    build: impl FnOnce(sleuth_contract::reference::ServerBuilder) -> sleuth_contract::reference::ServerBuilder,
) {
    let server = start(build).await;
    let report = probe_server(&server, facts()).await;
    let bad: Vec<String> = report
        .cases
        .iter()
        .filter(|c| c.verdict != Verdict::Conforms && c.verdict != Verdict::Unspecified)
        .map(|c| format!("{} {:?}: {}", c.id, c.verdict, c.message))
        .collect();
    assert_eq!(report.exit_code(), 0, "{name} flagged: {bad:#?}");
    assert!(report.summary().cases >= 150, "{name}: only {} cases", report.summary().cases);
}

#[tokio::test]
async fn probe_passes_the_default_reference_server() {
    assert_conforms("default", |b| b).await;
}

#[tokio::test]
async fn probe_passes_a_permissive_server_that_takes_numeric_strings_and_date_only() {
    assert_conforms("permissive", |b| b.leniency(Leniency::permissive())).await;
}

#[tokio::test]
async fn probe_passes_a_strict_server_that_refuses_everything_it_may() {
    assert_conforms("strict", |b| b.leniency(Leniency::strict())).await;
}

#[tokio::test]
async fn probe_passes_a_server_that_rate_limits_before_validating() {
    assert_conforms("rate-limit-first", |b| b.order(&Stage::RATE_LIMIT_FIRST)).await;
}

#[tokio::test]
async fn probe_passes_a_server_that_answers_400_for_a_missing_key_and_checks_the_body_first() {
    let lenient = Leniency { missing_key_status: 400, ..Leniency::default() };
    assert_conforms("body-first", |b| {
        b.leniency(lenient).order(&[Stage::Method, Stage::Body, Stage::Auth, Stage::Path, Stage::RateLimit])
    })
    .await;
}

#[tokio::test]
async fn against_a_rate_limit_first_server_probe_stays_within_the_budget_and_says_what_it_could_not_verify() {
    let server = start(|b| b.order(&Stage::RATE_LIMIT_FIRST)).await;
    let mut cfg = ProbeConfig::new(server.url(), facts());
    cfg.wait = Wait::Virtual(server.clock().clone());
    cfg.max_registrations = 3;
    let report = run(cfg).await.unwrap();
    assert!(report.registrations <= 3, "registered {}", report.registrations);
    assert_eq!(report.exit_code(), 0);
    assert!(report.notes.iter().any(|n| n.contains("rate-limits before validating")), "{:?}", report.notes);
    assert!(report.cases.iter().any(|c| c.message.contains("not verified")), "no case says it was not verified");
}

#[tokio::test]
async fn against_a_validate_first_server_probe_registers_at_most_three_values() {
    let server = start(|b| b).await;
    let mut cfg = ProbeConfig::new(server.url(), facts());
    cfg.wait = Wait::Virtual(server.clock().clone());
    let report = run(cfg).await.unwrap();
    assert!(report.registrations <= 3, "registered {}", report.registrations);
    let started = server.received().first().map(|r| r.at).unwrap();
    let ended = server.received().last().map(|r| r.at).unwrap();
    assert!(ended - started <= Duration::from_secs(120 + 10), "virtual time used {:?}", ended - started);
}

#[tokio::test]
async fn probe_never_registers_more_than_the_budget_even_when_the_server_accepts_what_it_must_refuse() {
    for budget in [0u32, 1, 2, 4] {
        let server = start(|b| b.fault(Fault::AcceptNanToken).fault(Fault::AcceptAnyString)).await;
        let mut cfg = ProbeConfig::new(server.url(), facts());
        cfg.wait = Wait::Virtual(server.clock().clone());
        cfg.max_registrations = budget;
        cfg.timeout = Duration::from_millis(500);
        let report = run(cfg).await.unwrap();
        let accepted = server.received().iter().filter(|r| (200..300).contains(&r.answer.status)).count() as u32;
        assert_eq!(report.exit_code(), 1, "budget {budget}: faults not reported");
        // A faulty server can register a value the run did not mean to register
        // (the case that exposes the fault) but never more than one past the budget.
        assert!(accepted <= budget.max(1), "budget {budget}: the server registered {accepted} values");
        assert_eq!(report.registrations, accepted, "the report counts what the server registered");
    }
}

/// A "server" that answers every connection with bytes that are not HTTP.
async fn garbage_server() -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(b"\xff\xfegarbage, not HTTP\r\n\r\n").await;
            });
        }
    });
    (url, task)
}

#[tokio::test]
async fn a_target_that_answers_garbage_gives_violations_not_a_crash() {
    let (url, task) = garbage_server().await;
    let mut cfg = ProbeConfig::new(url, facts());
    cfg.timeout = Duration::from_secs(2);
    let report = run(cfg).await.expect("garbage is a finding, not an error");
    task.abort();
    let s = report.summary();
    assert_eq!(report.exit_code(), 1);
    assert_eq!(s.violations, s.cases, "every case is a violation: {s:?}");
    assert_eq!(report.registrations, 0);
    let first = &report.cases[0];
    assert!(first.observed.is_none());
    assert!(
        first.failures.iter().any(|f| f.check == "answered" && f.message.starts_with("broken answer")),
        "{:?}",
        first.failures
    );
}

#[tokio::test]
async fn when_the_budget_stops_a_run_every_unsent_case_is_listed_as_skipped() {
    let server = start(|b| b.fault(Fault::AcceptNanToken)).await;
    let mut cfg = ProbeConfig::new(server.url(), facts());
    cfg.wait = Wait::Virtual(server.clock().clone());
    cfg.max_registrations = 2;
    let report = run(cfg).await.unwrap();
    let s = report.summary();
    assert_eq!(report.exit_code(), 1);
    assert!(s.skipped > 100, "{s:?}");
    assert!(s.cases >= 225, "cases vanished from the report: {s:?}");
    let skipped = report.cases.iter().find(|c| c.verdict == Verdict::Skipped).unwrap();
    assert!(skipped.message.contains("raise --max-registrations"), "{}", skipped.message);
    let junit = report.render(sleuth_contract::report::Format::Junit, &sleuth_contract::request::Redactor::default());
    assert!(junit.contains(&format!("skipped=\"{}\"", s.skipped)) && junit.contains("<skipped message="));
}
