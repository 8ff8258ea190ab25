//! Loading the append-only file at start: the manifest, then each file's bytes in chunks (a
//! base read whole), replayed on a connection of the server's own that nothing refuses.

use super::Server;
use crate::aof::manifest::Manifest;
use crate::aof::reader::{Reader, Tail};
use crate::clients::ConnectionId;
use crate::output::LogLevel;
use crate::persistence::join;
use crate::protocol::resp::Args;
use crate::reply::Reply;
use crate::server::persistence::LoadError;
use crate::time::Now;

/// A file being loaded at start.
pub(crate) struct Loading {
    id: ConnectionId,
    name: String,
    reader: Reader,
    /// An RDB base is read whole, then loaded.
    rdb: Option<Vec<u8>>,
    /// Reply bytes of the replayed commands, dropped after each.
    scratch: Vec<u8>,
    /// An unknown command, and where it is.
    error: Option<(u64, String)>,
    /// Where the transaction the loading connection is in began.
    transaction_from: Option<u64>,
    /// Commands replayed so far from this file.
    commands: u64,
}

impl Server {
    /// The manifest the driver found at start (`None`: there is none): the paths of the files
    /// to load, in order, when `appendonly` is on; none otherwise.
    pub fn aof_manifest(&mut self, bytes: Option<&[u8]>) -> Result<Vec<String>, String> {
        let manifest = match bytes {
            None => Manifest::default(),
            Some(bytes) => Manifest::parse(bytes).map_err(|error| match error.line {
                0 => error.message.to_string(),
                line => format!("{} (in the AOF manifest, at line {line})", error.message),
            })?,
        };
        let dir = self.state.config.aof_dir();
        let files = match self.state.config.appendonly {
            true => manifest
                .load_order()
                .map(|info| join(&dir, &info.name))
                .collect(),
            false => Vec::new(),
        };
        self.state.aof.manifest = manifest;
        Ok(files)
    }

    /// Loading begins for the next file the manifest named.
    pub fn aof_load_begin(&mut self, now: Now, path: &str) {
        self.observe(now);
        let id = self.admit(now, "aof-loading", crate::Door::Resp);
        self.with_connection(id, |connection| {
            connection.authenticated = true;
            connection.replaying = true;
        });
        self.keyspace.set_loading(true);
        let name = path.rsplit('/').next().unwrap_or(path).to_string();
        // A base is read whole: an RDB file, commands, or (Redis 6's single file, taken as
        // the base) an RDB preamble and commands after it.
        let is_base = self.is_aof_base(&name);
        let rdb = (is_base || name.ends_with(".rdb")).then(Vec::new);
        self.loading = Some(Box::new(Loading {
            id,
            name,
            reader: Reader::new(),
            rdb,
            scratch: Vec::new(),
            error: None,
            transaction_from: None,
            commands: 0,
        }));
    }

    /// Commands replayed so far from the file being loaded (the driver paces loading by them
    /// under `key-load-delay`).
    pub fn aof_commands_loaded(&self) -> u64 {
        self.loading.as_ref().map_or(0, |loading| loading.commands)
    }

    /// The next bytes of the file being loaded: its commands run as they come.
    pub fn aof_load_chunk(&mut self, now: Now, chunk: &[u8]) -> Result<(), LoadError> {
        self.observe(now);
        let Some(mut loading) = self.loading.take() else {
            return Ok(());
        };
        self.state.aof.current_bytes += chunk.len() as u64;
        if let Some(rdb) = loading.rdb.as_mut() {
            rdb.extend_from_slice(chunk);
            self.loading = Some(loading);
            return Ok(());
        }
        let result = self.run_loaded_commands(&mut loading, chunk);
        self.loading = Some(loading);
        result
    }

