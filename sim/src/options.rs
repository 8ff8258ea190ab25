//! A run's options: what the user fixed on the command line, and what each seed draws (swarm
//! testing: a random subset of fault kinds and command families, each with its own rate, so that
//! some seeds hammer one thing hard).

use std::fmt;

use ferrodis_core::aof::Fsync;
use ferrodis_core::{EvictionPolicy, COMMANDS_PER_CALL_MAX};

use crate::entropy::{Ratio, Rng};
use crate::model::Limits;

/// What the caller fixes; everything else is drawn from the entropy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Simulated steps before the liveness phase (drawn when None).
    pub steps: Option<u64>,
    /// Virtual clients (drawn when None).
    pub clients: Option<u64>,
    /// Make the model answer one command wrongly, to prove that a wrong reply is caught.
    pub model_fault: bool,
    /// Make the model's EXEC ignore WATCH, to prove that the transaction oracle can fail.
    pub wrong_exec: bool,
    /// Make the model serve the last blocked client first, to prove that the
    /// first-blocked-first-served oracle can fail.
    pub wrong_waiting: bool,
    /// Make the model forget pattern subscribers' messages, to prove that the message oracle
    /// can fail.
    pub wrong_pubsub: bool,
    /// Make the model believe the first key or member of every scan is not there, to prove
    /// that the scan oracle can fail.
    pub wrong_scan: bool,
    /// Expect a close for `client-query-buffer-limit` once a client's held bytes reach the
    /// limit rather than pass it, to prove that the limit oracle can fail.
    pub wrong_limits: bool,
    /// Make the model take every memory policy for a `volatile-*` one, to prove that the
    /// eviction oracle can fail.
    pub wrong_eviction: bool,
    /// Make the model forget the restricted user's denied commands, to prove that the
    /// permission oracle can fail.
    pub wrong_acl: bool,
    /// Plant a fault in the server: under `appendfsync always`, replies go out before their
    /// fsync (proves that the durability oracle can fail).
    pub wrong_durability: bool,
    /// Plant a fault in the server: an fsync that failed is taken as done (proves that the
    /// disk oracle can fail).
    pub wrong_fsync: bool,
    /// Plant a fault in the server: `everysec` fsyncs every 2.5 s (proves that the cadence
    /// check can fail).
    pub late_fsync: bool,
    /// Print every checked command and its reply on standard error.
    pub print_replies: bool,
}

/// Commands the restricted user may be denied: data commands of every family (never those
/// that control the connection, a transaction or the rules themselves).
pub const DENIABLE: &[&str] = &[
    "get", "set", "incr", "del", "exists", "expire", "ttl", "mget", "mset", "append", "type",
    "rename", "copy", "zadd", "zrange", "zscore", "hset", "hget", "hgetall", "sadd", "smembers",
    "sinter", "lpush", "rpop", "lrange", "setbit", "bitcount", "publish", "eval", "evalsha",
    "flushdb",
];

/// A seed with users: clients log in as `limited` (`on nopass ~* &* +@all` less the commands
/// denied) or as `default` and back, and change `limited`'s rules as they go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    /// The commands `limited` starts without.
    pub denied: Vec<&'static str>,
}

/// `maxmemory` for a seed under memory pressure: the limit is on the simulator's model of used
/// memory (`World::modelled_memory`), which it hands the server as the driver's measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    pub maxmemory: u64,
    pub policy: EvictionPolicy,
    pub samples: u32,
    pub tenacity: u32,
}

