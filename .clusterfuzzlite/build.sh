#!/bin/bash -eu
# Builds every cargo-fuzz target in fuzz/ and hands ClusterFuzzLite the binaries
# and, per target, the committed corpus as <target>_seed_corpus.zip.
#
# --debug-assertions keeps overflow checks and debug_assert! on in the optimised
# build: an arithmetic overflow in the library is a bug the fuzzers should report.
cd "$SRC/sleuth-contract"
cargo fuzz build -O --debug-assertions

FUZZ_BIN="${CARGO_TARGET_DIR:-fuzz/target}/x86_64-unknown-linux-gnu/release"
for source in fuzz/fuzz_targets/*.rs; do
  target=$(basename "${source%.rs}")
  cp "$FUZZ_BIN/$target" "$OUT/"
  if [ -d "fuzz/corpus/$target" ]; then
    zip -q -j -r "$OUT/${target}_seed_corpus.zip" "fuzz/corpus/$target"
  fi
done
