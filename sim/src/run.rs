//! One run: the faulty phase, the liveness phase, and the determinism check.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::entropy::{Entropy, Rng, SeedEntropy};
use crate::options::{Options, Overrides};
use crate::world::World;
use crate::Failure;

/// Rounds of "deliver everything, read everything, run due timers" before the liveness phase
/// gives up.
const LIVENESS_ROUNDS_MAX: u64 = 10_000;

#[derive(Debug, Clone)]
pub struct Outcome {
    pub options: Option<Options>,
    pub result: Result<(), Failure>,
    pub trace_hash: u64,
    /// The trace hash after each step (only when asked for).
    pub step_hashes: Vec<u64>,
    /// Commands whose replies were checked.
    pub commands: u64,
    pub steps: u64,
    pub coverage: crate::world::Coverage,
}

/// Runs one simulation whose every choice comes from `entropy`; `seed` names the run and seeds
/// the core's hash.
pub fn run(
    seed: u64,
    overrides: &Overrides,
    entropy: &mut dyn Entropy,
    record_steps: bool,
) -> Outcome {
    let mut outcome = Outcome {
        options: None,
        result: Ok(()),
        trace_hash: 0,
        step_hashes: Vec::new(),
        commands: 0,
        steps: 0,
        coverage: Default::default(),
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut rng = Rng::new(entropy);
        let options = Options::draw(seed, overrides, &mut rng);
        outcome.options = Some(options.clone());
        let mut world = World::new(options, rng, record_steps);
        let result = world
            .start_aof()
            .and_then(|()| simulate(&mut world))
            .and_then(|()| liveness(&mut world))
            .and_then(|()| world.check_memory_settles())
            .and_then(|()| world.check_cleanup())
            .and_then(|()| world.check_restart());
        outcome.trace_hash = world.trace.hash();
        outcome.step_hashes = world.trace.steps.take().unwrap_or_default();
        outcome.commands = world.commands;
        outcome.steps = world.step;
        world.coverage.collections = world.model.counts;
        outcome.coverage = world.coverage.clone();
        result
    }));
    outcome.result = match result {
        Ok(result) => result,
        Err(payload) => Err(Failure::Panic(
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic without a message".to_string()),
        )),
    };
    outcome
}

pub fn run_seed(seed: u64, overrides: &Overrides, record_steps: bool) -> Outcome {
    run(seed, overrides, &mut SeedEntropy::new(seed), record_steps)
}

/// Runs `seed` twice and compares the traces step by step.
pub fn check_determinism(seed: u64, overrides: &Overrides) -> Outcome {
    let first = run_seed(seed, overrides, true);
    if first.result.is_err() {
        return first;
    }
    let mut second = run_seed(seed, overrides, true);
    if second.result.is_ok() && second.trace_hash != first.trace_hash {
        let step = first
            .step_hashes
            .iter()
            .zip(&second.step_hashes)
            .position(|(a, b)| a != b)
            .unwrap_or(first.step_hashes.len().min(second.step_hashes.len()));
        second.result = Err(Failure::Nondeterminism(format!(
            "trace hashes {:016x} and {:016x} differ; first divergent step {step}",
            first.trace_hash, second.trace_hash
        )));
    }
    second
}

