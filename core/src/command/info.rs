//! INFO [section ...]: Redis's text format, `# Section` headers and `field:value` lines.

use std::fmt::Write;

use super::connection::REDIS_VERSION;
use super::{ArgCursor, CommandResult, Ctx};
use crate::pubsub::Kind;
type Section = fn(&Ctx<'_, '_>, &mut String);

/// In the order Redis prints them; `default` and `all` print every one of these.
const SECTIONS: [(&str, Section); 8] = [
    ("server", server_section),
    ("clients", clients_section),
    ("memory", memory_section),
    ("persistence", persistence_section),
    ("stats", stats_section),
    ("replication", replication_section),
    ("errorstats", errorstats_section),
    ("keyspace", keyspace_section),
];

/// INFO [section [section ...]]
pub(crate) fn info(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let wanted: Vec<String> = args
        .rest()
        .map(|arg| String::from_utf8_lossy(arg).to_ascii_lowercase())
        .collect();
    let everything = wanted.is_empty()
        || wanted
            .iter()
            .any(|name| name == "all" || name == "default" || name == "everything");
    let mut text = String::new();
    for (name, write_section) in SECTIONS {
        if everything || wanted.iter().any(|wanted| wanted == name) {
            if !text.is_empty() {
                text.push_str("\r\n");
            }
            write_section(ctx, &mut text);
        }
    }
    ctx.reply.verbatim(text.as_bytes());
    Ok(())
}

fn server_section(ctx: &Ctx<'_, '_>, out: &mut String) {
    let uptime_secs = ctx.now.monotonic.millis_since(ctx.state.started.monotonic) / 1000;
    let _ = write!(
        out,
        "# Server\r\nredis_version:{REDIS_VERSION}\r\nferrodis_version:{}\r\nredis_mode:standalone\r\n\
         arch_bits:64\r\nmultiplexing_api:epoll\r\nprocess_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\n\
         uptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\nconfigured_hz:{}\r\n",
        env!("CARGO_PKG_VERSION"),
        ctx.state.config.process_id,
        ctx.state.config.port,
        ctx.now.wall.as_millis().saturating_mul(1000),
        uptime_secs,
        uptime_secs / 86_400,
        ctx.state.config.hz,
        ctx.state.config.hz,
    );
}

fn clients_section(ctx: &Ctx<'_, '_>, out: &mut String) {
    let _ = write!(
        out,
        "# Clients\r\nconnected_clients:{}\r\nmaxclients:{}\r\nblocked_clients:{}\r\ntracking_clients:{}\r\n",
        ctx.others.open_count(),
        ctx.state.config.clients_max,
        ctx.connections().iter().filter(|(_, connection)| connection.waiting()).count(),
        ctx.state.tracking.clients(),
    );
}

fn memory_section(ctx: &Ctx<'_, '_>, out: &mut String) {
    let used = ctx.state.used_memory_bytes;
    let rss = ctx.state.resident_memory_bytes;
    let config = &ctx.state.config;
    let maxmemory = config.maxmemory_bytes;
    let fragmentation = if used == 0 {
        0.0
    } else {
        rss as f64 / used as f64
    };
    let scripts = &ctx.state.scripts;
    // One Lua state runs both scripts and functions; its heap is reported for each (it is
    // unknown while a script runs, the state being taken out then).
    let lua = scripts
        .engine()
        .map_or(0, |engine| engine.vm.lua.used_memory() as u64);
    let _ = write!(
        out,
        "# Memory\r\nused_memory:{used}\r\nused_memory_human:{}\r\n\
         used_memory_rss:{rss}\r\nused_memory_rss_human:{}\r\n\
         used_memory_lua:{lua}\r\nused_memory_vm_eval:{lua}\r\nused_memory_lua_human:{}\r\n\
         number_of_cached_scripts:{}\r\nnumber_of_functions:{}\r\nnumber_of_libraries:{}\r\n\
         used_memory_vm_total:{lua}\r\nmaxmemory:{maxmemory}\r\n\
         maxmemory_human:{}\r\nmaxmemory_policy:{}\r\n\
         mem_fragmentation_ratio:{fragmentation:.2}\r\nmem_fragmentation_bytes:{}\r\n\
         mem_allocator:libc\r\n",
        human_bytes(used),
        human_bytes(rss),
        human_bytes(lua),
        scripts.cache.len(),
        scripts.functions.len(),
        scripts.libraries.len(),
        human_bytes(maxmemory),
        config.maxmemory_policy.name(),
        rss as i64 - used as i64,
    );
}

fn errorstats_section(ctx: &Ctx<'_, '_>, out: &mut String) {
    out.push_str("# Errorstats\r\n");
    for (code, count) in &ctx.state.stats.error_codes {
        let _ = write!(
            out,
            "errorstat_{}:count={count}\r\n",
            String::from_utf8_lossy(code)
        );
    }
}

