//! The command table: one row per command, sorted by name for binary search.

use super::{
    acl, bitfield, bits, blocking, config, connection, control, dump, expire, functions, geo,
    geo_search, hash, hyperloglog, info, introspection, keys, lcs, list, memory, pubsub, scripting,
    server, set, sort, strings, transaction, zrange, zset, zsetops, ArgCursor, CommandResult, Ctx,
};

use crate::acl::category::{self as cat, Categories};
use crate::acl::KeyAccess;
use crate::protocol::resp::Args;

/// Command flags, as COMMAND INFO reports them (a subset of Redis's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flags(u32);

impl Flags {
    pub(crate) const WRITE: Flags = Flags(1);
    pub(crate) const READONLY: Flags = Flags(1 << 1);
    pub(crate) const FAST: Flags = Flags(1 << 2);
    /// Allowed before AUTH when `requirepass` is set.
    pub(crate) const NO_AUTH: Flags = Flags(1 << 3);
    pub(crate) const ADMIN: Flags = Flags(1 << 4);
    pub(crate) const DENYOOM: Flags = Flags(1 << 5);
    pub(crate) const LOADING: Flags = Flags(1 << 6);
    pub(crate) const STALE: Flags = Flags(1 << 7);
    /// Refused between MULTI and EXEC.
    pub(crate) const NO_MULTI: Flags = Flags(1 << 8);
    /// Runs at once between MULTI and EXEC instead of being queued (MULTI, EXEC, DISCARD,
    /// WATCH, QUIT, RESET: Redis names them in `processCommand`). Not a Redis flag, so COMMAND
    /// INFO does not list it.
    pub(crate) const NOT_QUEUED: Flags = Flags(1 << 9);
    /// Which arguments are keys depends on the others (SORT's STORE): COMMAND INFO's key
    /// positions name only the fixed ones. Redis lists it after every other flag.
    pub(crate) const MOVABLE_KEYS: Flags = Flags(1 << 10);
    /// May wait for a key (BLPOP and friends).
    pub(crate) const BLOCKING: Flags = Flags(1 << 11);
    pub(crate) const PUBSUB: Flags = Flags(1 << 12);
    /// Runs on a RESP2 connection that is subscribed to something (SUBSCRIBE and the like,
    /// PING, QUIT, RESET); every other command is refused there. Not a Redis flag.
    pub(crate) const PUBSUB_CONTEXT: Flags = Flags(1 << 13);
    /// Writes nothing to the keyspace but would go to replicas (PUBLISH): CLIENT PAUSE WRITE
    /// holds it back. Redis hides it from COMMAND INFO.
    pub(crate) const MAY_REPLICATE: Flags = Flags(1 << 14);
    /// Refused to scripts (`redis.call`).
    pub(crate) const NOSCRIPT: Flags = Flags(1 << 15);
    /// Runs while a script is past its busy threshold; everything else gets `-BUSY`.
    pub(crate) const ALLOW_BUSY: Flags = Flags(1 << 16);
    /// Runs only as `enable-debug-command` allows (DEBUG). Redis does not list it in COMMAND
    /// INFO.
    pub(crate) const PROTECTED: Flags = Flags(1 << 17);
    /// Not logged to the slow log (EXEC: the commands it runs are).
    pub(crate) const SKIP_SLOWLOG: Flags = Flags(1 << 18);
    /// Shown to MONITOR before it runs rather than after (EVAL, FCALL: before the commands
    /// the script runs).
    pub(crate) const SKIP_MONITOR: Flags = Flags(1 << 19);
    /// Not run while a replica loads its data asynchronously (SAVE, REPLICAOF, CLUSTER MEET):
    /// shown in COMMAND INFO as Redis shows it.
    pub(crate) const NO_ASYNC_LOADING: Flags = Flags(1 << 20);
    pub(crate) const NONE: Flags = Flags(0);

    const NAMES: [(Flags, &'static str); 17] = [
        (Flags::WRITE, "write"),
        (Flags::READONLY, "readonly"),
        (Flags::DENYOOM, "denyoom"),
        (Flags::ADMIN, "admin"),
        (Flags::NO_AUTH, "no_auth"),
        (Flags::LOADING, "loading"),
        (Flags::STALE, "stale"),
        (Flags::SKIP_MONITOR, "skip_monitor"),
        (Flags::SKIP_SLOWLOG, "skip_slowlog"),
        (Flags::NO_ASYNC_LOADING, "no_async_loading"),
        (Flags::NO_MULTI, "no_multi"),
        (Flags::ALLOW_BUSY, "allow_busy"),
        (Flags::PUBSUB, "pubsub"),
        (Flags::NOSCRIPT, "noscript"),
        (Flags::BLOCKING, "blocking"),
        (Flags::FAST, "fast"),
        (Flags::MOVABLE_KEYS, "movablekeys"),
    ];

    pub(crate) const fn or(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    pub(crate) const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any of `other`'s flags is set.
    pub(crate) const fn intersects(self, other: Flags) -> bool {
        self.0 & other.0 != 0
    }

    pub(crate) fn names(self) -> impl Iterator<Item = &'static str> {
        Flags::NAMES
            .into_iter()
            .filter(move |(flag, _)| self.contains(*flag))
            .map(|(_, name)| name)
    }
}

const W: Flags = Flags::WRITE;
const R: Flags = Flags::READONLY;
const WD: Flags = Flags::WRITE.or(Flags::DENYOOM);
const WF: Flags = Flags::WRITE.or(Flags::FAST);
const WDF: Flags = WD.or(Flags::FAST);
const RF: Flags = Flags::READONLY.or(Flags::FAST);
const F: Flags = Flags::FAST;
const CONN: Flags = Flags::NO_AUTH
    .or(Flags::FAST)
    .or(Flags::LOADING)
    .or(Flags::STALE);
const ADMIN: Flags = Flags::ADMIN.or(Flags::LOADING).or(Flags::STALE);
/// READONLY and READWRITE.
const CONN_CLUSTER: Flags = F.or(Flags::LOADING).or(Flags::STALE);
/// MULTI, EXEC, DISCARD, WATCH, UNWATCH.
const TRANSACTION: Flags = Flags::LOADING.or(Flags::STALE);
const NOT_QUEUED: Flags = Flags::NOT_QUEUED;
/// Refused to scripts.
const NS: Flags = Flags::NOSCRIPT;
/// Runs while a script is busy.
const AB: Flags = Flags::ALLOW_BUSY;
const BLOCKING: Flags = Flags::BLOCKING;
/// PUBSUB.
const PUBSUB_INFO: Flags = Flags::PUBSUB
    .or(Flags::LOADING)
    .or(Flags::STALE)
    .or(Flags::FAST);
/// PUBLISH, SPUBLISH.
const PUBLISHER: Flags = PUBSUB_INFO.or(Flags::MAY_REPLICATE);
/// SUBSCRIBE and friends.
const SUBSCRIBER: Flags = Flags::PUBSUB
    .or(Flags::LOADING)
    .or(Flags::STALE)
    .or(Flags::PUBSUB_CONTEXT);

pub(crate) type Handler = fn(&mut Ctx<'_, '_>, &mut ArgCursor<'_>) -> CommandResult;

/// For a command whose keys move with its options (SORT's STORE): the positions of its keys in
/// a whole request, the name at 0 (COMMAND GETKEYS).
pub(crate) type KeyFinder = fn(&[&[u8]]) -> Vec<usize>;

/// For a command whose access to its keys depends on its options: that access, from a whole
/// request.
pub(crate) type AccessFinder = fn(&[&[u8]]) -> KeyAccess;

pub(crate) struct CommandSpec {
    /// Lower case, as Redis names commands in errors and COMMAND replies.
    pub(crate) name: &'static str,
    /// The name packed big-endian into integers (zero padded), so that the binary search
    /// compares integers in the names' order instead of calling memcmp.
    packed: PackedName,
    /// Redis's arity: N means exactly N arguments with the name, -N at least N.
    pub(crate) arity: i32,
    pub(crate) flags: Flags,
    /// Key positions for COMMAND INFO: first, last (-1 = to the end), step. 0 = no keys.
    pub(crate) keys: (i32, i32, i32),
    /// What the command does to its first key and to the others, for ACL key patterns.
    pub(crate) key_access: (KeyAccess, KeyAccess),
    /// Its own ACL categories; `categories()` adds those its flags imply.
    pub(crate) own_categories: Categories,
    /// For a command whose access depends on its options (SET ... GET reads): what it does
    /// to its keys, in place of `key_access`.
    pub(crate) varying_access: Option<AccessFinder>,
    /// Which arguments are pub/sub channels, for ACL channel patterns.
    pub(crate) channels: Channels,
    pub(crate) handler: Handler,
    /// For a container command (CLIENT, CONFIG, ...): its subcommands, each checked for name
    /// and arity before the command runs or is queued, as Redis checks them.
    pub(crate) subcommands: &'static [Subcommand],
    /// Set for `MOVABLE_KEYS` commands, which `keys` describes only in part.
    pub(crate) key_finder: Option<KeyFinder>,
}

impl CommandSpec {
    /// Its ACL categories: its own and those its flags imply, as Redis's
    /// `setImplicitACLCategories` derives them. A container (CLIENT, CONFIG) is only `@slow`
    /// and its own: its subcommands carry theirs.
    pub(crate) fn categories(&self) -> Categories {
        if !self.subcommands.is_empty() {
            return self.own_categories.or(cat::SLOW);
        }
        let flags = self.flags;
        let mut categories = self.own_categories;
        let implied = [
            (Flags::WRITE, cat::WRITE),
            (Flags::ADMIN, cat::ADMIN.or(cat::DANGEROUS)),
            (Flags::PUBSUB, cat::PUBSUB),
            (Flags::FAST, cat::FAST),
            (Flags::BLOCKING, cat::BLOCKING),
        ];
        for (flag, implies) in implied {
            if flags.contains(flag) {
                categories = categories.or(implies);
            }
        }
        if flags.contains(Flags::READONLY) && !categories.intersects(cat::SCRIPTING) {
            categories = categories.or(cat::READ);
        }
        if !flags.contains(Flags::FAST) {
            categories = categories.or(cat::SLOW);
        }
        categories
    }

    /// Its subcommand called `name` (any case), for a container command.
    pub(crate) fn subcommand_by_name(&self, name: &[u8]) -> Option<&'static Subcommand> {
        self.subcommands
            .iter()
            .find(|subcommand| super::args::is_subcommand(name, subcommand.name))
    }

    /// The subcommand `request[1]` names, for a container command.
    pub(crate) fn subcommand(&self, request: &[&[u8]]) -> Option<&'static Subcommand> {
        self.subcommand_by_name(request.get(1)?)
    }

