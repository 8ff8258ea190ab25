//! Memory the core hands out to be dropped anywhere (`Output::Free`), and how to drop it a
//! bounded piece at a time.

use crate::store::db::Db;
use crate::store::zset::ZSet;
use crate::value::Value;

/// The effort (about one allocation each: see `Value::free_effort`) one `free_step` spends at
/// least, unless the garbage ends first. A step stops once it has spent this much, so it spends
/// less than twice as much: the last item it drops is at most this big (a bigger one becomes a
/// piece of its own).
pub const FREE_STEP_EFFORT: usize = 4096;

/// Memory that is safe to drop anywhere: the real server drops it on a worker thread so that
/// freeing a big value never stalls the event loop. Dropping a `Garbage` frees all of it at
/// once; `free_step` frees it in bounded pieces.
pub struct Garbage {
    pieces: Vec<Piece>,
}

/// Items still to drop; a value among them that is big becomes a piece of its own.
type Stream = Box<dyn Iterator<Item = Option<Value>> + Send>;

enum Piece {
    Value(Value),
    Keyspace(Box<Db>),
    Stream(Stream),
}

impl Garbage {
    pub(crate) fn value(value: Value) -> Garbage {
        Garbage {
            pieces: vec![Piece::Value(value)],
        }
    }

    pub(crate) fn keyspace(db: Db) -> Garbage {
        Garbage {
            pieces: vec![Piece::Keyspace(Box::new(db))],
        }
    }

    /// Drops one bounded piece (a small value, or items of a big value or keyspace worth about
    /// `FREE_STEP_EFFORT` allocations) and says whether anything is left. A driver freeing on a
    /// worker thread calls this in a loop and yields between calls, so that the scheduler can
    /// hand the core back to the event loop between pieces rather than only at its next tick.
    pub fn free_step(&mut self) -> bool {
        match self.pieces.pop() {
            None => {}
            Some(Piece::Value(value)) => {
                if let Some(stream) = value_stream(value) {
                    self.pieces.push(Piece::Stream(stream));
                }
            }
            Some(Piece::Keyspace(db)) => self.pieces.push(Piece::Stream(keyspace_stream(*db))),
            Some(Piece::Stream(mut stream)) => {
                let mut big = Vec::new();
                let mut exhausted = false;
                let mut effort = 0;
                while effort < FREE_STEP_EFFORT {
                    match stream.next() {
                        None => {
                            exhausted = true;
                            break;
                        }
                        Some(Some(value)) if is_big(value.free_effort()) => {
                            effort += 1;
                            big.push(Piece::Value(value));
                        }
                        Some(Some(value)) => effort += value.free_effort(),
                        Some(None) => effort += 1,
                    }
                }
                if !exhausted {
                    self.pieces.push(Piece::Stream(stream));
                }
                self.pieces.extend(big);
            }
        }
        !self.pieces.is_empty()
    }
}

/// What is left to drop of a value after this step: nothing for a value dropped at once, its
/// items for a big collection. Every kind of value is named, so a new one must decide.
fn value_stream(value: Value) -> Option<Stream> {
    match value {
        // One allocation at most: dropped here and now.
        Value::Int(_) | Value::Str(_) | Value::RawStr(_) | Value::PackedZSet(_) => None,
        Value::ZSet(zset) if is_big(zset.len()) => Some(zset_stream(*zset)),
        Value::ZSet(zset) => {
            drop(zset);
            None
        }
        Value::Hash(table) if is_big(table.len()) => {
            Some(Box::new((*table).into_values().map(|_| None)))
        }
        Value::Set(table) if is_big(table.len()) => {
            Some(Box::new((*table).into_values().map(|_| None)))
        }
        Value::List(list) if is_big(list.blocks()) => {
            Some(Box::new((*list).into_blocks().map(|_| None)))
        }
        Value::PackedHash(_)
        | Value::Hash(_)
        | Value::IntSet(_)
        | Value::Set(_)
        | Value::List(_) => None,
    }
}

/// A value that takes more than one step to drop (its `free_effort`, or a sorted set's length).
fn is_big(items: usize) -> bool {
    items > FREE_STEP_EFFORT
}

fn zset_stream(zset: ZSet) -> Stream {
    let (members, tree) = zset.into_parts();
    Box::new(
        members
            .into_values()
            .map(|_| None)
            .chain(tree.into_items().map(|_| None)),
    )
}

fn keyspace_stream(db: Db) -> Stream {
    let (values, waiting, expires, ttls) = db.into_parts();
    Box::new(
        values
            .into_values()
            .chain(waiting)
            .map(Some)
            .chain(expires.into_values().map(|_| None))
            .chain(ttls.into_items().map(|_| None)),
    )
}

impl std::fmt::Debug for Garbage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Garbage({} pieces)", self.pieces.len())
    }
}

/// Values (and keyspaces) whose drop costs more than this many allocations are freed off the
/// event loop. The book frees sorted sets of over 1000 members on its thread pool.
pub(crate) const LAZY_FREE_EFFORT_MIN: usize = 1000;
