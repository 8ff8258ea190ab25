//! INFO [section ...]: Redis's text format, `# Section` headers and `field:value` lines.

use std::fmt::Write;

use super::connection::REDIS_VERSION;
use super::memory::MemoryFigures;
use super::{introspection, server, table, ArgCursor, CommandResult, Ctx};
use crate::pubsub::Kind;
type Section = fn(&Ctx<'_, '_>, &mut String);

/// In the order Redis prints them, each with whether `INFO` alone (and `default`) shows it;
/// `all` and `everything` show every one.
const SECTIONS: [(&str, Section, bool); 13] = [
    ("server", server_section, true),
    ("clients", clients_section, true),
    ("memory", memory_section, true),
    ("persistence", persistence_section, true),
    ("stats", stats_section, true),
    ("replication", replication_section, true),
    ("cpu", cpu_section, true),
    ("modules", modules_section, true),
    ("commandstats", commandstats_section, false),
    ("errorstats", errorstats_section, true),
    ("latencystats", latencystats_section, false),
    ("cluster", cluster_section, true),
    ("keyspace", keyspace_section, true),
];

/// INFO [section [section ...]]: the sections named (any case), `default`, `all` or
/// `everything`; each shown once, in Redis's order.
pub(crate) fn info(ctx: &mut Ctx<'_, '_>, args: &mut ArgCursor<'_>) -> CommandResult {
    let mut wanted: Vec<String> = args
        .rest()
        .map(|arg| String::from_utf8_lossy(arg).to_ascii_lowercase())
        .collect();
    if wanted.is_empty() {
        wanted.push("default".to_string());
    }
    let asked = |name: &str| wanted.iter().any(|wanted| wanted == name);
    let every = asked("all") || asked("everything");
    let default = asked("default");
    let mut text = String::new();
    for (name, write_section, in_default) in SECTIONS {
        if every || (default && in_default) || asked(name) {
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
    let config = &ctx.state.config;
    let uptime_secs = ctx.now.monotonic.millis_since(ctx.state.started.monotonic) / 1000;
    let wall_secs = ctx.now.wall.as_millis().div_euclid(1000);
    let _ = write!(
        out,
        "# Server\r\nredis_version:{REDIS_VERSION}\r\nferrodis_version:{}\r\n\
         redis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:{}\r\n\
         redis_mode:standalone\r\nos:{}\r\narch_bits:64\r\n\
         monotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\n\
         process_id:{}\r\nprocess_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\n\
         server_time_usec:{}\r\nuptime_in_seconds:{uptime_secs}\r\nuptime_in_days:{}\r\n\
         hz:{}\r\nconfigured_hz:{}\r\nlru_clock:{}\r\nexecutable:{}\r\nconfig_file:{}\r\n\
         io_threads_active:0\r\n",
        env!("CARGO_PKG_VERSION"),
        &server::server_id(0, 0)[..16],
        config.host.os,
        config.process_id,
        server::server_id(config.seed, 1),
        config.port,
        ctx.now.wall.as_millis().saturating_mul(1000),
        uptime_secs / 86_400,
        config.hz,
        config.hz,
        wall_secs & ((1 << 24) - 1),
        config.host.executable,
        config.host.config_file,
    );
}

fn clients_section(ctx: &Ctx<'_, '_>, out: &mut String) {
    let connections = ctx.connections();
    let blocked = connections
        .iter()
        .filter(|(_, connection)| connection.waiting())
        .count();
    let in_timeout_table = connections
        .iter()
        .filter(|(_, connection)| {
            connection
                .blocked
                .as_ref()
                .is_some_and(|blocked| blocked.deadline.is_some())
        })
        .count();
    let max_input = connections
        .iter()
        .map(|(_, connection)| connection.query.len())
        .max()
        .unwrap_or(0);
    let max_output = connections
        .iter()
        .map(|(_, connection)| connection.reply_pending_bytes())
        .max()
        .unwrap_or(0);
    let _ = write!(
        out,
        "# Clients\r\nconnected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\n\
         client_recent_max_input_buffer:{max_input}\r\n\
         client_recent_max_output_buffer:{max_output}\r\nblocked_clients:{blocked}\r\n\
         tracking_clients:{}\r\nclients_in_timeout_table:{in_timeout_table}\r\n",
        ctx.others.open_count(),
        ctx.state.config.clients_max,
        ctx.state.tracking.clients(),
    );
}

fn memory_section(ctx: &Ctx<'_, '_>, out: &mut String) {
    let figures = MemoryFigures::of(ctx);
    let MemoryFigures {
        used,
        rss,
        peak,
        startup,
        clients,
        aof_buffer,
        overhead,
        dataset,
        lua,
        scripts_eval,
        functions,
        ..
    } = figures;
    let percent = super::memory::percent;
    let config = &ctx.state.config;
    let maxmemory = config.maxmemory_bytes;
    let fragmentation = figures.fragmentation();
    let scripts = &ctx.state.scripts;
    let total_memory = config.host.total_memory_bytes;
    let _ = write!(
        out,
        "# Memory\r\nused_memory:{used}\r\nused_memory_human:{}\r\n\
         used_memory_rss:{rss}\r\nused_memory_rss_human:{}\r\n\
         used_memory_peak:{peak}\r\nused_memory_peak_human:{}\r\n\
         used_memory_peak_perc:{:.2}%\r\nused_memory_overhead:{overhead}\r\n\
         used_memory_startup:{startup}\r\nused_memory_dataset:{dataset}\r\n\
         used_memory_dataset_perc:{:.2}%\r\n\
         total_system_memory:{total_memory}\r\ntotal_system_memory_human:{}\r\n\
         used_memory_lua:{lua}\r\nused_memory_vm_eval:{lua}\r\nused_memory_lua_human:{}\r\n\
         used_memory_scripts_eval:{scripts_eval}\r\n\
         number_of_cached_scripts:{}\r\nnumber_of_functions:{}\r\nnumber_of_libraries:{}\r\n\
         used_memory_vm_functions:{lua}\r\nused_memory_vm_total:{lua}\r\n\
         used_memory_vm_total_human:{}\r\nused_memory_functions:{functions}\r\n\
         used_memory_scripts:{}\r\nused_memory_scripts_human:{}\r\n\
         maxmemory:{maxmemory}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{}\r\n\
         mem_fragmentation_ratio:{fragmentation:.2}\r\nmem_fragmentation_bytes:{}\r\n\
         mem_not_counted_for_evict:{aof_buffer}\r\nmem_replication_backlog:0\r\n\
         mem_total_replication_buffers:0\r\nmem_clients_slaves:0\r\n\
         mem_clients_normal:{clients}\r\nmem_cluster_links:0\r\nmem_aof_buffer:{aof_buffer}\r\n\
         mem_allocator:libc\r\nactive_defrag_running:0\r\nlazyfree_pending_objects:0\r\n\
         lazyfreed_objects:0\r\n",
        human_bytes(used),
        human_bytes(rss),
        human_bytes(peak),
        percent(used, peak),
        percent(dataset, used.saturating_sub(startup)),
        human_bytes(total_memory),
        human_bytes(lua),
        scripts.cache.len(),
        scripts.functions.len(),
        scripts.libraries.len(),
        human_bytes(lua),
        scripts_eval + functions,
        human_bytes(scripts_eval + functions),
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
            aof.appended - aof.written.min(aof.appended) + ctx.keyspace.pending_bytes(),
            u8::from(aof.syncing.is_some()),
            aof.delayed_fsyncs,
        );
    }
}

fn stats_section(ctx: &Ctx<'_, '_>, out: &mut String) {
    let stats = &ctx.state.stats;
    let rates = &ctx.state.introspect.rates;
    let _ = write!(
        out,
        "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\n\
         instantaneous_ops_per_sec:{}\r\n\
         total_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\n\
         total_net_repl_input_bytes:0\r\ntotal_net_repl_output_bytes:0\r\n\
         instantaneous_input_kbps:{:.2}\r\ninstantaneous_output_kbps:{:.2}\r\n\
         instantaneous_input_repl_kbps:0.00\r\ninstantaneous_output_repl_kbps:0.00\r\n\
         rejected_connections:{}\r\nsync_full:0\r\nsync_partial_ok:0\r\nsync_partial_err:0\r\n\
         expired_keys:{}\r\nexpired_stale_perc:0.00\r\nexpired_time_cap_reached_count:0\r\n\
         expire_cycle_cpu_milliseconds:0\r\nevicted_keys:{}\r\nevicted_clients:{}\r\n\
         total_eviction_exceeded_time:0\r\ncurrent_eviction_exceeded_time:0\r\n\
         keyspace_hits:{}\r\nkeyspace_misses:{}\r\n\
         pubsub_channels:{}\r\npubsub_patterns:{}\r\npubsubshard_channels:{}\r\n\
         latest_fork_usec:0\r\ntotal_forks:0\r\nmigrate_cached_sockets:0\r\n\
         slave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\nactive_defrag_misses:0\r\n\
         active_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\n\
         total_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\n\
         tracking_total_keys:{}\r\ntracking_total_items:{}\r\ntracking_total_prefixes:{}\r\n\
         unexpected_error_replies:0\r\ntotal_error_replies:{}\r\ndump_payload_sanitizations:0\r\n\
         total_reads_processed:{}\r\ntotal_writes_processed:{}\r\n\
         io_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\n\
         reply_buffer_shrinks:0\r\nreply_buffer_expands:0\r\n",
        stats.connections_received,
        stats.commands_processed,
        rates.per_second(0).round() as u64,
        stats.net_input_bytes,
        stats.net_output_bytes,
        rates.per_second(1) / 1024.0,
        rates.per_second(2) / 1024.0,
        stats.rejected_connections,
        stats.expired_keys,
        stats.evicted_keys,
        stats.evicted_clients,
        stats.keyspace_hits,
        stats.keyspace_misses,
        ctx.state.pubsub.names(Kind::Channel, None).count(),
        ctx.state.pubsub.pattern_count(),
        ctx.state.pubsub.names(Kind::Shard, None).count(),
        ctx.state.tracking.keys(),
        ctx.state.tracking.items(),
        ctx.state.tracking.prefix_count(),
        stats.total_error_replies,
        stats.reads_processed,
        stats.writes_processed,
    );
}

fn replication_section(ctx: &Ctx<'_, '_>, out: &mut String) {
    let _ = write!(
        out,
        "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n\
         master_failover_state:no-failover\r\nmaster_replid:{}\r\n\
         master_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:0\r\n\
         second_repl_offset:-1\r\nrepl_backlog_active:0\r\nrepl_backlog_size:1048576\r\n\
         repl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n",
        server::server_id(ctx.state.config.seed, 2),
    );
}

fn cpu_section(ctx: &Ctx<'_, '_>, out: &mut String) {
    let cpu = ctx.state.introspect.cpu;
    let secs = |micros: u64| micros as f64 / 1e6;
    let _ = write!(
        out,
        "# CPU\r\nused_cpu_sys:{:.6}\r\nused_cpu_user:{:.6}\r\n\
         used_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\n\
         used_cpu_sys_main_thread:{:.6}\r\nused_cpu_user_main_thread:{:.6}\r\n",
        secs(cpu.system_micros),
        secs(cpu.user_micros),
        secs(cpu.main_thread_system_micros),
        secs(cpu.main_thread_user_micros),
    );
}

fn modules_section(_ctx: &Ctx<'_, '_>, out: &mut String) {
    out.push_str("# Modules\r\n");
}

fn commandstats_section(ctx: &Ctx<'_, '_>, out: &mut String) {
    out.push_str("# Commandstats\r\n");
    for (command, subcommand, stat) in ctx.state.introspect.commands.counted() {
        let per_call = if stat.calls == 0 {
            0.0
        } else {
            stat.micros as f64 / stat.calls as f64
        };
        let _ = write!(
            out,
            "cmdstat_{}:calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},\
             failed_calls={}\r\n",
            table::stat_name(command, subcommand),
            stat.calls,
            stat.micros,
            stat.rejected,
            stat.failed,
        );
    }
}

fn latencystats_section(ctx: &Ctx<'_, '_>, out: &mut String) {
    out.push_str("# Latencystats\r\n");
    let percentiles = &ctx.state.config.latency_tracking_percentiles;
    for (command, subcommand, stat) in ctx.state.introspect.commands.counted() {
        let Some(latencies) = stat.latencies.as_deref() else {
            continue;
        };
        if latencies.total() == 0 {
            continue;
        }
        let _ = write!(
            out,
            "latency_percentiles_usec_{}:{}\r\n",
            table::stat_name(command, subcommand),
            introspection::percentiles_text(latencies, percentiles),
        );
    }
}

fn cluster_section(_ctx: &Ctx<'_, '_>, out: &mut String) {
    out.push_str("# Cluster\r\ncluster_enabled:0\r\n");
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
pub(super) fn human_bytes(bytes: u64) -> String {
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
