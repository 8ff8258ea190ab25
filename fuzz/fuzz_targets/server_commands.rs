//! See `ferrodis_fuzz::checks::server_commands`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| ferrodis_fuzz::checks::server_commands::run(data));
