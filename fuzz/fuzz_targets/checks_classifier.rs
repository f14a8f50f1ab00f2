//! The checks are a pure function, and a 5xx answer is always a violation.
//!
//! The generator and the assertion live in `sleuth_contract::fuzzing::checks_classifier`,
//! which `cargo test` also replays over `fuzz/corpus/checks_classifier/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sleuth_contract::fuzzing::checks_classifier(data));
