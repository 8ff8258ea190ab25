//! `ferrodis-check-aof [--fix] FILE`: reads an append-only file as the server would load it, a
//! chunk at a time, and reports whether it is valid, as `redis-check-aof` of Redis 7.0 does.
//! FILE is a manifest (every file it names is checked: an RDB base with the RDB checker, the
//! others as commands) or one file of commands (or an RDB file).
//!
//! A file whose last command is cut off, or ends in zeros where a command should begin, or in a
//! transaction without its EXEC, lost only its end: with `--fix` (after a `y` on standard
//! input) it is truncated to its last whole command, as loading with `aof-load-truncated yes`
//! would, provided it is the last file the manifest names. A file with bytes that are not a
//! command before its end (or a command the server does not know, or a MULTI or EXEC out of
//! place) is broken in the middle: truncating it there would drop whatever follows, so `--fix`
//! refuses. Exits 0 for valid (or fixed) files, 1 otherwise.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use ferrodis_core::aof::manifest::Manifest;
use ferrodis_core::aof::reader::{Reader, Tail};
use ferrodis_core::{check_rdb, UnixMillis};

/// Files of commands are read this much at a time (as the server loads them).
const CHUNK_BYTES: usize = 1 << 20;

const USAGE: &str =
    "Usage: ferrodis-check-aof [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>";

/// The check stopped: what went wrong is printed already.
struct Stop;

/// How a file that was not refused came out.
enum Verdict {
    Valid,
    Empty,
    /// Truncated by `--fix` to its last whole command.
    Fixed,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, fix) = match args.as_slice() {
        [path] => (path, false),
        [flag, path] if flag == "--fix" => (path, true),
        [flag, timestamp, _] if flag == "--truncate-to-timestamp" => {
            if timestamp.parse::<i64>().is_err() {
                println!("Invalid timestamp, aborting...");
            } else {
                println!(
                    "--truncate-to-timestamp is not supported: ferrodis writes no timestamp \
                     annotations in its append-only files, so there is nothing to truncate to. \
                     Aborting..."
                );
            }
            return ExitCode::from(1);
        }
        _ => {
            println!("{USAGE}");
            return ExitCode::from(1);
        }
    };
    let path = Path::new(path);
    let checked = match kind_of(path) {
        Err(error) => {
            println!(
                "Cannot open file {}: {}",
                path.display(),
                error_text(&error)
            );
            Err(Stop)
        }
        Ok(Kind::Manifest) => check_manifest(path, fix),
        Ok(kind) => check_single(path, kind, fix),
    };
    match checked {
        Ok(()) => ExitCode::SUCCESS,
        Err(Stop) => ExitCode::from(1),
    }
}

/// What a file holds, judged as Redis judges it: a manifest starts with `file` (or is named
/// as one), an RDB file with `REDIS`; anything else is taken for commands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Manifest,
    Rdb,
    Commands,
}

fn kind_of(path: &Path) -> std::io::Result<Kind> {
    let mut file = File::open(path)?;
    let mut start = Vec::with_capacity(5);
    Read::by_ref(&mut file).take(5).read_to_end(&mut start)?;
    let named_manifest = path
        .file_name()
        .is_some_and(|name| name.to_string_lossy().ends_with(".manifest"));
    Ok(if named_manifest || start.starts_with(b"file") {
        Kind::Manifest
    } else if start == b"REDIS" {
        Kind::Rdb
    } else {
        Kind::Commands
    })
}

