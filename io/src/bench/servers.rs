//! Starting and stopping the two servers under test.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One running server, killed on drop.
pub struct Running {
    pub name: &'static str,
    pub port: u16,
    child: Child,
}

impl Running {
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
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("server on port {port} did not start");
}

/// Debian's redis-server with persistence off, as both servers are compared without it.
pub fn start_redis() -> Running {
    let port = free_port();
    let child = Command::new("redis-server")
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
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server must be installed (apt-get install redis-server)");
    wait_until_up(port);
    Running {
        name: "redis",
        port,
        child,
    }
}

/// The release `ferrodis-server` next to this binary.
/// Extra arguments for every `ferrodis-server` started (`--ferrodis-args`), set once by main.
pub static FERRODIS_ARGS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

pub fn start_ferrodis() -> Running {
    let port = free_port();
    let binary: PathBuf = std::env::current_exe()
        .expect("own path")
        .with_file_name("ferrodis-server");
    let child = Command::new(&binary)
        .args(["--port", &port.to_string(), "--loglevel", "warning"])
        // As Redis is started: no save points (a benchmark measures serving, not saving).
        .args(["--save", ""])
        .args(FERRODIS_ARGS.get().into_iter().flatten())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| {
            panic!(
                "start {}: {error} (cargo build --release first)",
                binary.display()
            )
        });
    wait_until_up(port);
    Running {
        name: "ferrodis",
        port,
        child,
    }
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
/// alternating; the medians (Redis's, ferrodis's).
pub fn side_by_side(
    rounds: usize,
    redis: &Running,
    ferrodis: &Running,
    mut measure: impl FnMut(&Running) -> f64,
) -> (f64, f64) {
    let mut rates: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        let mut servers = [(0, redis), (1, ferrodis)];
        if round % 2 == 1 {
            servers.reverse();
        }
        for (slot, server) in servers {
            rates[slot].push(measure(server));
        }
    }
    let median = |values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    (median(&mut rates[0]), median(&mut rates[1]))
}
