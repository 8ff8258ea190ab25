//! Each command's key specs, as Redis 7.0 declares them (COMMAND INFO, COMMAND
//! GETKEYSANDFLAGS). Sorted by name.

use super::{Begin, Find, KeySpec};

pub(super) static KEY_SPECS: &[(&str, &[KeySpec])] = &[
    (
        "append",
        &[KeySpec {
            flags: &["RW", "insert"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "bitcount",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "bitfield",
        &[KeySpec {
            flags: &["RW", "access", "update", "variable_flags"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "bitfield_ro",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "bitop",
        &[
            KeySpec {
                flags: &["OW", "update"],
                begin: Begin::Index(2),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["RO", "access"],
                begin: Begin::Index(3),
                find: Find::Range {
                    last: -1,
                    step: 1,
                    limit: 0,
                },
            },
        ],
    ),
    (
        "bitpos",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "blmove",
        &[
            KeySpec {
                flags: &["RW", "access", "delete"],
                begin: Begin::Index(1),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["RW", "insert"],
                begin: Begin::Index(2),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
        ],
    ),
    (
        "blmpop",
        &[KeySpec {
            flags: &["RW", "access", "delete"],
            begin: Begin::Index(2),
            find: Find::Keynum {
                at: 0,
                first: 1,
                step: 1,
            },
        }],
    ),
    (
        "blpop",
        &[KeySpec {
            flags: &["RW", "access", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: -2,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "brpop",
        &[KeySpec {
            flags: &["RW", "access", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: -2,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "brpoplpush",
        &[
            KeySpec {
                flags: &["RW", "access", "delete"],
                begin: Begin::Index(1),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["RW", "insert"],
                begin: Begin::Index(2),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
        ],
    ),
    (
        "bzmpop",
        &[KeySpec {
            flags: &["RW", "access", "delete"],
            begin: Begin::Index(2),
            find: Find::Keynum {
                at: 0,
                first: 1,
                step: 1,
            },
        }],
    ),
    (
        "bzpopmax",
        &[KeySpec {
            flags: &["RW", "access", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: -2,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "bzpopmin",
        &[KeySpec {
            flags: &["RW", "access", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: -2,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "copy",
        &[
            KeySpec {
                flags: &["RO", "access"],
                begin: Begin::Index(1),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["OW", "update"],
                begin: Begin::Index(2),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
        ],
    ),
    (
        "decr",
        &[KeySpec {
            flags: &["RW", "access", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "decrby",
        &[KeySpec {
            flags: &["RW", "access", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "del",
        &[KeySpec {
            flags: &["RM", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: -1,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "dump",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "eval",
        &[KeySpec {
            flags: &["RW", "access", "update"],
            begin: Begin::Index(2),
            find: Find::Keynum {
                at: 0,
                first: 1,
                step: 1,
            },
        }],
    ),
    (
        "eval_ro",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(2),
            find: Find::Keynum {
                at: 0,
                first: 1,
                step: 1,
            },
        }],
    ),
    (
        "evalsha",
        &[KeySpec {
            flags: &["RW", "access", "update"],
            begin: Begin::Index(2),
            find: Find::Keynum {
                at: 0,
                first: 1,
                step: 1,
            },
        }],
    ),
    (
        "evalsha_ro",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(2),
            find: Find::Keynum {
                at: 0,
                first: 1,
                step: 1,
            },
        }],
    ),
    (
        "exists",
        &[KeySpec {
            flags: &["RO"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: -1,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "expire",
        &[KeySpec {
            flags: &["RW", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "expireat",
        &[KeySpec {
            flags: &["RW", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "expiretime",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "fcall",
        &[KeySpec {
            flags: &["RW", "access", "update"],
            begin: Begin::Index(2),
            find: Find::Keynum {
                at: 0,
                first: 1,
                step: 1,
            },
        }],
    ),
    (
        "fcall_ro",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(2),
            find: Find::Keynum {
                at: 0,
                first: 1,
                step: 1,
            },
        }],
    ),
    (
        "get",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "getbit",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "getdel",
        &[KeySpec {
            flags: &["RW", "access", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "getex",
        &[KeySpec {
            flags: &["RW", "access", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "getrange",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "getset",
        &[KeySpec {
            flags: &["RW", "access", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "hdel",
        &[KeySpec {
            flags: &["RW", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "hexists",
        &[KeySpec {
            flags: &["RO"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "hget",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "hgetall",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "hincrby",
        &[KeySpec {
            flags: &["RW", "access", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "hincrbyfloat",
        &[KeySpec {
            flags: &["RW", "access", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "hkeys",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "hlen",
        &[KeySpec {
            flags: &["RO"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "hmget",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "hmset",
        &[KeySpec {
            flags: &["RW", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "hrandfield",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "hscan",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "hset",
        &[KeySpec {
            flags: &["RW", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "hsetnx",
        &[KeySpec {
            flags: &["RW", "insert"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "hstrlen",
        &[KeySpec {
            flags: &["RO"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "hvals",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "incr",
        &[KeySpec {
            flags: &["RW", "access", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "incrby",
        &[KeySpec {
            flags: &["RW", "access", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "incrbyfloat",
        &[KeySpec {
            flags: &["RW", "access", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "lcs",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 1,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "lindex",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "linsert",
        &[KeySpec {
            flags: &["RW", "insert"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "llen",
        &[KeySpec {
            flags: &["RO"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "lmove",
        &[
            KeySpec {
                flags: &["RW", "access", "delete"],
                begin: Begin::Index(1),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["RW", "insert"],
                begin: Begin::Index(2),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
        ],
    ),
    (
        "lmpop",
        &[KeySpec {
            flags: &["RW", "access", "delete"],
            begin: Begin::Index(1),
            find: Find::Keynum {
                at: 0,
                first: 1,
                step: 1,
            },
        }],
    ),
    (
        "lpop",
        &[KeySpec {
            flags: &["RW", "access", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "lpos",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "lpush",
        &[KeySpec {
            flags: &["RW", "insert"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "lpushx",
        &[KeySpec {
            flags: &["RW", "insert"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "lrange",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "lrem",
        &[KeySpec {
            flags: &["RW", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "lset",
        &[KeySpec {
            flags: &["RW", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "ltrim",
        &[KeySpec {
            flags: &["RW", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "memory|usage",
        &[KeySpec {
            flags: &["RO"],
            begin: Begin::Index(2),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "mget",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: -1,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "move",
        &[KeySpec {
            flags: &["RW", "access", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "mset",
        &[KeySpec {
            flags: &["OW", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: -1,
                step: 2,
                limit: 0,
            },
        }],
    ),
    (
        "msetnx",
        &[KeySpec {
            flags: &["OW", "insert"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: -1,
                step: 2,
                limit: 0,
            },
        }],
    ),
    (
        "object|encoding",
        &[KeySpec {
            flags: &["RO"],
            begin: Begin::Index(2),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "object|freq",
        &[KeySpec {
            flags: &["RO"],
            begin: Begin::Index(2),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "object|idletime",
        &[KeySpec {
            flags: &["RO"],
            begin: Begin::Index(2),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "object|refcount",
        &[KeySpec {
            flags: &["RO"],
            begin: Begin::Index(2),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "persist",
        &[KeySpec {
            flags: &["RW", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "pexpire",
        &[KeySpec {
            flags: &["RW", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "pexpireat",
        &[KeySpec {
            flags: &["RW", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "pexpiretime",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "pfadd",
        &[KeySpec {
            flags: &["RW", "insert"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "pfcount",
        &[KeySpec {
            flags: &["RW", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: -1,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "pfdebug",
        &[KeySpec {
            flags: &["RW", "access"],
            begin: Begin::Index(2),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "pfmerge",
        &[
            KeySpec {
                flags: &["RW", "access", "insert"],
                begin: Begin::Index(1),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["RO", "access"],
                begin: Begin::Index(2),
                find: Find::Range {
                    last: -1,
                    step: 1,
                    limit: 0,
                },
            },
        ],
    ),
    (
        "psetex",
        &[KeySpec {
            flags: &["OW", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "pttl",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "rename",
        &[
            KeySpec {
                flags: &["RW", "access", "delete"],
                begin: Begin::Index(1),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["OW", "update"],
                begin: Begin::Index(2),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
        ],
    ),
    (
        "renamenx",
        &[
            KeySpec {
                flags: &["RW", "access", "delete"],
                begin: Begin::Index(1),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["OW", "insert"],
                begin: Begin::Index(2),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
        ],
    ),
    (
        "restore",
        &[KeySpec {
            flags: &["OW", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "rpop",
        &[KeySpec {
            flags: &["RW", "access", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "rpoplpush",
        &[
            KeySpec {
                flags: &["RW", "access", "delete"],
                begin: Begin::Index(1),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["RW", "insert"],
                begin: Begin::Index(2),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
        ],
    ),
    (
        "rpush",
        &[KeySpec {
            flags: &["RW", "insert"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "rpushx",
        &[KeySpec {
            flags: &["RW", "insert"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "sadd",
        &[KeySpec {
            flags: &["RW", "insert"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "scard",
        &[KeySpec {
            flags: &["RO"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "sdiff",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: -1,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "sdiffstore",
        &[
            KeySpec {
                flags: &["OW", "update"],
                begin: Begin::Index(1),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["RO", "access"],
                begin: Begin::Index(2),
                find: Find::Range {
                    last: -1,
                    step: 1,
                    limit: 0,
                },
            },
        ],
    ),
    (
        "set",
        &[KeySpec {
            flags: &["RW", "access", "update", "variable_flags"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "setbit",
        &[KeySpec {
            flags: &["RW", "access", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "setex",
        &[KeySpec {
            flags: &["OW", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "setnx",
        &[KeySpec {
            flags: &["OW", "insert"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "setrange",
        &[KeySpec {
            flags: &["RW", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "sinter",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: -1,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "sintercard",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Keynum {
                at: 0,
                first: 1,
                step: 1,
            },
        }],
    ),
    (
        "sinterstore",
        &[
            KeySpec {
                flags: &["RW", "update"],
                begin: Begin::Index(1),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["RO", "access"],
                begin: Begin::Index(2),
                find: Find::Range {
                    last: -1,
                    step: 1,
                    limit: 0,
                },
            },
        ],
    ),
    (
        "sismember",
        &[KeySpec {
            flags: &["RO"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "smembers",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "smismember",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "smove",
        &[
            KeySpec {
                flags: &["RW", "access", "delete"],
                begin: Begin::Index(1),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["RW", "insert"],
                begin: Begin::Index(2),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
        ],
    ),
    (
        "sort",
        &[
            KeySpec {
                flags: &["RO", "access"],
                begin: Begin::Index(1),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["RO", "access"],
                begin: Begin::Unknown,
                find: Find::Unknown,
            },
            KeySpec {
                flags: &["OW", "update"],
                begin: Begin::Unknown,
                find: Find::Unknown,
            },
        ],
    ),
    (
        "sort_ro",
        &[
            KeySpec {
                flags: &["RO", "access"],
                begin: Begin::Index(1),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["RO", "access"],
                begin: Begin::Unknown,
                find: Find::Unknown,
            },
        ],
    ),
    (
        "spop",
        &[KeySpec {
            flags: &["RW", "access", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "spublish",
        &[KeySpec {
            flags: &["not_key"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "srandmember",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "srem",
        &[KeySpec {
            flags: &["RW", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "sscan",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "ssubscribe",
        &[KeySpec {
            flags: &["not_key"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: -1,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "strlen",
        &[KeySpec {
            flags: &["RO"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "substr",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "sunion",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: -1,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "sunionstore",
        &[
            KeySpec {
                flags: &["OW", "update"],
                begin: Begin::Index(1),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["RO", "access"],
                begin: Begin::Index(2),
                find: Find::Range {
                    last: -1,
                    step: 1,
                    limit: 0,
                },
            },
        ],
    ),
    (
        "sunsubscribe",
        &[KeySpec {
            flags: &["not_key"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: -1,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "touch",
        &[KeySpec {
            flags: &["RO"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: -1,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "ttl",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "type",
        &[KeySpec {
            flags: &["RO"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "unlink",
        &[KeySpec {
            flags: &["RM", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: -1,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "watch",
        &[KeySpec {
            flags: &["RO"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: -1,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zadd",
        &[KeySpec {
            flags: &["RW", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zcard",
        &[KeySpec {
            flags: &["RO"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zcount",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zdiff",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Keynum {
                at: 0,
                first: 1,
                step: 1,
            },
        }],
    ),
    (
        "zdiffstore",
        &[
            KeySpec {
                flags: &["OW", "update"],
                begin: Begin::Index(1),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["RO", "access"],
                begin: Begin::Index(2),
                find: Find::Keynum {
                    at: 0,
                    first: 1,
                    step: 1,
                },
            },
        ],
    ),
    (
        "zincrby",
        &[KeySpec {
            flags: &["RW", "access", "update"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zinter",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Keynum {
                at: 0,
                first: 1,
                step: 1,
            },
        }],
    ),
    (
        "zintercard",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Keynum {
                at: 0,
                first: 1,
                step: 1,
            },
        }],
    ),
    (
        "zinterstore",
        &[
            KeySpec {
                flags: &["OW", "update"],
                begin: Begin::Index(1),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["RO", "access"],
                begin: Begin::Index(2),
                find: Find::Keynum {
                    at: 0,
                    first: 1,
                    step: 1,
                },
            },
        ],
    ),
    (
        "zlexcount",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zmpop",
        &[KeySpec {
            flags: &["RW", "access", "delete"],
            begin: Begin::Index(1),
            find: Find::Keynum {
                at: 0,
                first: 1,
                step: 1,
            },
        }],
    ),
    (
        "zmscore",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zpopmax",
        &[KeySpec {
            flags: &["RW", "access", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zpopmin",
        &[KeySpec {
            flags: &["RW", "access", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zrandmember",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zrange",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zrangebylex",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zrangebyscore",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zrangestore",
        &[
            KeySpec {
                flags: &["OW", "update"],
                begin: Begin::Index(1),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["RO", "access"],
                begin: Begin::Index(2),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
        ],
    ),
    (
        "zrank",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zrem",
        &[KeySpec {
            flags: &["RW", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zremrangebylex",
        &[KeySpec {
            flags: &["RW", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zremrangebyrank",
        &[KeySpec {
            flags: &["RW", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zremrangebyscore",
        &[KeySpec {
            flags: &["RW", "delete"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zrevrange",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zrevrangebylex",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zrevrangebyscore",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zrevrank",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zscan",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zscore",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Range {
                last: 0,
                step: 1,
                limit: 0,
            },
        }],
    ),
    (
        "zunion",
        &[KeySpec {
            flags: &["RO", "access"],
            begin: Begin::Index(1),
            find: Find::Keynum {
                at: 0,
                first: 1,
                step: 1,
            },
        }],
    ),
    (
        "zunionstore",
        &[
            KeySpec {
                flags: &["OW", "update"],
                begin: Begin::Index(1),
                find: Find::Range {
                    last: 0,
                    step: 1,
                    limit: 0,
                },
            },
            KeySpec {
                flags: &["RO", "access"],
                begin: Begin::Index(2),
                find: Find::Keynum {
                    at: 0,
                    first: 1,
                    step: 1,
                },
            },
        ],
    ),
];