/// Checks every file a manifest names, in the order they load: the base, then the incremental
/// files (history files only wait for removal and are not read).
fn check_manifest(path: &Path, fix: bool) -> Result<(), Stop> {
    println!("Start checking Multi Part AOF");
    let bytes = std::fs::read(path).map_err(|error| {
        println!(
            "Fatal error: can't open the AOF manifest file {} for reading: {}",
            path.display(),
            error_text(&error)
        );
        Stop
    })?;
    let manifest = Manifest::parse(&bytes).map_err(|error| {
        println!();
        println!("*** FATAL AOF MANIFEST FILE ERROR ***");
        if let Some(line) = error
            .line
            .checked_sub(1)
            .and_then(|index| bytes.split(|&byte| byte == b'\n').nth(index))
        {
            println!("Reading the manifest file, at line {}", error.line);
            println!(">>> '{}'", String::from_utf8_lossy(line).trim());
        }
        println!("{}", error.message);
        Stop
    })?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let known = known_commands();
    let total = manifest.load_order().count();
    if let Some(base) = &manifest.base {
        let file = dir.join(&base.name);
        let last = total == 1;
        if kind_of(&file).is_ok_and(|kind| kind == Kind::Rdb) {
            println!("Start to check BASE AOF (RDB format).");
            let Ok(length) = check_rdb_file(&file, &base.name) else {
                println!("BASE AOF (RDB format) {} is invalid, aborting.", base.name);
                return Err(Stop);
            };
            let after = check_after_preamble(&file, &base.name, length, (last, fix), &known)?;
            if let Some(verdict) = after {
                report("BASE AOF", &base.name, &verdict);
            }
            println!("BASE AOF (RDB format) {} is valid", base.name);
        } else {
            println!("Start to check BASE AOF (RESP format).");
            let verdict = check_commands(&file, &base.name, 0, last, fix, &known)?;
            report("BASE AOF", &base.name, &verdict);
        }
    }
    if !manifest.incrs.is_empty() {
        println!("Start to check INCR files.");
        for (index, incr) in manifest.incrs.iter().enumerate() {
            let file = dir.join(&incr.name);
            let last = index + 1 == manifest.incrs.len();
            let verdict = check_commands(&file, &incr.name, 0, last, fix, &known)?;
            report("INCR AOF", &incr.name, &verdict);
        }
    }
    println!("All AOF files and manifest are valid");
    Ok(())
}

/// Checks one file given on its own: commands, or an RDB file (a base).
fn check_single(path: &Path, kind: Kind, fix: bool) -> Result<(), Stop> {
    let name = path.display().to_string();
    println!("Start checking a single AOF file");
    if kind == Kind::Rdb {
        let Ok(length) = check_rdb_file(path, &name) else {
            println!("AOF {name} (RDB format) is not valid");
            return Err(Stop);
        };
        let known = known_commands();
        if let Some(verdict) = check_after_preamble(path, &name, length, (true, fix), &known)? {
            report("AOF", &name, &verdict);
        }
        println!("AOF {name} is valid");
        return Ok(());
    }
    let verdict = check_commands(path, &name, 0, true, fix, &known_commands())?;
    report("AOF", &name, &verdict);
    Ok(())
}

/// The commands after an RDB preamble of `length` bytes, when the file goes on after it (as
/// Redis 6's single file and its bases with a preamble do).
fn check_after_preamble(
    path: &Path,
    name: &str,
    length: u64,
    (last, fix): (bool, bool),
    known: &HashSet<&'static str>,
) -> Result<Option<Verdict>, Stop> {
    let size = std::fs::metadata(path).map_or(0, |metadata| metadata.len());
    if length >= size {
        return Ok(None);
    }
    println!("RDB preamble is OK, proceeding with the commands after it at byte {length}");
    check_commands(path, name, length, last, fix, known).map(Some)
}

fn report(what: &str, name: &str, verdict: &Verdict) {
    match verdict {
        Verdict::Valid => println!("{what} {name} is valid"),
        Verdict::Empty => println!("{what} {name} is empty"),
        Verdict::Fixed => println!("Successfully truncated AOF {name}"),
    }
}