/// Command families a seed may send; each has a weight, 0 = never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Families {
    pub strings: u64,
    pub keys: u64,
    pub expiry: u64,
    pub zsets: u64,
    /// HSET..HRANDFIELD, and now and then OBJECT ENCODING or a CONFIG SET of the hash limits.
    pub hashes: u64,
    /// SADD..SINTERCARD, and now and then OBJECT ENCODING or a CONFIG SET of the intset limit.
    pub sets: u64,
    /// LPUSH..LMPOP, and now and then OBJECT ENCODING or a CONFIG SET of the block size.
    pub lists: u64,
    /// SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.
    pub bits: u64,
    pub connection: u64,
    /// Wrong arity, unknown commands, bad integers and floats.
    pub errors: u64,
    /// MULTI, EXEC, DISCARD, WATCH, UNWATCH (the commands queued are the other families').
    pub transactions: u64,
    /// Blocking pops with timeouts and the pushes that serve them; SUBSCRIBE, PSUBSCRIBE,
    /// SSUBSCRIBE and their UNSUBSCRIBEs, PUBLISH, SPUBLISH, PUBSUB.
    pub waiting: u64,
    /// EVAL and EVALSHA of a fixed set of scripts, SCRIPT LOAD, EXISTS and FLUSH.
    pub scripts: u64,
    /// AUTH as `limited` or `default`, ACL SETUSER of `limited`'s commands, ACL WHOAMI (only
    /// in seeds with users).
    pub acl: u64,
}

/// Fault kinds, each a probability per step (NEVER when the seed left it out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Faults {
    /// Deliver request bytes in small random pieces rather than whole.
    pub split_requests: Ratio,
    /// Write replies in small random chunks, including 0-byte writes.
    pub split_replies: Ratio,
    /// A client stops reading its replies for a while.
    pub stop_reading: Ratio,
    /// A client hangs up (before, inside or after a command, mid-reply).
    pub disconnect: Ratio,
    /// A burst of connections past `clients_max`.
    pub storm: Ratio,
    /// Bytes that are not RESP, or a bulk longer than the limit.
    pub garbage: Ratio,
    /// Huge values and big collections.
    pub huge: Ratio,
    /// The wall clock jumps forwards or backwards.
    pub wall_jump: Ratio,
    /// `handle_timeout` called when nothing is due.
    pub spurious_timeout: Ratio,
    /// Time jumps far past the next deadline before `handle_timeout` runs.
    pub late_timeout: Ratio,
    /// Garbage from `Output::Free` is dropped now rather than kept for later.
    pub free_now: Ratio,
    /// A client sends QUIT.
    pub quit: Ratio,
    /// The driver reports an event (bytes, a write, a hang-up) for a connection id that was
    /// closed, whose slot may hold a new connection by now.
    pub stale_events: Ratio,
    /// A step of a background save fails (no space left).
    pub disk_error: Ratio,
    /// Before a disk request, what a crash would leave is checked.
    pub crash: Ratio,
    /// A command sized to take the query buffer or the replies to a limit's exact edge
    /// (`World::edge_command`).
    pub edges: Ratio,
    /// A probe builds a big value and unlinks it (`World::big_free`).
    pub big_frees: Ratio,
}

