//! See `ferrodis_fuzz::simulation`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ferrodis_fuzz::simulation::run(data));
