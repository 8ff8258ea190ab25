//! Replays the `simulation` fuzz target's seed corpus and kept crash inputs through the same
//! check the target runs (`fuzz/src/simulation.rs`), on stable and without libFuzzer. Core's
//! `tests/fuzz_regressions.rs` does the same for the targets that need only the core.

#[path = "../../fuzz/src/simulation.rs"]
mod simulation;

use std::path::Path;

/// Every file in `fuzz/DIR/simulation`, sorted; none if the directory is missing.
fn inputs(dir: &str) -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(dir)
        .join("simulation");
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries.map(|entry| entry.unwrap().path()).collect();
    paths.sort();
    paths
}

fn replay(dir: &str) -> usize {
    let paths = inputs(dir);
    for path in &paths {
        eprintln!("replaying {}", path.display());
        simulation::run(&std::fs::read(path).unwrap());
    }
    paths.len()
}

#[test]
fn every_kept_fuzz_input_passes() {
    let replayed = replay("regressions");
    eprintln!("{replayed} fuzz inputs replayed");
}

#[test]
fn every_seed_input_passes() {
    assert!(replay("corpus") > 0, "the simulation seed corpus is empty");
}