/// Everything that decides a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub seed: u64,
    pub overrides: Overrides,
    pub steps: u64,
    pub clients: u64,
    /// Commands a client keeps in flight at most (kept under the core's per-call budget so that
    /// every command runs inside the handler call that delivered or unblocked it).
    pub pipeline_max: u64,
    pub keys: u64,
    pub databases: u64,
    pub clients_max: u64,
    pub idle_timeout_secs: u64,
    pub bulk_bytes_max: u64,
    pub query_buffer_bytes_max: u64,
    pub output_buffer_hard_bytes: u64,
    pub hz: u32,
    /// Check the server's invariants every this many steps.
    pub invariants_every: u64,
    /// The last this many clients connect through the book's door (`connection_open_book`).
    pub book_clients: u64,
    /// How often a book client sends a command of the RESP table rather than a book command.
    pub book_table: Ratio,
    /// When non-zero, client 0 keeps up to this many commands in flight: more than the core's
    /// per-call budget, so that the rest run from `handle_timeout`. Only one client per seed
    /// pipelines this deep, so that the order in which commands run stays known (see World).
    pub deep_pipeline_max: u64,
    pub families: Families,
    pub faults: Faults,
    /// The encoding limits the server starts with (CONFIG SET may change them).
    pub limits: Limits,
    /// `client-output-buffer-limit pubsub`: hard bytes, soft bytes, soft seconds.
    pub pubsub_limit: (u64, u64, u64),
    /// Before any client connects, an endless script runs past its busy threshold and is
    /// stopped with SCRIPT KILL (`World::runaway_script`).
    pub runaway_script: bool,
    /// `zset-max-listpack-entries`: small for some seeds, so that sorted sets leave their
    /// listpack (ZSCAN then walks a hash table across calls).
    pub zset_listpack_entries: u64,
    /// A step sends BGSAVE (`World::background_save`); the disk answers up to this many
    /// requests per step.
    pub background_saves: Ratio,
    pub disk_requests_per_step: u64,
    /// Memory pressure, for some seeds.
    pub memory: Option<Memory>,
    /// Users and permissions, for some seeds.
    pub acl: Option<Acl>,
    /// The append-only file is on, with this fsync policy (see world/durability.rs).
    pub aof: Option<Fsync>,
    /// The append-only file's base is an RDB file (`aof-use-rdb-preamble yes`), else commands.
    pub aof_rdb_base: bool,
}

