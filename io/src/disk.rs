//! The core's disk requests, done on a thread of their own so that a slow write or fsync never
//! stalls the event loop. Requests run in the order given; each result goes back through a
//! channel, and a byte on a socket pair wakes the loop to collect it.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;

use ferrodis_core::{DiskRequest, DiskToken};

/// What a request came to: a read's bytes, nothing for the others, or the error's text.
pub type Outcome = Result<Option<Vec<u8>>, String>;

pub struct Disk {
    requests: Option<Sender<(DiskToken, DiskRequest)>>,
    results: Receiver<(DiskToken, Outcome)>,
    /// Readable when results wait; the event loop polls it.
    pub wake: UnixStream,
    worker: Option<JoinHandle<()>>,
    /// Requests given whose results were not taken yet.
    outstanding: usize,
}

impl Disk {
    pub fn new() -> std::io::Result<Disk> {
        let (wake, wake_writer) = UnixStream::pair()?;
        wake.set_nonblocking(true)?;
        let (requests, inbox) = mpsc::channel::<(DiskToken, DiskRequest)>();
        let (outbox, results) = mpsc::channel();
        let worker = std::thread::Builder::new()
            .name("disk".to_string())
            .spawn(move || {
                lower_priority();
                let mut files = Files::default();
                for (token, request) in inbox {
                    let result = perform(&mut files, request).map_err(|error| error_text(&error));
                    if outbox.send((token, result)).is_err() {
                        break;
                    }
                    let _ = (&wake_writer).write_all(&[1]);
                }
            })?;
        Ok(Disk {
            requests: Some(requests),
            results,
            wake,
            worker: Some(worker),
            outstanding: 0,
        })
    }

    pub fn submit(&mut self, token: DiskToken, request: DiskRequest) {
        if let Some(requests) = &self.requests {
            if requests.send((token, request)).is_ok() {
                self.outstanding += 1;
            }
        }
    }

    /// No request is waiting for its result (an fsync that replies wait on is one).
    pub fn is_idle(&self) -> bool {
        self.outstanding == 0
    }

    /// The results that came in, after emptying the wake-up socket.
    pub fn take_results(&mut self) -> Vec<(DiskToken, Outcome)> {
        let mut drained = [0u8; 256];
        while matches!(std::io::Read::read(&mut self.wake, &mut drained), Ok(n) if n > 0) {}
        let mut results = Vec::new();
        loop {
            match self.results.try_recv() {
                Ok(result) => {
                    self.outstanding = self.outstanding.saturating_sub(1);
                    results.push(result);
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return results,
            }
        }
    }

    /// Waits for every request given so far (at exit, so that a save's last steps are done).
    pub fn finish(&mut self) {
        self.requests = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl Drop for Disk {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Gives the calling thread a lower CPU priority than the event loop's: the kernel's share of
/// a big fsync (writing back the file's dirty pages) runs on the thread that asks for it, and
/// on a machine with few cores it would otherwise take turns with the loop itself.
fn lower_priority() {
    // On Linux, no process id names the calling thread. Failing changes nothing.
    #[cfg(target_os = "linux")]
    let _ = rustix::process::setpriority_process(None, 10);
}

/// An I/O error as C's `strerror` words it, as Redis reports it (without Rust's
/// ` (os error N)`).
pub fn error_text(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error ") {
        Some(end) => text[..end].to_string(),
        None => text,
    }
}

/// The files the disk thread holds open: those a save created (until closed), and the
/// append-only file last fsynced (so that each fsync is one system call, not an open, an fsync
/// and a close).
#[derive(Default)]
struct Files {
    open: HashMap<String, File>,
    synced: Option<(String, File)>,
}

impl Files {
    /// Writes back `path`'s data (and the size that reaches it), as Redis's `fdatasync` of its
    /// append-only file.
    fn sync_data(&mut self, path: String) -> std::io::Result<()> {
        let file = match &mut self.synced {
            Some((open, file)) if *open == path => file,
            _ => {
                let file = OpenOptions::new().append(true).open(&path)?;
                &mut self.synced.insert((path, file)).1
            }
        };
        file.sync_data()
    }

    /// Forgets a handle to `path` (created again, removed, renamed or renamed over): it would
    /// keep a deleted file's blocks in use, or stand for another file than the path names.
    fn forget(&mut self, path: &str) {
        if self.synced.as_ref().is_some_and(|(open, _)| open == path) {
            self.synced = None;
        }
    }
}

/// The most bytes one `write` system call is given.
const WRITE_PIECE_BYTES: usize = 1 << 20;

/// Does one request; a read's bytes come back.
fn perform(files: &mut Files, request: DiskRequest) -> std::io::Result<Option<Vec<u8>>> {
    let not_open = || std::io::Error::other("the file is not open");
    match request {
        DiskRequest::Create { path } => {
            files.forget(&path);
            let file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)?;
            files.open.insert(path, file);
        }
        DiskRequest::Write { path, bytes } => {
            let file = files.open.get_mut(&path).ok_or_else(not_open)?;
            // A save's image can be one big piece (a big key): written a megabyte at a time.
            // One write of tens of megabytes sometimes took ten times as long (63 ms against
            // 6 ms for 23 MB on this project's machine); pieces never did.
            for piece in bytes.chunks(WRITE_PIECE_BYTES) {
                file.write_all(piece)?;
            }
        }
        DiskRequest::Sync { path } => files.open.get(&path).ok_or_else(not_open)?.sync_all()?,
        DiskRequest::Close { path } => {
            files.open.remove(&path).ok_or_else(not_open)?;
        }
        DiskRequest::Rename { from, to } => {
            files.forget(&from);
            files.forget(&to);
            std::fs::rename(from, to)?
        }
        DiskRequest::SyncDir { path } => File::open(path)?.sync_all()?,
        DiskRequest::Remove { path } => {
            files.forget(&path);
            std::fs::remove_file(path)?
        }
        DiskRequest::Read { path } => return std::fs::read(path).map(Some),
        DiskRequest::Replace { path, bytes } => {
            files.forget(&path);
            replace(&path, &bytes)?
        }
        DiskRequest::Append { path, bytes } => append_to(&path, &bytes)?,
        DiskRequest::SyncFile { path } => files.sync_data(path)?,
        DiskRequest::CreateDir { path } => std::fs::create_dir_all(path)?,
    }
    Ok(None)
}

/// Appends `bytes` to the file at `path`, creating it if missing.
pub fn append_to(path: &str, bytes: &[u8]) -> std::io::Result<()> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(bytes)
}

/// The append-only file's writes, done at once on the event loop (a write to the page cache
/// takes microseconds; its fsync goes to the disk thread). The last file written stays open.
#[derive(Default)]
pub struct Appender {
    open: Option<(String, File)>,
}

impl Appender {
    pub fn append(&mut self, path: &str, bytes: &[u8]) -> Result<(), String> {
        let file = match &mut self.open {
            Some((open, file)) if open == path => file,
            _ => {
                let file = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|error| error_text(&error))?;
                &mut self.open.insert((path.to_string(), file)).1
            }
        };
        file.write_all(bytes).map_err(|error| error_text(&error))
    }
}

/// Writes `bytes` to a temporary file beside `path`, fsyncs it, renames it over `path` and
/// fsyncs the directory: `path` holds either all the old bytes or all the new ones.
fn replace(path: &str, bytes: &[u8]) -> std::io::Result<()> {
    let temp = format!("{path}.tmp-{}", std::process::id());
    let written = (|| {
        let mut file = File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written?;
    let dir = match std::path::Path::new(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    File::open(dir)?.sync_all()
}
