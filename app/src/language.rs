//! Which language a page is rendered in, and how a person changes it (issue #17).
//!
//! The strings live in `app/locales/<language>/<namespace>.json` (one file per language and page
//! area; `build.rs` generates the typed `crate::i18n` module from them and fails the build when the
//! languages disagree). Views show a plain string with `t_string!(i18n, namespace.key)` (a
//! `&'static str`, rendered as static text) and keep `t!(i18n, namespace.key, value, …)` for a
//! string with values or components in it. `t!` makes a reactive closure per use, for a language
//! that changes in place; Loupe's changes by reloading the page (below), so a plain string does not
//! need one: 507 of them were 8 % of the bundle's unoptimized code and 1–3 % of each first visit
//! (docs/BENCHMARKS.md, "Strings as static text"). `tests::plain_strings_are_static_text` keeps
//! it so.
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

/// The language of the request being served, for what a server function writes in words (an
/// invitation email): the account's choice, else the browser's `Accept-Language`, else English.
#[cfg(feature = "ssr")]
pub fn request_locale() -> Locale {
    match leptos::prelude::use_context::<axum::http::request::Parts>() {
        Some(parts) => locale_of(&parts.extensions, &parts.headers),
        None => Locale::default(),
    }
}

/// [`request_locale`] for a handler outside the server functions (the playground's runs): the
/// account's language from the request's extensions, else `Accept-Language`, else English.
#[cfg(feature = "ssr")]
pub fn locale_of(extensions: &axum::http::Extensions, headers: &axum::http::HeaderMap) -> Locale {
    use axum::http::header::ACCEPT_LANGUAGE;
    if let Some(locale) = extensions.get::<AccountLanguage>().and_then(|AccountLanguage(code)| from_code(code)) {
        return locale;
    }
    let accepted: Vec<&str> = headers
        .get(ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.split(',').map(|tag| tag.split(';').next().unwrap_or("").trim()).filter(|tag| !tag.is_empty()).collect())
        .unwrap_or_default();
    <Locale as leptos_i18n::Locale>::find_locale(&accepted)
}

/// Words for the person being served, in the request's language ([`request_locale`]): the
/// messages of server-function errors, which the UI shows as they come (namespace `errors`).
/// The public API answers with its own messages, in English (they are read by programs).
#[cfg(feature = "ssr")]
macro_rules! say {
    ($($key_and_args:tt)*) => {
        $crate::i18n::td_string!($crate::language::request_locale(), $($key_and_args)*).to_string()
    };
}
#[cfg(feature = "ssr")]
pub(crate) use say;

/// What an action is, as the end of "your role may not …".
pub fn action_label(locale: Locale, action: loupe_domain::permissions::Action) -> &'static str {
    use crate::i18n::td_string;
    use loupe_domain::permissions::Action;
    match action {
        Action::ReadProjectData => td_string!(locale, errors.actions.read_project_data),
        Action::WriteTraces => td_string!(locale, errors.actions.write_traces),
        Action::WriteScores => td_string!(locale, errors.actions.write_scores),
        Action::WritePrompts => td_string!(locale, errors.actions.write_prompts),
        Action::WriteAnnotations => td_string!(locale, errors.actions.write_annotations),
        Action::WriteDatasets => td_string!(locale, errors.actions.write_datasets),
        Action::WriteDashboards => td_string!(locale, errors.actions.write_dashboards),
        Action::UsePlayground => td_string!(locale, errors.actions.use_playground),
        Action::SaveViews => td_string!(locale, errors.actions.save_views),
        Action::MoveProtectedPromptLabels => td_string!(locale, errors.actions.move_protected_prompt_labels),
        Action::ManageApiKeys => td_string!(locale, errors.actions.manage_api_keys),
        Action::ManageLlmConnections => td_string!(locale, errors.actions.manage_llm_connections),
        Action::ManageProjectSettings => td_string!(locale, errors.actions.manage_project_settings),
        Action::CreateProjects => td_string!(locale, errors.actions.create_projects),
        Action::ManageMembers => td_string!(locale, errors.actions.manage_members),
        Action::ReadAuditLog => td_string!(locale, errors.actions.read_audit_log),
        Action::ManageOrganization => td_string!(locale, errors.actions.manage_organization),
        Action::DeleteOrganization => td_string!(locale, errors.actions.delete_organization),
        Action::TransferOwnership => td_string!(locale, errors.actions.transfer_ownership),
    }
}

