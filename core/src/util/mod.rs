//! Small pure helpers: glob matching and Redis number parsing/formatting.
pub mod glob;
pub mod number;
pub mod split_args;
