//! The browser entry point. Its only job is to hydrate the server-rendered page; everything the
//! user sees is defined in `loupe-app`.

use wasm_bindgen::prelude::wasm_bindgen;

/// Called by Leptos's hydration script once `loupe.js` and `loupe_bg.wasm` are loaded.
///
/// Pages are lazy routes in areas of the split bundle (`loupe_app::routes`): the page's
/// area is loaded first (the server has already preloaded its files), then the page hydrates
/// synchronously, as an unsplit bundle would.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        let path = leptos::prelude::window().location().pathname().unwrap_or_default();
        loupe_app::routes::preload_for_path(&path).await;
        leptos::mount::hydrate_body(loupe_app::App);
        // Tests and scripts wait for this marker instead of guessing when the page is interactive.
        if let Some(body) = leptos::prelude::document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
