//! Every conformant reference server answers inside the oracle's set.
//!
//! The generator and the assertion live in `sleuth_contract::fuzzing::reference_decision`,
//! which `cargo test` also replays over `fuzz/corpus/reference_decision/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sleuth_contract::fuzzing::reference_decision(data));
