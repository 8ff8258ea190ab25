#!/usr/bin/env bash
# Fuzzes every target in turn, a time slice each, round after round, for a total time or
# forever. Each target resumes from its committed seeds (fuzz/corpus/TARGET, never written) and
# from a working corpus kept outside the repository, which is merged and minimised after every
# round. A crash is minimised, kept in fuzz/artifacts/TARGET/, and reported with the commands
# that replay it and keep it as a regression test; the crashed target sits out the later rounds
# and the others go on. Ctrl-C or SIGTERM stops the running fuzzers and prints the summary: per
# target execs/s, corpus files, coverage (libFuzzer's cov: and ft:, at the start and at the end)
# and crashes.
#
# Usage: fuzz/continuous.sh [TOTAL] [TARGET...]
#   TOTAL      how long to run: 90s, 30m, 2h, 1d, plain seconds, or "forever" (the default,
#              also settable as FUZZ_TOTAL)
#   TARGET...  only these targets (default: every target of `cargo fuzz list` but `planted`)
#
# Environment:
#   FUZZ_SLICE       seconds per target per round (default 300)
#   FUZZ_WORK        working corpora and logs (default $HOME/.cache/ferrodis-fuzz)
#   FUZZ_JOBS        fuzzer processes per target, sharing its corpus (default: one less than the
#                    cores, at least 1; on 2 cores 1 leaves a core to the rest of the machine,
#                    2 uses both)
#   FUZZ_TARGET_DIR  where cargo fuzz builds (default fuzz/target)
#
# Per-target flags (-max_len, -dict) come from targets.sh, as for smoke.sh. No sanitizer.
# Exits 0 when no target crashed, 1 when one did, 130 when stopped by a signal.
set -euo pipefail

cd "$(dirname "$0")"
source ./targets.sh

# --- arguments --------------------------------------------------------------------------------

seconds_of() {
    case "$1" in
        forever) echo 0 ;;
        *[!0-9smhd]* | "" | [smhd]*) return 1 ;;
        *s) echo "${1%s}" ;;
        *m) echo $((${1%m} * 60)) ;;
        *h) echo $((${1%h} * 3600)) ;;
        *d) echo $((${1%d} * 86400)) ;;
        *) echo "$1" ;;
    esac
}

total_arg="${FUZZ_TOTAL:-forever}"
if [ "$#" -gt 0 ] && seconds_of "$1" >/dev/null; then
    total_arg="$1"
    shift
fi
total="$(seconds_of "$total_arg")" || {
    echo "error: FUZZ_TOTAL=$total_arg is not a duration (90s, 30m, 2h, 1d, forever)" >&2
    exit 2
}
slice_max="${FUZZ_SLICE:-300}"
work="${FUZZ_WORK:-$HOME/.cache/ferrodis-fuzz}"
cores="$(nproc 2>/dev/null || echo 2)"
jobs="${FUZZ_JOBS:-$((cores > 1 ? cores - 1 : 1))}"

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "error: fuzzing needs a nightly toolchain (rustup toolchain install nightly)" >&2
    exit 1
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
mapfile -t cargo_flags < <(fuzz_cargo_flags)
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(fuzz_targets)
fi

# One build up front; the runner then starts the target binaries itself (what `cargo fuzz run`
# does, without a cargo call per slice), so that it knows every process it has to stop.
cargo +nightly fuzz build "${cargo_flags[@]}"
target_dir="${FUZZ_TARGET_DIR:-$PWD/target}"
host="$(rustc +nightly -vV | sed -n 's/^host: //p')"
bin_dir="$target_dir/$host/release"
for target in "${targets[@]}"; do
    [ -x "$bin_dir/$target" ] || { echo "error: no fuzz binary $bin_dir/$target" >&2; exit 1; }
done

mkdir -p "$work/logs"
echo "continuous fuzzing: ${#targets[@]} targets, total $total_arg, slices of ${slice_max}s," \
    "$jobs process(es) each; working corpora in $work/corpus"

# --- per-target results -----------------------------------------------------------------------

declare -A execs=() fuzzed=() cov_start=() ft_start=() cov_end=() ft_end=() crashes=()
for target in "${targets[@]}"; do
    execs[$target]=0 fuzzed[$target]=0 crashes[$target]=""
done

pids=()
stopping=0

stop_fuzzers() {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    pids=()
}

