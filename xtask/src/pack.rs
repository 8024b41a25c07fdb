//! `xtask pack <site-root>`: one file per lazily loaded area, holding every module its first
//! visit needs (issue #16).
//!
//! wasm-split cuts the code an area shares with others into one module per set of areas that use
//! it, so the explorer's first visit fetched 132 modules. Each was compressed alone: brotli and
//! gzip start every file with an empty window, and much of what a module holds (the renderer's
//! generic code, serde, the strings) repeats across modules. Concatenated, the explorer's modules
//! compress to 452 KB with brotli instead of 566 KB, and the page makes one request instead of 132.
//!
//! So, after `wasm-opt`, this writes `pack_<area>.wasm` for each entry of the split's manifest:
//! its modules one after another behind an index, and rewrites the manifest Leptos reads
//! (`__wasm_split_manifest.json`) to name the pack, so the server's preload for a page is that one
//! file. The name ends in `.wasm` because Leptos links each manifest entry as `<entry>.wasm`; the
//! file is not a module.
//!
//! After the first area, the next lazy function a page loads (another area on navigation — from
//! the traces list to a trace —, or a tool, `page_tool`, often right after hydration: a trace's
//! comment thread) needs the modules of its own the first area did not bring: ~80–115 of them.
//! Its whole pack would bring again what is loaded, so for each area and each other lazy function
//! there is a pack of what the function needs beyond the area (`pack_<function>_after_<area>.wasm`),
//! which the area's pack names and the loader fetches when that function loads: one request.
//!
//! The loader ([`LOADER_PRELUDE`]) takes a module from the packs it has, fetches the pack after the
//! first area for a function it loads next, and fetches any module no pack holds by itself, as
//! before (a pack that failed to arrive; a second function asked for in the same burst, which
//! gets the first's pack only): packs change what a page downloads, never what loads. A function's
//! pack after the first area can hold modules a second area already brought; those are dropped.
//!
//! Format: `LPK1`, the header's length (u32, little endian), the header (JSON: `modules`, each
//! module stem → `[offset, length]` from the end of the header; `then`, each other lazy function
//! → the name of its pack after this area), then the modules.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

/// What the split wrote: each lazily loaded function's modules (`split name -> [file stems]`).
/// The manifest Leptos reads starts as a copy and names the packs once they exist.
pub const MODULES_FILE: &str = "__wasm_split_modules.json";
const MAGIC: &[u8; 4] = b"LPK1";

/// The header's `then`: each other lazy function → the name of its pack after this one.
type Then = BTreeMap<String, String>;

/// Whether `file_name` is the pack of what another area needs beyond an area: fetched on
/// navigation, never by a first visit (a tool's pack after an area can be: a trace's comment
/// thread opens right after hydration).
pub fn is_navigation_pack(file_name: &str) -> bool {
    file_name.strip_prefix("pack_").and_then(|rest| rest.split_once("_after_")).is_some_and(|(next, _)| is_area(next))
}

/// Whether the lazy function `split` is a page area (loaded before its page hydrates, the one a
/// page's pack is for) rather than a tool loaded on demand after one.
fn is_area(split: &str) -> bool {
    split.contains("_area_")
}