fn persistence_section(ctx: &Ctx<'_, '_>, out: &mut String) {
    let persistence = &ctx.state.persistence;
    let now = ctx.now.wall.as_millis();
    let (in_progress, current_secs) = match &persistence.job {
        Some(job) => (1, (now - job.started.as_millis()) / 1000),
        None => (0, -1),
    };
    let status = if persistence.last_save_ok {
        "ok"
    } else {
        "err"
    };
    let loaded = &persistence.loaded;
    let _ = write!(
        out,
        "# Persistence\r\nloading:{}\r\nasync_loading:0\r\ncurrent_cow_peak:0\r\n\
         current_cow_size:0\r\ncurrent_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\n\
         current_save_keys_processed:0\r\ncurrent_save_keys_total:0\r\n\
         rdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{in_progress}\r\n\
         rdb_last_save_time:{}\r\nrdb_last_bgsave_status:{status}\r\n\
         rdb_last_bgsave_time_sec:{}\r\nrdb_current_bgsave_time_sec:{current_secs}\r\n\
         rdb_saves:{}\r\nrdb_last_cow_size:0\r\nrdb_last_load_keys_expired:{}\r\n\
         rdb_last_load_keys_loaded:{}\r\n",
        u8::from(ctx.state.loading_dataset),
        ctx.keyspace.changes() - persistence.changes_at_last_save,
        persistence.last_save.as_millis().div_euclid(1000),
        persistence.last_duration_secs,
        persistence.saves,
        loaded.expired,
        loaded.keys,
    );
    aof_fields(ctx, out);
}

fn aof_fields(ctx: &Ctx<'_, '_>, out: &mut String) {
    let aof = &ctx.state.aof;
    let now = ctx.now.wall.as_millis();
    let ok = |good: bool| if good { "ok" } else { "err" };
    let current_secs = aof
        .rewrite
        .as_ref()
        .map_or(-1, |rewrite| (now - rewrite.started.as_millis()) / 1000);
    let _ = write!(
        out,
        "aof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\n\
         aof_last_rewrite_time_sec:{}\r\naof_current_rewrite_time_sec:{current_secs}\r\n\
         aof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\n\
         aof_rewrites_consecutive_failures:{}\r\naof_last_write_status:{}\r\n\
         aof_last_cow_size:0\r\nmodule_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n",
        u8::from(aof.on),
        u8::from(aof.rewriting()),
        u8::from(aof.rewrite_scheduled),
        aof.last_rewrite_secs,
        ok(aof.last_rewrite_ok),
        aof.rewrites,
        aof.consecutive_failures,
        ok(aof.last_write_ok && aof.broken.is_none()),
    );
    if aof.on {
        let _ = write!(
            out,
            "aof_current_size:{}\r\naof_base_size:{}\r\naof_pending_rewrite:{}\r\n\
             aof_buffer_length:{}\r\naof_pending_bio_fsync:{}\r\naof_delayed_fsync:{}\r\n",
            aof.current_bytes,
            aof.base_bytes,
            u8::from(aof.rewrite_scheduled),
            aof.appended - aof.written.min(aof.appended),
            u8::from(aof.syncing.is_some()),
            aof.delayed_fsyncs,
        );
    }
}

fn stats_section(ctx: &Ctx<'_, '_>, out: &mut String) {
    let stats = &ctx.state.stats;
    let _ = write!(
        out,
        "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\n\
         total_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\nrejected_connections:{}\r\n\
         expired_keys:{}\r\nevicted_keys:{}\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\n\
         pubsub_channels:{}\r\npubsub_patterns:{}\r\npubsubshard_channels:{}\r\n\
         tracking_total_keys:{}\r\ntracking_total_items:{}\r\ntracking_total_prefixes:{}\r\n\
         total_error_replies:{}\r\nmigrate_cached_sockets:0\r\n",
        stats.connections_received,
        stats.commands_processed,
        stats.net_input_bytes,
        stats.net_output_bytes,
        stats.rejected_connections,
        stats.expired_keys,
        stats.evicted_keys,
        stats.keyspace_hits,
        stats.keyspace_misses,
        ctx.state.pubsub.names(Kind::Channel, None).count(),
        ctx.state.pubsub.pattern_count(),
        ctx.state.pubsub.names(Kind::Shard, None).count(),
        ctx.state.tracking.keys(),
        ctx.state.tracking.items(),
        ctx.state.tracking.prefix_count(),
        stats.total_error_replies,
    );
}

fn replication_section(_ctx: &Ctx<'_, '_>, out: &mut String) {
    out.push_str("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n");
}

fn keyspace_section(ctx: &Ctx<'_, '_>, out: &mut String) {
    out.push_str("# Keyspace\r\n");
    for (index, db) in ctx.keyspace.dbs.iter().enumerate() {
        if !db.is_empty() {
            let _ = write!(
                out,
                "db{index}:keys={},expires={},avg_ttl=0\r\n",
                db.len(),
                db.expires_count()
            );
        }
    }
}

/// As Redis's bytesToHuman: `1.50K`, `12.00M`.
fn human_bytes(bytes: u64) -> String {
    let value = bytes as f64;
    let units = [
        (1u64 << 40, "T"),
        (1 << 30, "G"),
        (1 << 20, "M"),
        (1 << 10, "K"),
    ];
    for (size, unit) in units {
        if bytes >= size {
            return format!("{:.2}{unit}", value / size as f64);
        }
    }
    format!("{bytes}B")
}
