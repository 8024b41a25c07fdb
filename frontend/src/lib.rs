//! The browser entry point. Its only job is to hydrate the server-rendered page; everything the
//! user sees is defined in `loupe-app`.

use wasm_bindgen::prelude::wasm_bindgen;

/// Called by Leptos's hydration script once `loupe.js` and `loupe_bg.wasm` are loaded.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(loupe_app::App);
    // Tests and scripts wait for this marker instead of guessing when the page is interactive.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