/// The pack of `stems` (each `<dir>/<stem>.wasm`), in the format above.
fn pack(dir: &Path, stems: &[&str], then: &Then) -> Result<Vec<u8>> {
    let mut index = BTreeMap::new();
    let mut body = Vec::new();
    for stem in stems {
        let path = dir.join(format!("{stem}.wasm"));
        let bytes = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        index.insert(*stem, [body.len(), bytes.len()]);
        body.extend_from_slice(&bytes);
    }
    let index = serde_json::to_vec(&serde_json::json!({ "modules": index, "then": then }))?;
    let mut out = Vec::with_capacity(8 + index.len() + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&u32::try_from(index.len()).context("a pack's index over 4 GB")?.to_le_bytes());
    out.extend_from_slice(&index);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Writes the packs into `<site-root>/pkg` and points the manifest at them. Does nothing for an
/// unsplit bundle.
pub fn run(site_root: &Path) -> Result<()> {
    let pkg = site_root.join("pkg");
    let modules_path = pkg.join(MODULES_FILE);
    let text = match fs::read_to_string(&modules_path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error).with_context(|| format!("reading {}", modules_path.display())),
    };
    let modules: BTreeMap<String, Vec<String>> = serde_json::from_str(&text).with_context(|| format!("reading {}", modules_path.display()))?;
    let mut manifest = BTreeMap::new();
    let mut written = 0;
    let mut write = |name: &str, stems: &[&str], then: &Then| -> Result<()> {
        let path = pkg.join(format!("{name}.wasm"));
        written += 1;
        fs::write(&path, pack(&pkg, stems, then)?).with_context(|| format!("writing {}", path.display()))
    };
    for (split, stems) in &modules {
        let stems: Vec<&str> = stems.iter().map(String::as_str).collect();
        let mut then = Then::new();
        if is_area(split) {
            for (next, next_stems) in modules.iter().filter(|(other, _)| *other != split) {
                let rest: Vec<&str> = next_stems.iter().map(String::as_str).filter(|stem| !stems.contains(stem)).collect();
                if !rest.is_empty() {
                    let name = format!("pack_{next}_after_{split}");
                    write(&name, &rest, &Then::new())?;
                    then.insert(next.clone(), name);
                }
            }
        }
        let name = format!("pack_{split}");
        write(&name, &stems, &then)?;
        manifest.insert(split.as_str(), vec![name]);
    }
    let manifest_path = pkg.join(crate::SPLIT_MANIFEST_FILE);
    fs::write(&manifest_path, serde_json::to_string_pretty(&manifest)?).with_context(|| format!("writing {}", manifest_path.display()))?;
    println!("packed the modules of {} lazily loaded functions: {written} packs", modules.len());
    Ok(())
}

/// Put before the loader wasm-split writes; its fetches of `./<stem>.wasm` become
/// `__loupe_fetch("<stem>", import.meta.url)`. The first packs are the ones the page's `<head>`
/// preloads (the server links the area its page rendered): fetching their URLs again takes the
/// preloaded responses. A later lazy function is recognised by its own module, `split_<function>`:
/// wasm-split's loader asks for all of a function's modules at once, its own last, so the modules
/// no pack holds are gathered until the microtasks queued with them have run, and the function
/// they name has its pack after the first area fetched once for all. A pack that fails to arrive or
/// to parse is skipped: its modules are then fetched one by one, as without packs.
pub const LOADER_PRELUDE: &str = r#"// Loupe: modules arrive in packs (xtask/src/pack.rs).
const __loupe_slices = new Map(); // module stem -> its bytes, out of a pack
const __loupe_after = new Map(); // lazy function -> the URL of its pack after the first area
const __loupe_loading = new Map(); // pack URL -> its load (the module stems it held)
function __loupe_load_pack(url) {
    if (!__loupe_loading.has(url)) __loupe_loading.set(url, (async () => {
        try {
            const response = await fetch(url);
            if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
            const bytes = new Uint8Array(await response.arrayBuffer());
            const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
            if (new TextDecoder().decode(bytes.subarray(0, 4)) !== "LPK1") throw new Error(`${url}: not a pack`);
            const headerEnd = 8 + view.getUint32(4, true);
            const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, headerEnd)));
            const stems = [];
            for (const [stem, [offset, length]] of Object.entries(header.modules)) {
                if (!__loupe_slices.has(stem)) __loupe_slices.set(stem, bytes.subarray(headerEnd + offset, headerEnd + offset + length));
                stems.push(stem);
            }
            for (const [next, name] of Object.entries(header.then)) {
                if (!__loupe_after.has(next)) __loupe_after.set(next, new URL(`./${name}.wasm`, url).href);
            }
            return stems;
        } catch (error) {
            console.warn("loading modules one by one:", error);
            return [];
        }
    })());
    return __loupe_loading.get(url);
}
const __loupe_packs = (() => {
    if (typeof document === "undefined") return null;
    const links = Array.from(document.querySelectorAll('link[rel="preload"][href*="/pack_"]'));
    if (links.length === 0) return null;
    return Promise.all(links.map((link) => __loupe_load_pack(link.href)));
})();
let __loupe_batch = null;
function __loupe_missing(stem) {
    if (__loupe_batch === null) {
        const batch = { stems: [] };
        // Queued behind the continuations of the fetches asked for with this one.
        batch.done = new Promise((resolve) => queueMicrotask(resolve)).then(async () => {
            __loupe_batch = null;
            const own = batch.stems.find((s) => s.startsWith("split_"));
            const url = own === undefined ? undefined : __loupe_after.get(own.slice("split_".length));
            if (url === undefined) return;
            const held = await __loupe_load_pack(url);
            // What the batch did not take had been loaded already: let it go once the batch has
            // taken its modules.
            setTimeout(() => held.forEach((s) => { if (!batch.stems.includes(s)) __loupe_slices.delete(s); }), 0);
        });
        __loupe_batch = batch;
    }
    __loupe_batch.stems.push(stem);
    return __loupe_batch.done;
}
async function __loupe_fetch(stem, base) {
    if (__loupe_packs !== null) {
        await __loupe_packs;
        if (!__loupe_slices.has(stem)) await __loupe_missing(stem);
        const bytes = __loupe_slices.get(stem);
        if (bytes !== undefined) {
            // Taken once: the loader keeps what it instantiated, and a failed instantiation
            // retries over the network.
            __loupe_slices.delete(stem);
            return new Response(bytes, { headers: { "content-type": "application/wasm" } });
        }
    }
    return fetch(new URL(`./${stem}.wasm`, base));
}
"#;

