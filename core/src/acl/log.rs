//! ACL LOG: the security events Redis records (failed authentications, denied commands, keys
//! and channels), newest first, bounded by `acllog-max-len`. A repeat of a recent event bumps its count instead of adding one.

use std::collections::VecDeque;

use crate::time::UnixMillis;

/// Events this close in time (and alike) are one entry with a count, as in Redis.
const GROUPING_MILLIS_MAX: u64 = 60_000;

/// How many of the newest entries a new event is compared with.
const GROUPING_SCAN: usize = 10;

/// What was denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    Auth,
    Command,
    Key,
    Channel,
}

impl Reason {
    fn name(self) -> &'static str {
        match self {
            Reason::Auth => "auth",
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Channel => "channel",
        }
    }
}

/// Where the denied command ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Context {
    Toplevel,
    Multi,
    Lua,
}

impl Context {
    fn name(self) -> &'static str {
        match self {
            Context::Toplevel => "toplevel",
            Context::Multi => "multi",
            Context::Lua => "lua",
        }
    }
}

/// One logged event.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) count: u64,
    pub(crate) reason: Reason,
    pub(crate) context: Context,
    /// What was denied: the command as typed for a failed login (`auth`, `HELLO`), else the
    /// command's name (`client|kill`), the key or the channel.
    pub(crate) object: Vec<u8>,
    pub(crate) username: Vec<u8>,
    pub(crate) at: UnixMillis,
    /// The client's CLIENT LIST line when it happened.
    pub(crate) client_info: String,
}

#[derive(Debug, Default)]
pub(crate) struct AclLog {
    entries: VecDeque<Entry>,
}

impl AclLog {
    /// Records an event (with a count of 1), keeping at most `max_len` entries.
    pub(crate) fn add(&mut self, event: Entry, max_len: usize) {
        let alike = self.entries.iter().take(GROUPING_SCAN).position(|entry| {
            entry.reason == event.reason
                && entry.context == event.context
                && entry.at.as_millis().abs_diff(event.at.as_millis()) <= GROUPING_MILLIS_MAX
                && entry.object == event.object
                && entry.username == event.username
        });
        match alike.and_then(|index| self.entries.remove(index)) {
            Some(mut entry) => {
                entry.count += 1;
                entry.at = event.at;
                entry.client_info = event.client_info;
                self.entries.push_front(entry);
            }
            None => {
                self.entries.push_front(event);
                self.entries.truncate(max_len);
            }
        }
    }

    pub(crate) fn reset(&mut self) {
        self.entries.clear();
    }

    /// The newest `count` entries.
    pub(crate) fn newest(&self, count: usize) -> impl Iterator<Item = &Entry> {
        self.entries.iter().take(count)
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

impl Entry {
    /// The fields ACL LOG shows, in Redis's order.
    pub(crate) fn fields(&self, now: UnixMillis) -> [(&'static str, Field<'_>); 7] {
        let age_millis = (now.as_millis() - self.at.as_millis()).max(0);
        [
            ("count", Field::Integer(self.count as i64)),
            ("reason", Field::Text(self.reason.name().as_bytes())),
            ("context", Field::Text(self.context.name().as_bytes())),
            ("object", Field::Text(&self.object)),
            ("username", Field::Text(&self.username)),
            ("age-seconds", Field::Double(age_millis as f64 / 1000.0)),
            ("client-info", Field::Text(self.client_info.as_bytes())),
        ]
    }
}

/// A value in an ACL LOG entry.
pub(crate) enum Field<'a> {
    Integer(i64),
    Text(&'a [u8]),
    Double(f64),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(username: &[u8], at: i64) -> Entry {
        Entry {
            count: 1,
            reason: Reason::Auth,
            context: Context::Toplevel,
            object: b"AUTH".to_vec(),
            username: username.to_vec(),
            at: UnixMillis::from_millis(at),
            client_info: format!("at={at}"),
        }
    }

    #[test]
    fn repeats_within_a_minute_count_and_the_log_is_bounded() {
        let mut log = AclLog::default();
        log.add(event(b"a", 1_000), 3);
        log.add(event(b"a", 61_000), 3);
        let newest: Vec<_> = log.newest(10).map(|entry| entry.count).collect();
        assert_eq!(newest, vec![2]);
        assert_eq!(log.newest(1).next().unwrap().client_info, "at=61000");
        // A minute and a millisecond later it is a new entry.
        log.add(event(b"a", 121_001), 3);
        assert_eq!(log.len(), 2);
        for (index, user) in [b"b", b"c", b"d"].iter().enumerate() {
            log.add(event(*user, 200_000 + index as i64), 3);
        }
        let users: Vec<_> = log.newest(10).map(|entry| entry.username.clone()).collect();
        assert_eq!(users, vec![b"d".to_vec(), b"c".to_vec(), b"b".to_vec()]);
        log.reset();
        assert_eq!(log.len(), 0);
    }
}
