//! Counts the deallocations each thread makes, so that the simulator can measure what one
//! lazy-free step drops (`World::free_step`). The simulator's binary, its sweep test and the
//! simulation fuzz target install it with `#[global_allocator]` (a library cannot: a program
//! has one global allocator, and other fuzz targets bring their own); `counting` says whether
//! it is installed, and the lazy-free checks run only then.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

pub struct CountingAllocator;

thread_local! {
    static FREED: Cell<u64> = const { Cell::new(0) };
}

/// Deallocations the current thread has made.
pub fn freed() -> u64 {
    FREED.try_with(Cell::get).unwrap_or(0)
}

/// Whether deallocations are counted: dropping a fresh allocation moves the count.
pub fn counting() -> bool {
    let before = freed();
    drop(std::hint::black_box(Box::new(0u64)));
    freed() != before
}

// SAFETY: every method forwards to the system allocator with the caller's arguments unchanged;
// the counter is only arithmetic on the side (a thread-local without a destructor, so touching
// it never allocates).
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        let _ = FREED.try_with(|freed| freed.set(freed.get() + 1));
    }

    // A move, not a free: not counted.
    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe { System.realloc(pointer, layout, new_size) }
    }
}
