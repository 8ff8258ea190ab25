//! The process's open-files limit, fitted to `maxclients` at start as Redis fits it: raised to
//! `maxclients` plus a reserve when the hard limit allows, else `maxclients` lowered to what the
//! limit can hold, with Redis's log lines.

use crate::log::Level;
use crate::log_at;

/// File descriptors kept back from clients: listeners, the poller, the disk thread's pipe,
/// files being saved and loaded (Redis keeps 32 too).
pub const RESERVED_FDS: u64 = 32;

/// Raises the open-files limit for `maxclients` clients, or lowers `maxclients` to fit the
/// limit there is; CONFIG SET may not raise it past that limit later. An error names the limit
/// when it cannot hold the reserve itself.
pub fn fit_open_files(config: &mut ferrodis_core::Config) -> Result<(), String> {
    fit(&mut config.clients_max)?;
    if let Some(files) = open_files_limit() {
        config.clients_max_ceiling = files.saturating_sub(RESERVED_FDS) as usize;
    }
    Ok(())
}

fn fit(clients_max: &mut usize) -> Result<(), String> {
    let wanted = *clients_max as u64 + RESERVED_FDS;
    let Some(current) = open_files_limit() else {
        log_at!(
            Level::Warning,
            "Unable to obtain the current NOFILE limit, assuming 1024 and setting the max \
             clients configuration accordingly."
        );
        *clients_max = (1024 - RESERVED_FDS) as usize;
        return Ok(());
    };
    if current >= wanted {
        return Ok(());
    }
    // The highest limit the kernel takes, trying a little less each time (as Redis does).
    let mut best = wanted;
    let mut last_error = String::new();
    while best > current {
        match set_open_files_limit(best) {
            Ok(()) => break,
            Err(error) => last_error = error,
        }
        best = best.saturating_sub(16).max(current);
    }
    if best >= wanted {
        log_at!(
            Level::Notice,
            "Increased maximum number of open files to {wanted} (it was originally set to \
             {current})."
        );
        return Ok(());
    }
    if best <= RESERVED_FDS {
        return Err(format!(
            "Your current 'ulimit -n' of {current} is not enough for the server to start. Please \
             increase your open file limit to at least {wanted}. Exiting."
        ));
    }
    let requested = *clients_max;
    *clients_max = (best - RESERVED_FDS) as usize;
    log_at!(
        Level::Warning,
        "You requested maxclients of {requested} requiring at least {wanted} max file descriptors."
    );
    log_at!(
        Level::Warning,
        "Server can't set maximum open files to {wanted} because of OS error: {last_error}."
    );
    log_at!(
        Level::Warning,
        "Current maximum open files is {best}. maxclients has been reduced to {clients_max} to \
         compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'."
    );
    Ok(())
}

/// The soft limit on open files.
fn open_files_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit for the call to fill.
    #[allow(unsafe_code)]
    let result = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    (result == 0).then_some(limit.rlim_cur)
}

/// Sets both the soft and the hard limit, as Redis does (raising the hard one needs privileges).
fn set_open_files_limit(files: u64) -> Result<(), String> {
    let limit = libc::rlimit {
        rlim_cur: files,
        rlim_max: files,
    };
    // SAFETY: `limit` is a valid rlimit.
    #[allow(unsafe_code)]
    let result = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error().to_string())
    }
}

/// Sets a listening socket's backlog (`tcp-backlog`). The standard library listens with 128;
/// on Linux a second `listen` on a listening socket changes its backlog (the kernel caps it at
/// `net.core.somaxconn`).
pub fn set_backlog(listener: &std::net::TcpListener, backlog: u32) -> Result<(), String> {
    use std::os::fd::AsRawFd;
    let backlog = libc::c_int::try_from(backlog).unwrap_or(libc::c_int::MAX);
    // SAFETY: the descriptor belongs to a live listener.
    #[allow(unsafe_code)]
    let result = unsafe { libc::listen(listener.as_raw_fd(), backlog) };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error().to_string())
    }
}
