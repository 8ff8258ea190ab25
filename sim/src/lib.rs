//! ferrodis-sim: a deterministic simulator of the ferrodis core.
//!
//! One seed (or a fuzzer's bytes) draws every option of a run (a random subset of faults and
//! command families: swarm testing), drives the real `ferrodis-core` with virtual clients over
//! virtual connections and clocks, and checks every reply against a reference model, the core's
//! invariants, liveness once faults stop, and (run twice) determinism.

pub mod alloc;
mod book;
pub mod entropy;
mod exec;
mod exec_bits;
mod exec_blocking;
mod exec_floats;
mod exec_hashes;
mod exec_keys;
mod exec_lists;
mod exec_pubsub;
mod exec_scan;
mod exec_scripts;
mod exec_sets;
pub mod exec_waiting;
mod generate;
pub mod model;
pub mod options;
pub mod reply;
mod run;
pub mod trace;
pub mod world;

pub use alloc::CountingAllocator;
pub use entropy::{BytesEntropy, Entropy, Ratio, Rng, SeedEntropy};
pub use options::{Options, Overrides};
pub use run::{check_determinism, run, run_seed, Outcome};

/// Why a run failed; each kind has its own exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A panic or failed assertion, in the core or the simulator.
    Panic(String),
    /// A reply (or an output) the model does not allow.
    WrongReply(String),
    /// Work left undone after the faults stopped.
    Liveness(String),
    /// The same seed gave a different trace.
    Nondeterminism(String),
    /// After a crash the data the disk kept breaks the fsync policy's promise.
    Durability(String),
}

impl Failure {
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Panic(_) => 2,
            Failure::WrongReply(_) => 3,
            Failure::Liveness(_) => 4,
            Failure::Nondeterminism(_) => 5,
            Failure::Durability(_) => 6,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Panic(_) => "panic",
            Failure::WrongReply(_) => "wrong reply",
            Failure::Liveness(_) => "liveness",
            Failure::Nondeterminism(_) => "non-determinism",
            Failure::Durability(_) => "durability",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Failure::Panic(m)
            | Failure::WrongReply(m)
            | Failure::Liveness(m)
            | Failure::Nondeterminism(m)
            | Failure::Durability(m) => m,
        }
    }
}