impl Options {
    /// Draws a seed's options.
    pub fn draw(seed: u64, overrides: &Overrides, rng: &mut Rng<'_>) -> Options {
        let steps = overrides.steps.unwrap_or_else(|| rng.range(2_000, 20_000));
        let clients = overrides.clients.unwrap_or_else(|| match rng.below(4) {
            0 => rng.range(1, 3),
            1 | 2 => rng.range(4, 16),
            _ => rng.range(17, 100),
        });
        let pipeline_max = match rng.below(4) {
            0 => 1,
            1 | 2 => rng.range(2, 16),
            _ => rng.range(17, 1000),
        };
        // Under the per-call budget: these clients' commands all run in the call that delivered
        // (or unblocked) them.
        assert!(pipeline_max < COMMANDS_PER_CALL_MAX as u64);
        let keys = match rng.below(3) {
            0 => rng.range(1, 4),
            1 => rng.range(5, 32),
            _ => rng.range(33, 500),
        };
        let family = |rng: &mut Rng<'_>| {
            if rng.below(3) == 0 {
                0
            } else {
                rng.range(1, 10)
            }
        };
        let mut families = Families {
            strings: family(rng),
            keys: family(rng),
            expiry: family(rng),
            zsets: family(rng),
            hashes: 0,
            sets: 0,
            lists: 0,
            bits: 0,
            connection: family(rng),
            errors: family(rng),
            transactions: family(rng),
            waiting: 0,
            scripts: 0,
            acl: 0,
        };
        let fault = |rng: &mut Rng<'_>, denominator: u64| {
            if rng.bool() {
                Ratio::NEVER
            } else {
                Ratio::new(rng.range(1, 4), denominator)
            }
        };
        let faults = Faults {
            split_requests: fault(rng, 4),
            split_replies: fault(rng, 4),
            stop_reading: fault(rng, 200),
            disconnect: fault(rng, 500),
            storm: fault(rng, 2_000),
            garbage: fault(rng, 1_000),
            huge: fault(rng, 2_000),
            wall_jump: fault(rng, 500),
            spurious_timeout: fault(rng, 50),
            late_timeout: fault(rng, 200),
            free_now: fault(rng, 4),
            quit: fault(rng, 1_000),
            stale_events: Ratio::NEVER,
            disk_error: Ratio::NEVER,
            crash: Ratio::NEVER,
            edges: Ratio::NEVER,
            big_frees: Ratio::NEVER,
        };
        let databases = rng.range(1, 4);
        let clients_max = if rng.below(4) == 0 {
            rng.range(1, clients + 2)
        } else {
            clients + rng.range(1, 16)
        };
        let idle_timeout_secs = if rng.below(4) == 0 {
            rng.range(1, 3)
        } else {
            0
        };
        let bulk_bytes_max = if rng.below(4) == 0 {
            rng.range(1_024, 2 * 1024 * 1024)
        } else {
            512 * 1024 * 1024
        };
        let mut query_buffer_bytes_max = if rng.below(4) == 0 {
            rng.range(64 * 1024, 4 * 1024 * 1024)
        } else {
            1024 * 1024 * 1024
        };
        let mut output_buffer_hard_bytes = if rng.below(4) == 0 {
            rng.range(16 * 1024, 4 * 1024 * 1024)
        } else {
            0
        };
        let invariants_every = rng.range(1, 1_000);
        let hz = [1, 10, 100][rng.index(3)];
        let book_clients = match rng.below(4) {
            0 => rng.range(1, clients),
            1 if rng.bool() => clients,
            _ => 0,
        };
        let book_table = Ratio::new(rng.range(1, 4), 16);
        let deep_pipeline_max = if rng.below(4) == 0 {
            let budget = COMMANDS_PER_CALL_MAX as u64;
            rng.range(budget + 1, 3 * budget)
        } else {
            0
        };
        // Drawn last, so that the draws above stay what they were before hashes and sets.
        families.hashes = family(rng);
        families.sets = family(rng);
        families.lists = family(rng);
        families.bits = family(rng);
        let data = [
            families.strings,
            families.keys,
            families.expiry,
            families.zsets,
            families.hashes,
            families.sets,
            families.lists,
            families.bits,
        ];
        if data.iter().sum::<u64>() == 0 {
            families.strings = 1;
        }
        // Redis's defaults half the time; otherwise small limits, so that hashes and sets
        // change encodings within a run.
        let mut limits = if rng.bool() {
            Limits {
                hash_entries: 128,
                hash_value_bytes: 64,
                intset_entries: 512,
                list_fill: -2,
            }
        } else {
            Limits {
                hash_entries: rng.range(0, 8) as usize,
                hash_value_bytes: rng.range(0, 16) as usize,
                intset_entries: rng.range(0, 8) as usize,
                list_fill: -2,
            }
        };
        // Blocks of a few elements, or of 4 KiB, so that lists cross blocks within a run.
        let list_fill = [-2, -1, -5, 0, 1, 2, 3, 5, 128];
        limits.list_fill = list_fill[rng.index(list_fill.len())];
        let mut faults = faults;
        faults.stale_events = fault(rng, 200);
        // Drawn after everything else, so that the draws above stay what they were before.
        families.waiting = family(rng);
        // Redis's default most of the time; otherwise small, so that subscribers that stop
        // reading are closed mid-run.
        let pubsub_limit = if rng.below(4) == 0 {
            let hard = rng.range(16 * 1024, 1024 * 1024);
            (hard, hard / 2, rng.range(0, 3))
        } else {
            (32 * 1024 * 1024, 8 * 1024 * 1024, 60)
        };
        // Drawn after everything else, so that the draws above stay what they were before.
        families.scripts = family(rng);
        let runaway_script = rng.below(8) == 0;
        // Drawn after everything else, so that the draws above stay what they were before.
        let zset_listpack_entries = if rng.bool() { 128 } else { rng.range(0, 8) };
        // Drawn after everything else, so that the draws above stay what they were before.
        let mut background_saves = fault(rng, 2_000);
        let disk_requests_per_step = rng.range(1, 4);
        faults.disk_error = fault(rng, 20);
        faults.crash = fault(rng, 8);
        // Drawn after everything else, so that the draws above stay what they were before.
        faults.edges = fault(rng, 50);
        faults.big_frees = fault(rng, 5_000);
        // Commands at a limit's edge are as big as the limit: limits of at most 512 KiB keep
        // them quick.
        if faults.edges != Ratio::NEVER {
            if query_buffer_bytes_max < 1024 * 1024 * 1024 {
                query_buffer_bytes_max = rng.range(64 * 1024, 512 * 1024);
            }
            // Half of the seeds without an output limit get one here, so that replies meet
            // its edge in more seeds.
            if output_buffer_hard_bytes > 0 || rng.bool() {
                output_buffer_hard_bytes = rng.range(16 * 1024, 512 * 1024);
            }
        }
        // Drawn after everything else, so that the draws above stay what they were before.
        // A limit of a few keys' worth to a few hundred's; not with commands at a limit's edge,
        // whose values are as big as the limit.
        let pressure = rng.below(3) == 0 && faults.edges == Ratio::NEVER;
        let memory = pressure.then(|| Memory {
            maxmemory: rng.range(300, 20_000),
            policy: EvictionPolicy::ALL[rng.index(EvictionPolicy::ALL.len())],
            samples: rng.range(1, 12) as u32,
            tenacity: [0, 1, 10, 100][rng.index(4)],
        });
        if memory.is_some() {
            // The probe's big values are not the model's: they would be evicted or refused.
            faults.big_frees = Ratio::NEVER;
        }
        // Drawn after everything else, so that the draws above stay what they were before.
        let acl = (rng.below(4) == 0).then(|| Acl {
            denied: DENIABLE
                .iter()
                .copied()
                .filter(|_| rng.below(4) == 0)
                .collect(),
        });
        if acl.is_some() {
            families.acl = rng.range(1, 4);
        }
        // Drawn after everything else, so that the draws above stay what they were before.
        // Background saves and rewrites share the save machinery: not both in one seed.
        let planted = overrides.wrong_durability || overrides.wrong_fsync;
        let aof = (rng.below(4) == 0 || planted || overrides.late_fsync).then(|| {
            if planted {
                return Fsync::Always;
            }
            if overrides.late_fsync {
                return Fsync::EverySec;
            }
            [Fsync::Always, Fsync::EverySec, Fsync::No][rng.index(3)]
        });
        if aof.is_some() {
            background_saves = Ratio::NEVER;
        }
        if overrides.wrong_fsync {
            faults.disk_error = Ratio::new(1, 8);
        }
        // Taken from the seed rather than drawn, so that every draw (and so every run) stays
        // what it was before bases of commands were written.
        let aof_rdb_base = seed.is_multiple_of(2);
        Options {
            seed,
            overrides: overrides.clone(),
            steps,
            clients,
            pipeline_max,
            keys,
            databases,
            clients_max,
            idle_timeout_secs,
            bulk_bytes_max,
            query_buffer_bytes_max,
            output_buffer_hard_bytes,
            hz,
            invariants_every,
            book_clients,
            book_table,
            deep_pipeline_max,
            families,
            faults,
            limits,
            pubsub_limit,
            runaway_script,
            zset_listpack_entries,
            background_saves,
            disk_requests_per_step,
            memory,
            acl,
            aof,
            aof_rdb_base,
        }
    }

    /// The command line that replays this run.
    pub fn replay_command(&self) -> String {
        let mut line = format!("ferrodis-sim --seed {}", self.seed);
        if let Some(steps) = self.overrides.steps {
            line.push_str(&format!(" --steps {steps}"));
        }
        if let Some(clients) = self.overrides.clients {
            line.push_str(&format!(" --clients {clients}"));
        }
        if self.overrides.model_fault {
            line.push_str(" --model-fault");
        }
        if self.overrides.wrong_exec {
            line.push_str(" --wrong-exec");
        }
        if self.overrides.wrong_waiting {
            line.push_str(" --wrong-waiting");
        }
        if self.overrides.wrong_pubsub {
            line.push_str(" --wrong-pubsub");
        }
        if self.overrides.wrong_scan {
            line.push_str(" --wrong-scan");
        }
        if self.overrides.wrong_acl {
            line.push_str(" --wrong-acl");
        }
        if self.overrides.wrong_limits {
            line.push_str(" --wrong-limits");
        }
        if self.overrides.wrong_eviction {
            line.push_str(" --wrong-eviction");
        }
        if self.overrides.wrong_durability {
            line.push_str(" --wrong-durability");
        }
        if self.overrides.late_fsync {
            line.push_str(" --late-fsync");
        }
        if self.overrides.wrong_fsync {
            line.push_str(" --wrong-fsync");
        }
        line
    }
}

