//! A crash planted on purpose, for checking that the fuzz runner finds a crash, minimises it
//! and keeps it: the input that starts with the bytes `PLANTED!` panics. Not one of the targets
//! the runners and the smoke test cycle through (`fuzz_targets` in targets.sh leaves it out);
//! `.ci/run` runs it alone and expects the crash.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Two 4-byte comparisons: the fuzzer's comparison tracing learns each half on its own.
    let word = |at: usize| {
        data.get(at..at + 4)
            .map(|bytes| u32::from_le_bytes(bytes.try_into().unwrap()))
    };
    if word(0) == Some(u32::from_le_bytes(*b"PLAN"))
        && word(4) == Some(u32::from_le_bytes(*b"TED!"))
    {
        panic!("the planted crash");
    }
});