    /// The subcommand `request`'s second argument names, for a container command.
    pub(crate) fn subcommand_named(&self, request: Args<'_>) -> Option<&'static Subcommand> {
        if self.subcommands.is_empty() {
            return None;
        }
        self.subcommand_by_name(request.get(1)?)
    }

    /// The flags `request` runs under: its subcommand's own, or the command's.
    pub(crate) fn flags_for(&self, request: Args<'_>) -> Flags {
        self.subcommand_named(request)
            .and_then(|subcommand| subcommand.flags)
            .unwrap_or(self.flags)
    }

    /// Where the keys are in `request` (a whole command of this kind, its name first, of a
    /// valid arity).
    pub(crate) fn key_positions(&self, request: &[&[u8]]) -> Vec<usize> {
        if let Some(find) = self.key_finder {
            return find(request);
        }
        let count = request.len() as i32;
        let (first, last, step) = self.keys;
        if first == 0 {
            return Vec::new();
        }
        let last = if last < 0 {
            count + last
        } else {
            last.min(count - 1)
        };
        (first..=last)
            .step_by(step.max(1) as usize)
            .map(|position| position as usize)
            .collect()
    }
}

/// A subcommand's name (upper case) and Redis's arity for it, counting the command's name.
pub(crate) struct Subcommand {
    pub(crate) name: &'static str,
    pub(crate) arity: i32,
    /// Runs while a script is busy (SCRIPT KILL, FUNCTION KILL and STATS).
    pub(crate) allow_busy: bool,
    /// Its ACL categories, all of them.
    pub(crate) categories: Categories,
    /// Whether its third argument is a key (OBJECT ENCODING key, MEMORY USAGE key).
    pub(crate) keyed: bool,
    /// Its own flags where they differ from its command's (CLUSTER's subcommands).
    pub(crate) flags: Option<Flags>,
}

const fn sub(name: &'static str, arity: i32, categories: Categories) -> Subcommand {
    Subcommand {
        name,
        arity,
        allow_busy: false,
        categories,
        keyed: false,
        flags: None,
    }
}

/// A subcommand with flags of its own.
const fn flagged_sub(
    name: &'static str,
    arity: i32,
    flags: Flags,
    categories: Categories,
) -> Subcommand {
    Subcommand {
        flags: Some(flags),
        ..sub(name, arity, categories)
    }
}

const fn busy_sub(name: &'static str, arity: i32, categories: Categories) -> Subcommand {
    Subcommand {
        allow_busy: true,
        ..sub(name, arity, categories)
    }
}

/// A subcommand whose argument after its name is a key.
const fn keyed_sub(name: &'static str, arity: i32, categories: Categories) -> Subcommand {
    Subcommand {
        keyed: true,
        ..sub(name, arity, categories)
    }
}

/// Which arguments of a command are pub/sub channels that ACL channel patterns govern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channels {
    None,
    /// PUBLISH, SPUBLISH: the first argument.
    First,
    /// SUBSCRIBE, SSUBSCRIBE: every argument.
    All,
    /// PSUBSCRIBE: every argument, each a pattern (matched literally against ACL patterns).
    AllPatterns,
}

/// Where a command's keys are (first, last with -1 = to the end, step; 0 = no keys) and what
/// it does to them, for ACL key patterns (`%R~`, `%W~`): what the first key needs and what the
/// others need. `.r()`, `.w()` and `.rw()` set both; `.rest_*()` then the others'.
#[derive(Clone, Copy)]
pub(crate) struct Keys {
    range: (i32, i32, i32),
    first: KeyAccess,
    rest: KeyAccess,
}

impl Keys {
    const fn at(first: i32, last: i32, step: i32) -> Keys {
        Keys {
            range: (first, last, step),
            first: KeyAccess::NONE,
            rest: KeyAccess::NONE,
        }
    }

    const fn with(self, access: KeyAccess) -> Keys {
        Keys {
            first: access,
            rest: access,
            ..self
        }
    }

    const fn r(self) -> Keys {
        self.with(KeyAccess::READ)
    }

    const fn w(self) -> Keys {
        self.with(KeyAccess::WRITE)
    }

    const fn rw(self) -> Keys {
        self.with(KeyAccess::READ_WRITE)
    }

    const fn rest_r(self) -> Keys {
        Keys {
            rest: KeyAccess::READ,
            ..self
        }
    }

    const fn rest_w(self) -> Keys {
        Keys {
            rest: KeyAccess::WRITE,
            ..self
        }
    }
}

/// Subcommands' categories that many share.
const SLOW_CONNECTION: Categories = cat::SLOW.or(cat::CONNECTION);
const SLOW_ADMIN: Categories = cat::ADMIN.or(cat::SLOW).or(cat::DANGEROUS);
const SLOW_ADMIN_CONNECTION: Categories = SLOW_ADMIN.or(cat::CONNECTION);

const SCRIPT_SUBCOMMANDS: &[Subcommand] = &[
    sub("EXISTS", -3, cat::SLOW.or(cat::SCRIPTING)),
    sub("FLUSH", -2, cat::SLOW.or(cat::SCRIPTING)),
    sub("HELP", 2, cat::SLOW.or(cat::SCRIPTING)),
    busy_sub("KILL", 2, cat::SLOW.or(cat::SCRIPTING)),
    sub("LOAD", 3, cat::SLOW.or(cat::SCRIPTING)),
];

/// EVAL and friends: the script's own flags decide the rest.
const EVAL: Flags = NS
    .or(Flags::STALE)
    .or(Flags::MAY_REPLICATE)
    .or(Flags::SKIP_MONITOR);
const EVAL_RO: Flags = NS
    .or(Flags::STALE)
    .or(Flags::READONLY)
    .or(Flags::SKIP_MONITOR);

