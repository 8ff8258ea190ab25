//! See `ferrodis_fuzz::checks::book_parser`. Here a counting allocator also bounds the memory a
//! run may take: a parser that reserved what a header claims (a 32 MiB length, 200,000 arguments)
//! would fail it.
#![no_main]

use ferrodis_fuzz::counting::{self, Counting};
use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Fixed cost of a run, and the cost per input byte: an input byte can encode up to 8 request
/// bytes (an empty frame from two bytes), and the request is kept as built, as fed whole, as fed
/// in pieces, and as frames logged three times (parser whole, in pieces, reference), with the
/// reference's argument slices and `Vec` doubling on top.
const RUN_BYTES_FIXED: usize = 64 * 1024;
const RUN_BYTES_PER_INPUT_BYTE: usize = 256;

fuzz_target!(|data: &[u8]| {
    let base = counting::start();
    ferrodis_fuzz::checks::book_parser::run(data);
    let peak = counting::peak(base);
    let bound = RUN_BYTES_FIXED + RUN_BYTES_PER_INPUT_BYTE * data.len();
    assert!(
        peak <= bound,
        "a run took {peak} bytes, at most {bound} expected"
    );
});
