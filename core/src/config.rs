//! The server's settings. Names follow redis.conf; units are in the field names.

/// Everything the core needs to know that is not a command. The driver builds it from flags and
/// the config file; the simulator draws it from its seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Seeds the keyed hash of every hashtable (no hash flooding) and the core's random choices
    /// (RANDOMKEY). Same seed, same calls, same bytes out.
    pub seed: u64,
    /// `maxclients`: connections beyond this are refused with an error.
    pub clients_max: usize,
    /// `timeout`: close a client idle for this many seconds; 0 disables it (as Redis).
    pub idle_timeout_secs: u64,
    /// `requirepass`: when set, clients must AUTH before anything but AUTH, HELLO, QUIT and RESET.
    pub requirepass: Option<Vec<u8>>,
    /// `user` lines: each a user name and its ACL rules, applied at start after
    /// `requirepass`.
    pub users: Vec<String>,
    /// `aclfile`: where ACL LOAD and ACL SAVE read and write users (and where they are loaded
    /// from at start).
    pub aclfile: Option<String>,
    /// `acl-pubsub-default`: whether new users may use every channel (`allchannels`) or none
    /// (`resetchannels`, the default).
    pub acl_pubsub_default_all: bool,
    /// `repl-backlog-size`: a setting only (there is no replication).
    pub repl_backlog_bytes: usize,
    /// `databases`: number of keyspaces (SELECT 0..n-1).
    pub databases: usize,
    /// `proto-max-bulk-len`: longest bulk string a request may carry, and longest string value.
    pub bulk_bytes_max: usize,
    /// `client-query-buffer-limit`: a client whose unprocessed input grows past this is closed.
    pub query_buffer_bytes_max: usize,
    /// `client-output-buffer-limit normal <hard> <soft> <seconds>`; 0 disables a limit (Redis's
    /// default for normal clients is `0 0 0`).
    pub output_buffer_hard_bytes: usize,
    pub output_buffer_soft_bytes: usize,
    pub output_buffer_soft_secs: u64,
    /// `client-output-buffer-limit pubsub ...`: the limits of a connection subscribed to
    /// anything (Redis's default `32mb 8mb 60`).
    pub pubsub_output_limit: OutputLimit,
    /// `client-output-buffer-limit replica ...` (Redis's default `256mb 64mb 60`). MONITOR
    /// connections are held to it too: Redis counts them as normal clients, whose default limit
    /// is none, so a monitor that stops reading would grow without bound.
    pub replica_output_limit: OutputLimit,
    /// `tracking-table-max-keys`: at most this many keys in the client-side caching table
    /// (0: no limit).
    pub tracking_table_keys_max: usize,
    /// `notify-keyspace-events`: which keyspace notifications to publish (see `notify`).
    pub notify_keyspace_events: u16,
    /// `hz`: how many times a second the cron runs (idle checks, active rehashing).
    pub hz: u32,
    /// The listening port, reported by INFO and CONFIG GET port (the driver owns the socket).
    pub port: u16,
    /// The server process's id, reported by INFO (the driver knows it; the simulator says 0).
    pub process_id: u32,
    /// What INFO server reports of the machine and the process, as the driver knows it.
    pub host: Host,
    /// `bind`, reported by CONFIG GET bind.
    pub bind: String,
    /// `loglevel`, reported by CONFIG GET loglevel (the driver does the logging).
    pub loglevel: String,
    /// `hash-max-listpack-entries` / `-value`: a hash with more fields, or a longer field or
    /// value, leaves its packed encoding.
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    /// `set-max-intset-entries`: a set of integers with more members leaves its intset.
    pub set_max_intset_entries: usize,
    /// `zset-max-listpack-entries` / `-value`: a sorted set with more members, or a longer
    /// member, leaves its packed encoding.
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    /// `rdbcompression`: strings in RDB files and DUMP payloads are LZF-compressed where that
    /// saves room.
    pub rdb_compression: bool,
    /// `rdbchecksum`: RDB files end with a CRC64 of their contents (zero when off, which
    /// loading then does not check).
    pub rdb_checksum: bool,
    /// `rdb-save-incremental-fsync` (and `aof-rewrite-incremental-fsync` for the append-only
    /// file's base): a background save fsyncs its file every few megabytes as it writes, so
    /// that no one fsync at the end has the whole file to write out.
    pub rdb_save_incremental_fsync: bool,
    /// `dir`: where RDB files are written and read.
    pub dir: String,
    /// `dbfilename`: the RDB file's name in `dir`.
    pub dbfilename: String,
    /// `save`: when to save in the background; none saves only when asked.
    pub save_points: Vec<crate::persistence::SavePoint>,
    /// `stop-writes-on-bgsave-error`: refuse writes (MISCONF) while the last save failed and
    /// save points are set.
    pub stop_writes_on_bgsave_error: bool,
    /// `list-max-listpack-size`: how big a list's blocks grow; positive is a number of
    /// elements, -1 to -5 a size of 4 to 64 KiB (see `store::list::BlockLimit`).
    pub list_max_listpack_size: i64,
    /// `list-compress-depth`: accepted and reported; blocks are not compressed.
    pub list_compress_depth: i64,
    /// `hll-sparse-max-bytes`: a sparse HyperLogLog (header included) that would grow past
    /// this turns dense.
    pub hll_sparse_bytes_max: usize,
    /// `busy-reply-threshold` (alias `lua-time-limit`), in milliseconds as Redis names it, but
    /// counted in Lua instructions (`script::INSTRUCTIONS_PER_MILLI` to the millisecond): past
    /// it a script is suspended between slices and others get `-BUSY` until it ends.
    pub busy_reply_threshold_ms: u64,
    /// `slowlog-log-slower-than`: commands that take at least this many microseconds go to
    /// the slow log; negative logs nothing, 0 logs everything.
    pub slowlog_log_slower_than: i64,
    /// `slowlog-max-len`: the slow log keeps this many entries, the newest.
    pub slowlog_max_len: usize,
    /// `latency-monitor-threshold`: events that take at least this many milliseconds are
    /// sampled for LATENCY; 0 samples nothing.
    pub latency_monitor_threshold_ms: u64,
    /// `latency-tracking`: each command's durations are kept for INFO latencystats and
    /// LATENCY HISTOGRAM.
    pub latency_tracking: bool,
    /// `latency-tracking-info-percentiles`: which percentiles INFO latencystats shows.
    pub latency_tracking_percentiles: Vec<f64>,
    /// The Lua heap's limit in bytes: past it a script's allocation fails with an error.
    pub script_memory_bytes_max: usize,
    /// `min-replicas-to-write` and `min-replicas-max-lag` (seconds): with both above 0, writes
    /// need that many replicas; ferrodis has none, so writes are then refused with
    /// `-NOREPLICAS`, as Redis refuses them when its replicas are gone.
    pub min_replicas_to_write: u32,
    pub min_replicas_max_lag_secs: u32,
    /// The most clients the driver's open-files limit leaves room for: CONFIG SET
    /// `maxclients` refuses more (the driver sets it at start).
    pub clients_max_ceiling: usize,
    /// `tcp-backlog`: the listening sockets' backlog (the driver listens).
    pub tcp_backlog: u32,
    /// `protected-mode`: with no password set, only clients on the loopback interface are
    /// served; others get `-DENIED` and are closed.
    pub protected_mode: bool,
    /// `enable-debug-command`: who may run DEBUG.
    pub enable_debug_command: Allowed,
    /// `enable-protected-configs`: who may CONFIG SET `dir` and `dbfilename`.
    pub enable_protected_configs: Allowed,
    /// `acllog-max-len`: ACL LOG keeps at most this many entries.
    pub acllog_max_len: usize,
    /// `maxmemory`: past this many bytes of used memory (as the driver measures it), keys are
    /// evicted as `maxmemory_policy` says, or writes refused; 0 is no limit.
    pub maxmemory_bytes: u64,
    /// `key-load-delay` (hidden, for tests of loading): microseconds the driver waits after each
    /// command it loads from the append-only file; a negative -N waits 1 µs every N commands.
    pub key_load_delay_us: i64,
    /// `maxmemory-clients`: how much the clients' buffers may hold together before the
    /// biggest clients are closed.
    pub maxmemory_clients: ClientsMemory,
    /// `maxmemory-policy`: which keys go when memory is over the limit.
    pub maxmemory_policy: EvictionPolicy,
    /// `maxmemory-samples`: keys drawn from each database per eviction round.
    pub maxmemory_samples: u32,
    /// `maxmemory-eviction-tenacity` (0..=100): how much eviction one command may do before it
    /// lets the command run and leaves the rest to the timer, counted in keys (see
    /// `eviction::keys_per_call`); 100 is no bound.
    pub maxmemory_eviction_tenacity: u32,
    /// `lfu-log-factor` and `lfu-decay-time` (minutes): see store/access.rs.
    pub lfu_log_factor: u32,
    pub lfu_decay_time_mins: u32,
    /// `lazyfree-lazy-eviction`: every evicted value is freed off the event loop (otherwise
    /// only the big ones are, as every removal does).
    pub lazyfree_lazy_eviction: bool,
    /// `appendonly`: every change is appended to the files under `appenddirname` (see aof/).
    pub appendonly: bool,
    /// `appendfsync`: when appended bytes are made durable.
    pub appendfsync: crate::aof::Fsync,
    /// `appendfilename`: the prefix of the append-only files' names.
    pub appendfilename: String,
    /// `appenddirname`: the directory under `dir` that holds them.
    pub appenddirname: String,
    /// `aof-load-truncated`: a last command cut off at the end of the last file is dropped
    /// with a warning (otherwise the start stops).
    pub aof_load_truncated: bool,
    /// `aof-use-rdb-preamble`: the base file is an RDB file (else commands).
    pub aof_use_rdb_preamble: bool,
    /// `auto-aof-rewrite-percentage` and `-min-size`: rewrite once the files grew by this much
    /// over the last base and are at least this big.
    pub auto_aof_rewrite_percentage: u64,
    pub auto_aof_rewrite_min_size: u64,
    /// `aof-rewrite-incremental-fsync`: see `rdb_save_incremental_fsync`.
    pub aof_rewrite_incremental_fsync: bool,
    /// `no-appendfsync-on-rewrite`, `aof-timestamp-enabled`: accepted and reported.
    pub no_appendfsync_on_rewrite: bool,
    pub aof_timestamp_enabled: bool,
    /// A fault planted on purpose, set by no parameter: under `always`, replies go out once
    /// their changes are written, before the fsync. The simulator's self-check sets it and
    /// must then find writes lost in a crash.
    pub aof_release_before_fsync: bool,
    /// Another planted fault: an fsync of the append-only file that fails is taken as done
    /// (the page cache is trusted), so that the simulator's disk oracle can be seen to fail.
    pub aof_trust_failed_fsync: bool,
    /// Another: `everysec` fsyncs every 2.5 s instead of every second, so that the
    /// simulator's cadence check can be seen to fail.
    pub aof_late_everysec: bool,
}