# Runs a command in the background, so that a signal reaches the trap at once, and waits for it.
tracked() {
    "$@" &
    pids+=("$!")
    local status=0
    wait "$!" 2>/dev/null || status=$?
    pids=()
    return "$status"
}

on_signal() {
    stopping=1
    echo
    echo "stopping: interrupted"
    stop_fuzzers
}
trap on_signal INT TERM

# The last "cov: N ft: M" a log shows, as "N M".
last_coverage() {
    { grep -aoE 'cov: [0-9]+ ft: [0-9]+' "$@" 2>/dev/null || true; } | tail -n 1 \
        | awk '{ print $2, $4 }'
}

# The first coverage libFuzzer reports once the corpus is loaded.
inited_coverage() {
    { grep -ahE '^#[0-9]+\s+INITED' "$@" 2>/dev/null || true; } \
        | grep -oE 'cov: [0-9]+ ft: [0-9]+' | sort -t' ' -k2,2n | tail -n 1 \
        | awk '{ print $2, $4 }' || true
}

# The crash, timeout and out-of-memory inputs the logs name (not slow-unit- files).
artifacts_in() {
    { grep -ahoE 'Test unit written to \S+' "$@" || true; } | awk '{ print $5 }' \
        | { grep -E '/(crash|leak|timeout|oom)-' || true; } | sort -u
}

corpus_files() {
    local target="$1"
    echo $(($(find "$work/corpus/$target" -type f | wc -l) + $(find "corpus/$target" -type f | wc -l)))
}

# Minimises a crash input and prints how to replay it and keep it.
report_crash() {
    local target="$1" artifact="$2" kept="$2"
    local name
    name="$(basename "$artifact")"
    echo "== $target: $name"
    if [[ "$name" == crash-* ]]; then
        local minimised="artifacts/$target/minimized-from-${name#crash-}"
        if tracked "$bin_dir/$target" -minimize_crash=1 -max_total_time=60 -runs=100000 \
            -exact_artifact_path="$minimised" "$artifact" \
            >"$work/logs/$target.tmin.log" 2>&1 && [ -s "$minimised" ]; then
            kept="$minimised"
            echo "   minimised from $(wc -c <"$artifact") to $(wc -c <"$kept") bytes"
        fi
    fi
    local package=ferrodis-core
    [ "$target" = simulation ] && package=ferrodis-sim
    echo "   replay: (cd fuzz && cargo +nightly fuzz run -s none $target $kept)"
    echo "   keep:   mkdir -p fuzz/regressions/$target && cp fuzz/$kept fuzz/regressions/$target/" \
        "&& cargo test -p $package --test fuzz_regressions"
    crashes[$target]+="fuzz/$kept "
}

# Runs one target for a slice with $jobs processes sharing the working corpus.
fuzz_slice() {
    local target="$1" seconds="$2"
    local options
    mapfile -t options < <(fuzz_options "$target")
    mkdir -p "$work/corpus/$target" "artifacts/$target"
    local logs=() job log began
    began="$(date +%s)"
    for ((job = 0; job < jobs; job++)); do
        log="$work/logs/$target.$job.log"
        logs+=("$log")
        # New inputs go to the first directory only: the committed seeds are never written.
        "$bin_dir/$target" "$work/corpus/$target" "corpus/$target" \
            "${options[@]}" -max_total_time="$seconds" -timeout=30 -print_final_stats=1 \
            -artifact_prefix="artifacts/$target/" >"$log" 2>&1 &
        pids+=("$!")
    done
    # Until every process has ended; a crash in one stops the others.
    while [ "${#pids[@]}" -gt 0 ]; do
        wait -n "${pids[@]}" 2>/dev/null || true
        local alive=() pid
        for pid in "${pids[@]}"; do
            kill -0 "$pid" 2>/dev/null && alive+=("$pid")
        done
        pids=("${alive[@]}")
        if [ -n "$(artifacts_in "${logs[@]}")" ]; then
            stop_fuzzers
        fi
    done

    local units coverage elapsed
    elapsed=$(($(date +%s) - began))
    units="$(grep -ahE '^stat::number_of_executed_units' "${logs[@]}" \
        | awk '{ n += $2 } END { print n + 0 }')"
    execs[$target]=$((execs[$target] + units))
    fuzzed[$target]=$((fuzzed[$target] + elapsed))
    if [ -z "${cov_start[$target]:-}" ]; then
        read -r cov_start[$target] ft_start[$target] < <(inited_coverage "${logs[@]}") || true
    fi
    coverage="$(for log in "${logs[@]}"; do last_coverage "$log"; done | sort -n | tail -n 1)"
    if [ -n "$coverage" ]; then
        read -r cov_end[$target] ft_end[$target] <<<"$coverage"
    fi
    echo "   execs/s $((units / (elapsed > 0 ? elapsed : 1))), cov ${cov_end[$target]:-?}" \
        "ft ${ft_end[$target]:-?}, $(corpus_files "$target") corpus files"

    local artifact
    while read -r artifact; do
        [ -n "$artifact" ] && report_crash "$target" "$artifact"
    done < <(artifacts_in "${logs[@]}")
}