const ACL_SUBCOMMANDS: &[Subcommand] = &[
    sub("CAT", -2, cat::SLOW),
    sub("DELUSER", -3, SLOW_ADMIN),
    sub("DRYRUN", -4, SLOW_ADMIN),
    sub("GENPASS", -2, cat::SLOW),
    sub("GETUSER", 3, SLOW_ADMIN),
    sub("HELP", 2, cat::SLOW),
    sub("LIST", 2, SLOW_ADMIN),
    sub("LOAD", 2, SLOW_ADMIN),
    sub("LOG", -2, SLOW_ADMIN),
    sub("SAVE", 2, SLOW_ADMIN),
    sub("SETUSER", -3, SLOW_ADMIN),
    sub("USERS", 2, SLOW_ADMIN),
    sub("WHOAMI", 2, cat::SLOW),
];
const CLIENT_SUBCOMMANDS: &[Subcommand] = &[
    sub("CACHING", 3, SLOW_CONNECTION),
    sub("GETNAME", 2, SLOW_CONNECTION),
    sub("GETREDIR", 2, SLOW_CONNECTION),
    sub("HELP", 2, SLOW_CONNECTION),
    sub("ID", 2, SLOW_CONNECTION),
    sub("INFO", 2, SLOW_CONNECTION),
    sub("KILL", -3, SLOW_ADMIN_CONNECTION),
    sub("LIST", -2, SLOW_ADMIN_CONNECTION),
    sub("NO-EVICT", 3, SLOW_ADMIN_CONNECTION),
    sub("PAUSE", -3, SLOW_ADMIN_CONNECTION),
    sub("REPLY", 3, SLOW_CONNECTION),
    sub("SETNAME", 3, SLOW_CONNECTION),
    sub("TRACKING", -3, SLOW_CONNECTION),
    sub("TRACKINGINFO", 2, SLOW_CONNECTION),
    sub("UNBLOCK", -3, SLOW_ADMIN_CONNECTION),
    sub("UNPAUSE", 2, SLOW_ADMIN_CONNECTION),
];
/// CLUSTER's subcommands, known so that their errors and COMMAND replies are Redis's for a
/// server without cluster support; each has Redis's own flags.
const CLUSTER_SUBCOMMANDS: &[Subcommand] = &[
    flagged_sub("ADDSLOTS", -3, CLUSTER_ADMIN, SLOW_ADMIN),
    flagged_sub("ADDSLOTSRANGE", -4, CLUSTER_ADMIN, SLOW_ADMIN),
    flagged_sub("BUMPEPOCH", 2, CLUSTER_ADMIN, SLOW_ADMIN),
    flagged_sub(
        "COUNT-FAILURE-REPORTS",
        3,
        Flags::ADMIN.or(Flags::STALE),
        SLOW_ADMIN,
    ),
    flagged_sub("COUNTKEYSINSLOT", 3, Flags::STALE, cat::SLOW),
    flagged_sub("DELSLOTS", -3, CLUSTER_ADMIN, SLOW_ADMIN),
    flagged_sub("DELSLOTSRANGE", -4, CLUSTER_ADMIN, SLOW_ADMIN),
    flagged_sub("FAILOVER", -2, CLUSTER_ADMIN, SLOW_ADMIN),
    flagged_sub("FLUSHSLOTS", 2, CLUSTER_ADMIN, SLOW_ADMIN),
    flagged_sub("FORGET", 3, CLUSTER_ADMIN, SLOW_ADMIN),
    flagged_sub("GETKEYSINSLOT", 4, Flags::STALE, cat::SLOW),
    flagged_sub("HELP", 2, Flags::LOADING.or(Flags::STALE), cat::SLOW),
    flagged_sub("INFO", 2, Flags::STALE, cat::SLOW),
    flagged_sub("KEYSLOT", 3, Flags::STALE, cat::SLOW),
    flagged_sub("LINKS", 2, Flags::STALE, cat::SLOW),
    flagged_sub("MEET", -4, CLUSTER_ADMIN, SLOW_ADMIN),
    flagged_sub("MYID", 2, Flags::STALE, cat::SLOW),
    flagged_sub("NODES", 2, Flags::STALE, cat::SLOW),
    flagged_sub("REPLICAS", 3, Flags::ADMIN.or(Flags::STALE), SLOW_ADMIN),
    flagged_sub("REPLICATE", 3, CLUSTER_ADMIN, SLOW_ADMIN),
    flagged_sub(
        "RESET",
        -2,
        Flags::ADMIN.or(NS).or(Flags::STALE),
        SLOW_ADMIN,
    ),
    flagged_sub("SAVECONFIG", 2, CLUSTER_ADMIN, SLOW_ADMIN),
    flagged_sub("SET-CONFIG-EPOCH", 3, CLUSTER_ADMIN, SLOW_ADMIN),
    flagged_sub("SETSLOT", -4, CLUSTER_ADMIN, SLOW_ADMIN),
    flagged_sub("SHARDS", 2, Flags::STALE, cat::SLOW),
    flagged_sub("SLAVES", 3, Flags::ADMIN.or(Flags::STALE), SLOW_ADMIN),
    flagged_sub("SLOTS", 2, Flags::STALE, cat::SLOW),
];
/// The administrative CLUSTER subcommands.
const CLUSTER_ADMIN: Flags = Flags::ADMIN.or(Flags::STALE).or(Flags::NO_ASYNC_LOADING);
const COMMAND_SUBCOMMANDS: &[Subcommand] = &[
    sub("COUNT", 2, SLOW_CONNECTION),
    sub("DOCS", -2, SLOW_CONNECTION),
    sub("GETKEYS", -4, SLOW_CONNECTION),
    sub("GETKEYSANDFLAGS", -4, SLOW_CONNECTION),
    sub("INFO", -2, SLOW_CONNECTION),
    sub("LIST", -2, SLOW_CONNECTION),
];
const PUBSUB_SUBCOMMANDS: &[Subcommand] = &[
    sub("CHANNELS", -2, cat::PUBSUB.or(cat::SLOW)),
    sub("HELP", 2, cat::SLOW),
    sub("NUMPAT", 2, cat::PUBSUB.or(cat::SLOW)),
    sub("NUMSUB", -2, cat::PUBSUB.or(cat::SLOW)),
    sub("SHARDCHANNELS", -2, cat::PUBSUB.or(cat::SLOW)),
    sub("SHARDNUMSUB", -2, cat::PUBSUB.or(cat::SLOW)),
];
const CONFIG_SUBCOMMANDS: &[Subcommand] = &[
    sub("GET", -3, SLOW_ADMIN),
    sub("RESETSTAT", 2, SLOW_ADMIN),
    sub("REWRITE", 2, SLOW_ADMIN),
    sub("SET", -4, SLOW_ADMIN),
];
const FUNCTION_SUBCOMMANDS: &[Subcommand] = &[
    sub("DELETE", 3, cat::WRITE.or(cat::SLOW).or(cat::SCRIPTING)),
    sub("DUMP", 2, cat::SLOW.or(cat::SCRIPTING)),
    sub("FLUSH", -2, cat::WRITE.or(cat::SLOW).or(cat::SCRIPTING)),
    sub("HELP", 2, cat::SLOW.or(cat::SCRIPTING)),
    busy_sub("KILL", 2, cat::SLOW.or(cat::SCRIPTING)),
    sub("LIST", -2, cat::SLOW.or(cat::SCRIPTING)),
    sub("LOAD", -3, cat::WRITE.or(cat::SLOW).or(cat::SCRIPTING)),
    sub("RESTORE", -3, cat::WRITE.or(cat::SLOW).or(cat::SCRIPTING)),
    busy_sub("STATS", 2, cat::SLOW.or(cat::SCRIPTING)),
];
const LATENCY_SUBCOMMANDS: &[Subcommand] = &[
    sub("DOCTOR", 2, SLOW_ADMIN),
    sub("HELP", 2, cat::SLOW),
    sub("HISTOGRAM", -2, SLOW_ADMIN),
    sub("HISTORY", 3, SLOW_ADMIN),
    sub("LATEST", 2, SLOW_ADMIN),
    sub("RESET", -2, SLOW_ADMIN),
];
const SLOWLOG_SUBCOMMANDS: &[Subcommand] = &[
    sub("GET", -2, SLOW_ADMIN),
    sub("HELP", 2, cat::SLOW),
    sub("LEN", 2, SLOW_ADMIN),
    sub("RESET", 2, SLOW_ADMIN),
];
const MEMORY_SUBCOMMANDS: &[Subcommand] = &[
    sub("DOCTOR", 2, cat::SLOW),
    sub("HELP", 2, cat::SLOW),
    sub("MALLOC-STATS", 2, cat::SLOW),
    sub("PURGE", 2, cat::SLOW),
    sub("STATS", 2, cat::SLOW),
    keyed_sub("USAGE", -3, cat::READ.or(cat::SLOW)),
];
const OBJECT_SUBCOMMANDS: &[Subcommand] = &[
    keyed_sub("ENCODING", 3, cat::KEYSPACE.or(cat::READ).or(cat::SLOW)),
    keyed_sub("FREQ", 3, cat::KEYSPACE.or(cat::READ).or(cat::SLOW)),
    sub("HELP", 2, cat::KEYSPACE.or(cat::SLOW)),
    keyed_sub("IDLETIME", 3, cat::KEYSPACE.or(cat::READ).or(cat::SLOW)),
    keyed_sub("REFCOUNT", 3, cat::KEYSPACE.or(cat::READ).or(cat::SLOW)),
];