/// The loader `loader` with its module fetches going through [`LOADER_PRELUDE`]. Fails unless
/// every one of the `expected` modules is fetched exactly the way this rewrites: a wasm-split
/// that loads modules another way must be looked at, not shipped half-packed.
pub fn rewrite_loader(loader: &str, expected: usize) -> Result<String> {
    const START: &str = "fetch(new URL(\"./";
    const END: &str = ".wasm\", import.meta.url))";
    let mut out = String::with_capacity(loader.len() + LOADER_PRELUDE.len());
    out.push_str(LOADER_PRELUDE);
    let mut rest = loader;
    let mut rewritten = 0;
    while let Some(start) = rest.find(START) {
        let after = &rest[start + START.len()..];
        let stem_len = after.find(END).context("a module fetch without its `.wasm\", import.meta.url))`")?;
        let stem = &after[..stem_len];
        anyhow::ensure!(stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "unexpected module name {stem:?} in the loader");
        out.push_str(&rest[..start]);
        out.push_str(&format!("__loupe_fetch(\"{stem}\", import.meta.url)"));
        rest = &after[stem_len + END.len()..];
        rewritten += 1;
    }
    out.push_str(rest);
    anyhow::ensure!(rewritten == expected, "the loader fetches {rewritten} modules this way, the split wrote {expected}");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pack_holds_each_module_at_its_indexed_place() {
        let dir = std::env::temp_dir().join(format!("xtask-pack-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("chunk_1.wasm"), b"\0asm-one").unwrap();
        fs::write(dir.join("split_a.wasm"), b"\0asm-the-second").unwrap();
        let then = Then::from([("tool_2".to_string(), "pack_tool_2_after_x".to_string())]);
        let packed = pack(&dir, &["chunk_1", "split_a"], &then).unwrap();
        assert_eq!(&packed[..4], MAGIC);
        let header_len = u32::from_le_bytes(packed[4..8].try_into().unwrap()) as usize;
        let header: serde_json::Value = serde_json::from_slice(&packed[8..8 + header_len]).unwrap();
        let index: BTreeMap<String, [usize; 2]> = serde_json::from_value(header["modules"].clone()).unwrap();
        assert_eq!(header["then"], serde_json::json!({"tool_2": "pack_tool_2_after_x"}));
        let body = &packed[8 + header_len..];
        for (stem, expected) in [("chunk_1", &b"\0asm-one"[..]), ("split_a", &b"\0asm-the-second"[..])] {
            let [offset, length] = index[stem];
            assert_eq!(&body[offset..offset + length], expected, "{stem}");
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_areas_pack_names_what_each_other_function_needs_beyond_it() {
        let dir = std::env::temp_dir().join(format!("xtask-pack-run-{}", std::process::id()));
        let pkg = dir.join("pkg");
        fs::create_dir_all(&pkg).unwrap();
        for stem in ["chunk_1", "chunk_2", "chunk_3", "chunk_4"] {
            fs::write(pkg.join(format!("{stem}.wasm")), stem).unwrap();
        }
        let modules = serde_json::json!({"traces_area_1": ["chunk_1", "chunk_2"], "page_tool_2": ["chunk_2", "chunk_3"], "details_area_3": ["chunk_1", "chunk_4"]});
        fs::write(pkg.join(MODULES_FILE), modules.to_string()).unwrap();
        run(&dir).unwrap();
        let manifest: serde_json::Value = serde_json::from_slice(&fs::read(pkg.join(crate::SPLIT_MANIFEST_FILE)).unwrap()).unwrap();
        assert_eq!(manifest, serde_json::json!({"traces_area_1": ["pack_traces_area_1"], "page_tool_2": ["pack_page_tool_2"], "details_area_3": ["pack_details_area_3"]}));
        let header = |name: &str| -> serde_json::Value {
            let packed = fs::read(pkg.join(format!("{name}.wasm"))).unwrap();
            let len = u32::from_le_bytes(packed[4..8].try_into().unwrap()) as usize;
            serde_json::from_slice(&packed[8..8 + len]).unwrap()
        };
        // An area names, for each other function, the pack of what it lacks of it; a tool's own
        // pack names nothing more.
        assert_eq!(
            header("pack_traces_area_1")["then"],
            serde_json::json!({"page_tool_2": "pack_page_tool_2_after_traces_area_1", "details_area_3": "pack_details_area_3_after_traces_area_1"})
        );
        assert_eq!(header("pack_page_tool_2_after_traces_area_1")["modules"], serde_json::json!({"chunk_3": [0, 7]}));
        assert_eq!(header("pack_details_area_3_after_traces_area_1")["modules"], serde_json::json!({"chunk_4": [0, 7]}));
        assert_eq!(header("pack_details_area_3")["then"]["traces_area_1"], serde_json::json!("pack_traces_area_1_after_details_area_3"));
        assert_eq!(header("pack_page_tool_2")["then"], serde_json::json!({}));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn navigation_packs_are_the_areas_after_areas() {
        assert!(is_navigation_pack("pack_details_area_12_after_traces_area_34.wasm"));
        assert!(!is_navigation_pack("pack_page_tool_56_after_traces_area_34.wasm"), "a tool can load with a first visit");
        assert!(!is_navigation_pack("pack_details_area_12.wasm"));
        assert!(!is_navigation_pack("chunk_1.wasm"));
    }

    #[test]
    fn the_loader_fetches_through_the_packs() {
        let loader = "const a = fetch(new URL(\"./chunk_1.wasm\", import.meta.url));\nconst b = fetch(new URL(\"./split_x_area_12.wasm\", import.meta.url));\n";
        let out = rewrite_loader(loader, 2).unwrap();
        assert!(out.starts_with(LOADER_PRELUDE));
        assert!(out.ends_with("const a = __loupe_fetch(\"chunk_1\", import.meta.url);\nconst b = __loupe_fetch(\"split_x_area_12\", import.meta.url);\n"), "{out}");
        assert!(rewrite_loader(loader, 3).is_err(), "a module the rewrite missed fails the build");
    }
}
