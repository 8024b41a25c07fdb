//! The CI pass of the fuzzers (issue #13 "Hardening"): on stable Rust, without cargo-fuzz, each
//! decoder's harness from `fuzz/harness` (the very functions the libFuzzer targets call) gets
//!
//! 1. every checked-in input: the corpus `fuzz/corpus/<target>/` (seeds written by
//!    `fuzz/make_seeds.py` and what long libFuzzer runs kept) and every crash ever found,
//!    `fuzz/regressions/<target>/`;
//! 2. a seeded, deterministic mutation loop over those inputs plus random bytes for the
//!    structure-aware generators: `LOUPE_FUZZ_ITERATIONS` per target (default 1500),
//!    `LOUPE_FUZZ_SEED` to explore other sequences locally.
//!
//! A failure names the input file, or writes the mutated input to the temp directory and says
//! where, so it can be checked in under `fuzz/regressions/<target>/` once fixed.

#[path = "../../fuzz/harness/mod.rs"]
#[allow(dead_code)]
mod harness;

use std::panic;
use std::path::{Path, PathBuf};

use harness::mutate::{self, Rng};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Every file of a directory (none if it does not exist), in name order so runs are repeatable.
fn inputs(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
    files.sort();
    files.into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display())))).collect()
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Inputs larger than this are replayed but not mutated: mutating a 100,000-deep document or a
/// gzip bomb costs seconds per run in a debug build and finds nothing small inputs do not.
const MAX_MUTATED: usize = 16 * 1024;

fn run(target: &str) {
    let check = harness::TARGETS.iter().find(|(name, _)| *name == target).map(|(_, f)| *f).expect("a harness target");
    let corpus = inputs(&fuzz_dir().join("corpus").join(target));
    let regressions = inputs(&fuzz_dir().join("regressions").join(target));
    assert!(corpus.iter().any(|(p, _)| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("seed-"))), "{target}: no seeds in fuzz/corpus/{target}");

    for (path, data) in corpus.iter().chain(&regressions) {
        if panic::catch_unwind(|| check(data)).is_err() {
            panic!("{target}: {} fails (see the panic above)", path.display());
        }
    }

    let seed = env_number("LOUPE_FUZZ_SEED", 0x10c0_5eed) ^ target.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
    let iterations = env_number("LOUPE_FUZZ_ITERATIONS", 1500);
    let small: Vec<&[u8]> = corpus.iter().chain(&regressions).map(|(_, d)| d.as_slice()).filter(|d| d.len() <= MAX_MUTATED).collect();
    let mut rng = Rng::new(seed);
    for i in 0..iterations {
        let input = if small.is_empty() || rng.below(4) == 0 {
            mutate::random(&mut rng, 512)
        } else {
            let base = small[rng.below(small.len())];
            let other = small[rng.below(small.len())];
            mutate::mutate(&mut rng, base, other)
        };
        if panic::catch_unwind(|| check(&input)).is_err() {
            let saved = std::env::temp_dir().join(format!("loupe-fuzz-{target}-{seed:x}-{i}"));
            std::fs::write(&saved, &input).expect("write the failing input");
            panic!(
                "{target}: mutation {i} (LOUPE_FUZZ_SEED run, target seed {seed:#x}) fails (see the panic above); input saved to {} \
                 — fix the decoder and check it in under fuzz/regressions/{target}/",
                saved.display()
            );
        }
    }
}

#[test]
fn otlp_protobuf() {
    run("otlp_protobuf");
}

#[test]
fn otlp_json() {
    run("otlp_json");
}

#[test]
fn batch() {
    run("batch");
}

#[test]
fn score() {
    run("score");
}

#[test]
fn prompt() {
    run("prompt");
}

#[test]
fn trace_list() {
    run("trace_list");
}

#[test]
fn params() {
    run("params");
}

#[test]
fn content() {
    run("content");
}

/// The harness's checks can fail: inputs that break each property are caught. Guards against a
/// harness that silently accepts everything.
#[test]
fn the_checks_catch_broken_properties() {
    let fails = |f: fn()| panic::catch_unwind(f).is_err();
    assert!(fails(|| harness::located("no location here", "test")));
    assert!(fails(|| harness::located(": nothing before the colon", "test")));
    assert!(!fails(|| harness::located("batch[0].body.id: a non-empty id is required", "test")));
    // A regression directory with a file for a target that does not exist would be ignored.
    let known: Vec<&str> = harness::TARGETS.iter().map(|(n, _)| *n).collect();
    for dir in ["corpus", "regressions"] {
        for entry in std::fs::read_dir(fuzz_dir().join(dir)).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(known.contains(&name.as_str()), "fuzz/{dir}/{name} is not a harness target");
        }
    }
}