const fn container(spec: CommandSpec, subcommands: &'static [Subcommand]) -> CommandSpec {
    CommandSpec {
        subcommands,
        ..spec
    }
}

/// A command whose keys depend on its options: flagged `movablekeys`, its keys found by
/// `key_finder`.
const fn movable(spec: CommandSpec, key_finder: KeyFinder) -> CommandSpec {
    CommandSpec {
        flags: spec.flags.or(Flags::MOVABLE_KEYS),
        key_finder: Some(key_finder),
        ..spec
    }
}

/// A command whose access to its keys depends on its options.
const fn varying(spec: CommandSpec, access: AccessFinder) -> CommandSpec {
    CommandSpec {
        varying_access: Some(access),
        ..spec
    }
}

/// SET writes its key, and reads it too with GET.
fn set_access(request: &[&[u8]]) -> KeyAccess {
    let reads = request
        .iter()
        .skip(3)
        .any(|arg| arg.eq_ignore_ascii_case(b"GET"));
    if reads {
        KeyAccess::READ_WRITE
    } else {
        KeyAccess::WRITE
    }
}

/// BITFIELD only reads its key when every operation is a GET.
fn bitfield_access(request: &[&[u8]]) -> KeyAccess {
    let writes = request
        .iter()
        .skip(2)
        .any(|arg| arg.eq_ignore_ascii_case(b"SET") || arg.eq_ignore_ascii_case(b"INCRBY"));
    if writes {
        KeyAccess::READ_WRITE
    } else {
        KeyAccess::READ
    }
}

/// A command whose arguments name pub/sub channels.
const fn with_channels(spec: CommandSpec, channels: Channels) -> CommandSpec {
    CommandSpec { channels, ..spec }
}

const fn spec(
    name: &'static str,
    arity: i32,
    flags: Flags,
    keys: Keys,
    own_categories: Categories,
    handler: Handler,
) -> CommandSpec {
    CommandSpec {
        name,
        packed: pack_name(name.as_bytes()),
        arity,
        flags,
        keys: keys.range,
        key_access: (keys.first, keys.rest),
        own_categories,
        varying_access: None,
        channels: Channels::None,
        handler,
        subcommands: &[],
        key_finder: None,
    }
}

const NO_KEYS: Keys = Keys::at(0, 0, 0);
const KEY1: Keys = Keys::at(1, 1, 1);
const KEY12: Keys = Keys::at(1, 2, 1);
const ALL_KEYS: Keys = Keys::at(1, -1, 1);
const PAIRS: Keys = Keys::at(1, -1, 2);
/// BITOP's destination and sources follow the operation's name.
const BITOP_KEYS: Keys = Keys::at(2, -1, 1);
/// ZUNION and friends: the keys' positions depend on numkeys; COMMAND INFO reports none.
const NUMKEYS: Keys = Keys::at(0, 0, 0);
/// BLPOP and friends: every argument but the name and the last (the timeout).
const KEYS_THEN_TIMEOUT: Keys = Keys::at(1, -2, 1);
const STORE_NUMKEYS: Keys = Keys::at(1, 1, 1);
/// PFDEBUG's key follows its subcommand.
const SECOND_KEY: Keys = Keys::at(2, 2, 1);

/// The keys after a count at `at` (ZUNION numkeys key..., BLMPOP timeout numkeys key...),
/// clamped to the arguments there are.
fn keys_after_count(request: &[&[u8]], at: usize) -> Vec<usize> {
    let count = request
        .get(at)
        .and_then(|count| std::str::from_utf8(count).ok())
        .and_then(|count| count.parse::<usize>().ok())
        .unwrap_or(0);
    let first = at + 1;
    (first..request.len().min(first.saturating_add(count))).collect()
}

/// ZUNION, LMPOP and friends: `numkeys key...`.
fn keys_after_count_at_1(request: &[&[u8]]) -> Vec<usize> {
    keys_after_count(request, 1)
}

/// EVAL, FCALL, BLMPOP and BZMPOP: `script-or-timeout numkeys key...`.
pub(crate) fn keys_after_count_at_2(request: &[&[u8]]) -> Vec<usize> {
    keys_after_count(request, 2)
}

/// ZUNIONSTORE and friends: `destination numkeys key...`.
fn destination_then_keys(request: &[&[u8]]) -> Vec<usize> {
    std::iter::once(1)
        .chain(keys_after_count(request, 2))
        .collect()
}

/// The key after the first `keyword` (any case) from argument `from` on, the last argument
/// excepted (it has nothing after it), as Redis's keyword key specs search.
pub(crate) fn key_after_keyword(request: &[&[u8]], keyword: &str, from: usize) -> Option<usize> {
    let end = request.len().saturating_sub(1);
    (from..end)
        .find(|&at| super::args::is_option(request[at], keyword))
        .map(|at| at + 1)
}

/// GEORADIUS and GEORADIUSBYMEMBER: the source, then the keys after STORE and after
/// STOREDIST (searched from the first option on), as their key specs find them.
fn geo_store_keys(request: &[&[u8]], options_from: usize) -> Vec<usize> {
    std::iter::once(1)
        .chain(key_after_keyword(request, "STORE", options_from))
        .chain(key_after_keyword(request, "STOREDIST", options_from))
        .collect()
}

/// GEORADIUS key longitude latitude radius unit [options]: options from argument 6.
fn georadius_keys(request: &[&[u8]]) -> Vec<usize> {
    geo_store_keys(request, 6)
}

/// GEORADIUSBYMEMBER key member radius unit [options]: options from argument 5.
fn georadiusbymember_keys(request: &[&[u8]]) -> Vec<usize> {
    geo_store_keys(request, 5)
}

/// Where `spec` and the subcommand `request` names keep their counters (INFO
/// commandstats): its place in `COMMANDS`, and 1 + the subcommand's place among its
/// subcommands (0 for none).
pub(crate) fn stat_slot(spec: &'static CommandSpec, request: Args<'_>) -> (usize, usize) {
    let offset = spec as *const CommandSpec as usize - COMMANDS.as_ptr() as usize;
    let command = offset / std::mem::size_of::<CommandSpec>();
    let subcommand = spec.subcommand_named(request).map_or(0, |found| {
        let at = spec
            .subcommands
            .iter()
            .position(|subcommand| std::ptr::eq(subcommand, found));
        at.map_or(0, |at| at + 1)
    });
    (command, subcommand)
}

/// The name a `stat_slot` is reported under: `get`, `config|set`.
pub(crate) fn stat_name(command: usize, subcommand: usize) -> String {
    let spec = &COMMANDS[command];
    match subcommand.checked_sub(1) {
        Some(at) => full_name(spec, &spec.subcommands[at]),
        None => spec.name.to_string(),
    }
}

/// A subcommand's name as Redis reports it: `config|get`.
pub(crate) fn full_name(spec: &CommandSpec, subcommand: &Subcommand) -> String {
    format!("{}|{}", spec.name, subcommand.name.to_ascii_lowercase())
}

