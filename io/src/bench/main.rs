//! `ferrodis-bench`: ferrodis against real Redis, side by side in one run.
//!
//! Starts `redis-server` (persistence off) and `ferrodis-server` (the release binary next to this
//! one) on free loopback ports, then measures both the same way and prints ratios:
//! - `throughput`: rounds of `redis-benchmark` at -P 1 and -P 16, each test back to back on
//!   both servers (who goes first alternates);
//! - `memory`: bytes per key for 1,000,000 small string keys and per element of one
//!   1,000,000-element collection of each kind and of many small ones (INFO used_memory and
//!   process RSS);
//! - `transactions`: pipelined MULTI/SET/INCR/EXEC from our own client (redis-benchmark has no
//!   multi-command requests), transactions per second on both;
//! - `waiting`: pub/sub fan-out (one publisher, 50 subscribers, messages delivered per second)
//!   and the blocking-pop round trip (one producer's LPUSH to 50 clients in BRPOP);
//! - `latency`: the worst SET latency while growing to 5,000,000 keys, and the worst PING
//!   latency seen by a second client while a 1,000,000-member sorted set is deleted with DEL
//!   and with UNLINK;
//! - `persistence`: SAVE's time, the file's size and the load at start (from spawn to +PONG,
//!   beside the same start with no file) for the memory part's data, and the worst PING seen by
//!   a second client during BGSAVE of 5,000,000 string keys; then the `aof` part;
//! - `eviction`: writes per second into a `maxmemory` limit under each `allkeys-*` policy, used
//!   memory against the limit afterwards, and how many keys read throughout survive;
//! - `acl`: redis-benchmark as the default user and as one held to key patterns and
//!   categories, on both servers;
//! - `aof`: SET's rate with the append-only file off, under `everysec` and under `always`; the
//!   start on a file of 1,000,000 SETs; the worst PING during BGREWRITEAOF of 5,000,000 keys.
//!
//! `ferrodis-bench [all|throughput|transactions|waiting|memory|latency|persistence|eviction|acl|aof] [--scale N] [--ferrodis-args "..."]` (scale
//! divides every size, for a quick look; the quoted arguments go to every ferrodis-server, e.g.
//! `--ferrodis-args "--busy-poll-us 0"`). Numbers drift on a shared machine; the ratios are what
//! to read.

mod acl;
mod aof;
mod client;
mod eviction;
mod latency;
mod memory;
mod persistence;
mod servers;
mod throughput;
mod transactions;
mod waiting;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut what = "all".to_string();
    let mut scale = 1usize;
    let mut index = 0;
    while index < args.len() {
        match args[index].as_str() {
            "--scale" => {
                index += 1;
                scale = args
                    .get(index)
                    .and_then(|text| text.parse().ok())
                    .filter(|scale| *scale >= 1)
                    .unwrap_or_else(|| usage("--scale takes a positive integer"));
            }
            "--ferrodis-args" => {
                index += 1;
                let extra = args
                    .get(index)
                    .unwrap_or_else(|| usage("--ferrodis-args takes one quoted argument"));
                let extra = extra.split_whitespace().map(String::from).collect();
                servers::FERRODIS_ARGS
                    .set(extra)
                    .unwrap_or_else(|_| usage("--ferrodis-args given twice"));
            }
            "-h" | "--help" => usage(""),
            name @ ("all" | "throughput" | "transactions" | "waiting" | "memory" | "latency"
            | "persistence" | "eviction" | "acl" | "aof") => what = name.to_string(),
            other => usage(&format!("unknown argument '{other}'")),
        }
        index += 1;
    }
    let started = std::time::Instant::now();
    println!("ferrodis-bench: {}", servers::machine_description());
    if what == "all" || what == "throughput" {
        throughput::run(scale);
    }
    if what == "all" || what == "transactions" {
        transactions::run(scale);
    }
    if what == "all" || what == "waiting" {
        waiting::run(scale);
    }
    if what == "all" || what == "memory" {
        memory::run(scale);
    }
    if what == "all" || what == "latency" {
        latency::run(scale);
    }
    if what == "all" || what == "persistence" {
        persistence::run(scale);
    }
    if what == "all" || what == "eviction" {
        eviction::run(scale);
    }
    // `persistence` covers both files: RDB snapshots and the append-only file.
    if what == "all" || what == "aof" || what == "persistence" {
        aof::run(scale);
    }
    if what == "all" || what == "acl" {
        acl::run(scale);
    }
    println!("\nfinished in {:.0} s", started.elapsed().as_secs_f64());
    ExitCode::SUCCESS
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("ferrodis-bench: {problem}");
    }
    eprintln!(
        "usage: ferrodis-bench \
         [all|throughput|transactions|waiting|memory|latency|persistence|eviction|acl|aof] \
         [--scale N] [--ferrodis-args \"...\"]"
    );
    std::process::exit(if problem.is_empty() { 0 } else { 2 });
}
