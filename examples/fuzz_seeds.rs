//! Writes the seed corpus of every fuzz target to `fuzz/corpus/<target>/`.
//!
//! The seeds come from `sleuth_contract::fuzzing::seed_corpus`, which derives them
//! from the catalogue, so rerun this after adding catalogue cases:
//!
//! ```text
//! cargo run --example fuzz_seeds            # add or overwrite seed files
//! cargo run --example fuzz_seeds -- --clean # first remove the old seeds (not `regression-*`)
//! cargo run --example fuzz_seeds -- DIR     # write to DIR/<target>/ instead
//! ```
//!
//! Files named `regression-*` are never removed: they are crash inputs kept so that
//! `cargo test` replays them. Without `--clean` nothing is removed at all.

use std::fs;
use std::path::PathBuf;

use anyhow::Context as _;
use sleuth_contract::fuzzing::{seed_corpus, TARGETS};

fn main() -> anyhow::Result<()> {
    let mut clean = false;
    let mut root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus"));
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--clean" => clean = true,
            "-h" | "--help" => {
                println!("usage: fuzz_seeds [--clean] [DIR]");
                return Ok(());
            }
            dir => root = PathBuf::from(dir),
        }
    }
    for target in TARGETS {
        let dir = root.join(target);
        if clean && dir.exists() {
            for entry in fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
                let path = entry?.path();
                let kept = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("regression-"));
                if path.is_file() && !kept {
                    fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
                }
            }
        }
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let seeds = seed_corpus(target);
        for seed in &seeds {
            let path = dir.join(&seed.name);
            fs::write(&path, &seed.bytes).with_context(|| format!("writing {}", path.display()))?;
        }
        let bytes: usize = seeds.iter().map(|s| s.bytes.len()).sum();
        println!("{target}: {} seeds, {bytes} bytes, in {}", seeds.len(), dir.display());
    }
    Ok(())
}
