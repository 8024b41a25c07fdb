#![no_main]
// The checks live in `harness/` (shared with the CI pass, server/tests/fuzz_corpus.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| loupe_fuzz::content(data));
