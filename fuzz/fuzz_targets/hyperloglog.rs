//! See `ferrodis_fuzz::checks::hyperloglog`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ferrodis_fuzz::checks::hyperloglog::run(data));
