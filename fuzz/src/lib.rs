//! Fuzz targets for ferrodis, run with `cargo +nightly fuzz run NAME` (see `smoke.sh`).
//!
//! Each core target's body lives in `checks/`, which depends on nothing but `ferrodis-core` and
//! std, so that `core/tests/fuzz_regressions.rs` can include the same code with `#[path]` and
//! replay every kept crash input on stable. For that reason inputs are decoded by
//! `checks::input::Input`, a few lines of explicit byte reading, rather than by `arbitrary`: core's
//! dev-dependencies stay as they are and a regression file means the same operations in both
//! places. The `simulation` target's body depends on `ferrodis-sim` and is replayed by
//! `sim/tests/fuzz_regressions.rs` the same way.
//!
//! Still to come (once it exists): `server_commands` checking replies against the simulator's
//! model.
pub mod checks;
pub mod counting;
pub mod simulation;
