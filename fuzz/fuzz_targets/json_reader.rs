//! The crate's JSON reader accepts all that serde_json accepts, and reads it the same way.
//!
//! The generator and the assertion live in `sleuth_contract::fuzzing::json_reader`,
//! which `cargo test` also replays over `fuzz/corpus/json_reader/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sleuth_contract::fuzzing::json_reader(data));