/// `maxmemory-clients`: a number of bytes, or a percentage of `maxmemory`; 0 (either way) is
/// no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientsMemory {
    Bytes(u64),
    Percent(u32),
}

/// The least `maxmemory-clients` holds clients to (Redis's floor): a tiny setting still lets
/// an operator connect and fix it.
const CLIENTS_MEMORY_MIN: u64 = 128 * 1024;

impl Config {
    /// The bytes the clients may hold together before the biggest are closed, if limited.
    pub(crate) fn clients_memory_limit(&self) -> Option<u64> {
        let bytes = match self.maxmemory_clients {
            ClientsMemory::Bytes(bytes) => bytes,
            ClientsMemory::Percent(percent) => {
                (u128::from(self.maxmemory_bytes) * u128::from(percent) / 100) as u64
            }
        };
        (bytes > 0).then_some(bytes.max(CLIENTS_MEMORY_MIN))
    }
}

/// `maxmemory-policy`: Redis 7.0's eight policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvictionPolicy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    NoEviction,
}

/// How a policy ranks the keys it may evict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranking {
    /// Least recently used first.
    Lru,
    /// Least frequently used first.
    Lfu,
    /// Any, drawn at random.
    Random,
    /// Nearest deadline first.
    Ttl,
}

impl EvictionPolicy {
    pub const ALL: [EvictionPolicy; 8] = [
        EvictionPolicy::VolatileLru,
        EvictionPolicy::VolatileLfu,
        EvictionPolicy::VolatileRandom,
        EvictionPolicy::VolatileTtl,
        EvictionPolicy::AllkeysLru,
        EvictionPolicy::AllkeysLfu,
        EvictionPolicy::AllkeysRandom,
        EvictionPolicy::NoEviction,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EvictionPolicy::VolatileLru => "volatile-lru",
            EvictionPolicy::VolatileLfu => "volatile-lfu",
            EvictionPolicy::VolatileRandom => "volatile-random",
            EvictionPolicy::VolatileTtl => "volatile-ttl",
            EvictionPolicy::AllkeysLru => "allkeys-lru",
            EvictionPolicy::AllkeysLfu => "allkeys-lfu",
            EvictionPolicy::AllkeysRandom => "allkeys-random",
            EvictionPolicy::NoEviction => "noeviction",
        }
    }

    pub fn parse(text: &str) -> Option<EvictionPolicy> {
        EvictionPolicy::ALL
            .into_iter()
            .find(|policy| text.eq_ignore_ascii_case(policy.name()))
    }

    /// Only keys with a TTL may be evicted.
    pub fn volatile(self) -> bool {
        matches!(
            self,
            EvictionPolicy::VolatileLru
                | EvictionPolicy::VolatileLfu
                | EvictionPolicy::VolatileRandom
                | EvictionPolicy::VolatileTtl
        )
    }

    /// How victims are chosen; None for `noeviction`.
    pub fn ranking(self) -> Option<Ranking> {
        match self {
            EvictionPolicy::VolatileLru | EvictionPolicy::AllkeysLru => Some(Ranking::Lru),
            EvictionPolicy::VolatileLfu | EvictionPolicy::AllkeysLfu => Some(Ranking::Lfu),
            EvictionPolicy::VolatileRandom | EvictionPolicy::AllkeysRandom => Some(Ranking::Random),
            EvictionPolicy::VolatileTtl => Some(Ranking::Ttl),
            EvictionPolicy::NoEviction => None,
        }
    }
}

