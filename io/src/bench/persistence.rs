//! Persistence: SAVE's time, the file's size and the time to start on that file, for the
//! memory part's data; BGSAVE's time on 5,000,000 string keys and the worst PING a second
//! client sees meanwhile. Each server saves into a directory of its own.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::Client;
use crate::latency::probe;
use crate::memory::{Load, CASES};
use crate::servers::{median, samples, side_by_side, start, wait_until, Program, Running};

/// The longest a load or a BGSAVE may take before the run gives up on it.
const WAIT_MAX: Duration = Duration::from_secs(600);

/// Rounds of every measurement, who goes first alternating; medians are reported.
const ROUNDS: usize = 3;
/// The file's name in each server's directory.
const FILE: &str = "dump.rdb";

/// A directory under the system's temporary directory, removed on drop.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(name: &str) -> ScratchDir {
        let path =
            std::env::temp_dir().join(format!("ferrodis-bench-{}-{name}", std::process::id()));
        std::fs::create_dir(&path)
            .unwrap_or_else(|error| panic!("create {}: {error}", path.display()));
        ScratchDir(path)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A server that saves into a directory of its own. The server comes first so that it is
/// stopped before its directory is removed (fields drop in order).
struct Saving {
    server: Running,
    dir: ScratchDir,
}

impl Saving {
    fn start(program: Program) -> Saving {
        let dir = ScratchDir::new(program.name());
        let dir_arg = dir.0.to_str().expect("a UTF-8 temporary directory");
        let args = ["--dir", dir_arg, "--dbfilename", FILE].map(String::from);
        Saving {
            server: start(program, &args),
            dir,
        }
    }

    /// Replaces the data with `load` at size `count`.
    fn refill(&self, load: Load, count: usize) {
        let mut client = Client::connect(self.server.port);
        client.call(&["FLUSHALL"]);
        load.fill(&mut client, count);
    }

    fn file_mib(&self) -> f64 {
        let bytes = std::fs::metadata(self.dir.0.join(FILE))
            .expect("the saved file")
            .len();
        bytes as f64 / (1 << 20) as f64
    }
}

fn save_seconds(saving: &Saving) -> f64 {
    let mut client = Client::connect(saving.server.port);
    let started = Instant::now();
    client.call(&["SAVE"]);
    started.elapsed().as_secs_f64()
}

/// Seconds from spawning a fresh server like `saving`'s, on its directory's file, until it
/// answers PING with +PONG: Redis accepts connections while it loads and answers -LOADING,
/// ferrodis accepts them once the file is in.
fn seconds_to_pong(saving: &Saving) -> f64 {
    let fresh = saving.server.start_another();
    let mut client = Client::connect(fresh.port);
    wait_until("a loading server's +PONG", WAIT_MAX, || {
        client.try_call(&["PING"]).as_deref() == Ok("+PONG")
    });
    fresh.spawned.elapsed().as_secs_f64()
}

/// One BGSAVE as a client sees it.
struct Bgsave {
    seconds: f64,
    worst_ping_ms: f64,
}

/// BGSAVE from its request until INFO says it ended (Redis notices its child's end in its cron,
/// ten times a second, and so does any client asking), with a second client sending PING one
/// at a time meanwhile.
fn bgsave(saving: &Saving) -> Bgsave {
    let port = saving.server.port;
    let mut client = Client::connect(port);
    let stop = Arc::new(AtomicBool::new(false));
    let prober = probe(port, &["PING"], Arc::clone(&stop));
    // The prober is pinging before BGSAVE is sent: Redis forks before it replies, and that
    // pause is part of what a BGSAVE costs the other clients.
    std::thread::sleep(Duration::from_millis(20));
    let started = Instant::now();
    client.call(&["BGSAVE"]);
    wait_until("BGSAVE to end", WAIT_MAX, || {
        client.info_field("persistence", "rdb_bgsave_in_progress") == 0
    });
    let seconds = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let worst = prober.join().expect("prober");
    let info = client.call(&["INFO", "persistence"]);
    assert!(
        info.contains("rdb_last_bgsave_status:ok"),
        "{}'s BGSAVE failed",
        saving.server.name
    );
    Bgsave {
        seconds,
        worst_ping_ms: worst.as_secs_f64() * 1000.0,
    }
}

