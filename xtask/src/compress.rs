//! `xtask compress <site-root>`: each file of the site's content-addressed build directory (issue #16)
//! compressed once, at build time, beside itself: `FILE.br` (brotli, quality 11) and `FILE.gz`
//! (gzip -9). The server sends these as they are (`tower_http`'s `ServeDir` with precompressed
//! variants: brotli to browsers that accept it, else gzip), so no page load compresses the
//! bundle again, and with the strongest settings, which are too slow to run per request: brotli
//! 11 takes a second or more per megabyte.
//!
//! A build directory's contents never change (its name is their hash), so a file whose two
//! variants exist is skipped: a rebuild with an unchanged bundle compresses nothing. Only a build
//! directory gets variants: beside the unhashed copies in `pkg/`, which later builds overwrite,
//! a variant would go stale and be sent in place of the new file. Each variant
//! is written to a temporary name and renamed, so a variant that exists is complete.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use flate2::{write::GzEncoder, Compression};

/// Smaller files are sent as they are: compression would save a few bytes of one packet.
const MIN_BYTES: u64 = 512;

/// brotli's strongest setting, and a 16 MB window (`lgwin` 24): the modules are large and
/// repetitive, and browsers decode any window size brotli allows.
const BROTLI_QUALITY: i32 = 11;
const BROTLI_WINDOW: i32 = 24;
/// The packs a page fetches when it moves into another area (`pack.rs`: one per area and other
/// area, 90 with ten areas, ~100 MB) take quality 9: 25 times faster than 11 for ~12 % more bytes (the trace page's after the
/// traces list: 285 KB against 254 KB), which keeps a build's compression near a minute instead
/// of four. They are fetched on navigation, never by a first visit.
const BROTLI_QUALITY_NAVIGATION: i32 = 9;

fn is_variant(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz" | "tmp"))
}

/// The files of `dir` that still lack a variant.
fn pending(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if !path.is_file() || is_variant(&path) || path.metadata()?.len() < MIN_BYTES {
            continue;
        }
        if !with_suffix(&path, "br").is_file() || !with_suffix(&path, "gz").is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// Writes `bytes` to `path` through a temporary file in the same directory.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let temporary = with_suffix(path, "tmp");
    fs::write(&temporary, bytes).with_context(|| format!("writing {}", temporary.display()))?;
    fs::rename(&temporary, path).with_context(|| format!("renaming {} to {}", temporary.display(), path.display()))
}

fn brotli(bytes: &[u8], quality: i32) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    let params = brotli::enc::BrotliEncoderParams { quality, lgwin: BROTLI_WINDOW, ..Default::default() };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).context("brotli")?;
    Ok(out)
}

pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 3), Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

fn compress_file(path: &Path) -> Result<()> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let navigation = path.file_name().and_then(|name| name.to_str()).is_some_and(crate::pack::is_navigation_pack);
    write_atomically(&with_suffix(path, "br"), &brotli(&bytes, if navigation { BROTLI_QUALITY_NAVIGATION } else { BROTLI_QUALITY })?)?;
    write_atomically(&with_suffix(path, "gz"), &gzip(&bytes)?)
}

/// Compresses the build directory `site_root/pkg/hash.txt` names.
pub fn run(site_root: &Path) -> Result<()> {
    let Some(dir) = crate::budget::build_dir(site_root) else {
        bail!("{} names no build directory: nothing to compress (build the site first)", site_root.join("pkg/hash.txt").display());
    };
    compress_dir(&dir)
}

fn compress_dir(dir: &Path) -> Result<()> {
    let files = pending(dir)?;
    if files.is_empty() {
        println!("compress: every file of {} has its variants", dir.display());
        return Ok(());
    }
    let started = std::time::Instant::now();
    // Largest first, spread over the cores: brotli 11 is the slow part of a release build's end.
    let mut by_size: Vec<(u64, PathBuf)> = files.into_iter().map(|f| (f.metadata().map(|m| m.len()).unwrap_or(0), f)).collect();
    by_size.sort_by(|a, b| b.0.cmp(&a.0));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let results: Vec<Result<()>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((_, path)) = by_size.get(i) else { return Ok(()) };
                        compress_file(path)?;
                    }
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a compression thread panicked")))).collect()
    });
    for result in results {
        result?;
    }
    println!("compress: {} files of {} compressed (brotli 11, 9 for the navigation packs; gzip -9) in {:.1} s", by_size.len(), dir.display(), started.elapsed().as_secs_f64());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn variants_decompress_to_the_file_and_are_made_once() {
        let dir = std::env::temp_dir().join(format!("xtask-compress-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let big: Vec<u8> = (0..20_000u32).flat_map(|i| format!("chunk {} ", i % 97).into_bytes()).collect();
        fs::write(dir.join("module.wasm"), &big).unwrap();
        fs::write(dir.join("tiny.js"), b"x").unwrap();
        compress_dir(&dir).unwrap();

        let mut from_br = Vec::new();
        brotli::Decompressor::new(&fs::read(dir.join("module.wasm.br")).unwrap()[..], 4096).read_to_end(&mut from_br).unwrap();
        assert_eq!(from_br, big);
        let mut from_gz = Vec::new();
        flate2::read::GzDecoder::new(&fs::read(dir.join("module.wasm.gz")).unwrap()[..]).read_to_end(&mut from_gz).unwrap();
        assert_eq!(from_gz, big);
        assert!(!dir.join("tiny.js.br").exists(), "a file under {MIN_BYTES} B is sent as it is");
        assert!(pending(&dir).unwrap().is_empty());

        // Made once: a second run leaves the variants alone (here: a marker survives).
        fs::write(dir.join("module.wasm.gz"), b"kept").unwrap();
        compress_dir(&dir).unwrap();
        assert_eq!(fs::read(dir.join("module.wasm.gz")).unwrap(), b"kept");
        fs::remove_dir_all(&dir).unwrap();
    }
}
