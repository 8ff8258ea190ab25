//! `ferrodis-sim`: run one seed, a range of seeds, or seeds for a while; print how to replay a
//! failure and exit with a code that says what kind it was.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use ferrodis_sim::{check_determinism, run_seed, CountingAllocator, Outcome, Overrides};

/// Counts deallocations, so that runs measure each lazy-free step.
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// The ferrodis deterministic simulator.
///
/// Exit codes: 0 all runs passed, 1 bad usage, 2 panic or assertion, 3 wrong reply,
/// 4 liveness (work left undone after faults stop), 5 non-determinism, 6 durability (after a
/// crash the files hold less than the fsync policy promised).
#[derive(Parser, Debug)]
#[command(name = "ferrodis-sim", version)]
struct Cli {
    /// Run this one seed and print every option it drew.
    #[arg(long, conflicts_with = "seeds")]
    seed: Option<u64>,
    /// Run every seed in A..B (B excluded).
    #[arg(long, value_name = "A..B")]
    seeds: Option<String>,
    /// Run consecutive seeds (from --seed, or from a seed taken from the clock) for this long:
    /// `60s`, `5m`, `1h`.
    #[arg(long)]
    duration: Option<String>,
    /// Simulated steps per run before the liveness phase (default: drawn per seed).
    #[arg(long)]
    steps: Option<u64>,
    /// Virtual clients per run (default: drawn per seed).
    #[arg(long)]
    clients: Option<u64>,
    /// Run each seed twice and compare the hash of the whole trace.
    #[arg(long)]
    check_determinism: bool,
    /// Make the model answer one command wrongly (proves that wrong replies are caught).
    #[arg(long)]
    model_fault: bool,
    /// Make the model's EXEC ignore WATCH (proves that the transaction oracle can fail).
    #[arg(long)]
    wrong_exec: bool,
    /// Make the model serve the last blocked client first (proves that the
    /// first-blocked-first-served oracle can fail).
    #[arg(long)]
    wrong_waiting: bool,
    /// Make the model forget pattern subscribers' messages (proves that the message oracle can
    /// fail).
    #[arg(long)]
    wrong_pubsub: bool,
    /// Make the model miss a key in every scan (proves that the scan oracle can fail).
    #[arg(long)]
    wrong_scan: bool,
    /// Expect a query-buffer close one byte early (proves that the limit oracle can fail).
    #[arg(long)]
    wrong_limits: bool,
    /// Take every memory policy for a volatile one (proves that the eviction oracle can fail).
    #[arg(long)]
    wrong_eviction: bool,
    /// Forget the restricted user's denied commands (proves that the permission oracle can
    /// fail).
    #[arg(long)]
    wrong_acl: bool,
    /// Release replies before their fsync under `appendfsync always`, a fault planted in the
    /// server (proves that the durability oracle can fail).
    #[arg(long)]
    wrong_durability: bool,
    /// Take an fsync that failed for done, a fault planted in the server (proves that the disk
    /// oracle can fail).
    #[arg(long)]
    wrong_fsync: bool,
    /// Fsync every 2.5 s under `appendfsync everysec`, a fault planted in the server (proves
    /// that the cadence check can fail).
    #[arg(long)]
    late_fsync: bool,
    /// Print only failures and the summary in sweeps.
    #[arg(long)]
    quiet: bool,
    /// Print every command the model checked and the reply it got, on standard error (for
    /// reading what led up to a failure).
    #[arg(long)]
    replies: bool,
}

fn parse_duration(text: &str) -> Option<Duration> {
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let number: u64 = number.parse().ok()?;
    Some(Duration::from_secs(match unit {
        "s" => number,
        "m" => number * 60,
        "h" => number * 3600,
        _ => return None,
    }))
}

fn parse_range(text: &str) -> Option<(u64, u64)> {
    let (low, high) = text.split_once("..")?;
    Some((low.parse().ok()?, high.parse().ok()?))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = Overrides {
        steps: cli.steps,
        clients: cli.clients,
        model_fault: cli.model_fault,
        wrong_exec: cli.wrong_exec,
        wrong_waiting: cli.wrong_waiting,
        wrong_pubsub: cli.wrong_pubsub,
        wrong_scan: cli.wrong_scan,
        wrong_limits: cli.wrong_limits,
        wrong_eviction: cli.wrong_eviction,
        wrong_acl: cli.wrong_acl,
        wrong_durability: cli.wrong_durability,
        wrong_fsync: cli.wrong_fsync,
        late_fsync: cli.late_fsync,
        print_replies: cli.replies,
    };
    let deadline = match cli.duration.as_deref().map(parse_duration) {
        Some(Some(duration)) => Some(Instant::now() + duration),
        Some(None) => {
            eprintln!("--duration takes a number and a unit: 60s, 5m, 1h");
            return ExitCode::from(1);
        }
        None => None,
    };
    let (first, end) = match (&cli.seeds, cli.seed, deadline) {
        (Some(range), _, _) => match parse_range(range) {
            Some(range) => range,
            None => {
                eprintln!("--seeds takes A..B");
                return ExitCode::from(1);
            }
        },
        (None, Some(seed), None) => (seed, seed + 1),
        (None, seed, Some(_)) => (
            seed.unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64)
            }),
            u64::MAX,
        ),
        (None, None, None) => {
            eprintln!("give --seed N, --seeds A..B or --duration 60s (see --help)");
            return ExitCode::from(1);
        }
    };
    let single = end - first == 1;
    let started = Instant::now();
    let (mut runs, mut commands) = (0u64, 0u64);
    let mut seed = first;
    while seed < end && deadline.is_none_or(|deadline| Instant::now() < deadline) {
        let run_started = Instant::now();
        let outcome = if cli.check_determinism {
            check_determinism(seed, &overrides)
        } else {
            run_seed(seed, &overrides, false)
        };
        runs += 1;
        commands += outcome.commands;
        if single {
            if let Some(options) = &outcome.options {
                println!("{options}");
            }
        }
        if let Err(failure) = &outcome.result {
            report_failure(&outcome, seed, &overrides, failure);
            return ExitCode::from(failure.exit_code() as u8);
        }
        if single || !cli.quiet {
            println!(
                "seed {seed}: ok, {} steps, {} commands, trace {:016x}, {}",
                outcome.steps,
                outcome.commands,
                outcome.trace_hash,
                rate(outcome.commands, run_started.elapsed())
            );
            if single {
                println!("  {}", outcome.coverage);
            }
        }
        seed += 1;
    }
    println!(
        "{runs} runs passed (seeds {first}..{seed}), {commands} commands, {}",
        rate(commands, started.elapsed())
    );
    ExitCode::SUCCESS
}

fn rate(commands: u64, elapsed: Duration) -> String {
    let micros = elapsed.as_micros().max(1) as u64;
    format!("{} commands/s", commands * 1_000_000 / micros)
}

fn report_failure(
    outcome: &Outcome,
    seed: u64,
    overrides: &Overrides,
    failure: &ferrodis_sim::Failure,
) {
    let replay = match &outcome.options {
        Some(options) => options.replay_command(),
        None => format!("ferrodis-sim --seed {seed}"),
    };
    let _ = overrides;
    eprintln!(
        "FAILED ({}) at step {}: {}",
        failure.kind(),
        outcome.steps,
        failure.message()
    );
    eprintln!("replay: {replay}");
}
