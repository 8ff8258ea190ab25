//! The keyspace's data structures.
pub mod db;
pub mod hashtable;
pub mod heap;
