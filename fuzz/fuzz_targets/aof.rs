//! See `ferrodis_fuzz::checks::aof`. Here a counting allocator also bounds the memory a run may
//! take: a reader that reserved what a header claims (`$500000000`, an RDB length of gigabytes)
//! would fail it.
#![no_main]

use ferrodis_fuzz::checks::aof;
use ferrodis_fuzz::counting::{self, Counting};
use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Fixed cost of a run (a few hundred kilobytes in practice: a server, its databases, the
/// digest), with room for a script in a file filling its heap (`aof::SCRIPT_MEMORY_BYTES_MAX`).
const RUN_BYTES_FIXED: usize = 16 * 1024 * 1024;
/// Cost per input byte: the data loaded, where a command of a few dozen bytes may build a string
/// of `aof::STRING_BYTES_MAX` bytes, make a HyperLogLog dense (12 KiB) or copy a key built before;
/// the RDB base, kept whole until it loads; an LZF string's expansion.
const RUN_BYTES_PER_INPUT_BYTE: usize = 1024;

/// Whether the input holds the word CONFIG anywhere: a CONFIG SET in a file may raise the limits
/// the bound relies on (the longest string, a script's heap).
fn may_raise_limits(data: &[u8]) -> bool {
    data.windows(6)
        .any(|window| window.eq_ignore_ascii_case(b"config"))
}

fuzz_target!(|data: &[u8]| {
    let base = counting::start();
    aof::run(data);
    let peak = counting::peak(base);
    let bound = RUN_BYTES_FIXED + RUN_BYTES_PER_INPUT_BYTE * data.len();
    if !may_raise_limits(data) {
        assert!(
            peak <= bound,
            "a run took {peak} bytes, at most {bound} expected"
        );
    }
});