/// Reads an RDB file whole (as loading does) and prints what `ferrodis-check-rdb` prints:
/// the bytes the RDB took (commands may follow).
fn check_rdb_file(path: &Path, name: &str) -> Result<u64, Stop> {
    println!("[offset 0] Checking RDB file {name}");
    let bytes = std::fs::read(path).map_err(|error| {
        println!("--- RDB ERROR DETECTED ---");
        println!("[offset 0] Cannot open {name}: {}", error_text(&error));
        Stop
    })?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64);
    match check_rdb(&bytes, UnixMillis::from_millis(now)) {
        Ok(report) => {
            println!("[offset 0] RDB version {}", report.version);
            for (field, value) in &report.aux {
                println!("[info] AUX FIELD {field} = '{value}'");
            }
            for (db, keys) in &report.keys {
                println!("[info] database {db}: {keys} keys");
            }
            if report.checksum_checked {
                println!("[offset {}] Checksum OK", report.length);
            } else {
                println!("[info] RDB file was saved with checksum disabled: no check performed.");
            }
            println!("[offset {}] \\o/ RDB looks OK! \\o/", report.length);
            let keys: u64 = report.keys.values().sum();
            println!("[info] {keys} keys read");
            println!("[info] {} expires", report.expires);
            println!("[info] {} already expired", report.already_expired);
            println!("[info] {} functions libraries", report.libraries);
            Ok(report.length as u64)
        }
        Err(error) => {
            println!("--- RDB ERROR DETECTED ---");
            println!("[offset {}] {}", error.offset, error.message);
            Err(Stop)
        }
    }
}

/// Every command name the server knows, lower case: a file naming another does not load.
fn known_commands() -> HashSet<&'static str> {
    ferrodis_core::command_names().collect()
}

/// What was found wrong in a file of commands, and where.
enum Problem {
    /// Bytes that are not a command (or a command the server does not know, or a MULTI or
    /// EXEC out of place) at this offset: the file is corrupt there.
    Corrupt { offset: u64, message: String },
    /// The file lost its end: only the first `valid` bytes are whole commands (a transaction
    /// left open at the end does not count).
    Truncated { valid: u64, message: String },
}

/// What reading a file of commands found.
struct Scan {
    size: u64,
    /// Lines of whole commands up to where the file is good, counted as Redis counts them:
    /// from 1, two for each argument and one for each command.
    lines: u64,
    problem: Option<Problem>,
}

/// Checks a file of commands from byte `start` on; with `fix`, truncates a lost end when
/// `last` (the file is the last one loaded) and standard input says yes.
fn check_commands(
    path: &Path,
    name: &str,
    start: u64,
    last: bool,
    fix: bool,
    known: &HashSet<&'static str>,
) -> Result<Verdict, Stop> {
    let scan = scan_commands(path, name, start, known)?;
    if scan.size == 0 {
        return Ok(Verdict::Empty);
    }
    let analyzed = |ok_up_to: u64| {
        println!(
            "AOF analyzed: filename={name}, size={}, ok_up_to={ok_up_to}, ok_up_to_line={}, \
             diff={}",
            scan.size,
            scan.lines,
            scan.size - ok_up_to
        );
    };
    match scan.problem {
        None => {
            analyzed(scan.size);
            Ok(Verdict::Valid)
        }
        Some(Problem::Corrupt { offset, message }) => {
            println!("0x{offset:16x}: {message}");
            analyzed(offset);
            println!(
                "AOF {name} is not valid at byte {offset}, before its end: it cannot be fixed \
                 by truncating it, which would lose the commands after that point. Make a \
                 backup of the file and repair it by hand."
            );
            Err(Stop)
        }
        Some(Problem::Truncated { valid, message }) => {
            println!("0x{valid:16x}: {message}");
            analyzed(valid);
            if !fix {
                println!("AOF {name} is not valid. Use the --fix option to try fixing it.");
                return Err(Stop);
            }
            if !last {
                println!("Failed to truncate AOF {name} because it is not the last file");
                return Err(Stop);
            }
            println!(
                "This will shrink the AOF {name} from {} bytes, with {} bytes, to {valid} bytes",
                scan.size,
                scan.size - valid
            );
            print!("Continue? [y/N]: ");
            let _ = std::io::stdout().flush();
            let mut answer = String::new();
            let read = std::io::stdin().lock().read_line(&mut answer);
            if !matches!(read, Ok(n) if n > 0) || !answer.starts_with(['y', 'Y']) {
                println!("Aborting...");
                return Err(Stop);
            }
            let truncated = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|file| file.set_len(valid).and_then(|()| file.sync_all()));
            if let Err(error) = truncated {
                println!("Failed to truncate AOF {name}: {}", error_text(&error));
                return Err(Stop);
            }
            Ok(Verdict::Fixed)
        }
    }
}

