//! Which language a page is rendered in, and how a person changes it (issue #17).
//!
//! The strings live in `app/locales/<language>/<namespace>.json` (one file per language and page
//! area; `build.rs` generates the typed `crate::i18n` module from them and fails the build when the
//! languages disagree). Views use `t!(i18n, namespace.key)` / `t_string!(…)`.
//!
//! **Choosing the language.** The server decides and the browser follows:
//! 1. the signed-in person's choice (`accounts.language`, put in the request by the session
//!    middleware as [`AccountLanguage`]), else
//! 2. the browser's `Accept-Language`, else English.
//!
//! The chosen language is written into `<html lang>` by the i18n provider; on hydration the
//! browser reads it back from there, so the first server-rendered HTML is already in the right
//! language and nothing flashes. There is no language cookie: the account is the one place the
//! choice is kept, so it follows the person to another browser. Changing it saves it and reloads
//! the page (every string, reactive or not, is then rendered in the new language).

use crate::i18n::Locale;

#[cfg(feature = "ssr")]
use crate::auth::session::AccountLanguage;

/// Where the server finds the language for a page: the account's choice, else the browser's
/// `Accept-Language` (the library matches it against the languages Loupe has).
pub fn language_source() -> leptos_i18n::context::UseLocalesOptions {
    leptos_i18n::context::UseLocalesOptions::default().ssr_lang_header_getter(|| {
        #[cfg(feature = "ssr")]
        {
            use axum::http::{header::ACCEPT_LANGUAGE, request::Parts};
            let parts = leptos::prelude::use_context::<Parts>()?;
            if let Some(AccountLanguage(code)) = parts.extensions.get::<AccountLanguage>() {
                return Some(code.clone());
            }
            parts.headers.get(ACCEPT_LANGUAGE)?.to_str().ok().map(str::to_owned)
        }
        #[cfg(not(feature = "ssr"))]
        None
    })
}

/// The code of a language (`en`, `zh`), as stored with an account and written into `<html lang>`.
pub fn code(locale: Locale) -> &'static str {
    leptos_i18n::Locale::as_str(locale)
}

/// The language of a stored code (`None` for a code Loupe does not have).
pub fn from_code(code: &str) -> Option<Locale> {
    <Locale as leptos_i18n::Locale>::get_all().iter().copied().find(|locale| self::code(*locale) == code)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// Every key path of a translation file (`namespace.a.b`).
    fn keys(prefix: &str, value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| keys(&format!("{prefix}.{k}"), v, out)),
            _ => out.push(prefix.to_string()),
        }
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// build.rs already fails when the languages disagree and rustc when code uses a key that
    /// does not exist; this catches the third mistake, a string nothing shows any more.
    #[test]
    fn every_key_is_used() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        rust_files(&root.join("src"), &mut files);
        let source: String = files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect::<Vec<_>>().join("\n");
        let mut unused = Vec::new();
        for entry in std::fs::read_dir(root.join("locales/en")).unwrap().flatten() {
            let namespace = entry.path().file_stem().unwrap().to_string_lossy().to_string();
            let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(entry.path()).unwrap()).unwrap();
            let mut all = Vec::new();
            keys(&namespace, &json, &mut all);
            for key in all {
                // A use is the key followed by something that cannot continue it (`,` `)` space).
                let used = source.match_indices(&key).any(|(at, _)| {
                    source[at + key.len()..].chars().next().is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'))
                });
                if !used {
                    unused.push(key);
                }
            }
        }
        assert!(unused.is_empty(), "translation keys nothing uses (remove them from every language): {unused:?}");
    }

    #[test]
    fn every_language_has_a_locale() {
        for code in loupe_domain::language::LANGUAGES {
            assert_eq!(super::from_code(code).map(super::code), Some(code));
        }
        assert_eq!(super::from_code("fr"), None);
    }
}
