//! See `ferrodis_fuzz::simulation`.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Counts deallocations, so that runs measure each lazy-free step.
#[global_allocator]
static ALLOCATOR: ferrodis_sim::CountingAllocator = ferrodis_sim::CountingAllocator;

fuzz_target!(|data: &[u8]| ferrodis_fuzz::simulation::run(data));
