//! MEMORY (USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE) and the memory figures INFO memory
//! shows too: what the driver measured (allocated, resident) and what the structures say of
//! their own sizes.

use super::args::{is_option, is_subcommand};
use super::{unknown_subcommand, ArgCursor, CommandResult, Ctx, SYNTAX};

/// Below this much data MEMORY DOCTOR has nothing to judge.
const DOCTOR_DATA_MIN_BYTES: u64 = 5 << 20;

/// The figures INFO memory and MEMORY STATS share.
#[derive(Debug, Clone, Copy)]
pub(super) struct MemoryFigures {
    /// Allocated now, as the driver measured it.
    pub(super) used: u64,
    pub(super) rss: u64,
    pub(super) peak: u64,
    /// Allocated when the server started serving.
    pub(super) startup: u64,
    /// The clients' query buffers and pending replies.
    pub(super) clients: u64,
    /// The append-only file's bytes not yet written.
    pub(super) aof_buffer: u64,
    /// Everything but the data: startup, clients, the file's buffer, the databases' tables
    /// (their nodes and buckets, not what the values hold).
    pub(super) overhead: u64,
    pub(super) dataset: u64,
    /// The Lua state's heap.
    pub(super) lua: u64,
    /// Cached scripts' bodies and their table entries.
    pub(super) scripts_eval: u64,
    /// Function libraries' code.
    pub(super) functions: u64,
}

impl MemoryFigures {
    pub(super) fn of(ctx: &Ctx<'_, '_>) -> MemoryFigures {
        let used = ctx.state.used_memory_bytes;
        let introspect = &ctx.state.introspect;
        let startup = introspect.memory_startup_bytes.min(used);
        let clients: u64 = ctx
            .connections()
            .iter()
            .map(|(_, connection)| {
                (connection.query.capacity() + connection.reply_pending_bytes()) as u64
            })
            .sum();
        let aof = &ctx.state.aof;
        let pending = if aof.on {
            ctx.keyspace.pending_bytes()
        } else {
            0
        };
        let aof_buffer = aof.appended.saturating_sub(aof.written) + pending;
        let tables: u64 = ctx
            .keyspace
            .dbs
            .iter()
            .map(|db| {
                let (main, expires) = db.overhead_bytes();
                (main + expires) as u64
            })
            .sum();
        let overhead = startup + clients + aof_buffer + tables;
        let scripts = &ctx.state.scripts;
        // One Lua state runs both scripts and functions (its heap is unknown while a script
        // runs, the state being taken out then).
        let lua = scripts
            .engine()
            .map_or(0, |engine| engine.vm.lua.used_memory() as u64);
        let scripts_eval = scripts
            .cache
            .values()
            .map(|script| script.body.len() as u64 + 40)
            .sum();
        let functions = scripts
            .libraries
            .iter()
            .map(|(name, library)| (name.len() + library.code.len()) as u64)
            .sum();
        MemoryFigures {
            used,
            rss: ctx.state.resident_memory_bytes,
            peak: introspect.memory_peak_bytes.max(used),
            startup,
            clients,
            aof_buffer,
            overhead,
            dataset: used.saturating_sub(overhead),
            lua,
            scripts_eval,
            functions,
        }
    }

    /// Resident over allocated.
    pub(super) fn fragmentation(&self) -> f64 {
        if self.used == 0 {
            0.0
        } else {
            self.rss as f64 / self.used as f64
        }
    }
}

/// `part` as a percentage of `whole`, 0 for an empty whole.
pub(super) fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// MEMORY USAGE key [SAMPLES count] | STATS | DOCTOR | MALLOC-STATS | PURGE | HELP
pub(crate) fn memory(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let subcommand = args.next_bytes()?;
    if is_subcommand(subcommand, "USAGE") {
        usage(ctx, args)
    } else if is_subcommand(subcommand, "STATS") {
        stats(ctx);
        Ok(())
    } else if is_subcommand(subcommand, "DOCTOR") {
        let report = doctor(ctx);
        ctx.reply.verbatim(report.as_bytes());
        Ok(())
    } else if is_subcommand(subcommand, "MALLOC-STATS") {
        ctx.reply
            .verbatim(b"Stats not supported for the current allocator");
        Ok(())
    } else if is_subcommand(subcommand, "PURGE") {
        // The system allocator keeps no dirty pages of its own to hand back.
        ctx.reply.ok();
        Ok(())
    } else if is_subcommand(subcommand, "HELP") {
        ctx.reply.help(&[
            "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
            "HELP",
            "    Prints this help.",
        ]);
        Ok(())
    } else {
        Err(unknown_subcommand(subcommand, "MEMORY"))
    }
}

