//! Wire protocols: RESP requests and replies, and the book's tagged binary protocol.
pub mod book;
pub mod resp;
