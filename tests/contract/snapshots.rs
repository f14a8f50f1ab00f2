//! Snapshots of every catalogue case against the reference server: what it sends,
//! what the oracle allows, what the reference answered. A change in any of the
//! three shows up as a diff to review.

use std::fmt::Write as _;
use std::time::Duration;

use sleuth_contract::catalogue::catalogue;
use sleuth_contract::model::Facts;
use sleuth_contract::oracle::{Judgement, Oracle, Window};
use sleuth_contract::reference::Core;
use sleuth_contract::request::Redactor;

use crate::reference::example_settings;

fn render_section(section: &str) -> String {
    let facts = Facts::example();
    let oracle = Oracle::new(facts.impact_ids.clone(), [facts.api_key.clone()]);
    let redactor = Redactor::new([facts.api_key.clone()]);
    let mut out = String::new();
    for case in catalogue(&facts).into_iter().filter(|c| c.id.split('/').next() == Some(section)) {
        let mut core = Core::new(example_settings());
        let answer = core.decide(&case.request, Duration::ZERO);
        let expected = oracle.expect(&case.request, Window::Closed);
        let verdict = match expected.judge(&answer) {
            Judgement::Conforms { .. } => "conforms",
            Judgement::Unspecified { .. } => "unspecified",
            _ => "VIOLATION",
        };
        let _ = writeln!(out, "{}  [{}]", case.id, case.row.text());
        for line in redactor.redact(&case.request.summary()).lines() {
            let shown: String =
                line.chars().map(|c| if c.is_control() { c.escape_debug().to_string() } else { c.to_string() }).collect();
            let _ = writeln!(out, "  > {shown}");
        }
        let _ = writeln!(out, "  allowed: {}", expected.summary());
        let _ = writeln!(out, "  answer:  {} {:?} ({verdict})\n", answer.status, answer.text_for_comparison());
    }
    out
}

macro_rules! section_snapshot {
    ($name:ident, $section:literal) => {
        #[test]
        fn $name() {
            let text = render_section($section);
            assert!(!text.is_empty(), "no cases in section {}", $section);
            assert!(!text.contains("VIOLATION"), "the reference server violated the contract:\n{text}");
            insta::with_settings!({ snapshot_path => "../../snapshots", prepend_module_to_snapshot => false }, {
                insta::assert_snapshot!(concat!("catalogue-", $section), text);
            });
        }
    };
}

section_snapshot!(catalogue_value_cases_against_the_reference_server, "value");
section_snapshot!(catalogue_date_cases_against_the_reference_server, "date");
section_snapshot!(catalogue_auth_cases_against_the_reference_server, "auth");
section_snapshot!(catalogue_impact_cases_against_the_reference_server, "impact");
section_snapshot!(catalogue_body_cases_against_the_reference_server, "body");
section_snapshot!(catalogue_method_cases_against_the_reference_server, "method");
section_snapshot!(catalogue_multi_cases_against_the_reference_server, "multi");
section_snapshot!(catalogue_valid_cases_against_the_reference_server, "valid");
