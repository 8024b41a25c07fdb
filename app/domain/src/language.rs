//! The languages of the UI (issue #17), by the code kept with an account (`accounts.language`)
//! and written into `<html lang>`. The strings themselves live in `app/locales/<code>/`.

/// Every language the UI is translated into; the first is the fallback.
pub const LANGUAGES: [&str; 2] = ["en", "zh"];

/// Whether `code` is one of [`LANGUAGES`].
pub fn is_language(code: &str) -> bool {
    LANGUAGES.contains(&code)
}
