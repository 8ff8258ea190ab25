//! `ferrodis-check-rdb FILE`: reads an RDB file as the server would load it and reports what it
//! holds, or the first error and its byte offset; exits 0 for a valid file, 1 otherwise (as
//! `redis-check-rdb`).

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use ferrodis_core::{check_rdb, UnixMillis};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path] = args.as_slice() else {
        eprintln!("Usage: ferrodis-check-rdb <rdb-file-name>");
        return ExitCode::from(1);
    };
    println!("[offset 0] Checking RDB file {path}");
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            println!("--- RDB ERROR DETECTED ---");
            println!("[offset 0] Cannot open {path}: {error}");
            return ExitCode::from(1);
        }
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64);
    match check_rdb(&bytes, UnixMillis::from_millis(now)) {
        Ok(report) => {
            println!("[offset 0] RDB version {}", report.version);
            for (name, value) in &report.aux {
                println!("[info] AUX FIELD {name} = '{value}'");
            }
            for (db, keys) in &report.keys {
                println!("[info] database {db}: {keys} keys");
            }
            if !report.checksum_checked {
                println!("[info] RDB file was saved with checksum disabled: no check performed.");
            } else {
                println!("[offset {}] Checksum OK", bytes.len());
            }
            println!("[offset {}] \\o/ RDB looks OK! \\o/", bytes.len());
            let keys: u64 = report.keys.values().sum();
            println!("[info] {keys} keys read");
            println!("[info] {} expires", report.expires);
            println!("[info] {} already expired", report.already_expired);
            println!("[info] {} functions libraries", report.libraries);
            if report.empty > 0 {
                println!("[info] {} empty keys skipped", report.empty);
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            println!("--- RDB ERROR DETECTED ---");
            println!("[offset {}] {}", error.offset, error.message);
            ExitCode::from(1)
        }
    }
}
