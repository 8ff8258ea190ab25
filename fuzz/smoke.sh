#!/usr/bin/env bash
# Builds every fuzz target and runs each for FUZZ_SECONDS (default 20), seeded only from the
# committed corpus (copied to a temporary directory, so runs never add files to the repo).
# Fails if nightly is missing, if a build fails, or if any target crashes.
#
# Usage: fuzz/smoke.sh            (from anywhere)
#        FUZZ_SECONDS=60 fuzz/smoke.sh
#        fuzz/smoke.sh resp_parser zset    (only these targets)
# Per-target flags (-max_len, -dict) come from targets.sh.
set -euo pipefail

seconds="${FUZZ_SECONDS:-20}"
cd "$(dirname "$0")"
source ./targets.sh

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "error: the fuzz smoke test needs a nightly toolchain (rustup toolchain install nightly)" >&2
    exit 1
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(fuzz_targets)
fi

mapfile -t cargo_flags < <(fuzz_cargo_flags)
cargo +nightly fuzz build "${cargo_flags[@]}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
for target in "${targets[@]}"; do
    mapfile -t options < <(fuzz_options "$target")
    mkdir -p "$work/$target"
    cp corpus/"$target"/* "$work/$target"/
    echo "== $target: ${seconds}s"
    if cargo +nightly fuzz run "${cargo_flags[@]}" "$target" "$work/$target" -- \
        -max_total_time="$seconds" "${options[@]}" -print_final_stats=1 \
        >"$work/$target.log" 2>&1; then
        grep -E '^#[0-9]+\s+DONE' "$work/$target.log" || true
    else
        failed+=("$target")
        tail -n 60 "$work/$target.log"
        echo "== $target crashed: the input is in fuzz/artifacts/$target/"
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "crashed: ${failed[*]}" >&2
    exit 1
fi
echo "all targets ran ${seconds}s without a crash"
