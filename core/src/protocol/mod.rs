//! Wire protocols: RESP requests and replies.
pub mod resp;