/// Sorted by name (a test checks it) so that `lookup` can binary-search.
pub(crate) static COMMANDS: &[CommandSpec] = &[
    container(
        spec("acl", -2, ADMIN.or(NS), NO_KEYS, cat::NONE, acl::acl),
        ACL_SUBCOMMANDS,
    ),
    spec("append", 3, WDF, KEY1.w(), cat::STRING, strings::append),
    spec("asking", 1, F, NO_KEYS, cat::CONNECTION, server::cluster),
    spec(
        "auth",
        -2,
        CONN.or(NS).or(AB),
        NO_KEYS,
        cat::CONNECTION,
        connection::auth,
    ),
    spec(
        "bgrewriteaof",
        1,
        Flags::ADMIN.or(NS).or(Flags::NO_ASYNC_LOADING),
        NO_KEYS,
        cat::NONE,
        server::bgrewriteaof,
    ),
    spec(
        "bgsave",
        -1,
        Flags::ADMIN.or(NS).or(Flags::NO_ASYNC_LOADING),
        NO_KEYS,
        cat::NONE,
        server::bgsave,
    ),
    spec("bitcount", -2, R, KEY1.r(), cat::BITMAP, bits::bitcount),
    varying(
        spec(
            "bitfield",
            -2,
            WD,
            KEY1.rw(),
            cat::BITMAP,
            bitfield::bitfield,
        ),
        bitfield_access,
    ),
    spec(
        "bitfield_ro",
        -2,
        RF,
        KEY1.r(),
        cat::BITMAP,
        bitfield::bitfield_ro,
    ),
    spec(
        "bitop",
        -4,
        WD,
        BITOP_KEYS.w().rest_r(),
        cat::BITMAP,
        bits::bitop,
    ),
    spec("bitpos", -3, R, KEY1.r(), cat::BITMAP, bits::bitpos),
    spec(
        "blmove",
        6,
        WD.or(BLOCKING).or(NS),
        KEY12.rw().rest_w(),
        cat::LIST,
        blocking::blmove,
    ),
    movable(
        spec(
            "blmpop",
            -5,
            W.or(BLOCKING),
            NUMKEYS.rw(),
            cat::LIST,
            blocking::blmpop,
        ),
        keys_after_count_at_2,
    ),
    spec(
        "blpop",
        -3,
        W.or(BLOCKING).or(NS),
        KEYS_THEN_TIMEOUT.rw(),
        cat::LIST,
        blocking::blpop,
    ),
    spec(
        "brpop",
        -3,
        W.or(BLOCKING).or(NS),
        KEYS_THEN_TIMEOUT.rw(),
        cat::LIST,
        blocking::brpop,
    ),
    spec(
        "brpoplpush",
        4,
        WD.or(BLOCKING).or(NS),
        KEY12.rw().rest_w(),
        cat::LIST,
        blocking::brpoplpush,
    ),
    movable(
        spec(
            "bzmpop",
            -5,
            W.or(BLOCKING),
            NUMKEYS.rw(),
            cat::SORTEDSET,
            blocking::bzmpop,
        ),
        keys_after_count_at_2,
    ),
    spec(
        "bzpopmax",
        -3,
        WF.or(BLOCKING).or(NS),
        KEYS_THEN_TIMEOUT.rw(),
        cat::SORTEDSET,
        blocking::bzpopmax,
    ),
    spec(
        "bzpopmin",
        -3,
        WF.or(BLOCKING).or(NS),
        KEYS_THEN_TIMEOUT.rw(),
        cat::SORTEDSET,
        blocking::bzpopmin,
    ),
    container(
        spec(
            "client",
            -2,
            ADMIN.or(NS),
            NO_KEYS,
            cat::NONE,
            connection::client,
        ),
        CLIENT_SUBCOMMANDS,
    ),
    // Known, so that clients asking about a cluster get Redis's answer for a server without
    // one (ASKING, READONLY and READWRITE too).
    container(
        spec(
            "cluster",
            -2,
            Flags::NONE,
            NO_KEYS,
            cat::NONE,
            server::cluster,
        ),
        CLUSTER_SUBCOMMANDS,
    ),
    container(
        spec(
            "command",
            -1,
            ADMIN,
            NO_KEYS,
            cat::CONNECTION,
            server::command,
        ),
        COMMAND_SUBCOMMANDS,
    ),
    container(
        spec(
            "config",
            -2,
            ADMIN.or(NS),
            NO_KEYS,
            cat::NONE,
            config::config,
        ),
        CONFIG_SUBCOMMANDS,
    ),
    spec(
        "copy",
        -3,
        WD,
        KEY12.r().rest_w(),
        cat::KEYSPACE,
        keys::copy,
    ),
    spec("dbsize", 1, RF, NO_KEYS, cat::KEYSPACE, server::dbsize),
    spec(
        "debug",
        -2,
        ADMIN.or(NS).or(Flags::PROTECTED),
        NO_KEYS,
        cat::NONE,
        server::debug,
    ),
    spec("decr", 2, WDF, KEY1.rw(), cat::STRING, strings::decr),
    spec("decrby", 3, WDF, KEY1.rw(), cat::STRING, strings::decrby),
    spec("del", -2, W, ALL_KEYS.w(), cat::KEYSPACE, keys::del),
    spec(
        "discard",
        1,
        TRANSACTION.or(F).or(NOT_QUEUED).or(NS).or(AB),
        NO_KEYS,
        cat::TRANSACTION,
        transaction::discard,
    ),
    spec("dump", 2, R, KEY1.r(), cat::KEYSPACE, dump::dump),
    spec("echo", 2, F, NO_KEYS, cat::CONNECTION, connection::echo),
    movable(
        spec(
            "eval",
            -3,
            EVAL,
            NUMKEYS.rw(),
            cat::SCRIPTING,
            scripting::eval,
        ),
        keys_after_count_at_2,
    ),
    movable(
        spec(
            "eval_ro",
            -3,
            EVAL_RO,
            NUMKEYS.r(),
            cat::SCRIPTING,
            scripting::eval_ro,
        ),
        keys_after_count_at_2,
    ),
    movable(
        spec(
            "evalsha",
            -3,
            EVAL,
            NUMKEYS.rw(),
            cat::SCRIPTING,
            scripting::evalsha,
        ),
        keys_after_count_at_2,
    ),
    movable(
        spec(
            "evalsha_ro",
            -3,
            EVAL_RO,
            NUMKEYS.r(),
            cat::SCRIPTING,
            scripting::evalsha_ro,
        ),
        keys_after_count_at_2,
    ),
    spec(
        "exec",
        1,
        TRANSACTION.or(NOT_QUEUED).or(NS).or(Flags::SKIP_SLOWLOG),
        NO_KEYS,
        cat::TRANSACTION,
        transaction::exec,
    ),
    spec("exists", -2, RF, ALL_KEYS, cat::KEYSPACE, keys::exists),
    spec("expire", -3, WF, KEY1.w(), cat::KEYSPACE, expire::expire),
    spec(
        "expireat",
        -3,
        WF,
        KEY1.w(),
        cat::KEYSPACE,
        expire::expireat,
    ),
    spec(
        "expiretime",
        2,
        RF,
        KEY1.r(),
        cat::KEYSPACE,
        expire::expiretime,
    ),
    movable(
        spec(
            "fcall",
            -3,
            EVAL,
            NUMKEYS.rw(),
            cat::SCRIPTING,
            functions::fcall,
        ),
        keys_after_count_at_2,
    ),
    movable(
        spec(
            "fcall_ro",
            -3,
            EVAL_RO,
            NUMKEYS.r(),
            cat::SCRIPTING,
            functions::fcall_ro,
        ),
        keys_after_count_at_2,
    ),
    spec(
        "flushall",
        -1,
        W,
        NO_KEYS,
        cat::KEYSPACE.or(cat::DANGEROUS),
        server::flushall,
    ),
    spec(
        "flushdb",
        -1,
        W,
        NO_KEYS,
        cat::KEYSPACE.or(cat::DANGEROUS),
        server::flushdb,
    ),
    container(
        spec(
            "function",
            -2,
            W.or(NS),
            NO_KEYS,
            cat::NONE,
            functions::function,
        ),
        FUNCTION_SUBCOMMANDS,
    ),
    spec("geoadd", -5, WD, KEY1.w(), cat::GEO, geo::geoadd),
    spec("geodist", -4, R, KEY1.r(), cat::GEO, geo::geodist),
    spec("geohash", -2, R, KEY1.r(), cat::GEO, geo::geohash),
    spec("geopos", -2, R, KEY1.r(), cat::GEO, geo::geopos),
    movable(
        spec(
            "georadius",
            -6,
            WD,
            KEY1.r().rest_w(),
            cat::GEO,
            geo_search::georadius,
        ),
        georadius_keys,
    ),
    spec(
        "georadius_ro",
        -6,
        R,
        KEY1.r(),
        cat::GEO,
        geo_search::georadius_ro,
    ),
    movable(
        spec(
            "georadiusbymember",
            -5,
            WD,
            KEY1.r().rest_w(),
            cat::GEO,
            geo_search::georadiusbymember,
        ),
        georadiusbymember_keys,
    ),
    spec(
        "georadiusbymember_ro",
        -5,
        R,
        KEY1.r(),
        cat::GEO,
        geo_search::georadiusbymember_ro,
    ),
    spec(
        "geosearch",
        -7,
        R,
        KEY1.r(),
        cat::GEO,
        geo_search::geosearch,
    ),
    spec(
        "geosearchstore",
        -8,
        WD,
        KEY12.w().rest_r(),
        cat::GEO,
        geo_search::geosearchstore,
    ),
    spec("get", 2, RF, KEY1.r(), cat::STRING, strings::get),
    spec("getbit", 3, RF, KEY1.r(), cat::BITMAP, bits::getbit),
    spec("getdel", 2, WF, KEY1.rw(), cat::STRING, strings::getdel),
    spec("getex", -2, WF, KEY1.rw(), cat::STRING, expire::getex),
    spec("getrange", 4, R, KEY1.r(), cat::STRING, strings::getrange),
    spec("getset", 3, WDF, KEY1.rw(), cat::STRING, strings::getset),
    spec("hdel", -3, WF, KEY1.w(), cat::HASH, hash::hdel),
    spec(
        "hello",
        -1,
        CONN.or(NS).or(AB),
        NO_KEYS,
        cat::CONNECTION,
        connection::hello,
    ),
    spec("hexists", 3, RF, KEY1, cat::HASH, hash::hexists),
    spec("hget", 3, RF, KEY1.r(), cat::HASH, hash::hget),
    spec("hgetall", 2, R, KEY1.r(), cat::HASH, hash::hgetall),
    spec("hincrby", 4, WDF, KEY1.rw(), cat::HASH, hash::hincrby),
    spec(
        "hincrbyfloat",
        4,
        WDF,
        KEY1.rw(),
        cat::HASH,
        hash::hincrbyfloat,
    ),
    spec("hkeys", 2, R, KEY1.r(), cat::HASH, hash::hkeys),
    spec("hlen", 2, RF, KEY1, cat::HASH, hash::hlen),
    spec("hmget", -3, RF, KEY1.r(), cat::HASH, hash::hmget),
    spec("hmset", -4, WDF, KEY1.w(), cat::HASH, hash::hmset),
    spec("hrandfield", -2, R, KEY1.r(), cat::HASH, hash::hrandfield),
    spec("hscan", -3, R, KEY1.r(), cat::HASH, hash::hscan),
    spec("hset", -4, WDF, KEY1.w(), cat::HASH, hash::hset),
    spec("hsetnx", 4, WDF, KEY1.w(), cat::HASH, hash::hsetnx),
    spec("hstrlen", 3, RF, KEY1, cat::HASH, hash::hstrlen),
    spec("hvals", 2, R, KEY1.r(), cat::HASH, hash::hvals),
    spec("incr", 2, WDF, KEY1.rw(), cat::STRING, strings::incr),
    spec("incrby", 3, WDF, KEY1.rw(), cat::STRING, strings::incrby),
    spec(
        "incrbyfloat",
        3,
        WDF,
        KEY1.rw(),
        cat::STRING,
        strings::incrbyfloat,
    ),
    spec(
        "info",
        -1,
        Flags::LOADING.or(Flags::STALE),
        NO_KEYS,
        cat::DANGEROUS,
        info::info,
    ),
    spec(
        "keys",
        2,
        R,
        NO_KEYS,
        cat::KEYSPACE.or(cat::DANGEROUS),
        keys::keys,
    ),
    spec(
        "lastsave",
        1,
        Flags::LOADING.or(Flags::STALE).or(F),
        NO_KEYS,
        cat::ADMIN.or(cat::DANGEROUS),
        server::lastsave,
    ),
    container(
        spec(
            "latency",
            -2,
            ADMIN,
            NO_KEYS,
            cat::NONE,
            introspection::latency,
        ),
        LATENCY_SUBCOMMANDS,
    ),
    spec("lcs", -3, R, KEY12.r(), cat::STRING, lcs::lcs),
    spec("lindex", 3, R, KEY1.r(), cat::LIST, list::lindex),
    spec("linsert", 5, WD, KEY1.w(), cat::LIST, list::linsert),
    spec("llen", 2, RF, KEY1, cat::LIST, list::llen),
    spec("lmove", 5, WD, KEY12.rw().rest_w(), cat::LIST, list::lmove),
    movable(
        spec("lmpop", -4, W, NUMKEYS.rw(), cat::LIST, list::lmpop),
        keys_after_count_at_1,
    ),
    spec("lpop", -2, WF, KEY1.rw(), cat::LIST, list::lpop),
    spec("lpos", -3, R, KEY1.r(), cat::LIST, list::lpos),
    spec("lpush", -3, WDF, KEY1.w(), cat::LIST, list::lpush),
    spec("lpushx", -3, WDF, KEY1.w(), cat::LIST, list::lpushx),
    spec("lrange", 4, R, KEY1.r(), cat::LIST, list::lrange),
    spec("lrem", 4, W, KEY1.w(), cat::LIST, list::lrem),
    spec("lset", 4, WD, KEY1.w(), cat::LIST, list::lset),
    spec("ltrim", 4, W, KEY1.w(), cat::LIST, list::ltrim),
    container(
        spec("memory", -2, R, NO_KEYS, cat::NONE, memory::memory),
        MEMORY_SUBCOMMANDS,
    ),
    spec("mget", -2, RF, ALL_KEYS.r(), cat::STRING, strings::mget),
    spec(
        "monitor",
        1,
        ADMIN.or(NS),
        NO_KEYS,
        cat::NONE,
        control::monitor,
    ),
    spec("move", 3, WF, KEY1.rw(), cat::KEYSPACE, keys::move_key),
    spec("mset", -3, WD, PAIRS.w(), cat::STRING, strings::mset),
    spec("msetnx", -3, WD, PAIRS.w(), cat::STRING, strings::msetnx),
    spec(
        "multi",
        1,
        TRANSACTION.or(F).or(NOT_QUEUED).or(NS).or(AB),
        NO_KEYS,
        cat::TRANSACTION,
        transaction::multi,
    ),
    container(
        spec("object", -2, R, NO_KEYS, cat::NONE, keys::object),
        OBJECT_SUBCOMMANDS,
    ),
    spec("persist", 2, WF, KEY1.w(), cat::KEYSPACE, expire::persist),
    spec("pexpire", -3, WF, KEY1.w(), cat::KEYSPACE, expire::pexpire),
    spec(
        "pexpireat",
        -3,
        WF,
        KEY1.w(),
        cat::KEYSPACE,
        expire::pexpireat,
    ),
    spec(
        "pexpiretime",
        2,
        RF,
        KEY1.r(),
        cat::KEYSPACE,
        expire::pexpiretime,
    ),
    spec(
        "pfadd",
        -2,
        WDF,
        KEY1.w(),
        cat::HYPERLOGLOG,
        hyperloglog::pfadd,
    ),
    // PFCOUNT writes the cardinality it computed into the key's header, and Redis sends that
    // to replicas: CLIENT PAUSE WRITE holds it back.
    spec(
        "pfcount",
        -2,
        R.or(Flags::MAY_REPLICATE),
        ALL_KEYS.r(),
        cat::HYPERLOGLOG,
        hyperloglog::pfcount,
    ),
    spec(
        "pfdebug",
        3,
        WD.or(Flags::ADMIN),
        SECOND_KEY.r(),
        cat::HYPERLOGLOG,
        hyperloglog::pfdebug,
    ),
    spec(
        "pfmerge",
        -2,
        WD,
        ALL_KEYS.rw().rest_r(),
        cat::HYPERLOGLOG,
        hyperloglog::pfmerge,
    ),
    spec(
        "pfselftest",
        1,
        Flags::ADMIN,
        NO_KEYS,
        cat::HYPERLOGLOG,
        hyperloglog::pfselftest,
    ),
    spec(
        "ping",
        -1,
        F.or(Flags::PUBSUB_CONTEXT),
        NO_KEYS,
        cat::CONNECTION,
        connection::ping,
    ),
    spec("psetex", 4, WD, KEY1.w(), cat::STRING, expire::psetex),
    with_channels(
        spec(
            "psubscribe",
            -2,
            SUBSCRIBER.or(NS),
            NO_KEYS,
            cat::NONE,
            pubsub::psubscribe,
        ),
        Channels::AllPatterns,
    ),
    spec(
        "psync",
        -3,
        Flags::ADMIN
            .or(Flags::NO_MULTI)
            .or(NS)
            .or(Flags::NO_ASYNC_LOADING),
        NO_KEYS,
        cat::NONE,
        server::sync,
    ),
    spec("pttl", 2, RF, KEY1.r(), cat::KEYSPACE, expire::pttl),
    with_channels(
        spec("publish", 3, PUBLISHER, NO_KEYS, cat::NONE, pubsub::publish),
        Channels::First,
    ),
    container(
        spec(
            "pubsub",
            -2,
            PUBSUB_INFO,
            NO_KEYS,
            cat::NONE,
            pubsub::pubsub,
        ),
        PUBSUB_SUBCOMMANDS,
    ),
    spec(
        "punsubscribe",
        -1,
        SUBSCRIBER.or(NS),
        NO_KEYS,
        cat::NONE,
        pubsub::punsubscribe,
    ),
    spec(
        "quit",
        -1,
        CONN.or(NOT_QUEUED).or(Flags::PUBSUB_CONTEXT).or(NS).or(AB),
        NO_KEYS,
        cat::CONNECTION,
        connection::quit,
    ),
    spec("randomkey", 1, R, NO_KEYS, cat::KEYSPACE, keys::randomkey),
    spec(
        "readonly",
        1,
        CONN_CLUSTER,
        NO_KEYS,
        cat::CONNECTION,
        server::cluster,
    ),
    spec(
        "readwrite",
        1,
        CONN_CLUSTER,
        NO_KEYS,
        cat::CONNECTION,
        server::cluster,
    ),
    spec(
        "rename",
        3,
        W,
        KEY12.rw().rest_w(),
        cat::KEYSPACE,
        keys::rename,
    ),
    spec(
        "renamenx",
        3,
        WF,
        KEY12.rw().rest_w(),
        cat::KEYSPACE,
        keys::renamenx,
    ),
    spec(
        "replconf",
        -1,
        ADMIN.or(NS).or(AB),
        NO_KEYS,
        cat::NONE,
        server::replconf,
    ),
    spec(
        "reset",
        1,
        CONN.or(NOT_QUEUED).or(Flags::PUBSUB_CONTEXT).or(NS).or(AB),
        NO_KEYS,
        cat::CONNECTION,
        connection::reset,
    ),
    spec(
        "restore",
        -4,
        WD,
        KEY1.w(),
        cat::KEYSPACE.or(cat::DANGEROUS),
        dump::restore,
    ),
    spec("rpop", -2, WF, KEY1.rw(), cat::LIST, list::rpop),
    spec(
        "rpoplpush",
        3,
        WD,
        KEY12.rw().rest_w(),
        cat::LIST,
        list::rpoplpush,
    ),
    spec("rpush", -3, WDF, KEY1.w(), cat::LIST, list::rpush),
    spec("rpushx", -3, WDF, KEY1.w(), cat::LIST, list::rpushx),
    spec("sadd", -3, WDF, KEY1.w(), cat::SET, set::sadd),
    spec(
        "save",
        1,
        Flags::ADMIN
            .or(Flags::NO_MULTI)
            .or(NS)
            .or(Flags::NO_ASYNC_LOADING),
        NO_KEYS,
        cat::NONE,
        server::save,
    ),
    spec("scan", -2, R, NO_KEYS, cat::KEYSPACE, keys::scan),
    spec("scard", 2, RF, KEY1, cat::SET, set::scard),
    container(
        spec("script", -2, NS, NO_KEYS, cat::NONE, scripting::script),
        SCRIPT_SUBCOMMANDS,
    ),
    spec("sdiff", -2, R, ALL_KEYS.r(), cat::SET, set::sdiff),
    spec(
        "sdiffstore",
        -3,
        WD,
        ALL_KEYS.w().rest_r(),
        cat::SET,
        set::sdiffstore,
    ),
    spec(
        "select",
        2,
        F.or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        cat::CONNECTION,
        connection::select,
    ),
    varying(
        spec("set", -3, WD, KEY1.w(), cat::STRING, strings::set),
        set_access,
    ),
    spec("setbit", 4, WD, KEY1.rw(), cat::BITMAP, bits::setbit),
    spec("setex", 4, WD, KEY1.w(), cat::STRING, expire::setex),
    spec("setnx", 3, WDF, KEY1.w(), cat::STRING, strings::setnx),
    spec("setrange", 4, WD, KEY1.w(), cat::STRING, strings::setrange),
    spec(
        "shutdown",
        -1,
        ADMIN.or(Flags::NO_MULTI).or(NS).or(AB),
        NO_KEYS,
        cat::NONE,
        server::shutdown,
    ),
    spec("sinter", -2, R, ALL_KEYS.r(), cat::SET, set::sinter),
    movable(
        spec("sintercard", -3, R, NUMKEYS.r(), cat::SET, set::sintercard),
        keys_after_count_at_1,
    ),
    spec(
        "sinterstore",
        -3,
        WD,
        ALL_KEYS.w().rest_r(),
        cat::SET,
        set::sinterstore,
    ),
    spec("sismember", 3, RF, KEY1, cat::SET, set::sismember),
    container(
        spec(
            "slowlog",
            -2,
            ADMIN,
            NO_KEYS,
            cat::NONE,
            introspection::slowlog,
        ),
        SLOWLOG_SUBCOMMANDS,
    ),
    spec("smembers", 2, R, KEY1.r(), cat::SET, set::smembers),
    spec("smismember", -3, RF, KEY1.r(), cat::SET, set::smismember),
    spec("smove", 4, WF, KEY12.rw().rest_w(), cat::SET, set::smove),
    movable(
        spec(
            "sort",
            -2,
            WD,
            KEY1.r().rest_w(),
            cat::SET.or(cat::SORTEDSET).or(cat::LIST).or(cat::DANGEROUS),
            sort::sort,
        ),
        sort::keys,
    ),
    // SORT_RO stores nothing, so its one key is at a fixed place; Redis flags it `movablekeys`
    // all the same.
    spec(
        "sort_ro",
        -2,
        R.or(Flags::MOVABLE_KEYS),
        KEY1.r(),
        cat::SET.or(cat::SORTEDSET).or(cat::LIST).or(cat::DANGEROUS),
        sort::sort_ro,
    ),
    spec("spop", -2, WF, KEY1.rw(), cat::SET, set::spop),
    with_channels(
        spec("spublish", 3, PUBLISHER, KEY1, cat::NONE, pubsub::spublish),
        Channels::First,
    ),
    spec("srandmember", -2, R, KEY1.r(), cat::SET, set::srandmember),
    spec("srem", -3, WF, KEY1.w(), cat::SET, set::srem),
    spec("sscan", -3, R, KEY1.r(), cat::SET, set::sscan),
    with_channels(
        spec(
            "ssubscribe",
            -2,
            SUBSCRIBER.or(NS),
            ALL_KEYS,
            cat::NONE,
            pubsub::ssubscribe,
        ),
        Channels::All,
    ),
    spec("strlen", 2, RF, KEY1, cat::STRING, strings::strlen),
    with_channels(
        spec(
            "subscribe",
            -2,
            SUBSCRIBER.or(NS),
            NO_KEYS,
            cat::NONE,
            pubsub::subscribe_channels,
        ),
        Channels::All,
    ),
    spec("substr", 4, R, KEY1.r(), cat::STRING, strings::getrange),
    spec("sunion", -2, R, ALL_KEYS.r(), cat::SET, set::sunion),
    spec(
        "sunionstore",
        -3,
        WD,
        ALL_KEYS.w().rest_r(),
        cat::SET,
        set::sunionstore,
    ),
    spec(
        "sunsubscribe",
        -1,
        SUBSCRIBER.or(NS),
        ALL_KEYS,
        cat::NONE,
        pubsub::sunsubscribe,
    ),
    spec(
        "swapdb",
        3,
        WF,
        NO_KEYS,
        cat::KEYSPACE.or(cat::DANGEROUS),
        keys::swapdb,
    ),
    spec(
        "sync",
        1,
        Flags::ADMIN
            .or(Flags::NO_MULTI)
            .or(NS)
            .or(Flags::NO_ASYNC_LOADING),
        NO_KEYS,
        cat::NONE,
        server::sync,
    ),
    spec(
        "time",
        1,
        F.or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        cat::NONE,
        server::time,
    ),
    spec("touch", -2, RF, ALL_KEYS, cat::KEYSPACE, keys::touch),
    spec("ttl", 2, RF, KEY1.r(), cat::KEYSPACE, expire::ttl),
    spec("type", 2, RF, KEY1, cat::KEYSPACE, keys::type_of),
    spec("unlink", -2, WF, ALL_KEYS.w(), cat::KEYSPACE, keys::unlink),
    spec(
        "unsubscribe",
        -1,
        SUBSCRIBER.or(NS),
        NO_KEYS,
        cat::NONE,
        pubsub::unsubscribe_channels,
    ),
    spec(
        "unwatch",
        1,
        TRANSACTION.or(F).or(NS).or(AB),
        NO_KEYS,
        cat::TRANSACTION,
        transaction::unwatch,
    ),
    spec(
        "watch",
        -2,
        TRANSACTION.or(F).or(NOT_QUEUED).or(NS).or(AB),
        ALL_KEYS,
        cat::TRANSACTION,
        transaction::watch,
    ),
    spec("zadd", -4, WDF, KEY1.w(), cat::SORTEDSET, zset::zadd),
    spec("zcard", 2, RF, KEY1, cat::SORTEDSET, zset::zcard),
    spec("zcount", 4, RF, KEY1.r(), cat::SORTEDSET, zrange::zcount),
    movable(
        spec("zdiff", -3, R, NUMKEYS.r(), cat::SORTEDSET, zsetops::zdiff),
        keys_after_count_at_1,
    ),
    movable(
        spec(
            "zdiffstore",
            -4,
            WD,
            STORE_NUMKEYS.w().rest_r(),
            cat::SORTEDSET,
            zsetops::zdiffstore,
        ),
        destination_then_keys,
    ),
    spec("zincrby", 4, WDF, KEY1.rw(), cat::SORTEDSET, zset::zincrby),
    movable(
        spec(
            "zinter",
            -3,
            R,
            NUMKEYS.r(),
            cat::SORTEDSET,
            zsetops::zinter,
        ),
        keys_after_count_at_1,
    ),
    movable(
        spec(
            "zintercard",
            -3,
            R,
            NUMKEYS.r(),
            cat::SORTEDSET,
            zsetops::zintercard,
        ),
        keys_after_count_at_1,
    ),
    movable(
        spec(
            "zinterstore",
            -4,
            WD,
            STORE_NUMKEYS.w().rest_r(),
            cat::SORTEDSET,
            zsetops::zinterstore,
        ),
        destination_then_keys,
    ),
    spec(
        "zlexcount",
        4,
        RF,
        KEY1.r(),
        cat::SORTEDSET,
        zrange::zlexcount,
    ),
    movable(
        spec("zmpop", -4, W, NUMKEYS.rw(), cat::SORTEDSET, zset::zmpop),
        keys_after_count_at_1,
    ),
    spec("zmscore", -3, RF, KEY1.r(), cat::SORTEDSET, zset::zmscore),
    spec("zpopmax", -2, WF, KEY1.rw(), cat::SORTEDSET, zset::zpopmax),
    spec("zpopmin", -2, WF, KEY1.rw(), cat::SORTEDSET, zset::zpopmin),
    spec("zquery", 6, R, KEY1, cat::NONE, zset::zquery),
    spec(
        "zrandmember",
        -2,
        R,
        KEY1.r(),
        cat::SORTEDSET,
        zset::zrandmember,
    ),
    spec("zrange", -4, R, KEY1.r(), cat::SORTEDSET, zrange::zrange),
    spec(
        "zrangebylex",
        -4,
        R,
        KEY1.r(),
        cat::SORTEDSET,
        zrange::zrangebylex,
    ),
    spec(
        "zrangebyscore",
        -4,
        R,
        KEY1.r(),
        cat::SORTEDSET,
        zrange::zrangebyscore,
    ),
    spec(
        "zrangestore",
        -5,
        WD,
        KEY12.w().rest_r(),
        cat::SORTEDSET,
        zrange::zrangestore,
    ),
    spec("zrank", 3, RF, KEY1.r(), cat::SORTEDSET, zset::zrank),
    spec("zrem", -3, WF, KEY1.w(), cat::SORTEDSET, zset::zrem),
    spec(
        "zremrangebylex",
        4,
        W,
        KEY1.w(),
        cat::SORTEDSET,
        zrange::zremrangebylex,
    ),
    spec(
        "zremrangebyrank",
        4,
        W,
        KEY1.w(),
        cat::SORTEDSET,
        zrange::zremrangebyrank,
    ),
    spec(
        "zremrangebyscore",
        4,
        W,
        KEY1.w(),
        cat::SORTEDSET,
        zrange::zremrangebyscore,
    ),
    spec(
        "zrevrange",
        -4,
        R,
        KEY1.r(),
        cat::SORTEDSET,
        zrange::zrevrange,
    ),
    spec(
        "zrevrangebylex",
        -4,
        R,
        KEY1.r(),
        cat::SORTEDSET,
        zrange::zrevrangebylex,
    ),
    spec(
        "zrevrangebyscore",
        -4,
        R,
        KEY1.r(),
        cat::SORTEDSET,
        zrange::zrevrangebyscore,
    ),
    spec("zrevrank", 3, RF, KEY1.r(), cat::SORTEDSET, zset::zrevrank),
    spec("zscan", -3, R, KEY1.r(), cat::SORTEDSET, zset::zscan),
    spec("zscore", 3, RF, KEY1.r(), cat::SORTEDSET, zset::zscore),
    movable(
        spec(
            "zunion",
            -3,
            R,
            NUMKEYS.r(),
            cat::SORTEDSET,
            zsetops::zunion,
        ),
        keys_after_count_at_1,
    ),
    movable(
        spec(
            "zunionstore",
            -4,
            WD,
            STORE_NUMKEYS.w().rest_r(),
            cat::SORTEDSET,
            zsetops::zunionstore,
        ),
        destination_then_keys,
    ),
];