/// Reads a file of commands from byte `start` on, a chunk at a time, as loading does, and
/// says where it stops being good.
fn scan_commands(
    path: &Path,
    name: &str,
    start: u64,
    known: &HashSet<&'static str>,
) -> Result<Scan, Stop> {
    let cannot = |error: std::io::Error| {
        println!(
            "Cannot open file: {name}: {}, aborting...",
            error_text(&error)
        );
        Stop
    };
    let mut file = File::open(path).map_err(cannot)?;
    let size = file.metadata().map_err(cannot)?.len();
    file.seek(SeekFrom::Start(start)).map_err(cannot)?;
    let mut reader = Reader::starting_at(start);
    let mut chunk = vec![0u8; CHUNK_BYTES];
    // The offset of the end of the bytes fed so far.
    let mut fed: u64 = start;
    let mut lines: u64 = 1;
    // A MULTI not yet closed by its EXEC: where it begins, and the lines before it.
    let mut open_multi: Option<(u64, u64)> = None;
    let mut problem: Option<Problem> = None;
    loop {
        let read = match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => {
                println!(
                    "Failed to read from AOF {name}: {}, aborting...",
                    error_text(&error)
                );
                return Err(Stop);
            }
        };
        let chunk_end = fed + read as u64;
        let fed_chunk = reader.feed(&chunk[..read], |bytes, ranges, offset| {
            if problem.is_some() {
                return;
            }
            let (first, length) = ranges[0];
            let name_bytes = String::from_utf8_lossy(&bytes[first..first + length]);
            let command = name_bytes.to_lowercase();
            if !known.contains(command.as_str()) {
                problem = Some(Problem::Corrupt {
                    offset,
                    message: format!("Unknown command '{name_bytes}'"),
                });
                return;
            }
            match (command.as_str(), open_multi) {
                ("multi", Some(_)) => {
                    problem = Some(Problem::Corrupt {
                        offset,
                        message: format!("Unexpected MULTI in AOF {name}"),
                    });
                    return;
                }
                ("multi", None) => open_multi = Some((offset, lines)),
                ("exec", None) => {
                    problem = Some(Problem::Corrupt {
                        offset,
                        message: format!("Unexpected EXEC in AOF {name}"),
                    });
                    return;
                }
                ("exec", Some(_)) => open_multi = None,
                _ => {}
            }
            lines += 1 + 2 * ranges.len() as u64;
        });
        fed = chunk_end;
        if let Err(bad) = fed_chunk {
            let offset = bad.offset;
            if !matches!(&problem, Some(Problem::Corrupt { offset: at, .. }) if *at < offset) {
                problem = Some(Problem::Corrupt {
                    offset,
                    message: "Bad file format: these bytes are not a command".to_string(),
                });
            }
            break;
        }
        if problem.is_some() {
            break;
        }
    }
    if problem.is_none() {
        let (mut valid, mut message) = match reader.finish() {
            Tail::Whole => (size, None),
            Tail::Truncated { valid } => (
                valid,
                Some(
                    "Unexpected end of file: the last command is cut off, or zeros stand \
                     where one should begin"
                        .to_string(),
                ),
            ),
        };
        if let Some((start, lines_before)) = open_multi {
            // Loading drops a transaction without its EXEC: the file is good up to its MULTI.
            valid = start;
            lines = lines_before;
            message = Some("Reached EOF before reading EXEC for MULTI".into());
        }
        if let Some(message) = message {
            problem = Some(Problem::Truncated { valid, message });
        }
    }
    Ok(Scan {
        size,
        lines,
        problem,
    })
}

/// An I/O error's text without Rust's " (os error N)" suffix, as C's strerror words it.
fn error_text(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error ") {
        Some(end) => text[..end].to_string(),
        None => text,
    }
}
