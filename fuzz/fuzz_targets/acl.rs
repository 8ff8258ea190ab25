//! See `ferrodis_fuzz::checks::acl`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ferrodis_fuzz::checks::acl::run(data));
