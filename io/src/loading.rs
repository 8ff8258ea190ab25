//! Loading the append-only file while the event loop serves: the loop hands the core one
//! chunk per turn (`AofLoader::step`), so that clients that connect meanwhile get `-LOADING`
//! (and INFO, CONFIG and the like their answers) as Redis gives them, rather than no answer.

use std::io::Read;
use std::time::Instant as StdInstant;

use ferrodis_core::aof::reader::Tail;
use ferrodis_core::{LoadError, Now, Server};

use crate::disk;
use crate::log::Level;
use crate::log_at;

/// Bytes handed to the core per step.
const CHUNK_BYTES: usize = 1 << 20;

/// The files the manifest named, and how far loading is.
pub struct AofLoader {
    files: Vec<String>,
    /// The next file to open once `file` is done.
    next: usize,
    file: Option<std::fs::File>,
    chunk: Vec<u8>,
    started: StdInstant,
    /// Commands of the open file already waited for under `key-load-delay`.
    paced: u64,
}

impl AofLoader {
    /// Reads the manifest under `dir` and gives the core what it names; `None` when there is
    /// nothing to load (the server is ready at once). The core is told the dataset loads.
    pub fn begin(
        server: &mut Server,
        now: Now,
        settings: &ferrodis_core::Config,
    ) -> Result<Option<AofLoader>, String> {
        let dir = std::path::PathBuf::from(settings.aof_dir());
        let manifest = dir.join(ferrodis_core::aof::manifest::manifest_name(
            &settings.appendfilename,
        ));
        if settings.appendonly {
            upgrade_single_file(settings, &dir, &manifest)?;
        }
        let bytes = match std::fs::read(&manifest) {
            Ok(bytes) => Some(bytes),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => {
                return Err(format!(
                    "Fatal error: can't open the AOF manifest {} for reading: {}",
                    manifest.display(),
                    disk::error_text(&error)
                ))
            }
        };
        let files = server
            .aof_manifest(bytes.as_deref())
            .map_err(|error| format!("*** FATAL AOF MANIFEST FILE ERROR *** {error}"))?;
        if settings.appendonly {
            std::fs::create_dir_all(&dir).map_err(|error| {
                format!(
                    "Can't open or create append-only dir {}: {}",
                    dir.display(),
                    disk::error_text(&error)
                )
            })?;
        }
        if files.is_empty() {
            return Ok(None);
        }
        server.set_loading_dataset(now, true);
        Ok(Some(AofLoader {
            files,
            next: 0,
            file: None,
            chunk: vec![0; CHUNK_BYTES],
            started: StdInstant::now(),
            paced: 0,
        }))
    }

    /// One step: opens the next file, or hands the core one chunk of the open one, or ends
    /// it (truncating a cut tail the core dropped). False once every file is loaded.
    pub fn step(&mut self, server: &mut Server, now: Now) -> Result<bool, String> {
        let Some(file) = self.file.as_mut() else {
            let Some(path) = self.files.get(self.next) else {
                log_at!(
                    Level::Notice,
                    "DB loaded from append only file: {:.3} seconds",
                    self.started.elapsed().as_secs_f64()
                );
                return Ok(false);
            };
            let file = std::fs::File::open(path).map_err(|error| {
                format!(
                    "Fatal error: can't open the append only file {path} for reading: {}",
                    disk::error_text(&error)
                )
            })?;
            server.aof_load_begin(now, path);
            self.paced = 0;
            self.file = Some(file);
            self.next += 1;
            return Ok(true);
        };
        let path = &self.files[self.next - 1];
        let located =
            |error: LoadError| format!("{} (file {path}, at byte {})", error.message, error.offset);
        let read = file
            .read(&mut self.chunk)
            .map_err(|error| format!("Error reading {path}: {}", disk::error_text(&error)))?;
        if read > 0 {
            server
                .aof_load_chunk(now, &self.chunk[..read])
                .map_err(located)?;
            self.pace(server);
            return Ok(true);
        }
        self.file = None;
        let last = self.next == self.files.len();
        let tail = server.aof_load_end(now, last).map_err(located)?;
        if let Tail::Truncated { valid } = tail {
            truncate(path, valid)?;
        }
        Ok(true)
    }
}

impl AofLoader {
    /// `key-load-delay`: waits its microseconds for each command loaded since the last wait (a
    /// negative -N: 1 µs every N commands), so that tests can watch a slow load.
    fn pace(&mut self, server: &Server) {
        let delay = server.config().key_load_delay_us;
        let loaded = server.aof_commands_loaded();
        let commands = loaded - self.paced;
        let micros = match delay {
            0 => 0,
            delay if delay > 0 => commands.saturating_mul(delay.unsigned_abs()),
            delay => commands / delay.unsigned_abs(),
        };
        // Under a negative delay, the commands short of a whole microsecond count next time.
        self.paced = match delay {
            delay if delay < 0 => self.paced + micros * delay.unsigned_abs(),
            _ => loaded,
        };
        if micros > 0 {
            std::thread::sleep(std::time::Duration::from_micros(micros));
        }
    }
}

/// Cuts `path` to `valid` bytes and makes that durable.
fn truncate(path: &str, valid: u64) -> Result<(), String> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|file| file.set_len(valid).map(|()| file))
        .and_then(|file| file.sync_all())
        .map_err(|error| {
            format!(
                "Error truncating the AOF file {path}: {}",
                disk::error_text(&error)
            )
        })
}

/// Redis 6 kept one file, `appendfilename` under `dir`: with no manifest, it becomes the base
/// of the directory's files (loaded as an RDB preamble and commands, or commands), as Redis
/// 7.0 takes it. The manifest naming it is made durable first, then the file moves: a crash
/// between the two leaves the manifest naming a file still beside the directory, which the
/// next start moves in.
fn upgrade_single_file(
    settings: &ferrodis_core::Config,
    dir: &std::path::Path,
    manifest: &std::path::Path,
) -> Result<(), String> {
    let name = &settings.appendfilename;
    let old = std::path::Path::new(&settings.dir).join(name);
    let moved = dir.join(name);
    let failed = |what: &str, error: std::io::Error| {
        format!(
            "Can't move the old-style append only file {} into {}: {what}: {}",
            old.display(),
            dir.display(),
            disk::error_text(&error)
        )
    };
    if !old.is_file() {
        return Ok(());
    }
    let manifest_exists = manifest.exists();
    if manifest_exists && moved.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|error| failed("the directory", error))?;
    if !manifest_exists {
        let text = format!("file {name} seq 1 type b\n");
        let temp = dir.join(format!("temp-{name}.manifest"));
        std::fs::write(&temp, text)
            .and_then(|()| std::fs::File::open(&temp)?.sync_all())
            .and_then(|()| std::fs::rename(&temp, manifest))
            .map_err(|error| failed("the manifest", error))?;
    } else {
        // A manifest from an upgrade a crash cut short names the file: only if it names it.
        let text = std::fs::read_to_string(manifest).unwrap_or_default();
        if !text.contains(&format!("file {name} seq 1 type b")) {
            return Ok(());
        }
    }
    std::fs::rename(&old, &moved).map_err(|error| failed("the file", error))?;
    std::fs::File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(|error| failed("the directory's fsync", error))?;
    log_at!(
        Level::Notice,
        "Successfully migrated an old-style AOF into the AOF directory"
    );
    Ok(())
}
