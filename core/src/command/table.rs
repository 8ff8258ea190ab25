//! The command table: one row per command, sorted by name for binary search.

use super::{
    acl, bitfield, bits, blocking, config, connection, control, dump, expire, functions, hash,
    hyperloglog, info, keys, lcs, list, pubsub, scripting, server, set, sort, strings, transaction,
    zrange, zset, zsetops, ArgCursor, CommandResult, Ctx,
};

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

    const NAMES: [(Flags, &'static str); 14] = [
        (Flags::WRITE, "write"),
        (Flags::READONLY, "readonly"),
        (Flags::DENYOOM, "denyoom"),
        (Flags::ADMIN, "admin"),
        (Flags::NO_AUTH, "no_auth"),
        (Flags::LOADING, "loading"),
        (Flags::STALE, "stale"),
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

pub(crate) struct CommandSpec {
    /// Lower case, as Redis names commands in errors and COMMAND replies.
    pub(crate) name: &'static str,
    /// The name packed big-endian into an integer (zero padded), so that the binary search
    /// compares integers in the names' order instead of calling memcmp.
    packed: u128,
    /// Redis's arity: N means exactly N arguments with the name, -N at least N.
    pub(crate) arity: i32,
    pub(crate) flags: Flags,
    /// Key positions for COMMAND INFO: first, last (-1 = to the end), step. 0 = no keys.
    pub(crate) keys: (i32, i32, i32),
    pub(crate) handler: Handler,
    /// For a container command (CLIENT, CONFIG, ...): its subcommands, each checked for name
    /// and arity before the command runs or is queued, as Redis checks them.
    pub(crate) subcommands: &'static [Subcommand],
    /// Set for `MOVABLE_KEYS` commands, which `keys` describes only in part.
    pub(crate) key_finder: Option<KeyFinder>,
}

impl CommandSpec {
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
}

const fn sub(name: &'static str, arity: i32) -> Subcommand {
    Subcommand {
        name,
        arity,
        allow_busy: false,
    }
}

const fn busy_sub(name: &'static str, arity: i32) -> Subcommand {
    Subcommand {
        name,
        arity,
        allow_busy: true,
    }
}

const SCRIPT_SUBCOMMANDS: &[Subcommand] = &[
    sub("EXISTS", -3),
    sub("FLUSH", -2),
    sub("HELP", 2),
    busy_sub("KILL", 2),
    sub("LOAD", 3),
];

/// EVAL and friends: the script's own flags decide the rest.
const EVAL: Flags = NS.or(Flags::STALE).or(Flags::MAY_REPLICATE);
const EVAL_RO: Flags = NS.or(Flags::STALE).or(Flags::READONLY);

const ACL_SUBCOMMANDS: &[Subcommand] = &[
    sub("HELP", 2),
    sub("LOG", -2),
    sub("USERS", 2),
    sub("WHOAMI", 2),
];
const CLIENT_SUBCOMMANDS: &[Subcommand] = &[
    sub("CACHING", 3),
    sub("GETNAME", 2),
    sub("GETREDIR", 2),
    sub("HELP", 2),
    sub("ID", 2),
    sub("INFO", 2),
    sub("KILL", -3),
    sub("LIST", -2),
    sub("NO-EVICT", 3),
    sub("PAUSE", -3),
    sub("REPLY", 3),
    sub("SETNAME", 3),
    sub("TRACKING", -3),
    sub("TRACKINGINFO", 2),
    sub("UNBLOCK", -3),
    sub("UNPAUSE", 2),
];
const COMMAND_SUBCOMMANDS: &[Subcommand] = &[
    sub("COUNT", 2),
    sub("DOCS", -2),
    sub("GETKEYS", -4),
    sub("INFO", -2),
    sub("LIST", -2),
];
const PUBSUB_SUBCOMMANDS: &[Subcommand] = &[
    sub("CHANNELS", -2),
    sub("HELP", 2),
    sub("NUMPAT", 2),
    sub("NUMSUB", -2),
    sub("SHARDCHANNELS", -2),
    sub("SHARDNUMSUB", -2),
];
const CONFIG_SUBCOMMANDS: &[Subcommand] = &[sub("GET", -3), sub("RESETSTAT", 2), sub("SET", -4)];
const FUNCTION_SUBCOMMANDS: &[Subcommand] = &[
    sub("DELETE", 3),
    sub("DUMP", 2),
    sub("FLUSH", -2),
    sub("HELP", 2),
    busy_sub("KILL", 2),
    sub("LIST", -2),
    sub("LOAD", -3),
    sub("RESTORE", -3),
    busy_sub("STATS", 2),
];
const MEMORY_SUBCOMMANDS: &[Subcommand] = &[sub("HELP", 2), sub("USAGE", -3)];
const OBJECT_SUBCOMMANDS: &[Subcommand] = &[
    sub("ENCODING", 3),
    sub("FREQ", 3),
    sub("HELP", 2),
    sub("IDLETIME", 3),
    sub("REFCOUNT", 3),
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

const fn spec(
    name: &'static str,
    arity: i32,
    flags: Flags,
    keys: (i32, i32, i32),
    handler: Handler,
) -> CommandSpec {
    CommandSpec {
        name,
        packed: pack_name(name.as_bytes()),
        arity,
        flags,
        keys,
        handler,
        subcommands: &[],
        key_finder: None,
    }
}

const NO_KEYS: (i32, i32, i32) = (0, 0, 0);
const KEY1: (i32, i32, i32) = (1, 1, 1);
const KEY12: (i32, i32, i32) = (1, 2, 1);
const ALL_KEYS: (i32, i32, i32) = (1, -1, 1);
const PAIRS: (i32, i32, i32) = (1, -1, 2);
/// BITOP's destination and sources follow the operation's name.
const BITOP_KEYS: (i32, i32, i32) = (2, -1, 1);
/// ZUNION and friends: the keys' positions depend on numkeys; COMMAND INFO reports none.
const NUMKEYS: (i32, i32, i32) = (0, 0, 0);
/// BLPOP and friends: every argument but the name and the last (the timeout).
const KEYS_THEN_TIMEOUT: (i32, i32, i32) = (1, -2, 1);
const STORE_NUMKEYS: (i32, i32, i32) = (1, 1, 1);
/// PFDEBUG's key follows its subcommand.
const SECOND_KEY: (i32, i32, i32) = (2, 2, 1);

/// Sorted by name (a test checks it) so that `lookup` can binary-search.
pub(crate) static COMMANDS: &[CommandSpec] = &[
    container(
        spec("acl", -2, ADMIN.or(NS), NO_KEYS, acl::acl),
        ACL_SUBCOMMANDS,
    ),
    spec("append", 3, WDF, KEY1, strings::append),
    spec("auth", -2, CONN.or(NS).or(AB), NO_KEYS, connection::auth),
    spec("bgsave", -1, ADMIN.or(NS), NO_KEYS, server::bgsave),
    spec("bitcount", -2, R, KEY1, bits::bitcount),
    spec("bitfield", -2, WD, KEY1, bitfield::bitfield),
    spec("bitfield_ro", -2, RF, KEY1, bitfield::bitfield_ro),
    spec("bitop", -4, WD, BITOP_KEYS, bits::bitop),
    spec("bitpos", -3, R, KEY1, bits::bitpos),
    spec("blmove", 6, WD.or(BLOCKING).or(NS), KEY12, blocking::blmove),
    spec("blmpop", -5, W.or(BLOCKING), NUMKEYS, blocking::blmpop),
    spec(
        "blpop",
        -3,
        W.or(BLOCKING).or(NS),
        KEYS_THEN_TIMEOUT,
        blocking::blpop,
    ),
    spec(
        "brpop",
        -3,
        W.or(BLOCKING).or(NS),
        KEYS_THEN_TIMEOUT,
        blocking::brpop,
    ),
    spec(
        "brpoplpush",
        4,
        WD.or(BLOCKING).or(NS),
        KEY12,
        blocking::brpoplpush,
    ),
    spec("bzmpop", -5, W.or(BLOCKING), NUMKEYS, blocking::bzmpop),
    spec(
        "bzpopmax",
        -3,
        WF.or(BLOCKING).or(NS),
        KEYS_THEN_TIMEOUT,
        blocking::bzpopmax,
    ),
    spec(
        "bzpopmin",
        -3,
        WF.or(BLOCKING).or(NS),
        KEYS_THEN_TIMEOUT,
        blocking::bzpopmin,
    ),
    container(
        spec("client", -2, ADMIN.or(NS), NO_KEYS, connection::client),
        CLIENT_SUBCOMMANDS,
    ),
    // Known, so that clients asking about a cluster get Redis's answer for a server without
    // one, and scripts may not call it (CLUSTER RESET must never run from a script).
    spec("cluster", -2, NS, NO_KEYS, server::cluster),
    container(
        spec("command", -1, ADMIN, NO_KEYS, server::command),
        COMMAND_SUBCOMMANDS,
    ),
    container(
        spec("config", -2, ADMIN.or(NS), NO_KEYS, config::config),
        CONFIG_SUBCOMMANDS,
    ),
    spec("copy", -3, WD, KEY12, keys::copy),
    spec("dbsize", 1, RF, NO_KEYS, server::dbsize),
    spec(
        "debug",
        -2,
        ADMIN.or(NS).or(Flags::PROTECTED),
        NO_KEYS,
        server::debug,
    ),
    spec("decr", 2, WDF, KEY1, strings::decr),
    spec("decrby", 3, WDF, KEY1, strings::decrby),
    spec("del", -2, W, ALL_KEYS, keys::del),
    spec(
        "discard",
        1,
        TRANSACTION.or(F).or(NOT_QUEUED).or(NS).or(AB),
        NO_KEYS,
        transaction::discard,
    ),
    spec("dump", 2, R, KEY1, dump::dump),
    spec("echo", 2, F, NO_KEYS, connection::echo),
    movable(
        spec("eval", -3, EVAL, NUMKEYS, scripting::eval),
        scripting::eval_keys,
    ),
    movable(
        spec("eval_ro", -3, EVAL_RO, NUMKEYS, scripting::eval_ro),
        scripting::eval_keys,
    ),
    movable(
        spec("evalsha", -3, EVAL, NUMKEYS, scripting::evalsha),
        scripting::eval_keys,
    ),
    movable(
        spec("evalsha_ro", -3, EVAL_RO, NUMKEYS, scripting::evalsha_ro),
        scripting::eval_keys,
    ),
    spec(
        "exec",
        1,
        TRANSACTION.or(NOT_QUEUED).or(NS),
        NO_KEYS,
        transaction::exec,
    ),
    spec("exists", -2, RF, ALL_KEYS, keys::exists),
    spec("expire", -3, WF, KEY1, expire::expire),
    spec("expireat", -3, WF, KEY1, expire::expireat),
    spec("expiretime", 2, RF, KEY1, expire::expiretime),
    movable(
        spec("fcall", -3, EVAL, NUMKEYS, functions::fcall),
        scripting::eval_keys,
    ),
    movable(
        spec("fcall_ro", -3, EVAL_RO, NUMKEYS, functions::fcall_ro),
        scripting::eval_keys,
    ),
    spec("flushall", -1, W, NO_KEYS, server::flushall),
    spec("flushdb", -1, W, NO_KEYS, server::flushdb),
    container(
        spec("function", -2, W.or(NS), NO_KEYS, functions::function),
        FUNCTION_SUBCOMMANDS,
    ),
    spec("get", 2, RF, KEY1, strings::get),
    spec("getbit", 3, RF, KEY1, bits::getbit),
    spec("getdel", 2, WF, KEY1, strings::getdel),
    spec("getex", -2, WF, KEY1, expire::getex),
    spec("getrange", 4, R, KEY1, strings::getrange),
    spec("getset", 3, WDF, KEY1, strings::getset),
    spec("hdel", -3, WF, KEY1, hash::hdel),
    spec("hello", -1, CONN.or(NS).or(AB), NO_KEYS, connection::hello),
    spec("hexists", 3, RF, KEY1, hash::hexists),
    spec("hget", 3, RF, KEY1, hash::hget),
    spec("hgetall", 2, R, KEY1, hash::hgetall),
    spec("hincrby", 4, WDF, KEY1, hash::hincrby),
    spec("hincrbyfloat", 4, WDF, KEY1, hash::hincrbyfloat),
    spec("hkeys", 2, R, KEY1, hash::hkeys),
    spec("hlen", 2, RF, KEY1, hash::hlen),
    spec("hmget", -3, RF, KEY1, hash::hmget),
    spec("hmset", -4, WDF, KEY1, hash::hmset),
    spec("hrandfield", -2, R, KEY1, hash::hrandfield),
    spec("hscan", -3, R, KEY1, hash::hscan),
    spec("hset", -4, WDF, KEY1, hash::hset),
    spec("hsetnx", 4, WDF, KEY1, hash::hsetnx),
    spec("hstrlen", 3, RF, KEY1, hash::hstrlen),
    spec("hvals", 2, R, KEY1, hash::hvals),
    spec("incr", 2, WDF, KEY1, strings::incr),
    spec("incrby", 3, WDF, KEY1, strings::incrby),
    spec("incrbyfloat", 3, WDF, KEY1, strings::incrbyfloat),
    spec(
        "info",
        -1,
        Flags::LOADING.or(Flags::STALE),
        NO_KEYS,
        info::info,
    ),
    spec("keys", 2, R, NO_KEYS, keys::keys),
    spec(
        "lastsave",
        1,
        Flags::LOADING.or(Flags::STALE).or(F),
        NO_KEYS,
        server::lastsave,
    ),
    spec("lcs", -3, R, KEY12, lcs::lcs),
    spec("lindex", 3, R, KEY1, list::lindex),
    spec("linsert", 5, WD, KEY1, list::linsert),
    spec("llen", 2, RF, KEY1, list::llen),
    spec("lmove", 5, WD, KEY12, list::lmove),
    spec("lmpop", -4, W, NUMKEYS, list::lmpop),
    spec("lpop", -2, WF, KEY1, list::lpop),
    spec("lpos", -3, R, KEY1, list::lpos),
    spec("lpush", -3, WDF, KEY1, list::lpush),
    spec("lpushx", -3, WDF, KEY1, list::lpushx),
    spec("lrange", 4, R, KEY1, list::lrange),
    spec("lrem", 4, W, KEY1, list::lrem),
    spec("lset", 4, WD, KEY1, list::lset),
    spec("ltrim", 4, W, KEY1, list::ltrim),
    container(
        spec("memory", -2, R, NO_KEYS, keys::memory),
        MEMORY_SUBCOMMANDS,
    ),
    spec("mget", -2, RF, ALL_KEYS, strings::mget),
    spec("monitor", 1, ADMIN.or(NS), NO_KEYS, control::monitor),
    spec("move", 3, WF, KEY1, keys::move_key),
    spec("mset", -3, WD, PAIRS, strings::mset),
    spec("msetnx", -3, WD, PAIRS, strings::msetnx),
    spec(
        "multi",
        1,
        TRANSACTION.or(F).or(NOT_QUEUED).or(NS).or(AB),
        NO_KEYS,
        transaction::multi,
    ),
    container(
        spec("object", -2, R, NO_KEYS, keys::object),
        OBJECT_SUBCOMMANDS,
    ),
    spec("persist", 2, WF, KEY1, expire::persist),
    spec("pexpire", -3, WF, KEY1, expire::pexpire),
    spec("pexpireat", -3, WF, KEY1, expire::pexpireat),
    spec("pexpiretime", 2, RF, KEY1, expire::pexpiretime),
    spec("pfadd", -2, WDF, KEY1, hyperloglog::pfadd),
    // PFCOUNT writes the cardinality it computed into the key's header, and Redis sends that
    // to replicas: CLIENT PAUSE WRITE holds it back.
    spec(
        "pfcount",
        -2,
        R.or(Flags::MAY_REPLICATE),
        ALL_KEYS,
        hyperloglog::pfcount,
    ),
    spec(
        "pfdebug",
        3,
        WD.or(Flags::ADMIN),
        SECOND_KEY,
        hyperloglog::pfdebug,
    ),
    spec("pfmerge", -2, WD, ALL_KEYS, hyperloglog::pfmerge),
    spec(
        "pfselftest",
        1,
        Flags::ADMIN,
        NO_KEYS,
        hyperloglog::pfselftest,
    ),
    spec(
        "ping",
        -1,
        F.or(Flags::PUBSUB_CONTEXT),
        NO_KEYS,
        connection::ping,
    ),
    spec("psetex", 4, WD, KEY1, expire::psetex),
    spec(
        "psubscribe",
        -2,
        SUBSCRIBER.or(NS),
        NO_KEYS,
        pubsub::psubscribe,
    ),
    spec(
        "psync",
        -3,
        ADMIN.or(Flags::NO_MULTI).or(NS),
        NO_KEYS,
        server::sync,
    ),
    spec("pttl", 2, RF, KEY1, expire::pttl),
    spec("publish", 3, PUBLISHER, NO_KEYS, pubsub::publish),
    container(
        spec("pubsub", -2, PUBSUB_INFO, NO_KEYS, pubsub::pubsub),
        PUBSUB_SUBCOMMANDS,
    ),
    spec(
        "punsubscribe",
        -1,
        SUBSCRIBER.or(NS),
        NO_KEYS,
        pubsub::punsubscribe,
    ),
    spec(
        "quit",
        -1,
        CONN.or(NOT_QUEUED).or(Flags::PUBSUB_CONTEXT).or(NS).or(AB),
        NO_KEYS,
        connection::quit,
    ),
    spec("randomkey", 1, R, NO_KEYS, keys::randomkey),
    spec("rename", 3, W, KEY12, keys::rename),
    spec("renamenx", 3, WF, KEY12, keys::renamenx),
    spec(
        "replconf",
        -1,
        ADMIN.or(NS).or(AB),
        NO_KEYS,
        server::replconf,
    ),
    spec(
        "reset",
        1,
        CONN.or(NOT_QUEUED).or(Flags::PUBSUB_CONTEXT).or(NS).or(AB),
        NO_KEYS,
        connection::reset,
    ),
    spec("restore", -4, WD, KEY1, dump::restore),
    spec("rpop", -2, WF, KEY1, list::rpop),
    spec("rpoplpush", 3, WD, KEY12, list::rpoplpush),
    spec("rpush", -3, WDF, KEY1, list::rpush),
    spec("rpushx", -3, WDF, KEY1, list::rpushx),
    spec("sadd", -3, WDF, KEY1, set::sadd),
    spec(
        "save",
        1,
        ADMIN.or(Flags::NO_MULTI).or(NS),
        NO_KEYS,
        server::save,
    ),
    spec("scan", -2, R, NO_KEYS, keys::scan),
    spec("scard", 2, RF, KEY1, set::scard),
    container(
        spec("script", -2, NS, NO_KEYS, scripting::script),
        SCRIPT_SUBCOMMANDS,
    ),
    spec("sdiff", -2, R, ALL_KEYS, set::sdiff),
    spec("sdiffstore", -3, WD, ALL_KEYS, set::sdiffstore),
    spec(
        "select",
        2,
        F.or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        connection::select,
    ),
    spec("set", -3, WD, KEY1, strings::set),
    spec("setbit", 4, WD, KEY1, bits::setbit),
    spec("setex", 4, WD, KEY1, expire::setex),
    spec("setnx", 3, WDF, KEY1, strings::setnx),
    spec("setrange", 4, WD, KEY1, strings::setrange),
    spec(
        "shutdown",
        -1,
        ADMIN.or(Flags::NO_MULTI).or(NS).or(AB),
        NO_KEYS,
        server::shutdown,
    ),
    spec("sinter", -2, R, ALL_KEYS, set::sinter),
    spec("sintercard", -3, R, NUMKEYS, set::sintercard),
    spec("sinterstore", -3, WD, ALL_KEYS, set::sinterstore),
    spec("sismember", 3, RF, KEY1, set::sismember),
    spec("smembers", 2, R, KEY1, set::smembers),
    spec("smismember", -3, RF, KEY1, set::smismember),
    spec("smove", 4, WF, KEY12, set::smove),
    movable(spec("sort", -2, WD, KEY1, sort::sort), sort::keys),
    // SORT_RO stores nothing, so its one key is at a fixed place; Redis flags it `movablekeys`
    // all the same.
    spec(
        "sort_ro",
        -2,
        R.or(Flags::MOVABLE_KEYS),
        KEY1,
        sort::sort_ro,
    ),
    spec("spop", -2, WF, KEY1, set::spop),
    spec("spublish", 3, PUBLISHER, KEY1, pubsub::spublish),
    spec("srandmember", -2, R, KEY1, set::srandmember),
    spec("srem", -3, WF, KEY1, set::srem),
    spec("sscan", -3, R, KEY1, set::sscan),
    spec(
        "ssubscribe",
        -2,
        SUBSCRIBER.or(NS),
        ALL_KEYS,
        pubsub::ssubscribe,
    ),
    spec("strlen", 2, RF, KEY1, strings::strlen),
    spec(
        "subscribe",
        -2,
        SUBSCRIBER.or(NS),
        NO_KEYS,
        pubsub::subscribe_channels,
    ),
    spec("substr", 4, R, KEY1, strings::getrange),
    spec("sunion", -2, R, ALL_KEYS, set::sunion),
    spec("sunionstore", -3, WD, ALL_KEYS, set::sunionstore),
    spec(
        "sunsubscribe",
        -1,
        SUBSCRIBER.or(NS),
        ALL_KEYS,
        pubsub::sunsubscribe,
    ),
    spec("swapdb", 3, WF, NO_KEYS, keys::swapdb),
    spec(
        "sync",
        1,
        ADMIN.or(Flags::NO_MULTI).or(NS),
        NO_KEYS,
        server::sync,
    ),
    spec(
        "time",
        1,
        F.or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        server::time,
    ),
    spec("touch", -2, RF, ALL_KEYS, keys::touch),
    spec("ttl", 2, RF, KEY1, expire::ttl),
    spec("type", 2, RF, KEY1, keys::type_of),
    spec("unlink", -2, WF, ALL_KEYS, keys::unlink),
    spec(
        "unsubscribe",
        -1,
        SUBSCRIBER.or(NS),
        NO_KEYS,
        pubsub::unsubscribe_channels,
    ),
    spec(
        "unwatch",
        1,
        TRANSACTION.or(F).or(NS).or(AB),
        NO_KEYS,
        transaction::unwatch,
    ),
    spec(
        "watch",
        -2,
        TRANSACTION.or(F).or(NOT_QUEUED).or(NS).or(AB),
        ALL_KEYS,
        transaction::watch,
    ),
    spec("zadd", -4, WDF, KEY1, zset::zadd),
    spec("zcard", 2, RF, KEY1, zset::zcard),
    spec("zcount", 4, RF, KEY1, zrange::zcount),
    spec("zdiff", -3, R, NUMKEYS, zsetops::zdiff),
    spec("zdiffstore", -4, WD, STORE_NUMKEYS, zsetops::zdiffstore),
    spec("zincrby", 4, WDF, KEY1, zset::zincrby),
    spec("zinter", -3, R, NUMKEYS, zsetops::zinter),
    spec("zintercard", -3, R, NUMKEYS, zsetops::zintercard),
    spec("zinterstore", -4, WD, STORE_NUMKEYS, zsetops::zinterstore),
    spec("zlexcount", 4, RF, KEY1, zrange::zlexcount),
    spec("zmpop", -4, W, NUMKEYS, zset::zmpop),
    spec("zmscore", -3, RF, KEY1, zset::zmscore),
    spec("zpopmax", -2, WF, KEY1, zset::zpopmax),
    spec("zpopmin", -2, WF, KEY1, zset::zpopmin),
    spec("zquery", 6, R, KEY1, zset::zquery),
    spec("zrandmember", -2, R, KEY1, zset::zrandmember),
    spec("zrange", -4, R, KEY1, zrange::zrange),
    spec("zrangebylex", -4, R, KEY1, zrange::zrangebylex),
    spec("zrangebyscore", -4, R, KEY1, zrange::zrangebyscore),
    spec("zrangestore", -5, WD, KEY12, zrange::zrangestore),
    spec("zrank", 3, RF, KEY1, zset::zrank),
    spec("zrem", -3, WF, KEY1, zset::zrem),
    spec("zremrangebylex", 4, W, KEY1, zrange::zremrangebylex),
    spec("zremrangebyrank", 4, W, KEY1, zrange::zremrangebyrank),
    spec("zremrangebyscore", 4, W, KEY1, zrange::zremrangebyscore),
    spec("zrevrange", -4, R, KEY1, zrange::zrevrange),
    spec("zrevrangebylex", -4, R, KEY1, zrange::zrevrangebylex),
    spec("zrevrangebyscore", -4, R, KEY1, zrange::zrevrangebyscore),
    spec("zrevrank", 3, RF, KEY1, zset::zrevrank),
    spec("zscan", -3, R, KEY1, zset::zscan),
    spec("zscore", 3, RF, KEY1, zset::zscore),
    spec("zunion", -3, R, NUMKEYS, zsetops::zunion),
    spec("zunionstore", -4, WD, STORE_NUMKEYS, zsetops::zunionstore),
];

/// Longest command name in the table; longer names cannot match.
const NAME_BYTES_MAX: usize = 16;

/// Packs up to 16 bytes, lowered to ASCII lower case, big-endian and zero padded: for names
/// without NUL bytes the integers sort as the names do.
const fn pack_name(name: &[u8]) -> u128 {
    let mut bytes = [0u8; NAME_BYTES_MAX];
    let mut index = 0;
    while index < name.len() && index < NAME_BYTES_MAX {
        bytes[index] = name[index].to_ascii_lowercase();
        index += 1;
    }
    u128::from_be_bytes(bytes)
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
        assert_eq!(
            lookup(b"ZREMRANGEBYSCORE").map(|spec| spec.name),
            Some("zremrangebyscore")
        );
    }
}
