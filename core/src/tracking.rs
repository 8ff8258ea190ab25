//! Client-side caching (CLIENT TRACKING): which connections may hold which keys, and the
//! invalidation messages when those keys change.
//!
//! In the default mode a read-only command of a tracking connection records its keys in the
//! table (key to connections); when such a key changes, by any command or by expiry, each
//! connection listed is told once and the key leaves the table. In BCAST mode nothing is
//! recorded: every changed key under one of the connection's prefixes is noted, and the notes
//! go out as one message per prefix once the commands of a call have run. FLUSHALL and FLUSHDB
//! tell every tracking connection that everything changed. The table holds at most
//! `tracking-table-max-keys` keys: past that, keys leave it as if they had changed. It is
//! emptied once no connection tracks.
//!
//! Which connection gets a message, and in which form, depends on connections' states
//! (redirection, protocol, subscriptions): the server works that out when it delivers.

use std::collections::{BTreeMap, BTreeSet};

use crate::clients::ConnectionId;
use crate::effects::Effects;

/// Redis's default `tracking-table-max-keys`.
pub const TABLE_KEYS_MAX_DEFAULT: usize = 1_000_000;

/// Keys evicted from an oversized table per call; the rest go in the calls that follow.
const EVICTIONS_PER_CALL_MAX: usize = 1000;

/// A connection's CLIENT TRACKING settings, while tracking is on.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ClientTracking {
    /// REDIRECT: the connection that gets the messages, and its CLIENT ID.
    pub(crate) redirect: Option<(ConnectionId, u64)>,
    pub(crate) bcast: bool,
    pub(crate) optin: bool,
    pub(crate) optout: bool,
    pub(crate) noloop: bool,
    /// CLIENT CACHING YES (OPTIN) or NO (OPTOUT) for the next command.
    pub(crate) caching: bool,
    /// The redirect connection was gone when a message was due.
    pub(crate) broken_redirect: bool,
    /// BCAST prefixes.
    pub(crate) prefixes: BTreeSet<Box<[u8]>>,
}

impl ClientTracking {
    /// Whether a read-only command run now records its keys.
    pub(crate) fn records_reads(&self) -> bool {
        // OPTIN records only after CACHING YES; OPTOUT records unless after CACHING NO.
        let asked = if self.optin {
            self.caching
        } else {
            !(self.optout && self.caching)
        };
        !self.bcast && asked
    }
}

/// What an invalidation message says changed.
#[derive(Debug)]
pub(crate) enum Invalidated {
    /// One key the connection read.
    Key(Box<[u8]>),
    /// Keys under a BCAST prefix.
    Keys(Vec<Box<[u8]>>),
    /// Everything (a flush).
    All,
}

#[derive(Default)]
pub(crate) struct Tracking {
    /// Key -> the connections that may hold it.
    table: BTreeMap<Box<[u8]>, BTreeSet<ConnectionId>>,
    /// (key, connection) pairs in `table`.
    items: usize,
    /// BCAST prefix -> its connections and what changed under it.
    prefixes: BTreeMap<Box<[u8]>, Broadcast>,
    /// Connections with tracking on.
    clients: usize,
}

#[derive(Default)]
struct Broadcast {
    clients: BTreeSet<ConnectionId>,
    /// Keys changed since the last broadcast, each with the connection that changed it last
    /// (None for expiry), for NOLOOP.
    changed: BTreeMap<Box<[u8]>, Option<ConnectionId>>,
}

impl Tracking {
    /// Whether any connection tracks (changed keys matter only then).
    pub(crate) fn active(&self) -> bool {
        self.clients > 0
    }

    pub(crate) fn clients(&self) -> usize {
        self.clients
    }

    pub(crate) fn keys(&self) -> usize {
        self.table.len()
    }

    pub(crate) fn items(&self) -> usize {
        self.items
    }

    pub(crate) fn prefix_count(&self) -> usize {
        self.prefixes.len()
    }

