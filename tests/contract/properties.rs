//! Properties: one law each, over the strategies.

use std::time::Duration;

use proptest::prelude::*;
use sleuth_contract::model::Facts;
use sleuth_contract::oracle::{Oracle, Window};
use sleuth_contract::reference::Core;
use sleuth_contract::request::Request;
use sleuth_contract::strategy::{any_case, invalid_case, valid_case};

use crate::reference::{conformant_variants, example_settings};

fn oracle() -> Oracle {
    let f = Facts::example();
    Oracle::new(f.impact_ids, [f.api_key])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The central law: whatever the request, the reference server answers inside
    /// the oracle's set, for every conformant configuration.
    #[test]
    fn the_reference_answer_to_any_case_is_inside_the_oracles_set(req in any_case()) {
        let oracle = oracle();
        let expected = oracle.expect(&req, Window::Closed);
        for (name, settings) in conformant_variants() {
            let answer = Core::new(settings).decide(&req, Duration::ZERO);
            let j = expected.judge(&answer);
            prop_assert!(!j.is_violation(), "{name}: {} {:?} not in {} for\n{}", answer.status, answer.text_for_comparison(), expected.summary(), req.summary());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn valid_cases_must_be_accepted_and_the_reference_accepts_them(req in valid_case()) {
        let expected = oracle().expect(&req, Window::Closed);
        prop_assert!(expected.must_accept, "oracle does not require acceptance: {}\n{}", expected.summary(), req.summary());
        let answer = Core::new(example_settings()).decide(&req, Duration::ZERO);
        prop_assert_eq!(answer.status, 200, "{}", req.summary());
    }

    #[test]
    fn invalid_cases_are_never_allowed_a_200(req in invalid_case()) {
        let expected = oracle().expect(&req, Window::Closed);
        prop_assert!(!expected.allows_status(200), "200 allowed: {}\n{}", expected.summary(), req.summary());
        prop_assert!(!expected.may_register);
    }

    /// A stream of requests against one server with a moving clock: each answer is
    /// allowed given the window state the server was in when it answered.
    #[test]
    fn a_sequence_of_cases_stays_inside_the_oracles_set_as_windows_open_and_close(
        reqs in prop::collection::vec((any_case(), 0u64..90), 1..30)
    ) {
        let oracle = oracle();
        for (name, settings) in conformant_variants() {
            let mut core = Core::new(settings);
            let mut now = Duration::ZERO;
            for (req, step) in &reqs {
                now += Duration::from_secs(*step);
                let window = match oracle.impact_of(req) {
                    Some(id) if core.window_open(id, now) => Window::Open,
                    _ => Window::Closed,
                };
                let expected = oracle.expect(req, window);
                let answer = core.decide(req, now);
                prop_assert!(!expected.judge(&answer).is_violation(), "{name}: {} not in {} ({window:?})\n{}", answer.status, expected.summary(), req.summary());
            }
        }
    }

    /// The oracle is total: arbitrary bytes anywhere give a non-empty set.
    #[test]
    fn the_oracle_answers_every_request_with_a_non_empty_set(
        method in "[A-Z]{0,8}", target in ".{0,60}", hname in "[a-zA-Z-]{1,20}",
        hval in prop::collection::vec(any::<u8>(), 0..40), body in prop::collection::vec(any::<u8>(), 0..200),
        window in prop::sample::select(vec![Window::Closed, Window::Open, Window::Unknown])
    ) {
        let req = Request { method, target, headers: vec![(hname, hval)], body };
        prop_assert!(!oracle().expect(&req, window).allowed.is_empty());
    }
}

/// Evidence the law above can fail: with one planted fault, the same law over
/// the same strategy finds a violation within 2,000 deterministic cases.
#[test]
fn the_same_law_finds_each_planted_fault() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use sleuth_contract::reference::{Fault, Settings};
    let oracle = oracle();
    for fault in [
        Fault::AcceptNanToken,
        Fault::RejectZero,
        Fault::ServerErrorOnNullValue,
        Fault::AcceptUnknownKey,
        Fault::WrongValueText,
        Fault::AcceptImpossibleDate,
    ] {
        let settings = Settings { faults: vec![fault], ..example_settings() };
        let mut runner = TestRunner::deterministic();
        let strategy = any_case();
        let found = (0..2000).any(|_| {
            let req = strategy.new_tree(&mut runner).expect("strategy generates").current();
            let answer = Core::new(settings.clone()).decide(&req, Duration::ZERO);
            oracle.expect(&req, Window::Closed).judge(&answer).is_violation()
        });
        assert!(found, "{fault:?} was not caught by 2,000 generated cases");
    }
}
