//! The reference client sends exactly the value, date and key it was given, or nothing.
//!
//! The generator and the assertion live in `sleuth_contract::fuzzing::client_encoding`,
//! which `cargo test` also replays over `fuzz/corpus/client_encoding/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sleuth_contract::fuzzing::client_encoding(data));