/// A refusal in words (`Forbidden`'s English `Display`, in `locale`): "Your role (Viewer) may not
/// change prompts; ask a Member, Admin or Owner of the organization".
pub fn forbidden(locale: Locale, refusal: &loupe_domain::permissions::Forbidden) -> String {
    use crate::components::layout::role_label;
    use crate::i18n::td_string;
    use loupe_domain::role::Role;
    let roles: Vec<&str> = Role::ALL.iter().rev().filter(|r| r.can(refusal.action)).map(|r| role_label(locale, *r)).collect();
    let who = match roles.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => {
            let roles = rest.join(td_string!(locale, errors.list_separator));
            td_string!(locale, errors.who_many, roles, last).to_string()
        }
        None => role_label(locale, Role::Owner).to_string(),
    };
    // English needs an article, chosen by the first role's sound (Admin, Owner: "an").
    let first = Role::ALL.iter().rev().find(|r| r.can(refusal.action)).copied().unwrap_or(Role::Owner);
    let who = if matches!(first, Role::Admin | Role::Owner) {
        td_string!(locale, errors.who_an, who).to_string()
    } else {
        td_string!(locale, errors.who_a, who).to_string()
    };
    td_string!(locale, errors.forbidden, role = role_label(locale, refusal.role), action = action_label(locale, refusal.action), who).to_string()
}

/// The duration units that are words, in `locale` (`domain::format::DurationUnits`).
pub fn duration_units(locale: Locale) -> loupe_domain::format::DurationUnits {
    use crate::i18n::td_string;
    loupe_domain::format::DurationUnits { minutes: td_string!(locale, common.units.minutes), hours: td_string!(locale, common.units.hours) }
}

/// A duration in microseconds as the UI shows it, in `locale` (`domain::format::duration_us`).
pub fn duration_us(locale: Locale, us: i64) -> String {
    loupe_domain::format::duration_us_in(us, duration_units(locale))
}

/// [`duration_us`] of seconds.
pub fn duration_s(locale: Locale, seconds: f64) -> String {
    loupe_domain::format::duration_s_in(seconds, duration_units(locale))
}

/// An invitation email's subject and plain-text body, in `locale`.
pub fn invitation_email(locale: Locale, organization: &str, invited_by: &str, role: loupe_domain::role::Role, link: &str) -> (String, String) {
    use crate::i18n::td_string;
    use loupe_domain::role::Role;
    let role = match role {
        Role::Owner => td_string!(locale, mail.roles.owner),
        Role::Admin => td_string!(locale, mail.roles.admin),
        Role::Member => td_string!(locale, mail.roles.member),
        Role::Viewer => td_string!(locale, mail.roles.viewer),
    };
    let (organization, invited_by, link) = (organization.to_string(), invited_by.to_string(), link.to_string());
    let subject = td_string!(locale, mail.invitation.subject, organization = organization.clone()).to_string();
    let body = td_string!(locale, mail.invitation.body, invited_by, organization, role, link).to_string();
    (subject, body)
}

/// The person's time zone, as the browser's current offset from UTC (issue #17). The boot script
/// in the page's `<head>` keeps it in the `loupe_tz` cookie (minutes east of UTC); the server
/// renders times in it and writes the offset it used into `<meta name="loupe-tz">`, which the
/// browser reads back when it hydrates, so both render the same text. Until the browser has sent
/// the cookie once (the very first page), times are in UTC. An offset rather than a zone name:
/// a zone database would weigh more in the bundle than the rest of the date code together, and a
/// past time on the other side of a daylight-saving change is off by that hour (the column header
/// names the offset used).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeZone(pub chrono::FixedOffset);

