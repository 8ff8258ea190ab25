#!/usr/bin/env bash
# Which lines and regions of core/ the fuzz corpora reach. For each target, `cargo fuzz coverage`
# runs a coverage build over the committed seeds (fuzz/corpus/TARGET) and, when present, the
# working corpus continuous.sh grew (FUZZ_WORK/corpus/TARGET); the profiles are merged into one
# report per file of core/src, printed and written to fuzz/coverage/core.txt.
#
# Usage: fuzz/coverage.sh [TARGET...]    (default: every target)
#   FUZZ_WORK        working corpora (default $HOME/.cache/ferrodis-fuzz)
#   FUZZ_TARGET_DIR  where cargo fuzz builds (default fuzz/target)
#   FUZZ_JOBS        processes running the inputs (default 1)
#
# Needs llvm-tools on nightly: rustup component add llvm-tools-preview --toolchain nightly
# For a browsable view of one file, see the llvm-cov show line printed at the end.
set -euo pipefail

cd "$(dirname "$0")"
source ./targets.sh
work="${FUZZ_WORK:-$HOME/.cache/ferrodis-fuzz}"
jobs="${FUZZ_JOBS:-1}"

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
host="$(rustc +nightly -vV | sed -n 's/^host: //p')"
llvm_bin="$(rustc +nightly --print sysroot)/lib/rustlib/$host/bin"
if [ ! -x "$llvm_bin/llvm-cov" ]; then
    rustup component add llvm-tools-preview --toolchain nightly
fi

# A build of its own, beside the fuzzing one (different flags): what cargo fuzz coverage does
# when given no target directory.
coverage_dir="${FUZZ_TARGET_DIR:-$PWD/target/$host}/coverage"
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(fuzz_targets)
fi

mkdir -p coverage
profiles=()
objects=()
for target in "${targets[@]}"; do
    corpora=("corpus/$target")
    if [ -d "$work/corpus/$target" ] && [ -n "$(ls -A "$work/corpus/$target")" ]; then
        corpora+=("$work/corpus/$target")
    fi
    echo "== $target: $(find "${corpora[@]}" -type f | wc -l) inputs in ${corpora[*]}"
    cargo +nightly fuzz coverage --sanitizer=none --target-dir="$coverage_dir" --jobs="$jobs" \
        "$target" "${corpora[@]}" \
        >"coverage/$target.log" 2>&1 || {
        tail -n 30 "coverage/$target.log"
        echo "coverage run of $target failed" >&2
        exit 1
    }
    profiles+=("coverage/$target/coverage.profdata")
    objects+=(-object "$coverage_dir/$host/release/$target")
done

"$llvm_bin/llvm-profdata" merge -sparse "${profiles[@]}" -o coverage/all.profdata
# The first object is given bare, the others with -object.
"$llvm_bin/llvm-cov" report --instr-profile=coverage/all.profdata "${objects[@]:1}" \
    "$(cd .. && pwd)/core/src" | sed "s|$(cd .. && pwd)/||" | tee coverage/core.txt
echo
echo "least reached files (by lines):"
awk '$1 ~ /\.rs$/ { sub("%", "", $10); print $10 "%", "core/src/" $1 }' coverage/core.txt \
    | sort -n | head -n 12
echo
echo "report in fuzz/coverage/core.txt; one file's lines:"
echo "  $llvm_bin/llvm-cov show --instr-profile=fuzz/coverage/all.profdata" \
    "${objects[*]:1} core/src/FILE.rs"
