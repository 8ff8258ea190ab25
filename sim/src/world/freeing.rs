//! Lazy frees: the garbage the core hands out (`Output::Free`), freed a step at a time as the
//! real server's workers do, each step measured by the counting allocator; and big values built
//! and unlinked from a probe connection, so that there is garbage of many steps to free.

use ferrodis_core::{ConnectionId, FREE_STEP_EFFORT};

use super::{Failure, Owner, World};
use crate::alloc;

impl World<'_> {
    /// Frees some of the garbage handed out: a few pieces of a random one at a time (as the real
    /// server's workers do), or all of it at once.
    pub fn drop_some_garbage(&mut self) -> Result<(), Failure> {
        while !self.garbage.is_empty() && self.rng.bool() {
            let index = self.rng.index(self.garbage.len());
            if self.rng.bool() {
                drop(self.garbage.swap_remove(index));
                continue;
            }
            for _ in 0..self.rng.range(1, 8) {
                if self.free_step(index)? {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Steps every piece of garbage to its end, as the real server's workers do.
    pub fn free_all_garbage(&mut self) -> Result<(), Failure> {
        while !self.garbage.is_empty() {
            let last = self.garbage.len() - 1;
            let mut steps = 0u64;
            while !self.free_step(last)? {
                steps += 1;
                if steps > FREE_STEPS_MAX {
                    return Err(Failure::Liveness(format!(
                        "a lazy free still has work after {FREE_STEPS_MAX} steps"
                    )));
                }
            }
        }
        Ok(())
    }

    /// One step of the garbage at `index`, measured: it frees no more than a step may, and
    /// once it says nothing is left, dropping it frees nothing but its own list. Returns
    /// whether it is gone.
    fn free_step(&mut self, index: usize) -> Result<bool, Failure> {
        let before = alloc::freed();
        let more = self.garbage[index].free_step();
        let freed = alloc::freed() - before;
        if self.counting_frees {
            self.coverage.free_steps += 1;
            self.coverage.free_step_most = self.coverage.free_step_most.max(freed);
            if freed > FREE_STEP_DEALLOCATIONS_MAX {
                return Err(Failure::WrongReply(format!(
                    "one lazy-free step freed {freed} allocations, over its bound of \
                     {FREE_STEP_DEALLOCATIONS_MAX}"
                )));
            }
        }
        if more {
            return Ok(false);
        }
        let before = alloc::freed();
        drop(self.garbage.swap_remove(index));
        let left = alloc::freed() - before;
        if self.counting_frees && left > 1 {
            return Err(Failure::WrongReply(format!(
                "a lazy free that said it was done still freed {left} allocations when dropped"
            )));
        }
        Ok(true)
    }

    /// From a probe connection, builds a collection that takes several lazy-free steps to drop
    /// and unlinks it, all before any client runs a command: the clients never see the key.
    pub fn big_free(&mut self) -> Result<(), Failure> {
        if self.server.aof_broken() {
            // Writes are refused until the files are repaired.
            return Ok(());
        }
        let Some(id) = self.open(Owner::Probe)? else {
            return Ok(());
        };
        let chunks = self.rng.range(4, 33);
        let kind = self.rng.below(3);
        for chunk in 0..chunks {
            let mut args: Vec<Vec<u8>> = vec![BIG_ADDS[kind as usize].to_vec(), BIG_KEY.to_vec()];
            for index in chunk * BIG_CHUNK..(chunk + 1) * BIG_CHUNK {
                if kind == 1 {
                    args.push(index.to_string().into_bytes());
                }
                args.push(format!("a-member-long-enough-for-the-heap-{index}").into_bytes());
                if kind == 2 {
                    args.push(b"value".to_vec());
                }
            }
            let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
            if !self.probe_asks(id, &args, format!(":{BIG_CHUNK}\r\n").as_bytes())? {
                return self.close(id);
            }
        }
        self.probe_asks(id, &[b"UNLINK", BIG_KEY], b":1\r\n")?;
        self.coverage.big_frees += 1;
        self.close(id)
    }

    /// Sends one command from a probe and checks its reply; false when it got none (a CLIENT
    /// PAUSE holds it back).
    fn probe_asks(
        &mut self,
        id: ConnectionId,
        args: &[&[u8]],
        expected: &[u8],
    ) -> Result<bool, Failure> {
        self.send(id, args)?;
        let reply = self.take_reply(id);
        if reply.is_empty() {
            return Ok(false);
        }
        if reply != expected {
            return Err(Failure::WrongReply(format!(
                "{} of a big value from a probe: got {}, expected {}",
                String::from_utf8_lossy(args[0]),
                reply.escape_ascii(),
                expected.escape_ascii()
            )));
        }
        Ok(true)
    }
}

/// The probe's key: clients' keys are `k<n>`.
const BIG_KEY: &[u8] = b"lazy-free";

/// A set, a sorted set, a hash.
const BIG_ADDS: [&[u8]; 3] = [b"SADD", b"ZADD", b"HSET"];

/// Members per command: under the smallest query buffer limit a seed draws.
const BIG_CHUNK: u64 = 1_000;

/// Deallocations one lazy-free step may make. A step spends under twice `FREE_STEP_EFFORT`
/// (see `Garbage::free_step`), and one unit of effort frees three allocations at most: a
/// member and its value, or a member and its tree node, and a key. The values `big_free` builds
/// take well over this when dropped at once.
const FREE_STEP_DEALLOCATIONS_MAX: u64 = 3 * 2 * FREE_STEP_EFFORT as u64;

/// Steps a lazy free may take: a value of `FREE_STEP_EFFORT` times this many allocations is
/// far beyond anything a run builds.
const FREE_STEPS_MAX: u64 = 1_000_000;