/// Redis's number, ferrodis's and the ratio ferrodis/redis, as one table cell group.
fn cells(redis: f64, ferrodis: f64) -> String {
    format!("{redis:>9.3} {ferrodis:>9.3} {:>6.2}", ferrodis / redis)
}

fn heading() -> String {
    format!("{:>9} {:>9} {:>6}", "redis", "ferrodis", "ratio")
}

/// SAVE, file size and load for each of the memory part's cases.
fn saves_and_loads(redis: &Saving, ferrodis: &Saving, count: usize) {
    // Nothing is saved yet: this is each program's own start-up, part of every load below.
    // Reported beside the loads rather than taken off them: it is a few milliseconds and
    // noisy, so a small file's load less it could come out negative.
    let (redis_start, ferrodis_start) = side_by_side(ROUNDS, redis, ferrodis, seconds_to_pong);
    println!(
        "start with no file, spawn to +PONG (s): redis {redis_start:.3}, ferrodis \
         {ferrodis_start:.3} (part of each load below)"
    );
    println!(
        "{:<22}{:-^26}  {:-^26}  {:-^26}",
        "", " SAVE (s) ", " file (MiB) ", " load (s) "
    );
    println!("{:<22}{}  {}  {}", "data", heading(), heading(), heading());
    for (_, load) in CASES {
        for saving in [redis, ferrodis] {
            saving.refill(load, count);
        }
        let (redis_save, ferrodis_save) = side_by_side(ROUNDS, redis, ferrodis, save_seconds);
        let (redis_load, ferrodis_load) = side_by_side(ROUNDS, redis, ferrodis, seconds_to_pong);
        println!(
            "{:<22}{}  {}  {}",
            load.describe(count),
            cells(redis_save, ferrodis_save),
            cells(redis.file_mib(), ferrodis.file_mib()),
            cells(redis_load, ferrodis_load)
        );
    }
}

/// BGSAVE's time and the worst PING meanwhile, on `keys` string keys written once.
fn bgsaves(redis: &Saving, ferrodis: &Saving, keys: usize) {
    for saving in [redis, ferrodis] {
        saving.refill(Load::Strings, keys);
    }
    let [redis_runs, ferrodis_runs] = samples(ROUNDS, redis, ferrodis, bgsave);
    let medians = |pick: fn(&Bgsave) -> f64| {
        let median_of = |runs: &[Bgsave]| median(runs.iter().map(pick).collect());
        cells(median_of(&redis_runs), median_of(&ferrodis_runs))
    };
    let worst = |runs: &[Bgsave]| runs.iter().map(|run| run.worst_ping_ms).fold(0.0, f64::max);
    println!(
        "{:<40}{}",
        format!("BGSAVE of {keys} string keys"),
        heading()
    );
    println!("{:<40}{}", "duration (s)", medians(|run| run.seconds));
    println!(
        "{:<40}{}",
        "worst PING meanwhile, median (ms)",
        medians(|run| run.worst_ping_ms)
    );
    println!(
        "{:<40}{}",
        "worst PING of all rounds (ms)",
        cells(worst(&redis_runs), worst(&ferrodis_runs))
    );
}

pub fn run(scale: usize) {
    let count = 1_000_000 / scale;
    let bgsave_keys = 5_000_000 / scale;
    println!(
        "\n## persistence: the memory part's data saved with SAVE and loaded at start; BGSAVE of \
         {bgsave_keys} string keys with a second client sending PING; {ROUNDS} rounds, medians; \
         ratios ferrodis/redis, lower is better (targets: file size, SAVE and load <= 1.00, \
         worst PING during BGSAVE under 2 ms)"
    );
    let redis = Saving::start(Program::Redis);
    let ferrodis = Saving::start(Program::Ferrodis);
    saves_and_loads(&redis, &ferrodis, count);
    bgsaves(&redis, &ferrodis, bgsave_keys);
}