impl fmt::Display for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "seed={}", self.seed)?;
        writeln!(
            f,
            "  steps={} clients={} pipeline_max={} keys={} databases={} model_fault={}",
            self.steps,
            self.clients,
            self.pipeline_max,
            self.keys,
            self.databases,
            self.overrides.model_fault
        )?;
        writeln!(
            f,
            "  book_clients={} book_table={} deep_pipeline_max={}",
            self.book_clients, self.book_table, self.deep_pipeline_max
        )?;
        writeln!(
            f,
            "  config: clients_max={} idle_timeout_secs={} bulk_bytes_max={} \
             query_buffer_bytes_max={} output_buffer_hard_bytes={} hz={} invariants_every={}",
            self.clients_max,
            self.idle_timeout_secs,
            self.bulk_bytes_max,
            self.query_buffer_bytes_max,
            self.output_buffer_hard_bytes,
            self.hz,
            self.invariants_every
        )?;
        let m = &self.families;
        writeln!(
            f,
            "  families: strings={} keys={} expiry={} zsets={} hashes={} sets={} lists={} bits={} \
             connection={} errors={} transactions={} waiting={} scripts={} acl={}",
            m.strings,
            m.keys,
            m.expiry,
            m.zsets,
            m.hashes,
            m.sets,
            m.lists,
            m.bits,
            m.connection,
            m.errors,
            m.transactions,
            m.waiting,
            m.scripts,
            m.acl
        )?;
        writeln!(
            f,
            "  limits: hash-max-listpack-entries={} hash-max-listpack-value={} \
             set-max-intset-entries={} list-max-listpack-size={} pubsub-output-limit={:?} \
             runaway-script={} zset-max-listpack-entries={} background_saves={} \
             disk_requests_per_step={}",
            self.limits.hash_entries,
            self.limits.hash_value_bytes,
            self.limits.intset_entries,
            self.limits.list_fill,
            self.pubsub_limit,
            self.runaway_script,
            self.zset_listpack_entries,
            self.background_saves,
            self.disk_requests_per_step
        )?;
        if let Some(acl) = &self.acl {
            writeln!(f, "  acl: limited denied {}", acl.denied.join(" "))?;
        }
        if let Some(policy) = self.aof {
            let base = if self.aof_rdb_base { "yes" } else { "no" };
            writeln!(
                f,
                "  appendonly yes, appendfsync {}, aof-use-rdb-preamble {base}",
                policy.name()
            )?;
        }
        if let Some(memory) = &self.memory {
            writeln!(
                f,
                "  memory: maxmemory={} maxmemory-policy={} maxmemory-samples={} \
                 maxmemory-eviction-tenacity={}",
                memory.maxmemory,
                memory.policy.name(),
                memory.samples,
                memory.tenacity
            )?;
        }
        let x = &self.faults;
        write!(
            f,
            "  faults: split_requests={} split_replies={} stop_reading={} disconnect={} storm={} \
             garbage={} huge={} wall_jump={} spurious_timeout={} late_timeout={} free_now={} quit={} \
             stale_events={} disk_error={} crash={} edges={} big_frees={}",
            x.split_requests,
            x.split_replies,
            x.stop_reading,
            x.disconnect,
            x.storm,
            x.garbage,
            x.huge,
            x.wall_jump,
            x.spurious_timeout,
            x.late_timeout,
            x.free_now,
            x.quit,
            x.stale_events,
            x.disk_error,
            x.crash,
            x.edges,
            x.big_frees
        )
    }
}
