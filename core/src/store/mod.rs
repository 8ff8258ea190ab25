//! The keyspace's data structures.
pub mod access;
pub mod avl;
pub mod bytes;
pub mod chunked;
pub mod db;
pub mod hash;
pub mod hashtable;
pub mod heap;
pub mod hyperloglog;
pub mod intset;
pub mod list;
pub mod list_block;
pub mod listpack;
pub mod set;
pub mod zset;
pub mod zset_packed;
pub mod zset_value;
