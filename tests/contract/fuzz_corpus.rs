//! The fuzz targets as ordinary tests, on stable, in every `cargo test`.
//!
//! cargo-fuzz needs nightly and libFuzzer; these tests need neither. They feed the
//! very functions the targets call (`sleuth_contract::fuzzing::*`) with:
//! - every committed file in `fuzz/corpus/<target>/` (a missing or empty
//!   directory fails, so the corpus cannot silently disappear), which makes a
//!   crash input dropped there a regression test;
//! - every seed `seed_corpus` generates now, so a catalogue case added since the
//!   corpus was last written is exercised before anyone reruns `fuzz_seeds`;
//! - a few hundred deterministic pseudo-random byte strings, so the functions are
//!   exercised beyond the corpus even where nobody runs the fuzzer.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use sleuth_contract::fuzzing::{self, seed_corpus};

/// Runs `target` on each input and fails once, listing every input that panicked.
fn run_all(target: &str, inputs: Vec<(String, Vec<u8>)>) {
    let f = fuzzing::target(target).expect("a known target");
    let failed: Vec<String> = inputs
        .iter()
        .filter(|(_, bytes)| catch_unwind(AssertUnwindSafe(|| f(bytes))).is_err())
        .map(|(name, _)| name.clone())
        .collect();
    assert!(
        failed.is_empty(),
        "{target} panicked on {} of {} inputs (messages above): {}",
        failed.len(),
        inputs.len(),
        failed.join(", ")
    );
}

fn committed_corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("no corpus at {}: {e}", dir.display()));
    let mut files: Vec<(String, Vec<u8>)> = entries
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            (path.display().to_string(), bytes)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "the corpus {} is empty: run `cargo run --example fuzz_seeds`", dir.display());
    files
}

fn generated_seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    seed_corpus(target).into_iter().map(|s| (s.name, s.bytes)).collect()
}

/// `count` byte strings from xorshift64 with a fixed seed: lengths 0..=1024, and
/// one in four drawn from a small alphabet of JSON-ish bytes so some of them parse.
fn pseudo_random_inputs(count: usize) -> Vec<(String, Vec<u8>)> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    const ALPHABET: &[u8] = b"{}[]\":,0123456789.eE-+ \ntrufalsnNI\\";
    (0..count)
        .map(|i| {
            let len = (next() % 1025) as usize;
            let jsonish = next() % 4 == 0;
            let bytes = (0..len)
                .map(|_| {
                    let r = next();
                    if jsonish {
                        ALPHABET[(r % ALPHABET.len() as u64) as usize]
                    } else {
                        r as u8
                    }
                })
                .collect();
            (format!("pseudo-random #{i}"), bytes)
        })
        .collect()
}

macro_rules! replayed_target {
    ($name:ident) => {
        mod $name {
            use super::*;

            #[test]
            fn holds_for_every_committed_corpus_input() {
                run_all(stringify!($name), committed_corpus(stringify!($name)));
            }

            #[test]
            fn holds_for_every_generated_seed() {
                run_all(stringify!($name), generated_seeds(stringify!($name)));
            }

            #[test]
            fn holds_for_300_pseudo_random_inputs() {
                run_all(stringify!($name), pseudo_random_inputs(300));
            }
        }
    };
}

replayed_target!(reference_decision);
replayed_target!(oracle_total);
replayed_target!(checks_classifier);
replayed_target!(client_encoding);
replayed_target!(json_reader);

#[test]
fn every_fuzz_target_is_replayed_here() {
    let replayed = ["reference_decision", "oracle_total", "checks_classifier", "client_encoding", "json_reader"];
    assert_eq!(fuzzing::TARGETS, replayed);
}

/// Dates RFC 3339 cannot write as given, pinned because fuzzing found them: the
/// client must refuse them or send an RFC 3339 text for the same instant (or local
/// time), never a text that reads back as another date or not at all.
mod dates_rfc_3339_cannot_write {
    use chrono::{FixedOffset, TimeZone};
    use sleuth_contract::fuzzing::assert_client_encoding;
    use sleuth_contract::ClientDate;

    fn instant(offset_secs: i32, year: i32) -> ClientDate {
        let offset = FixedOffset::east_opt(offset_secs).expect("a valid offset");
        ClientDate::Instant(offset.with_ymd_and_hms(year, 3, 1, 12, 0, 0).single().expect("a valid date"))
    }

    #[test]
    fn a_date_after_year_9999_is_refused_or_sent_so_that_it_reads_back() {
        assert_client_encoding(1.5, Some(&instant(0, 10_000)), None);
    }

    #[test]
    fn a_date_before_year_0000_is_refused_or_sent_so_that_it_reads_back() {
        assert_client_encoding(1.5, Some(&instant(0, -1)), None);
    }

    #[test]
    fn a_date_with_seconds_in_its_offset_keeps_its_instant() {
        assert_client_encoding(1.5, Some(&instant(30, 2024)), None);
    }

    /// chrono's `%Y` reads a signed three-digit year; the first crash
    /// `client_encoding` found. `ClientDate::parse` now refuses it up front.
    #[test]
    fn a_date_with_a_signed_short_year_is_refused_when_parsed() {
        let parsed = ClientDate::parse("-024-03-01T11:50:00.1999999999999999");
        assert!(matches!(parsed, Err(sleuth_contract::ClientError::InvalidDate { .. })), "{parsed:?}");
    }
}
