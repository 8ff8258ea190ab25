//! The slow log: the latest commands that ran longer than `slowlog-log-slower-than`
//! microseconds, at most `slowlog-max-len` of them, newest first.

use std::collections::VecDeque;

/// Arguments kept of a logged command; the last kept one says how many more there were.
const ARGS_MAX: usize = 32;
/// Bytes kept of a logged argument.
const ARG_BYTES_MAX: usize = 128;

#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) id: u64,
    /// Unix time in seconds when it ran.
    pub(crate) time_secs: i64,
    pub(crate) micros: u64,
    pub(crate) args: Vec<Vec<u8>>,
    pub(crate) peer: String,
    pub(crate) client_name: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct SlowLog {
    /// Newest first.
    entries: VecDeque<Entry>,
    next_id: u64,
}

impl SlowLog {
    /// Logs a command that took `micros`, its arguments trimmed as Redis trims them, keeping
    /// at most `max_len` entries.
    pub(crate) fn push<'a>(
        &mut self,
        args: impl ExactSizeIterator<Item = &'a [u8]>,
        mut entry: Entry,
        max_len: usize,
    ) {
        let count = args.len();
        let kept = if count > ARGS_MAX {
            ARGS_MAX - 1
        } else {
            count
        };
        entry.args = args.take(kept).map(trimmed).collect();
        if count > kept {
            entry
                .args
                .push(format!("... ({} more arguments)", count - kept).into_bytes());
        }
        entry.id = self.next_id;
        self.next_id += 1;
        self.entries.push_front(entry);
        self.entries.truncate(max_len);
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Newest first.
    pub(crate) fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    pub(crate) fn reset(&mut self) {
        self.entries.clear();
    }
}

fn trimmed(arg: &[u8]) -> Vec<u8> {
    if arg.len() <= ARG_BYTES_MAX {
        return arg.to_vec();
    }
    let mut kept = arg[..ARG_BYTES_MAX].to_vec();
    kept.extend_from_slice(format!("... ({} more bytes)", arg.len() - ARG_BYTES_MAX).as_bytes());
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            id: 0,
            time_secs: 0,
            micros: 1,
            args: Vec::new(),
            peer: String::new(),
            client_name: Vec::new(),
        }
    }

    #[test]
    fn long_commands_and_arguments_are_trimmed() {
        let mut log = SlowLog::default();
        let many: Vec<Vec<u8>> = (0..40).map(|n| n.to_string().into_bytes()).collect();
        log.push(many.iter().map(Vec::as_slice), entry(), 10);
        let args = &log.entries().next().unwrap().args;
        assert_eq!(args.len(), 32);
        assert_eq!(args[30], b"30");
        assert_eq!(args[31], b"... (9 more arguments)");
        let long = vec![b'A'; 129];
        log.push([long.as_slice()].into_iter(), entry(), 10);
        let args = &log.entries().next().unwrap().args;
        assert_eq!(&args[0][..128], &long[..128]);
        assert_eq!(&args[0][128..], b"... (1 more bytes)");
    }

    #[test]
    fn the_newest_entries_are_kept_with_increasing_ids() {
        let mut log = SlowLog::default();
        for _ in 0..5 {
            log.push([b"ping".as_slice()].into_iter(), entry(), 3);
        }
        let ids: Vec<u64> = log.entries().map(|entry| entry.id).collect();
        assert_eq!(ids, [4, 3, 2]);
        log.reset();
        assert_eq!(log.len(), 0);
    }
}
