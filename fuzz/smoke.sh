#!/usr/bin/env bash
# Builds every fuzz target and runs each for FUZZ_SECONDS (default 20), seeded only from the
# committed corpus (copied to a temporary directory, so runs never add files to the repo).
# Fails if nightly is missing, if a build fails, or if any target crashes.
#
# Usage: fuzz/smoke.sh            (from anywhere)
#        FUZZ_SECONDS=60 fuzz/smoke.sh
#        fuzz/smoke.sh resp_parser zset    (only these targets)
set -euo pipefail

seconds="${FUZZ_SECONDS:-20}"
cd "$(dirname "$0")"

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
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

# No sanitizer: core forbids unsafe code, and AddressSanitizer would cost most of the speed.
sanitizer=(--sanitizer none)
cargo +nightly fuzz build "${sanitizer[@]}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
for target in "${targets[@]}"; do
    case "$target" in
        # Book frames carry their big lengths in headers; short inputs reach every bound.
        resp_parser | book_parser) max_len=256 ;;
        server_commands) max_len=512 ;;
        # A simulated step draws about a hundred bytes of entropy.
        simulation) max_len=8192 ;;
        # An operation takes a few bytes, and long strings come from fixed lengths, not input.
        listpack | intset | list) max_len=512 ;;
        # Every bit command takes a few bytes; a run stops at 48 of them.
        bitfield) max_len=512 ;;
        *) max_len=1024 ;;
    esac
    mkdir -p "$work/$target"
    cp corpus/"$target"/* "$work/$target"/
    echo "== $target: ${seconds}s"
    if cargo +nightly fuzz run "${sanitizer[@]}" "$target" "$work/$target" -- \
        -max_total_time="$seconds" -max_len="$max_len" -print_final_stats=1 \
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