/// Who may take a protected action (`enable-debug-command`, `enable-protected-configs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    No,
    /// Clients on the loopback interface.
    Local,
    Yes,
}

impl Allowed {
    pub(crate) fn allows(self, local: bool) -> bool {
        match self {
            Allowed::No => false,
            Allowed::Local => local,
            Allowed::Yes => true,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Allowed::No => "no",
            Allowed::Local => "local",
            Allowed::Yes => "yes",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Allowed> {
        [Allowed::No, Allowed::Yes, Allowed::Local]
            .into_iter()
            .find(|allowed| text.eq_ignore_ascii_case(allowed.name()))
    }
}

/// Whether a client's address (`ip:port`, as the driver reports it) is the loopback
/// interface's, as Redis judges it: exactly 127.0.0.1 or ::1.
pub(crate) fn is_local_peer(peer: &str) -> bool {
    let ip = match peer.rsplit_once(':') {
        Some((ip, _port)) => ip,
        None => peer,
    };
    matches!(ip, "127.0.0.1" | "[::1]")
}

impl Default for Config {
    fn default() -> Config {
        Config {
            seed: 0,
            clients_max: 10_000,
            idle_timeout_secs: 0,
            requirepass: None,
            users: Vec::new(),
            aclfile: None,
            acl_pubsub_default_all: false,
            repl_backlog_bytes: 1 << 20,
            databases: 16,
            bulk_bytes_max: 512 * 1024 * 1024,
            query_buffer_bytes_max: 1024 * 1024 * 1024,
            output_buffer_hard_bytes: 0,
            output_buffer_soft_bytes: 0,
            output_buffer_soft_secs: 0,
            pubsub_output_limit: OutputLimit {
                hard_bytes: 32 * 1024 * 1024,
                soft_bytes: 8 * 1024 * 1024,
                soft_secs: 60,
            },
            replica_output_limit: OutputLimit {
                hard_bytes: 256 * 1024 * 1024,
                soft_bytes: 64 * 1024 * 1024,
                soft_secs: 60,
            },
            tracking_table_keys_max: crate::tracking::TABLE_KEYS_MAX_DEFAULT,
            notify_keyspace_events: 0,
            hz: 10,
            port: 6379,
            process_id: 0,
            host: Host::default(),
            bind: "127.0.0.1".to_string(),
            loglevel: "notice".to_string(),
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            rdb_compression: true,
            rdb_checksum: true,
            rdb_save_incremental_fsync: true,
            dir: ".".to_string(),
            dbfilename: "dump.rdb".to_string(),
            save_points: crate::persistence::DEFAULT_SAVE_POINTS.to_vec(),
            stop_writes_on_bgsave_error: true,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            hll_sparse_bytes_max: 3000,
            busy_reply_threshold_ms: 5000,
            slowlog_log_slower_than: 10_000,
            slowlog_max_len: 128,
            latency_monitor_threshold_ms: 0,
            latency_tracking: true,
            latency_tracking_percentiles: vec![50.0, 99.0, 99.9],
            script_memory_bytes_max: 256 * 1024 * 1024,
            min_replicas_to_write: 0,
            min_replicas_max_lag_secs: 10,
            clients_max_ceiling: usize::MAX,
            tcp_backlog: 511,
            protected_mode: true,
            enable_debug_command: Allowed::No,
            enable_protected_configs: Allowed::No,
            acllog_max_len: 128,
            maxmemory_bytes: 0,
            key_load_delay_us: 0,
            maxmemory_clients: ClientsMemory::Bytes(0),
            maxmemory_policy: EvictionPolicy::NoEviction,
            maxmemory_samples: 5,
            maxmemory_eviction_tenacity: 10,
            lfu_log_factor: 10,
            lfu_decay_time_mins: 1,
            lazyfree_lazy_eviction: false,
            appendonly: false,
            appendfsync: crate::aof::Fsync::EverySec,
            appendfilename: "appendonly.aof".to_string(),
            appenddirname: "appendonlydir".to_string(),
            aof_load_truncated: true,
            aof_use_rdb_preamble: true,
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 * 1024 * 1024,
            no_appendfsync_on_rewrite: false,
            aof_rewrite_incremental_fsync: true,
            aof_timestamp_enabled: false,
            aof_release_before_fsync: false,
            aof_trust_failed_fsync: false,
            aof_late_everysec: false,
        }
    }
}

impl Config {
    /// Whether lines of `level` reach the log under `loglevel`.
    pub(crate) fn loglevel_at_most(&self, level: crate::output::LogLevel) -> bool {
        use crate::output::LogLevel;
        let configured = match self.loglevel.as_str() {
            "debug" => LogLevel::Debug,
            "verbose" => LogLevel::Verbose,
            "notice" => LogLevel::Notice,
            _ => LogLevel::Warning,
        };
        configured <= level
    }

    /// The directory of the append-only files: `appenddirname` under `dir`.
    pub fn aof_dir(&self) -> String {
        crate::persistence::join(&self.dir, &self.appenddirname)
    }

    /// Where the ACL file is: `aclfile` as given when absolute, else under `dir` (Redis runs
    /// in `dir`).
    pub fn acl_file_path(&self) -> Option<String> {
        let file = self.aclfile.as_deref()?;
        if file.starts_with('/') || self.dir.is_empty() {
            return Some(file.to_string());
        }
        let separator = if self.dir.ends_with('/') { "" } else { "/" };
        Some(format!("{}{separator}{file}", self.dir))
    }

    /// How keys' access clocks are kept under the memory policy (store/access.rs).
    pub fn access_mode(&self) -> crate::store::access::Mode {
        match self.maxmemory_policy.ranking() {
            Some(Ranking::Lfu) => crate::store::access::Mode::Lfu {
                log_factor: self.lfu_log_factor,
                decay_minutes: self.lfu_decay_time_mins,
            },
            _ => crate::store::access::Mode::Lru,
        }
    }

    /// When a small hash leaves its packed encoding.
    pub fn hash_limits(&self) -> crate::store::hash::PackedLimits {
        crate::store::hash::PackedLimits {
            entries: self.hash_max_listpack_entries,
            value_bytes: self.hash_max_listpack_value,
        }
    }

    /// When a small sorted set leaves its packed encoding.
    pub fn zset_limits(&self) -> crate::store::hash::PackedLimits {
        crate::store::hash::PackedLimits {
            entries: self.zset_max_listpack_entries,
            value_bytes: self.zset_max_listpack_value,
        }
    }
}

/// One class of `client-output-buffer-limit`: a connection whose pending replies reach
/// `hard_bytes`, or stay at `soft_bytes` or more for over `soft_secs` seconds, is closed; 0
/// turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLimit {
    pub hard_bytes: usize,
    pub soft_bytes: usize,
    pub soft_secs: u64,
}

impl OutputLimit {
    /// `pending` bytes of replies reach the hard limit: Redis closes a client whose output
    /// uses as much as the limit, not only more.
    pub fn hard_reached(&self, pending: usize) -> bool {
        self.hard_bytes > 0 && pending >= self.hard_bytes
    }

