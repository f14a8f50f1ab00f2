//! The reference server against the oracle, in-process and over HTTP.

use std::time::Duration;

use sleuth_contract::catalogue::catalogue;
use sleuth_contract::model::Facts;
use sleuth_contract::oracle::{Oracle, Window};
use sleuth_contract::reference::{Clock, Core, Settings};
use sleuth_contract::spec;

pub fn example_settings() -> Settings {
    let f = Facts::example();
    Settings { impact_ids: f.impact_ids.clone(), api_keys: vec![f.api_key.clone()], ..Settings::default() }
}

/// Conformant configurations that differ where the contract is silent.
pub fn conformant_variants() -> Vec<(&'static str, Settings)> {
    Settings::conformant_variants(example_settings())
}

/// Sends every catalogue case to a fresh core of every conformant variant, after
/// `prepare` (which may open a window), and lists the answers outside the oracle's set.
fn catalogue_violations(
    prepare: impl Fn(&mut Core, &Facts),
    at: Duration,
    window_for: impl Fn(&Oracle, &Facts, &sleuth_contract::request::Request) -> Window,
) -> Vec<String> {
    let facts = Facts::example();
    let oracle = Oracle::new(facts.impact_ids.clone(), [facts.api_key.clone()]);
    let mut violations = Vec::new();
    for (name, settings) in conformant_variants() {
        for case in catalogue(&facts) {
            let mut core = Core::new(settings.clone());
            prepare(&mut core, &facts);
            let answer = core.decide(&case.request, at);
            let expected = oracle.expect(&case.request, window_for(&oracle, &facts, &case.request));
            if expected.judge(&answer).is_violation() {
                violations.push(format!(
                    "{name} {}: got {} {:?}, allowed {}",
                    case.id,
                    answer.status,
                    answer.text_for_comparison(),
                    expected.summary()
                ));
            }
        }
    }
    violations
}

#[test]
fn every_catalogue_case_gets_an_allowed_answer_from_every_conformant_variant() {
    let violations = catalogue_violations(|_, _| {}, Duration::ZERO, |_, _, _| Window::Closed);
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn inside_the_window_every_case_still_gets_an_allowed_answer() {
    let open = |core: &mut Core, facts: &Facts| {
        let opener = sleuth_contract::model::Spec::valid().render(facts);
        assert_eq!(core.decide(&opener, Duration::ZERO).status, 200);
    };
    let window = |oracle: &Oracle, facts: &Facts, req: &sleuth_contract::request::Request| {
        if oracle.impact_of(req) == Some(facts.impact_id()) {
            Window::Open
        } else {
            Window::Closed
        }
    };
    let violations = catalogue_violations(open, Duration::from_secs(1), window);
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_window_walks_from_200_to_429_counting_down_and_back_to_200() {
    let facts = Facts::example();
    let mut core = Core::new(example_settings());
    let req = sleuth_contract::model::Spec::valid().render(&facts);
    let at = Duration::from_secs;
    assert_eq!(core.decide(&req, at(0)).status, 200);
    let mut last = u64::MAX;
    for t in [1, 30, 60, 90, 119] {
        let a = core.decide(&req, at(t));
        assert_eq!(a.status, 429, "at {t}s");
        assert_eq!(a.text_for_comparison(), spec::TEXT_RATE_LIMITED);
        let ra: u64 = a.header("retry-after").expect("Retry-After present").parse().expect("integer seconds");
        assert!((1..=120).contains(&ra), "Retry-After {ra} at {t}s");
        assert!(ra < last, "Retry-After must count down: {ra} after {last}");
        assert_eq!(ra, 120 - t, "Retry-After at {t}s");
        last = ra;
    }
    assert_eq!(core.decide(&req, at(120)).status, 200);
}

#[tokio::test]
async fn the_http_server_walks_the_window_with_a_manual_clock() {
    let clock = Clock::manual();
    let server =
        sleuth_contract::ReferenceServer::builder().impact_id(42).api_key("k").clock(clock.clone()).start().await.unwrap();
    let client = sleuth_contract::Client::builder(server.url(), "k", 42).build().unwrap();
    assert_eq!(client.register(1.5, None).await.unwrap(), sleuth_contract::Outcome::Registered);
    clock.advance(Duration::from_secs(100));
    assert_eq!(
        client.register(1.5, None).await.unwrap(),
        sleuth_contract::Outcome::RateLimited { retry_after: Some(Duration::from_secs(20)) }
    );
    clock.advance(Duration::from_secs(20));
    assert_eq!(client.register(1.5, None).await.unwrap(), sleuth_contract::Outcome::Registered);
    assert_eq!(server.received().len(), 3);
}
