//! Starting and stopping the two servers under test.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The two programs under test.
#[derive(Clone, Copy)]
pub enum Program {
    Redis,
    Ferrodis,
}

impl Program {
    pub fn name(self) -> &'static str {
        match self {
            Program::Redis => "redis",
            Program::Ferrodis => "ferrodis",
        }
    }
}

/// One running server, killed on drop.
pub struct Running {
    pub name: &'static str,
    pub port: u16,
    /// When the process was spawned: a start's time counts from here.
    pub spawned: Instant,
    program: Program,
    /// The arguments given on top of the usual ones, for `start_another`.
    extra: Vec<String>,
    child: Child,
}

impl Running {
    /// A new server of the same program with the same extra arguments, on a port of its own.
    pub fn start_another(&self) -> Running {
        start(self.program, &self.extra)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident set size from /proc, in bytes.
    pub fn rss_bytes(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map_or(0, |kilobytes| kilobytes * 1024)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

fn wait_until_up(port: u16) {
    wait_until(
        &format!("server on port {port} to start"),
        Duration::from_secs(20),
        || TcpStream::connect(("127.0.0.1", port)).is_ok(),
    );
}

/// Polls `done` until it holds; panics naming `what` after `limit`, so that no wait of a
/// benchmark is endless. Polls every 2 ms: short, so that a start's or a save's measured time
/// is not rounded up.
pub fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Debian's redis-server with persistence off, as both servers are compared without it.
pub fn start_redis() -> Running {
    start(Program::Redis, &[])
}

/// The release `ferrodis-server` next to this binary, with persistence off.
pub fn start_ferrodis() -> Running {
    start(Program::Ferrodis, &[])
}

/// Extra arguments for every `ferrodis-server` started (`--ferrodis-args`), set once by main.
pub static FERRODIS_ARGS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

/// Starts `program` on a free port with persistence off, then `extra` (a later argument wins
/// over an earlier one in both programs, so `extra` may also override), and waits until it
/// accepts connections.
pub fn start(program: Program, extra: &[String]) -> Running {
    let port = free_port();
    let (mut command, hint) = match program {
        Program::Redis => (
            redis_command(port),
            "redis-server must be installed: apt-get install redis-server",
        ),
        Program::Ferrodis => (ferrodis_command(port), "cargo build --release first"),
    };
    command
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let spawned = Instant::now();
    let child = command.spawn().unwrap_or_else(|error| {
        panic!(
            "start {}: {error} ({hint})",
            command.get_program().to_string_lossy()
        )
    });
    wait_until_up(port);
    Running {
        name: program.name(),
        port,
        spawned,
        program,
        extra: extra.to_vec(),
        child,
    }
}

fn redis_command(port: u16) -> Command {
    let mut command = Command::new("redis-server");
    command
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .args([
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ]);
    command
}

fn ferrodis_command(port: u16) -> Command {
    let binary: PathBuf = std::env::current_exe()
        .expect("own path")
        .with_file_name("ferrodis-server");
    let mut command = Command::new(binary);
    command
        .args(["--port", &port.to_string(), "--loglevel", "warning"])
        // As Redis is started: no save points (a benchmark measures serving, not saving).
        .args(["--save", ""])
        .args(FERRODIS_ARGS.get().into_iter().flatten());
    command
}

pub fn machine_description() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
    let redis = Command::new("redis-server")
        .arg("--version")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
        .unwrap_or_else(|_| "redis-server missing".to_string());
    format!("{cores} cores, {cpu}; {redis}")
}

/// Runs `measure` on both servers for `rounds` rounds, back to back, who goes first
/// alternating; every result, Redis's then ferrodis's.
pub fn samples<T, M>(
    rounds: usize,
    redis: &T,
    ferrodis: &T,
    mut measure: impl FnMut(&T) -> M,
) -> [Vec<M>; 2] {
    let mut results = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        let mut servers = [(0, redis), (1, ferrodis)];
        if round % 2 == 1 {
            servers.reverse();
        }
        for (slot, server) in servers {
            results[slot].push(measure(server));
        }
    }
    results
}

/// As `samples`, the medians (Redis's, ferrodis's).
pub fn side_by_side<T>(
    rounds: usize,
    redis: &T,
    ferrodis: &T,
    measure: impl FnMut(&T) -> f64,
) -> (f64, f64) {
    let [redis, ferrodis] = samples(rounds, redis, ferrodis, measure);
    (median(redis), median(ferrodis))
}

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
