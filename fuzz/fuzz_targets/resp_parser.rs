//! See `ferrodis_fuzz::checks::resp_parser`. Here a counting allocator also bounds the memory a
//! run may take: a parser that reserved what a header claims (`$500000000`) would fail it.
#![no_main]

use ferrodis_fuzz::counting::{self, Counting};
use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Fixed cost of a run (the parsers' first allocations, argument slots preallocated for a
/// multibulk count) and the cost per input byte (two copies of the request, the commands kept
/// for comparison with their `Vec` headers, `Vec` doubling).
const RUN_BYTES_FIXED: usize = 64 * 1024;
const RUN_BYTES_PER_INPUT_BYTE: usize = 128;

fuzz_target!(|data: &[u8]| {
    let base = counting::start();
    ferrodis_fuzz::checks::resp_parser::run(data);
    let peak = counting::peak(base);
    let bound = RUN_BYTES_FIXED + RUN_BYTES_PER_INPUT_BYTE * data.len();
    assert!(
        peak <= bound,
        "a run took {peak} bytes, at most {bound} expected"
    );
});
