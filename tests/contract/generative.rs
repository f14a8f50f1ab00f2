//! Generative mode: generated cases find planted faults from a fixed seed, and a
//! failing case is shrunk to a minimal one by re-sending smaller variants.

use std::time::Duration;

use sleuth_contract::checks::Verdict;
use sleuth_contract::json::{self, Json};
use sleuth_contract::model::Facts;
use sleuth_contract::reference::Fault;
use sleuth_contract::report::Report;
use sleuth_contract::runner::{run, ProbeConfig, Wait};

use crate::mutants::start;

/// Generated cases only: the case filter matches no catalogue case.
async fn generate(fault: Fault, n: usize, seed: u64) -> Report {
    let server = start(|b| b.fault(fault)).await;
    let mut cfg = ProbeConfig::new(server.url(), Facts::example());
    cfg.wait = Wait::Virtual(server.clock().clone());
    // Virtual clock: shrinking a wrongful registration may wait windows out.
    cfg.max_registrations = 1000;
    cfg.timeout = Duration::from_millis(500);
    cfg.no_catalogue = true;
    cfg.generated = n;
    cfg.seed = seed;
    run(cfg).await.expect("probe runs")
}

/// The body a failing case was finally reported with (from its curl line).
fn minimal_body(curl: &str) -> &str {
    let start = curl.find("--data-raw '").map(|i| i + "--data-raw '".len()).expect("a body");
    &curl[start..curl.len() - 1]
}

#[tokio::test]
async fn generated_cases_find_a_500_on_a_huge_exponent_and_shrink_it_down_to_1e309() {
    let report = generate(Fault::ServerErrorOnHugeExponent, 400, 7).await;
    let failing: Vec<_> = report.cases.iter().filter(|c| c.verdict == Verdict::Violation).collect();
    assert!(!failing.is_empty(), "fault not found: {:?}", report.notes);
    for c in &failing {
        assert!(c.id.starts_with("generated/"), "{}", c.id);
        assert!(c.message.contains("not_a_server_error") && c.message.contains("seed 7"), "{}", c.message);
        let body = minimal_body(c.curl.as_deref().expect("a reproduction"));
        // Still failing for the same reason: some `value` member overflows.
        let Ok(Json::Object(members)) = json::parse(body.as_bytes()) else { panic!("not an object: {body}") };
        assert!(
            members
                .iter()
                .any(|(k, v)| k == "value" && matches!(v, Json::Number(t) if t.parse::<f64>().is_ok_and(f64::is_infinite))),
            "minimal case lost the overflow: {body}"
        );
    }
    assert!(
        failing.iter().any(|c| minimal_body(c.curl.as_deref().unwrap()) == "{\"value\": 1e309}"),
        "no case shrank to the smallest overflow, 1e309"
    );
}

#[tokio::test]
async fn the_same_seed_finds_the_same_failing_cases() {
    let ids = |r: &Report| r.cases.iter().filter(|c| c.verdict == Verdict::Violation).map(|c| c.id.clone()).collect::<Vec<_>>();
    let a = generate(Fault::AcceptNanToken, 300, 11).await;
    let b = generate(Fault::AcceptNanToken, 300, 11).await;
    assert!(!ids(&a).is_empty(), "NaN fault not found by 300 generated cases");
    assert_eq!(ids(&a), ids(&b));
    for c in a.cases.iter().filter(|c| c.verdict == Verdict::Violation) {
        let body = minimal_body(c.curl.as_deref().unwrap());
        assert!(body.contains("NaN") || body.contains("Infinity"), "minimal case lost the fault: {body}");
    }
}

#[tokio::test]
async fn generated_cases_find_nothing_on_a_conformant_server_and_register_nothing() {
    let server = start(|b| b).await;
    let mut cfg = ProbeConfig::new(server.url(), Facts::example());
    cfg.wait = Wait::Virtual(server.clock().clone());
    cfg.generated = 500;
    cfg.seed = 3;
    let report = run(cfg).await.unwrap();
    let generated: Vec<_> = report.cases.iter().filter(|c| c.id.starts_with("generated/")).collect();
    assert!(generated.len() > 300, "only {} generated cases sent", generated.len());
    assert!(generated.iter().all(|c| c.verdict != Verdict::Violation), "false alarm on a conformant server");
    // The catalogue registers 3 values; generated cases none.
    assert_eq!(report.registrations, 3);
}
