# Per-target libFuzzer settings, declared once and sourced by smoke.sh, continuous.sh and
# coverage.sh (bash). After sourcing, from any directory:
#
#   fuzz_targets            prints the targets to fuzz, one a line: every one but `planted`,
#                           the crash planted to check the runner
#   fuzz_options TARGET     prints the target's libFuzzer flags, one a line (-max_len, -dict)
#   fuzz_cargo_flags        prints the flags every `cargo fuzz` call takes, one a line: no
#                           sanitizer, and `--target-dir $FUZZ_TARGET_DIR` when that is set
#
# FUZZ_TARGET_DIR (optional): where cargo fuzz builds, instead of fuzz/target.

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Longest input libFuzzer may build, per target.
fuzz_max_len() {
    case "$1" in
        # Book frames carry their big lengths in headers; short inputs reach every bound.
        resp_parser | book_parser) echo 256 ;;
        # The matcher is O(pattern × string); short ones reach every branch.
        glob) echo 128 ;;
        server_commands) echo 512 ;;
        # A simulated step draws about a hundred bytes of entropy and a run ends with its bytes:
        # about 20 steps and 50 commands. An execution's cost grows with its length (libFuzzer's
        # own work too, with the code it reaches); at 8192 a run took twice as long.
        simulation) echo 2048 ;;
        # An operation takes a few bytes, and long strings come from fixed lengths, not input.
        listpack | intset | list) echo 512 ;;
        # Every bit command takes a few bytes; a run stops at 48 of them.
        bitfield) echo 512 ;;
        # A manifest and up to three files: room for an RDB base of a few keys of every type
        # and the commands after it.
        aof) echo 4096 ;;
        *) echo 1024 ;;
    esac
}

# The dictionary a target's input benefits from (fuzz/dict/, generated from core by
# core/tests/fuzz_dicts.rs), or nothing. Structure targets and simulation decode their bytes
# into choices, where tokens mean nothing.
fuzz_dict() {
    case "$1" in
        # Request bytes, and server_commands' raw garbage and arguments, which reach the parser
        # and the command lookup; the append-only file's commands are requests too.
        resp_parser | server_commands | aof) echo "$fuzz_dir/dict/resp.dict" ;;
        # Raw bytes and patched lengths and counts inside frames.
        book_parser) echo "$fuzz_dir/dict/book.dict" ;;
    esac
}

fuzz_targets() {
    # `aof` sits out: the nightly compiler with libFuzzer's coverage flags (sancov level 4,
    # inline 8-bit counters, pc table) builds its file reader wrong (bytes that are not a command
    # load as if fine), which no other build does. Fuzz it on stable meanwhile:
    # `cargo +stable fuzz build --sanitizer=none aof`; its regressions replay in
    # `cargo test -p ferrodis-core --test fuzz_regressions`.
    (cd "$fuzz_dir" && cargo +nightly fuzz list) | { grep -vxE 'planted|aof' || true; }
}

fuzz_options() {
    echo "-max_len=$(fuzz_max_len "$1")"
    local dict
    dict="$(fuzz_dict "$1")"
    if [ -n "$dict" ]; then
        echo "-dict=$dict"
    fi
}

fuzz_cargo_flags() {
    # No sanitizer: core forbids unsafe code, and AddressSanitizer would cost most of the speed.
    echo --sanitizer=none
    if [ -n "${FUZZ_TARGET_DIR:-}" ]; then
        echo "--target-dir=$FUZZ_TARGET_DIR"
    fi
}