# Keeps, of the working corpus, a smallest set of inputs that reaches all its coverage beyond
# what the seeds reach (what `cargo fuzz cmin` does, with the seeds taken as already kept).
minimise_corpus() {
    local target="$1"
    local dir="$work/corpus/$target" merged="$work/corpus/$target.merging"
    [ -d "$dir" ] || return 0
    local before
    before="$(find "$dir" -type f | wc -l)"
    rm -rf "$merged"
    mkdir -p "$merged"
    cp corpus/"$target"/* "$merged"/
    local options
    mapfile -t options < <(fuzz_options "$target")
    tracked "$bin_dir/$target" -merge=1 "${options[0]}" -artifact_prefix="artifacts/$target/" \
        "$merged" "$dir" \
        >"$work/logs/$target.merge.log" 2>&1 || true
    if [ "$stopping" = 1 ] || ! grep -aq 'MERGE-OUTER: .* new files' "$work/logs/$target.merge.log"; then
        rm -rf "$merged"
        return 0
    fi
    local seed
    for seed in corpus/"$target"/*; do
        rm -f "$merged/$(basename "$seed")"
    done
    rm -rf "$dir"
    mv "$merged" "$dir"
    echo "   $target: working corpus $before -> $(find "$dir" -type f | wc -l) files"
}

# --- the rounds -------------------------------------------------------------------------------

start="$(date +%s)"
remaining() {
    if [ "$total" -eq 0 ]; then
        echo "$slice_max"
    else
        echo $((start + total - $(date +%s)))
    fi
}

round=0
while [ "$stopping" = 0 ]; do
    round=$((round + 1))
    ran=0
    for target in "${targets[@]}"; do
        [ "$stopping" = 0 ] || break
        [ -z "${crashes[$target]}" ] || continue
        left="$(remaining)"
        [ "$left" -ge 1 ] || break
        slice=$((left < slice_max ? left : slice_max))
        echo "== round $round, $target: ${slice}s"
        fuzz_slice "$target" "$slice"
        ran=1
    done
    [ "$stopping" = 0 ] && [ "$ran" = 1 ] || break
    echo "== round $round: merging and minimising the working corpora"
    for target in "${targets[@]}"; do
        [ "$stopping" = 0 ] || break
        [ -z "${crashes[$target]}" ] || continue
        minimise_corpus "$target"
    done
    [ "$(remaining)" -ge 1 ] || break
done
trap - INT TERM

# --- summary ----------------------------------------------------------------------------------

echo
echo "== summary: $(($(date +%s) - start))s, $round round(s)"
printf '%-16s %9s %8s %16s %18s  %s\n' target execs/s corpus cov ft crashes
failed=0
for target in "${targets[@]}"; do
    rate=0
    if [ "${fuzzed[$target]}" -gt 0 ]; then
        rate=$((execs[$target] / fuzzed[$target]))
    fi
    cov="${cov_end[$target]:-?}" ft="${ft_end[$target]:-?}"
    if [ -n "${cov_start[$target]:-}" ] && [ -n "${cov_end[$target]:-}" ]; then
        cov="$cov (+$((cov_end[$target] - cov_start[$target])))"
        ft="$ft (+$((ft_end[$target] - ft_start[$target])))"
    fi
    printf '%-16s %9s %8s %16s %18s  %s\n' "$target" "$rate" "$(corpus_files "$target")" \
        "$cov" "$ft" "${crashes[$target]:-none}"
    [ -z "${crashes[$target]}" ] || failed=1
done
echo "(cov: code edges reached, ft: libFuzzer's features; in brackets, the growth during this run)"
if [ "$stopping" = 1 ]; then
    exit 130
fi
exit "$failed"
