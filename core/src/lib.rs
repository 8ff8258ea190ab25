//! ferrodis-core: the sans-IO state machine of ferrodis.
pub mod protocol;
pub mod store;
pub mod util;
