//! See `ferrodis_fuzz::checks::zset_encodings`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ferrodis_fuzz::checks::zset_encodings::run(data));
