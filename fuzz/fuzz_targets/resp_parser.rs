//! See `ferrodis_fuzz::checks::resp_parser`. Here a counting allocator also bounds the memory a
//! run may take: a parser that reserved what a header claims (`$500000000`) would fail it.
#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use libfuzzer_sys::fuzz_target;

struct Counting;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK_BYTES.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            grew(new_size - layout.size());
        } else {
            LIVE_BYTES.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Fixed cost of a run (the parsers' first allocations, argument slots preallocated for a
/// multibulk count) and the cost per input byte (two copies of the request, the commands kept
/// for comparison with their `Vec` headers, `Vec` doubling).
const RUN_BYTES_FIXED: usize = 64 * 1024;
const RUN_BYTES_PER_INPUT_BYTE: usize = 128;

fuzz_target!(|data: &[u8]| {
    let base = LIVE_BYTES.load(Ordering::Relaxed);
    PEAK_BYTES.store(base, Ordering::Relaxed);
    ferrodis_fuzz::checks::resp_parser::run(data);
    let peak = PEAK_BYTES.load(Ordering::Relaxed) - base;
    let bound = RUN_BYTES_FIXED + RUN_BYTES_PER_INPUT_BYTE * data.len();
    assert!(
        peak <= bound,
        "a run took {peak} bytes, at most {bound} expected"
    );
});
