//! Connection ids and the connection slab: connections by slot, with generations so that a stale id never reaches
//! a newer connection in the same slot.

use crate::connection::Connection;

/// A connection's handle. The generation catches a stale id: it never aliases a newer connection
/// that reused the same slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnectionId {
    index: u32,
    generation: u32,
}

impl ConnectionId {
    pub fn index(self) -> u32 {
        self.index
    }
}

impl std::fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.index, self.generation)
    }
}

struct Slot {
    generation: u32,
    connection: Option<Box<Connection>>,
}

#[derive(Default)]
pub(crate) struct Clients {
    slots: Vec<Slot>,
    free_slots: Vec<u32>,
    count: usize,
    /// The sum of the open connections' `counted_memory`: what `maxmemory-clients` holds
    /// clients to.
    memory: usize,
    /// The part of `memory` that clients `maxmemory-clients` may close hold.
    evictable: usize,
}

impl Clients {
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Slots ever used, open or free (the cron walks them round robin).
    pub(crate) fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// The connection in slot `index`, if open, with its id.
    pub(crate) fn at_slot(&self, index: usize) -> Option<(ConnectionId, &Connection)> {
        let slot = &self.slots[index];
        let connection = slot.connection.as_deref()?;
        Some((
            ConnectionId {
                index: index as u32,
                generation: slot.generation,
            },
            connection,
        ))
    }

    pub(crate) fn insert(&mut self, connection: Box<Connection>) -> ConnectionId {
        let index = match self.free_slots.pop() {
            Some(index) => index,
            None => {
                assert!(
                    self.slots.len() < u32::MAX as usize,
                    "connection slots exhausted"
                );
                self.slots.push(Slot {
                    generation: 0,
                    connection: None,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let slot = &mut self.slots[index as usize];
        assert!(slot.connection.is_none());
        slot.connection = Some(connection);
        self.count += 1;
        ConnectionId {
            index,
            generation: slot.generation,
        }
    }

    /// Frees the slot of an open connection; its id goes stale.
    pub(crate) fn remove(&mut self, id: ConnectionId) -> Option<Box<Connection>> {
        self.recount_memory(id);
        let connection = self.get(id)?;
        let (counted, evictable) = (connection.counted_memory, connection.counted_evictable);
        self.memory -= counted;
        if evictable {
            self.evictable -= counted;
        }
        let slot = &mut self.slots[id.index as usize];
        let connection = slot.connection.take();
        slot.generation = slot.generation.wrapping_add(1);
        self.free_slots.push(id.index);
        self.count -= 1;
        connection
    }

    pub(crate) fn get(&self, id: ConnectionId) -> Option<&Connection> {
        let slot = self.slots.get(id.index as usize)?;
        if slot.generation != id.generation {
            return None;
        }
        slot.connection.as_deref()
    }

    pub(crate) fn get_mut(&mut self, id: ConnectionId) -> Option<&mut Connection> {
        let slot = self.slots.get_mut(id.index as usize)?;
        if slot.generation != id.generation {
            return None;
        }
        slot.connection.as_deref_mut()
    }

    /// The connection `id` to change, and every other connection to read: what a command gets.
    pub(crate) fn split(&mut self, id: ConnectionId) -> Option<(&mut Connection, Others<'_>)> {
        self.get(id)?;
        let (before, rest) = self.slots.split_at_mut(id.index as usize);
        let (own, after) = rest.split_first_mut().expect("the slot exists");
        let connection = own.connection.as_deref_mut().expect("checked open");
        Some((
            connection,
            Others {
                before,
                after,
                skipped: id.index,
                open: self.count,
            },
        ))
    }

    /// Every connection, as the others of a command no connection runs (a script whose caller
    /// is gone).
    pub(crate) fn all(&self) -> Others<'_> {
        Others {
            before: &self.slots,
            after: &[],
            skipped: self.slots.len() as u32,
            open: self.count,
        }
    }

    /// The memory of the clients, as last counted.
    pub(crate) fn memory(&self) -> usize {
        self.memory
    }

    /// The memory of the clients that `maxmemory-clients` may close.
    pub(crate) fn evictable_memory(&self) -> usize {
        self.evictable
    }

    /// Counts `id`'s memory again after its buffers or its standing changed: what it holds,
    /// or nothing once it is closing (Redis frees such a client at once) or if it is the
    /// server's own (replaying a file).
    pub(crate) fn recount_memory(&mut self, id: ConnectionId) {
        let Some(connection) = self.get_mut(id) else {
            return;
        };
        let (before, was_evictable) = (connection.counted_memory, connection.counted_evictable);
        let now = if connection.closing.is_some() || connection.replaying {
            0
        } else {
            connection.buffer_bytes()
        };
        let evictable = !connection.no_evict;
        connection.counted_memory = now;
        connection.counted_evictable = evictable;
        self.memory = self.memory - before + now;
        if was_evictable {
            self.evictable -= before;
        }
        if evictable {
            self.evictable += now;
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (ConnectionId, &Connection)> {
        (0..self.slots.len()).filter_map(|index| self.at_slot(index))
    }

    pub(crate) fn check_invariants(&self) {
        let open = self
            .slots
            .iter()
            .filter(|slot| slot.connection.is_some())
            .count();
        assert_eq!(open, self.count);
        assert_eq!(open + self.free_slots.len(), self.slots.len());
        let counted: usize = self.iter().map(|(_, c)| c.counted_memory).sum();
        assert_eq!(counted, self.memory);
        let evictable: usize = self
            .iter()
            .filter(|(_, c)| c.counted_evictable)
            .map(|(_, c)| c.counted_memory)
            .sum();
        assert_eq!(evictable, self.evictable);
    }
}

/// Every connection but the one running a command, read-only (CLIENT LIST, CLIENT KILL).
#[derive(Clone, Copy)]
pub(crate) struct Others<'a> {
    before: &'a [Slot],
    after: &'a [Slot],
    skipped: u32,
    /// Open connections, the caller's included.
    open: usize,
}

impl<'a> Others<'a> {
    pub(crate) fn iter(&self) -> impl Iterator<Item = (ConnectionId, &'a Connection)> {
        let after_start = self.skipped as usize + 1;
        let before = self.before.iter().enumerate();
        let after = self
            .after
            .iter()
            .enumerate()
            .map(move |(offset, slot)| (after_start + offset, slot));
        before.chain(after).filter_map(|(index, slot)| {
            slot.connection.as_deref().map(|connection| {
                (
                    ConnectionId {
                        index: index as u32,
                        generation: slot.generation,
                    },
                    connection,
                )
            })
        })
    }

    /// Open connections, the caller's included (INFO's connected_clients).
    pub(crate) fn open_count(&self) -> usize {
        self.open
    }
}
