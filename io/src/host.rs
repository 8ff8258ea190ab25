//! What the core is told of the machine and the process: the OS, the binary, the memory size
//! (INFO server and memory) and the CPU time used (INFO cpu).

use ferrodis_core::{CpuTimes, Host};

/// The machine and the process, read once at start; `config_file` as given, empty for none.
pub fn describe(config_file: &str) -> Host {
    let read = |path: &str| {
        std::fs::read_to_string(path)
            .map(|text| text.trim().to_string())
            .unwrap_or_default()
    };
    let os = format!(
        "{} {} {}",
        read("/proc/sys/kernel/ostype"),
        read("/proc/sys/kernel/osrelease"),
        std::env::consts::ARCH
    );
    let absolute = |path: &str| {
        std::fs::canonicalize(path)
            .map(|path| path.display().to_string())
            .unwrap_or_else(|_| path.to_string())
    };
    let total_memory_kb: u64 = read("/proc/meminfo")
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0);
    Host {
        os,
        executable: std::env::current_exe()
            .map(|path| path.display().to_string())
            .unwrap_or_default(),
        config_file: if config_file.is_empty() {
            String::new()
        } else {
            absolute(config_file)
        },
        total_memory_bytes: total_memory_kb * 1024,
    }
}

/// The CPU time of the whole process and of the calling thread (the event loop's).
pub fn cpu_times() -> CpuTimes {
    let (user_micros, system_micros) = usage(libc::RUSAGE_SELF);
    let (main_thread_user_micros, main_thread_system_micros) = usage(libc::RUSAGE_THREAD);
    CpuTimes {
        user_micros,
        system_micros,
        main_thread_user_micros,
        main_thread_system_micros,
    }
}

/// User and system time in microseconds; zeros if the kernel refuses.
fn usage(who: libc::c_int) -> (u64, u64) {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole `rusage` into the pointer it is given, which points to
    // one; `who` is RUSAGE_SELF or RUSAGE_THREAD.
    #[allow(unsafe_code)]
    let usage = unsafe {
        if libc::getrusage(who, usage.as_mut_ptr()) != 0 {
            return (0, 0);
        }
        usage.assume_init()
    };
    let micros = |time: libc::timeval| time.tv_sec as u64 * 1_000_000 + time.tv_usec as u64;
    (micros(usage.ru_utime), micros(usage.ru_stime))
}