fn simulate(world: &mut World<'_>) -> Result<(), Failure> {
    if world.options.runaway_script {
        world.runaway_script()?;
    }
    let clients = world.clients.len();
    for step in 0..world.options.steps {
        // Fuzzer bytes used up: the steps left would all make the first choice (one client
        // sending the same command), so the run goes on to the liveness phase.
        if world.rng.exhausted() {
            break;
        }
        world.step = step;
        world.settle_closing()?;
        let index = world.rng.index(clients);
        let faults = world.options.faults;
        match world.rng.weighted(&[4, 4, 4, 1]) {
            0 => {
                let deep = world.options.deep_pipeline_max > 0;
                if deep && world.rng.below(16) == 0 {
                    // A burst past the per-call budget; half the time a second client bursts
                    // too and both are delivered whole, so that the next handle_timeout runs
                    // both connections' commands, interleaved.
                    let second = world.rng.bool().then(|| world.rng.index(clients));
                    for client in std::iter::once(index).chain(second) {
                        for _ in 0..world.rng.range(1, world.options.deep_pipeline_max) {
                            world.issue(client)?;
                        }
                        if second.is_some() {
                            world.deliver(client, true)?;
                        }
                    }
                } else {
                    for _ in 0..world.rng.range(1, world.options.pipeline_max.min(32)) {
                        world.issue(index)?;
                    }
                }
            }
            1 => world.deliver(index, false)?,
            2 => world.read(index, false)?,
            _ => {
                let millis = world.rng.size(3_000);
                let jump = if world.rng.chance(faults.wall_jump) {
                    world.rng.range_i64(-100_000, 100_000)
                } else {
                    0
                };
                world.advance(millis, jump);
                world.timers(false)?;
            }
        }
        // A driver calls handle_timeout as soon as poll_timeout says so: at once while
        // commands wait past the per-call budget.
        if world.rng.bool() {
            world.timers(false)?;
        }
        if world.rng.chance(faults.late_timeout) {
            if let Some(deadline) = world.server.poll_timeout() {
                let late = deadline.millis_since(world.now.monotonic) + world.rng.size(10_000);
                world.advance(late, 0);
                world.timers(false)?;
            }
        }
        if world.rng.chance(faults.spurious_timeout) {
            world.timers(true)?;
        }
        if world.rng.chance(faults.disconnect) {
            if let Some(id) = world.clients[index].connection {
                world.coverage.disconnects += 1;
                world.close(id)?;
            }
        }
        if world.rng.chance(faults.stale_events) {
            world.stale_event()?;
        }
        if world.rng.chance(faults.stop_reading) {
            world.clients[index].reading_from_step = step + world.rng.range(10, 3_000);
        }
        if world.rng.chance(faults.storm) {
            world.storm()?;
        }
        if world.rng.below(16) == 0 {
            world.drop_some_garbage()?;
        }
        if world.rng.chance(world.options.faults.big_frees) {
            world.big_free()?;
        }
        if world.rng.chance(world.options.background_saves) {
            world.background_save()?;
        }
        world.end_turn()?;
        // Drawn only while a request waits, so that seeds that never save run as before.
        if world.disk_waiting() {
            let disk = world.rng.below(world.options.disk_requests_per_step + 1);
            world.serve_disk(disk as usize, true)?;
        }
        world.check_output_limits()?;
        if step % world.options.invariants_every == 0 {
            world.server.check_invariants();
        }
        world.trace.end_step();
    }
    Ok(())
}

/// Faults off: every client reads everything and sends what it queued; all of it must finish.
fn liveness(world: &mut World<'_>) -> Result<(), Failure> {
    world.faults = false;
    world.close_storm()?;
    for round in 0..LIVENESS_ROUNDS_MAX {
        world.step += 1;
        world.settle_closing()?;
        for index in 0..world.clients.len() {
            world.read(index, true)?;
            world.deliver(index, true)?;
            world.read(index, true)?;
        }
        // Broken append-only files are repaired by a rewrite the cron retries with a delay
        // of up to a minute: time goes faster meanwhile.
        let millis = if world.server.aof_broken() { 100 } else { 1 };
        world.advance(millis, 0);
        world.timers(false)?;
        world.end_turn()?;
        world.trace.end_step();
        world.finish_disk()?;
        // Broken append-only files must be repaired too.
        if round > 0 && stuck(world).is_none() && !world.server.aof_broken() {
            world.server.check_invariants();
            world.free_all_garbage()?;
            return Ok(());
        }
    }
    Err(Failure::Liveness(stuck(world).unwrap_or_else(|| {
        "the append-only file is never repaired".to_string()
    })))
}

/// A description of the first client with work left, if any.
fn stuck(world: &World<'_>) -> Option<String> {
    for (index, client) in world.clients.iter().enumerate() {
        let Some(id) = client.connection else {
            continue;
        };
        let interest = world.server.interest(id);
        let pending = world.server.reply_pending(id).len();
        // A client blocked without a timeout waits for ever, rightly: nothing serves it.
        let waiting_for_ever = world
            .model
            .waiter(client.session.client)
            .is_some_and(|waiter| waiter.deadline_ms.is_none());
        if (!client.inflight.is_empty() && !waiting_for_ever)
            || client.out_sent < client.out.len()
            || pending > 0
            || client.closing.is_some()
            || !interest.read
        {
            return Some(format!(
                "client {index} ({id}): {} commands unanswered, {} request bytes undelivered, \
                 {pending} reply bytes pending, closing {:?}, interest {:?}",
                client.inflight.len(),
                client.out.len() - client.out_sent,
                client.closing,
                interest
            ));
        }
    }
    None
}