/// Longest command name in the table (GEORADIUSBYMEMBER_RO); longer names cannot match.
const NAME_BYTES_MAX: usize = 20;

/// A name's first 16 bytes and its next 4, each big-endian and zero padded: compared as a pair
/// they sort as the names do (for names without NUL bytes).
type PackedName = (u128, u32);

/// Packs up to 20 bytes, lowered to ASCII lower case.
const fn pack_name(name: &[u8]) -> PackedName {
    let mut bytes = [0u8; NAME_BYTES_MAX];
    let mut index = 0;
    while index < name.len() && index < NAME_BYTES_MAX {
        bytes[index] = name[index].to_ascii_lowercase();
        index += 1;
    }
    let mut head = [0u8; 16];
    let mut tail = [0u8; 4];
    index = 0;
    while index < NAME_BYTES_MAX {
        if index < 16 {
            head[index] = bytes[index];
        } else {
            tail[index - 16] = bytes[index];
        }
        index += 1;
    }
    (u128::from_be_bytes(head), u32::from_be_bytes(tail))
}

/// Finds a command by name, ignoring ASCII case, without allocating.
pub(crate) fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    if name.len() > NAME_BYTES_MAX {
        return None;
    }
    let packed = pack_name(name);
    let index = COMMANDS
        .binary_search_by(|spec| spec.packed.cmp(&packed))
        .ok()?;
    let spec = &COMMANDS[index];
    // A name with trailing NUL bytes packs like the name without them.
    (spec.name.len() == name.len()).then_some(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_names_fit() {
        for pair in COMMANDS.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} before {}",
                pair[0].name,
                pair[1].name
            );
        }
        for pair in COMMANDS.windows(2) {
            assert!(pair[0].packed < pair[1].packed);
        }
        for spec in COMMANDS {
            assert!(spec.name.len() <= NAME_BYTES_MAX);
            assert_eq!(
                lookup(spec.name.as_bytes()).map(|found| found.name),
                Some(spec.name)
            );
            assert_eq!(spec.name, spec.name.to_ascii_lowercase());
        }
    }

    #[test]
    fn lookup_ignores_case() {
        assert_eq!(lookup(b"GeT").map(|spec| spec.name), Some("get"));
        assert!(lookup(b"nosuchcommand").is_none());
        assert!(lookup(b"").is_none());
        assert!(lookup(b"get\0").is_none());
        assert!(lookup(b"zremrangebyscorex").is_none());
        assert!(lookup(b"georadiusbymember_rox").is_none());
        assert!(lookup(b"georadiusbymember_r").is_none());
        assert_eq!(
            lookup(b"GEORADIUSBYMEMBER_RO").map(|spec| spec.name),
            Some("georadiusbymember_ro")
        );
        assert_eq!(
            lookup(b"georadiusbymember").map(|spec| spec.name),
            Some("georadiusbymember")
        );
        assert_eq!(
            lookup(b"ZREMRANGEBYSCORE").map(|spec| spec.name),
            Some("zremrangebyscore")
        );
    }
}
