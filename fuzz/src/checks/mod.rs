//! The body of every fuzz target: `run(bytes)` panics on a failed check.
//!
//! Shared with `core/tests/fuzz_regressions.rs` through `#[path]`: depend on nothing but
//! `ferrodis_core` and std, and name sibling modules through `super::`.
pub mod acl;
pub mod aof;
pub mod avl;
pub mod bitfield;
pub mod book_parser;
pub mod glob;
pub mod hashtable;
pub mod hyperloglog;
pub mod input;
pub mod intset;
pub mod list;
pub mod listpack;
pub mod rdb;
pub mod resp_parser;
pub mod resp_reply;
pub mod scripts;
pub mod server_commands;
pub mod ttl_heap;
pub mod zset;
pub mod zset_encodings;

/// Whether a structure target compares its whole structure with the model after this step: after
/// every step while it holds at most 8 elements (where the packed encodings and most edge cases
/// are), then every 8th step and after the last one. A full comparison costs a walk of the structure, so checking it after
/// every step of a big one made a run quadratic; a broken structure stays broken, and is caught
/// a few steps later.
pub fn full_check_due(step: usize, len: usize, last: bool) -> bool {
    len <= 8 || step % 8 == 7 || last
}

/// A target's body: panics when a check fails.
pub type Run = fn(&[u8]);

/// Every target, by the name of its fuzz binary and of its corpus and regression directories.
pub const TARGETS: &[(&str, Run)] = &[
    ("resp_parser", resp_parser::run),
    ("hashtable", hashtable::run),
    ("avl", avl::run),
    ("zset", zset::run),
    ("zset_encodings", zset_encodings::run),
    ("listpack", listpack::run),
    ("intset", intset::run),
    ("list", list::run),
    ("ttl_heap", ttl_heap::run),
    ("server_commands", server_commands::run),
    ("book_parser", book_parser::run),
    ("bitfield", bitfield::run),
    ("glob", glob::run),
    ("hyperloglog", hyperloglog::run),
    ("scripts", scripts::run),
    ("rdb", rdb::run),
    ("acl", acl::run),
    ("aof", aof::run),
];