/// MEMORY USAGE key [SAMPLES count]: a key's bytes (its node in the keyspace, a long key's
/// own block, and what its value holds). Every value is measured whole: SAMPLES is checked as
/// Redis checks it and changes nothing.
fn usage(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let key = args.next_bytes()?;
    match args.remaining() {
        0 => {}
        2 if is_option(args.next_bytes()?, "SAMPLES") => {
            let samples = args.next_i64()?;
            if samples < 0 {
                return Err(SYNTAX.into());
            }
        }
        _ => return Err(SYNTAX.into()),
    }
    let now = ctx.now.wall;
    let Some(value) = ctx.keyspace.dbs[ctx.db].get_untouched(now, key) else {
        ctx.reply.null();
        return Ok(());
    };
    ctx.reply
        .integer(crate::store::db::entry_bytes(key, value) as i64);
    Ok(())
}

/// MEMORY STATS: Redis's map of figures, those an allocator of its own would add left out.
fn stats(ctx: &mut Ctx<'_, '_>) {
    let figures = MemoryFigures::of(ctx);
    let databases: Vec<(usize, (usize, usize))> = ctx
        .keyspace
        .dbs
        .iter()
        .enumerate()
        .filter(|(_, db)| !db.is_empty())
        .map(|(index, db)| (index, db.overhead_bytes()))
        .collect();
    let keys: u64 = ctx.keyspace.dbs.iter().map(|db| db.len() as u64).sum();
    let (overhead, dataset) = (figures.overhead, figures.dataset);
    let reply = &mut *ctx.reply;
    reply.map(21 + databases.len());
    let counts = [
        ("peak.allocated", figures.peak),
        ("total.allocated", figures.used),
        ("startup.allocated", figures.startup),
        ("replication.backlog", 0),
        ("clients.slaves", 0),
        ("clients.normal", figures.clients),
        ("cluster.links", 0),
        ("aof.buffer", figures.aof_buffer),
        ("lua.caches", figures.scripts_eval),
        ("functions.caches", figures.functions),
    ];
    for (name, value) in counts {
        reply.bulk(name.as_bytes());
        reply.integer(value as i64);
    }
    for (index, (main, expires)) in databases {
        reply.bulk(format!("db.{index}").as_bytes());
        reply.map(3);
        reply.bulk(b"overhead.hashtable.main");
        reply.integer(main as i64);
        reply.bulk(b"overhead.hashtable.expires");
        reply.integer(expires as i64);
        reply.bulk(b"overhead.hashtable.slot-to-keys");
        reply.integer(0);
    }
    reply.bulk(b"overhead.total");
    reply.integer(overhead as i64);
    reply.bulk(b"keys.count");
    reply.integer(keys as i64);
    reply.bulk(b"keys.bytes-per-key");
    let per_key = figures.used.saturating_sub(figures.startup) / keys.max(1);
    reply.integer(if keys == 0 { 0 } else { per_key as i64 });
    reply.bulk(b"dataset.bytes");
    reply.integer(dataset as i64);
    reply.bulk(b"dataset.percentage");
    let net = figures.used.saturating_sub(figures.startup);
    reply.double(percent(dataset, net));
    reply.bulk(b"peak.percentage");
    reply.double(percent(figures.used, figures.peak));
    reply.bulk(b"allocator.allocated");
    reply.integer(figures.used as i64);
    reply.bulk(b"allocator.resident");
    reply.integer(figures.rss as i64);
    reply.bulk(b"allocator-fragmentation.ratio");
    reply.double(1.0);
    reply.bulk(b"fragmentation");
    reply.double(figures.fragmentation());
    reply.bulk(b"fragmentation.bytes");
    reply.integer(figures.rss as i64 - figures.used as i64);
}

/// MEMORY DOCTOR: what the figures suggest, in plain words.
fn doctor(ctx: &Ctx<'_, '_>) -> String {
    let figures = MemoryFigures::of(ctx);
    if figures.used.saturating_sub(figures.startup) < DOCTOR_DATA_MIN_BYTES {
        return "The server holds too little data (under 5 MB) for a judgement on its memory. \
                Ask again once it holds more."
            .to_string();
    }
    let mut findings = Vec::new();
    if figures.peak > figures.used.saturating_mul(3) / 2 {
        findings.push(format!(
            "- The peak was {} bytes, over 150% of the {} in use now: the data shrank, and the \
             process may hold memory it no longer needs (see the RSS below).",
            figures.peak, figures.used
        ));
    }
    let fragmentation = figures.fragmentation();
    if fragmentation > 1.4 {
        findings.push(format!(
            "- The process's resident memory is {fragmentation:.2} times what it has allocated: \
             freed blocks are scattered. Restarting from a saved file packs the data again."
        ));
    }
    if figures.clients > figures.used / 10 {
        findings.push(format!(
            "- Clients' buffers hold {} bytes, over a tenth of the memory in use: some clients \
             send big pipelines or read their replies slowly (CLIENT LIST shows qbuf and omem).",
            figures.clients
        ));
    }
    if findings.is_empty() {
        return "No problem found: the memory in use, its peak, the process's resident size \
                and the clients' buffers are in proportion."
            .to_string();
    }
    format!("Findings:\n\n{}\n", findings.join("\n"))
}