    /// `pending` bytes of replies reach the soft limit (the same edge as the hard one).
    pub fn soft_reached(&self, pending: usize) -> bool {
        self.soft_bytes > 0 && pending >= self.soft_bytes
    }
}

/// Which class of `client-output-buffer-limit` holds a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputClass {
    Normal,
    /// Subscribed to a channel, pattern or shard channel.
    Pubsub,
    /// In MONITOR mode.
    Replica,
}

impl Config {
    /// The output limits of a class of connections.
    pub(crate) fn output_limit(&self, class: OutputClass) -> OutputLimit {
        match class {
            OutputClass::Normal => OutputLimit {
                hard_bytes: self.output_buffer_hard_bytes,
                soft_bytes: self.output_buffer_soft_bytes,
                soft_secs: self.output_buffer_soft_secs,
            },
            OutputClass::Pubsub => self.pubsub_output_limit,
            OutputClass::Replica => self.replica_output_limit,
        }
    }
}

impl Config {
    /// Whether `min-replicas-to-write` refuses writes now (there are no replicas).
    pub(crate) fn writes_need_replicas(&self) -> bool {
        self.min_replicas_to_write > 0 && self.min_replicas_max_lag_secs > 0
    }
}

/// The machine and the process as the driver sees them, for INFO server and memory (the
/// simulator leaves them empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Host {
    /// `Linux 6.1.0 x86_64`.
    pub os: String,
    /// The server's binary, as started.
    pub executable: String,
    /// The config file given at start, absolute; empty without one.
    pub config_file: String,
    /// The machine's memory in bytes.
    pub total_memory_bytes: u64,
}
