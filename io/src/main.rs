//! `ferrodis-server`: the real server around the core.

mod alloc;
mod disk;
mod event_loop;
mod host;
mod lazy_free;
mod limits;
mod loading;
mod log;
mod poller;
mod settings;

use std::net::TcpListener;
use std::os::unix::net::UnixStream;
use std::process::ExitCode;

use ferrodis_core::Server;

use crate::log::Level;
use crate::settings::Settings;

#[global_allocator]
static ALLOCATOR: alloc::CountingAllocator = alloc::CountingAllocator;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let settings = match Settings::from_args(&args) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("\n*** FATAL CONFIG ERROR ***\n{error}");
            return ExitCode::from(1);
        }
    };
    log::set_level(Level::parse(&settings.core.loglevel));
    match run(settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            log_at!(Level::Warning, "{error}");
            ExitCode::from(1)
        }
    }
}

fn run(mut settings: Settings) -> Result<(), String> {
    limits::fit_open_files(&mut settings.core)?;
    let listener = listen(&settings, settings.core.port)?;
    // `--port 0` asks the OS for a free port; report and use the real one.
    let port = listener
        .local_addr()
        .map_err(|error| error.to_string())?
        .port();
    settings.core.port = port;
    settings.core.process_id = std::process::id();
    settings.core.host = host::describe(&settings.core.host.config_file);
    if settings.core.seed == 0 {
        // Hash flooding needs an unpredictable seed in production; the simulator passes its own.
        settings.core.seed = random_seed();
    }
    let (signal_reader, signal_writer) = UnixStream::pair().map_err(|error| error.to_string())?;
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let writer = signal_writer
            .try_clone()
            .map_err(|error| error.to_string())?;
        signal_hook::low_level::pipe::register(signal, writer)
            .map_err(|error| error.to_string())?;
    }
    log_at!(
        Level::Notice,
        "ferrodis {} starting, pid={}",
        env!("CARGO_PKG_VERSION"),
        std::process::id()
    );
    log_configuration(&settings.core);
    // The book's door: same keyspace, same loop. `--book-port 0` picks a free port.
    let book_listener = match settings.book_port {
        None => None,
        Some(book_port) => {
            let book_listener = listen(&settings, book_port)?;
            let book_port = book_listener
                .local_addr()
                .map_err(|error| error.to_string())?
                .port();
            settings.book_port = Some(book_port);
            Some(book_listener)
        }
    };
    // The wall clock from the start: LASTSAVE and the save points count from here.
    let origin = std::time::Instant::now();
    let mut server = Server::new(settings.core.clone(), event_loop::now_of(origin));
    server.set_stopwatch(Box::new(move || origin.elapsed().as_micros() as u64));
    // Measured before any data loads: INFO's used_memory_startup.
    server.set_used_memory(alloc::allocated_bytes());
    load_acl_file(&mut server, &settings)?;
    // With the append-only file on, it holds the data and the RDB file is not read (as in
    // Redis). Its files load while the event loop serves (clients get -LOADING meanwhile).
    let now = event_loop::now_of(origin);
    let loader = loading::AofLoader::begin(&mut server, now, &settings.core)?;
    if !settings.core.appendonly {
        load_rdb(&mut server, &settings, origin)?;
    }
    print_logs(&mut server);
    // Logged once the data is loaded, as Redis does.
    let (bind, book_port) = (settings.core.bind.clone(), settings.book_port);
    let ready = move || {
        log_at!(
            Level::Notice,
            "Ready to accept connections tcp on {bind}:{port}"
        );
        if let Some(book_port) = book_port {
            // Worded so that it never matches the RESP "Ready" line that scripts look for.
            log_at!(
                Level::Notice,
                "Ready to accept book protocol connections tcp on {bind}:{book_port}"
            );
        }
    };
    let mut event_loop = event_loop::EventLoop::new(
        server,
        listener,
        book_listener,
        signal_reader,
        settings.busy_poll(),
        origin,
    )
    .map_err(|error| error.to_string())?;
    log_at!(Level::Notice, "Server initialized");
    event_loop.start(loader, Box::new(ready));
    event_loop.run().map_err(|error| error.to_string())?;
    log_at!(Level::Warning, "ferrodis is now ready to exit, bye bye...");
    Ok(())
}