    /// Turns tracking on for `id` with `settings` (BCAST prefixes add to those it had).
    pub(crate) fn enable(
        &mut self,
        id: ConnectionId,
        current: &mut Option<Box<ClientTracking>>,
        mut settings: ClientTracking,
    ) {
        match current {
            Some(old) => settings.prefixes.extend(std::mem::take(&mut old.prefixes)),
            None => self.clients += 1,
        }
        if settings.bcast && settings.prefixes.is_empty() {
            settings.prefixes.insert(Box::from(&b""[..]));
        }
        for prefix in &settings.prefixes {
            self.prefixes
                .entry(prefix.clone())
                .or_default()
                .clients
                .insert(id);
        }
        *current = Some(Box::new(settings));
    }

    /// Turns tracking off for `id`. Its entries in the table go when their keys change or
    /// are evicted; all of them once nobody tracks.
    pub(crate) fn disable(&mut self, id: ConnectionId, current: &mut Option<Box<ClientTracking>>) {
        let Some(settings) = current.take() else {
            return;
        };
        for prefix in &settings.prefixes {
            if let Some(broadcast) = self.prefixes.get_mut(prefix) {
                broadcast.clients.remove(&id);
                if broadcast.clients.is_empty() {
                    self.prefixes.remove(prefix);
                }
            }
        }
        self.clients -= 1;
        if self.clients == 0 {
            self.table.clear();
            self.items = 0;
            self.prefixes.clear();
        }
    }

    /// `id` read `keys`: they are told to it when they change.
    pub(crate) fn remember<'a>(&mut self, id: ConnectionId, keys: impl Iterator<Item = &'a [u8]>) {
        for key in keys {
            let readers = match self.table.get_mut(key) {
                Some(readers) => readers,
                None => self.table.entry(key.into()).or_default(),
            };
            if readers.insert(id) {
                self.items += 1;
            }
        }
    }

    /// `key` changed (by `by`, or by expiry): the connections to tell, which the table
    /// forgets; BCAST prefixes above it note it.
    pub(crate) fn changed(
        &mut self,
        key: &[u8],
        by: Option<ConnectionId>,
    ) -> Option<BTreeSet<ConnectionId>> {
        for (prefix, broadcast) in &mut self.prefixes {
            if key.starts_with(prefix) {
                broadcast.changed.insert(key.into(), by);
            }
        }
        self.forget_key(key)
    }

    fn forget_key(&mut self, key: &[u8]) -> Option<BTreeSet<ConnectionId>> {
        let readers = self.table.remove(key)?;
        self.items -= readers.len();
        Some(readers)
    }

    /// A flush: every key changed; the table starts over.
    pub(crate) fn flush(&mut self) {
        self.table.clear();
        self.items = 0;
    }

    /// Keys over `keys_max` leave the table (the first ones, a bounded number per call), as
    /// if they had changed: who to tell about each.
    pub(crate) fn evict_over(
        &mut self,
        keys_max: usize,
    ) -> Vec<(Box<[u8]>, BTreeSet<ConnectionId>)> {
        let mut evicted = Vec::new();
        while keys_max > 0 && self.table.len() > keys_max && evicted.len() < EVICTIONS_PER_CALL_MAX
        {
            let (key, readers) = self.table.pop_first().expect("over a positive limit");
            self.items -= readers.len();
            evicted.push((key, readers));
        }
        evicted
    }

    /// What the BCAST connections are to be told: for each prefix with changes, its
    /// connections and the changed keys (in key order) with who changed each last.
    pub(crate) fn take_broadcasts(&mut self) -> Vec<(Vec<ConnectionId>, Vec<ChangedKey>)> {
        let mut broadcasts = Vec::new();
        for broadcast in self.prefixes.values_mut() {
            if broadcast.changed.is_empty() {
                continue;
            }
            let changed = std::mem::take(&mut broadcast.changed).into_iter().collect();
            broadcasts.push((broadcast.clients.iter().copied().collect(), changed));
        }
        broadcasts
    }

    /// The prefix tables list exactly the tracking connections' prefixes, and the counts add
    /// up.
    pub(crate) fn check_invariants<'a>(
        &self,
        connections: impl Iterator<Item = (ConnectionId, Option<&'a ClientTracking>)>,
    ) {
        let mut clients = 0;
        let mut memberships = 0;
        for (id, settings) in connections {
            let Some(settings) = settings else {
                continue;
            };
            clients += 1;
            for prefix in &settings.prefixes {
                memberships += 1;
                assert!(self.prefixes[prefix].clients.contains(&id));
            }
        }
        assert_eq!(clients, self.clients, "tracking connections counted");
        let listed: usize = self.prefixes.values().map(|b| b.clients.len()).sum();
        assert_eq!(listed, memberships, "no prefix of a connection gone");
        assert!(self.prefixes.values().all(|b| !b.clients.is_empty()));
        let items: usize = self.table.values().map(BTreeSet::len).sum();
        assert_eq!(items, self.items);
        assert!(self.table.values().all(|readers| !readers.is_empty()));
        if self.clients == 0 {
            assert!(self.table.is_empty(), "no table once nobody tracks");
        }
    }
}

