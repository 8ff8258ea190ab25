//! The whole simulator with its randomness drawn from fuzzer bytes, so that libFuzzer can shrink
//! a failing run. Any outcome but a pass panics: a panic in the core or the simulator, a reply
//! the model does not allow, or work left undone once the faults stop.
//!
//! Input: one byte for the run's seed (it seeds the core's hash), one for the number of steps,
//! one for the number of clients, then the entropy every choice of the run is drawn from (options,
//! commands, faults); past the end every choice is the first, and no new step starts: the run
//! goes on to the liveness phase once the step that used up the bytes is done.
//!
//! Not in `checks/`: it depends on `ferrodis_sim`, which core's tests cannot use, so
//! `sim/tests/fuzz_regressions.rs` includes it with `#[path]` instead.
use ferrodis_sim::{run as simulate, BytesEntropy, Overrides};

/// Short runs keep each execution fast; bugs that need long runs are the seed sweep's job. A step
/// draws about a hundred bytes of entropy (a 64-step run takes 6 to 15 KiB), so with the fuzzer's
/// `-max_len` (fuzz/targets.sh) the bytes, not this cap, end most runs.
pub const STEPS_MAX: u64 = 64;
pub const CLIENTS_MAX: u64 = 4;

pub fn run(bytes: &[u8]) {
    let byte = |at: usize| bytes.get(at).copied().unwrap_or(0);
    let seed = u64::from(byte(0));
    let overrides = Overrides {
        steps: Some(1 + u64::from(byte(1)) % STEPS_MAX),
        clients: Some(1 + u64::from(byte(2)) % CLIENTS_MAX),
        ..Overrides::default()
    };
    let entropy = bytes.get(3..).unwrap_or_default();
    let outcome = simulate(seed, &overrides, &mut BytesEntropy::new(entropy), false);
    if let Err(failure) = &outcome.result {
        let options = outcome
            .options
            .as_ref()
            .map(|options| options.to_string())
            .unwrap_or_default();
        panic!(
            "simulation failed ({}) after {} steps: {}\n{options}",
            failure.kind(),
            outcome.steps,
            failure.message()
        );
    }
}