/// The cookie the boot script writes the browser's offset into.
pub const TIME_ZONE_COOKIE: &str = "loupe_tz";

impl TimeZone {
    pub const UTC: TimeZone = TimeZone(chrono::FixedOffset::east_opt(0).unwrap());

    /// From minutes east of UTC, if a real offset (within ±14 h).
    pub fn from_minutes(minutes: i32) -> Option<TimeZone> {
        (minutes.abs() <= 14 * 60).then(|| chrono::FixedOffset::east_opt(minutes * 60).map(TimeZone)).flatten()
    }

    /// From a `Cookie` header's `loupe_tz`, else UTC.
    pub fn from_cookie_header(header: &str) -> TimeZone {
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == TIME_ZONE_COOKIE)
            .and_then(|(_, value)| value.trim().parse::<i32>().ok())
            .and_then(TimeZone::from_minutes)
            .unwrap_or(TimeZone::UTC)
    }

    pub fn minutes(self) -> i32 {
        self.0.local_minus_utc() / 60
    }

    /// "UTC", "UTC+08:00", "UTC-05:30": for column headers and after a full timestamp.
    pub fn label(self) -> String {
        let minutes = self.minutes();
        if minutes == 0 {
            return "UTC".to_string();
        }
        let sign = if minutes < 0 { '-' } else { '+' };
        format!("UTC{sign}{:02}:{:02}", minutes.abs() / 60, minutes.abs() % 60)
    }

    /// A time as "2026-12-03 19:52:35" in this zone.
    pub fn format(self, at: chrono::DateTime<chrono::Utc>) -> String {
        at.with_timezone(&self.0).format("%Y-%m-%d %H:%M:%S").to_string()
    }

    /// A date as "2026-12-03" in this zone.
    pub fn date(self, at: chrono::DateTime<chrono::Utc>) -> String {
        at.with_timezone(&self.0).format("%Y-%m-%d").to_string()
    }
}

/// Finds the person's time zone for this render and shares it with the page's components
/// ([`time_zone`]): on the server from the request's cookie, in the browser from the offset the
/// server wrote into the page.
pub fn provide_time_zone() {
    #[cfg(feature = "ssr")]
    let zone = leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.headers.get(axum::http::header::COOKIE)?.to_str().ok().map(TimeZone::from_cookie_header))
        .unwrap_or(TimeZone::UTC);
    #[cfg(not(feature = "ssr"))]
    let zone = rendered_time_zone().unwrap_or(TimeZone::UTC);
    leptos::prelude::provide_context(zone);
}

/// The offset the server rendered the page with (`<meta name="loupe-tz">`).
#[cfg(not(feature = "ssr"))]
fn rendered_time_zone() -> Option<TimeZone> {
    #[cfg(feature = "hydrate")]
    {
        let meta = web_sys::window()?.document()?.query_selector("meta[name=loupe-tz]").ok()??;
        return TimeZone::from_minutes(meta.get_attribute("content")?.parse().ok()?);
    }
    #[allow(unreachable_code)]
    None
}

/// The page's time zone (UTC outside a page, e.g. in unit tests).
pub fn time_zone() -> TimeZone {
    leptos::prelude::use_context::<TimeZone>().unwrap_or(TimeZone::UTC)
}