/// A listener on `bind` and `port`, with `tcp-backlog`.
fn listen(settings: &Settings, port: u16) -> Result<TcpListener, String> {
    let address = format!("{}:{port}", settings.core.bind);
    let listener = TcpListener::bind(&address)
        .map_err(|error| format!("Failed listening on {address}: {error}"))?;
    limits::set_backlog(&listener, settings.core.tcp_backlog)
        .map_err(|error| format!("Failed setting the backlog of {address}: {error}"))?;
    Ok(listener)
}

/// Loads the users of `aclfile`, if one is set: a file that cannot be read or holds an
/// error stops the start, as in Redis.
fn load_acl_file(server: &mut Server, settings: &Settings) -> Result<(), String> {
    let Some(path) = settings.core.acl_file_path() else {
        return Ok(());
    };
    let bytes = std::fs::read(&path).map_err(|error| {
        let error = disk::error_text(&error);
        let file = settings.core.aclfile.as_deref().unwrap_or_default();
        format!(
            "Aborting Redis startup because of ACL errors: Error loading ACLs, opening file \
             '{file}': {error}"
        )
    })?;
    server.load_acl_file(&bytes)
}

/// Loads the RDB file named by `dir` and `dbfilename`, if there is one. A file that cannot be
/// read or is corrupt stops the start, as in Redis: serving without the data would lose it at
/// the next save.
fn load_rdb(
    server: &mut Server,
    settings: &Settings,
    origin: std::time::Instant,
) -> Result<(), String> {
    let path = std::path::Path::new(&settings.core.dir).join(&settings.core.dbfilename);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            return Err(format!(
                "Fatal error loading the DB {}: {error}. Exiting.",
                path.display()
            ))
        }
    };
    let started = std::time::Instant::now();
    let now = event_loop::now_of(origin);
    let loaded = server.load_rdb(now, &bytes).map_err(|error| {
        format!(
            "Fatal error loading the DB {}: {} (at byte {}). Exiting.",
            path.display(),
            error.message,
            error.offset
        )
    })?;
    log_at!(
        Level::Notice,
        "DB loaded from disk: {:.3} seconds ({} keys, {} expired keys skipped)",
        started.elapsed().as_secs_f64(),
        loaded.keys,
        loaded.expired
    );
    Ok(())
}

/// The core's log lines so far, in order (while loading, before the event loop runs; what
/// else loading output, values to free, is dropped here).
fn print_logs(server: &mut Server) {
    while let Some(output) = server.poll_output() {
        if let ferrodis_core::Output::Log { level, message } = output {
            log_at!(Level::of(level), "{message}");
        }
    }
}

/// A hash seed from the OS: the time and the process id mixed through the standard library's
/// randomly keyed hasher.
fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    hasher.write_u32(std::process::id());
    hasher.finish() | 1
}

/// Where the configuration came from, and what of it shapes the server, as the log's first
/// lines (Redis's "Configuration loaded" and "Running mode").
fn log_configuration(config: &ferrodis_core::Config) {
    if config.host.config_file.is_empty() {
        log_at!(
            Level::Warning,
            "Warning: no config file specified, using the default config. In order to specify \
             a config file use ferrodis-server /path/to/ferrodis.conf"
        );
    } else {
        log_at!(
            Level::Notice,
            "Configuration loaded from {}",
            config.host.config_file
        );
    }
    log_at!(
        Level::Notice,
        "Running mode=standalone, port={}.",
        config.port
    );
    let shown = [
        "bind",
        "dir",
        "dbfilename",
        "save",
        "appendonly",
        "appendfsync",
        "maxmemory",
        "maxmemory-policy",
        "maxclients",
        "timeout",
        "databases",
        "protected-mode",
    ];
    let summary: Vec<String> = shown
        .iter()
        .filter_map(|name| Some(format!("{name}='{}'", config.parameter(name)?)))
        .collect();
    log_at!(Level::Notice, "Config: {}", summary.join(" "));
}
