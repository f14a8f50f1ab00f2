//! The oracle is total and deterministic: a non-empty, stable set for any request.
//!
//! The generator and the assertion live in `sleuth_contract::fuzzing::oracle_total`,
//! which `cargo test` also replays over `fuzz/corpus/oracle_total/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sleuth_contract::fuzzing::oracle_total(data));