/// The `<meta name="loupe-tz">` content for the page being rendered on the server: the offset in
/// minutes, from the request's cookie. (The shell is only rendered on the server.)
pub fn rendered_offset_minutes() -> String {
    #[cfg(feature = "ssr")]
    let zone = leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.headers.get(axum::http::header::COOKIE)?.to_str().ok().map(TimeZone::from_cookie_header))
        .unwrap_or(TimeZone::UTC);
    #[cfg(not(feature = "ssr"))]
    let zone = TimeZone::UTC;
    zone.minutes().to_string()
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
        let source: String = sources().into_iter().map(|(_, text)| text).collect::<Vec<_>>().join("\n");
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

    /// The source of `app/src` (every `.rs` file) with each file's path, for the checks below.
    fn sources() -> Vec<(PathBuf, String)> {
        let mut files = Vec::new();
        rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
        files.into_iter().map(|f| { let text = std::fs::read_to_string(&f).unwrap(); (f, text) }).collect()
    }

    /// A `t!` given nothing but the context and a key makes a reactive closure for a string that
    /// never changes in place (the language changes by reloading the page); `t_string!` shows the
    /// same string as static text, with less code in the bundle (see the module's doc).
    #[test]
    fn plain_strings_are_static_text() {
        let mut plain = Vec::new();
        for (path, text) in sources() {
            for (at, _) in text.match_indices("t!(") {
                if text[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue; // t_string!(, td_string!(, …
                }
                let args = &text[at + 3..];
                let Some(end) = args.find(')') else { continue };
                let args = &args[..end];
                if args.matches(',').count() == 1 && !args.contains('(') {
                    let line = text[..at].matches('\n').count() + 1;
                    plain.push(format!("{}:{line}: t!({args})", path.display()));
                }
            }
        }
        assert!(plain.is_empty(), "plain strings shown through t! (use t_string!): {plain:#?}");
    }

    #[test]
    fn a_time_zone_from_the_browser_cookie() {
        use super::TimeZone;
        let shanghai = TimeZone::from_cookie_header("loupe_session=abc; loupe_tz=480; other=1");
        assert_eq!(shanghai.label(), "UTC+08:00");
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-03T19:52:35Z").unwrap().with_timezone(&chrono::Utc);
        assert_eq!(shanghai.format(at), "2026-12-04 03:52:35");
        assert_eq!(shanghai.date(at), "2026-12-04");
        assert_eq!(TimeZone::from_cookie_header("loupe_tz=-330").label(), "UTC-05:30");
        for bad in ["", "loupe_tz=", "loupe_tz=abc", "loupe_tz=100000", "other=480"] {
            assert_eq!(TimeZone::from_cookie_header(bad), TimeZone::UTC, "{bad:?}");
        }
        assert_eq!(TimeZone::UTC.label(), "UTC");
        assert_eq!(TimeZone::UTC.format(at), "2026-12-03 19:52:35");
    }

    #[test]
    fn an_invitation_email_in_each_language() {
        use crate::i18n::Locale;
        use loupe_domain::role::Role;
        let (subject, body) = super::invitation_email(Locale::en, "Acme", "Ada", Role::Member, "https://loupe.example/invite/t");
        assert_eq!(subject, "You are invited to Acme on Loupe");
        assert!(body.starts_with("Ada invited you to join Acme on Loupe as Member.\n"), "{body}");
        assert!(body.contains("https://loupe.example/invite/t"));
        let (subject, body) = super::invitation_email(Locale::zh, "Acme", "Ada", Role::Viewer, "https://loupe.example/invite/t");
        assert_eq!(subject, "邀请您加入 Loupe 上的 Acme");
        assert!(body.contains("以查看者身份") && body.contains("https://loupe.example/invite/t"), "{body}");
    }

    /// A refusal reads in English exactly as the domain says it (the public API's words), and in
    /// Chinese without a word of English, for every role and action.
    #[test]
    fn refusals_in_each_language() {
        use crate::i18n::Locale;
        use loupe_domain::permissions::{Action, Forbidden};
        use loupe_domain::role::Role;
        let mut refusals = 0;
        for role in Role::ALL {
            for action in Action::ALL {
                if role.can(action) {
                    continue;
                }
                let refusal = Forbidden { role, action };
                assert_eq!(super::forbidden(Locale::en, &refusal), refusal.to_string());
                let chinese = super::forbidden(Locale::zh, &refusal);
                for english in ["Your role", "may not", "ask", "Owner", "Admin", "Member", "Viewer", " or "] {
                    assert!(!chinese.contains(english), "{chinese}");
                }
                refusals += 1;
            }
        }
        assert!(refusals > 10, "{refusals}");
    }

    #[test]
    fn every_language_has_a_locale() {
        for code in loupe_domain::language::LANGUAGES {
            assert_eq!(super::from_code(code).map(super::code), Some(code));
        }
        assert_eq!(super::from_code("fr"), None);
    }
}
