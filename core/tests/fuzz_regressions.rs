//! Replays every input kept in `fuzz/regressions/TARGET/` through the same checks the fuzz
//! targets run, on stable and without libFuzzer. A crash found by fuzzing gets its input (as
//! minimised by `cargo fuzz tmin`) copied there, so it stays fixed.

#[path = "../../fuzz/src/checks/mod.rs"]
mod checks;

use std::path::Path;

#[test]
fn every_kept_fuzz_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    let mut replayed = 0;
    for &(target, run) in checks::TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        let mut paths: Vec<_> = entries.map(|entry| entry.unwrap().path()).collect();
        paths.sort();
        for path in paths {
            let bytes = std::fs::read(&path).unwrap();
            eprintln!("replaying {}", path.display());
            run(&bytes);
            replayed += 1;
        }
    }
    eprintln!("{replayed} fuzz inputs replayed");
}

#[test]
fn every_seed_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    for &(target, run) in checks::TARGETS {
        let entries = std::fs::read_dir(root.join(target)).unwrap();
        for entry in entries {
            run(&std::fs::read(entry.unwrap().path()).unwrap());
        }
    }
}
