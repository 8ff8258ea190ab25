//! Fuzz targets for ferrodis-core, run with `cargo +nightly fuzz run NAME` (see `smoke.sh`).
//!
//! Each target's body lives in `checks/`, which depends on nothing but `ferrodis-core` and std, so
//! that `core/tests/fuzz_regressions.rs` can include the same code with `#[path]` and replay every
//! kept crash input on stable. For that reason inputs are decoded by `checks::input::Input`, a few
//! lines of explicit byte reading, rather than by `arbitrary`: core's dev-dependencies stay as
//! they are and a regression file means the same operations in both places.
//!
//! Still to come (once they exist): `server_commands` checking replies against the simulator's
//! model, a `book_parser` target for the book protocol, and a `simulation` target driving the
//! simulator from fuzzer bytes.
pub mod checks;