/// Queues one invalidation of `key` for each of `readers`; `by` changed it (None: expiry or
/// eviction from the table).
pub(crate) fn tell(
    effects: &mut Effects,
    readers: BTreeSet<ConnectionId>,
    key: &[u8],
    by: Option<ConnectionId>,
) {
    for reader in readers {
        effects.invalidate(reader, Invalidated::Key(key.into()), by);
    }
}

/// A key changed under a BCAST prefix, and the connection that changed it last.
pub(crate) type ChangedKey = (Box<[u8]>, Option<ConnectionId>);

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(count: usize) -> Vec<ConnectionId> {
        let mut clients = crate::clients::Clients::default();
        (0..count)
            .map(|index| {
                clients.insert(Box::new(crate::connection::Connection::new(
                    index as u64 + 1,
                    String::new(),
                    crate::time::Instant::ZERO,
                    true,
                    crate::connection::Door::Resp,
                )))
            })
            .collect()
    }

    #[test]
    fn a_changed_key_is_told_once_to_its_readers() {
        let id = ids(2);
        let mut tracking = Tracking::default();
        let (mut a, mut b) = (None, None);
        tracking.enable(id[0], &mut a, ClientTracking::default());
        tracking.enable(id[1], &mut b, ClientTracking::default());
        tracking.remember(id[0], [&b"k"[..], b"j"].into_iter());
        tracking.remember(id[1], [&b"k"[..]].into_iter());
        assert_eq!((tracking.keys(), tracking.items()), (2, 3));
        let told = tracking.changed(b"k", None).unwrap();
        assert_eq!(told.into_iter().collect::<Vec<_>>(), vec![id[0], id[1]]);
        assert!(tracking.changed(b"k", None).is_none(), "told once");
        assert_eq!((tracking.keys(), tracking.items()), (1, 1));
        tracking.disable(id[0], &mut a);
        tracking.disable(id[1], &mut b);
        assert_eq!((tracking.keys(), tracking.items()), (0, 0));
    }

    #[test]
    fn broadcasts_group_changes_by_prefix() {
        let id = ids(1);
        let mut tracking = Tracking::default();
        let mut a = None;
        let settings = ClientTracking {
            bcast: true,
            prefixes: [Box::from(&b"user:"[..])].into_iter().collect(),
            ..ClientTracking::default()
        };
        tracking.enable(id[0], &mut a, settings);
        tracking.changed(b"user:2", Some(id[0]));
        tracking.changed(b"other", None);
        tracking.changed(b"user:1", None);
        let broadcasts = tracking.take_broadcasts();
        assert_eq!(broadcasts.len(), 1);
        let keys: Vec<&[u8]> = broadcasts[0].1.iter().map(|(key, _)| &key[..]).collect();
        assert_eq!(keys, vec![&b"user:1"[..], b"user:2"]);
        assert!(tracking.take_broadcasts().is_empty());
        tracking.disable(id[0], &mut a);
        assert_eq!(tracking.prefix_count(), 0);
    }

    #[test]
    fn an_oversized_table_evicts_down_to_its_limit() {
        let id = ids(1);
        let mut tracking = Tracking::default();
        let mut a = None;
        tracking.enable(id[0], &mut a, ClientTracking::default());
        let keys: Vec<Vec<u8>> = (0..5).map(|n| vec![b'k', n]).collect();
        tracking.remember(id[0], keys.iter().map(Vec::as_slice));
        assert_eq!(tracking.evict_over(2).len(), 3);
        assert_eq!(tracking.keys(), 2);
        assert!(tracking.evict_over(0).is_empty(), "0 means no limit");
    }
}