    /// Runs the whole commands in the next bytes of the file being loaded.
    fn run_loaded_commands(
        &mut self,
        loading: &mut Loading,
        chunk: &[u8],
    ) -> Result<(), LoadError> {
        let Loading {
            id,
            reader,
            scratch,
            error,
            transaction_from,
            commands,
            ..
        } = loading;
        let fed = reader.feed(chunk, |bytes, ranges, offset| {
            if error.is_some() {
                return;
            }
            let args = Args::from_ranges(bytes, ranges);
            if crate::command::lookup(args.get(0).unwrap_or_default()).is_none() {
                *error = Some((
                    offset,
                    format!(
                        "Unknown command '{}' reading the append only file",
                        String::from_utf8_lossy(args.get(0).unwrap_or_default())
                    ),
                ));
                return;
            }
            let mut out = Reply {
                out: scratch,
                resp3: false,
                book: false,
            };
            self.execute(*id, args, &mut out, crate::Door::Resp, None);
            self.deliver_effects(Some((*id, scratch)));
            scratch.clear();
            *commands += 1;
            // Where the transaction the connection is in began, if it is in one now.
            let open = self
                .clients
                .get(*id)
                .is_some_and(|connection| connection.transaction.is_some());
            match (open, *transaction_from) {
                (true, None) => *transaction_from = Some(offset),
                (false, Some(_)) => *transaction_from = None,
                _ => {}
            }
        });
        let result = match (fed, loading.error.take()) {
            (_, Some((offset, message))) => Err(LoadError {
                offset: offset as usize,
                message,
            }),
            (Err(bad), None) => Err(LoadError {
                offset: bad.offset as usize,
                message: format!(
                    "Bad file format reading the append only file {}: make a backup of your \
                     AOF file, then use ./ferrodis-check-aof --fix <filename.manifest>",
                    loading.name
                ),
            }),
            (Ok(()), None) => Ok(()),
        };
        result
    }

    /// Whether the manifest names `name` as the base.
    fn is_aof_base(&self, name: &str) -> bool {
        let base = self.state.aof.manifest.base.as_ref();
        base.is_some_and(|base| base.name == name)
    }

    /// A file read whole: an RDB file, commands, or an RDB preamble and commands after it
    /// (Redis 6's single file). True when it held no commands.
    fn load_base(
        &mut self,
        now: Now,
        loading: &mut Loading,
        bytes: &[u8],
        is_base: bool,
    ) -> Result<bool, LoadError> {
        if is_base {
            self.state.aof.base_bytes = bytes.len() as u64;
        }
        let rdb = loading.name.ends_with(".rdb") || bytes.starts_with(b"REDIS");
        let length = match rdb {
            true => self.load_rdb_file(now, bytes, true)?.length,
            false => 0,
        };
        if length == bytes.len() {
            return Ok(true);
        }
        loading.reader = Reader::starting_at(length as u64);
        self.run_loaded_commands(loading, &bytes[length..])?;
        Ok(false)
    }

    /// The file ended. A last command cut off (or zeros where one should be) at the end of the
    /// last file is dropped when `aof-load-truncated` allows it: the driver then truncates the
    /// file to `Tail::Truncated`'s length. Anywhere else it stops the start.
    pub fn aof_load_end(&mut self, now: Now, last: bool) -> Result<Tail, LoadError> {
        self.observe(now);
        let Some(mut loading) = self.loading.take() else {
            return Ok(Tail::Whole);
        };
        let is_base = self.is_aof_base(&loading.name);
        let rdb_only = match loading.rdb.take() {
            Some(bytes) => self.load_base(now, &mut loading, &bytes, is_base),
            None => Ok(false),
        };
        self.connection_closed(now, loading.id);
        self.keyspace.set_loading(self.state.loading_dataset);
        if rdb_only? {
            return Ok(Tail::Whole);
        }
        let tail = loading.reader.finish_with(loading.transaction_from);
        if let Tail::Truncated { valid } = tail {
            let name = &loading.name;
            if !last {
                return Err(LoadError {
                    offset: valid as usize,
                    message: format!("Fatal error: the truncated file {name} is not the last file"),
                });
            }
            if !self.state.config.aof_load_truncated {
                return Err(LoadError {
                    offset: valid as usize,
                    message: format!(
                        "Unexpected end of file reading the append only file {name}. You can: \
                         1) Make a backup of your AOF file, then use ./ferrodis-check-aof --fix \
                         <filename.manifest>. 2) Alternatively you can set the \
                         'aof-load-truncated' configuration option to yes and restart the server."
                    ),
                });
            }
            self.log(
                LogLevel::Warning,
                format!(
                    "!!! Warning: short read while loading the AOF file {name}!!! AOF loaded \
                     anyway because aof-load-truncated is enabled: the file is truncated to its \
                     last whole command, at byte {valid}"
                ),
            );
        }
        if is_base {
            self.state.aof.base_bytes = self.state.aof.current_bytes;
        }
        Ok(tail)
    }
}
