//! The keyspace's data structures.
pub mod hashtable;
