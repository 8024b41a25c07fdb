//! Sign-in and sign-up: full pages without the shell. After success the browser loads the next
//! page as a new document, so the shell starts with the new session.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::server_fns::account::{sign_up_enabled, SignIn, SignUp};
use crate::components::icons::LoupeMark;
use crate::components::ui::{action_error, full_navigation, ErrorAlert, BUTTON_PRIMARY, HINT, INPUT, LABEL};
use crate::domain::password_policy;
use crate::i18n::*;

#[component]
pub fn AuthCard(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="flex min-h-full items-center justify-center px-4 py-12">
            <div class="w-full max-w-sm">
                <div class="mb-6 flex items-center justify-center gap-2 text-lg font-semibold tracking-tight">
                    <LoupeMark />
                    <span>"Loupe"</span>
                </div>
                <div class="rounded-lg border border-zinc-200 bg-white p-6 shadow-sm dark:border-zinc-800 dark:bg-zinc-900">
                    <h1 class="mb-4 text-lg font-semibold">{title}</h1>
                    {children()}
                </div>
            </div>
        </div>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next").unwrap_or_default());
    let action = ServerAction::<SignIn>::new();
    Effect::new(move |_| {
        if let Some(Ok(next)) = action.value().get() {
            full_navigation(&next);
        }
    });
    let sign_up = Resource::new(|| (), |_| sign_up_enabled());
    let pending = action.pending();
    view! {
        <Title text=t_string!(i18n, auth.sign_in.title) />
        <AuthCard title=t_string!(i18n, auth.sign_in.heading)>
            <ActionForm action attr:class="space-y-4" attr:data-testid="sign-in-form">
                <input type="hidden" name="next" prop:value=next />
                <div>
                    <label class=LABEL for="email">{t_string!(i18n, auth.email)}</label>
                    <input id="email" name="email" type="email" autocomplete="username" required class=format!("{INPUT} mt-1") />
                </div>
                <div>
                    <label class=LABEL for="password">{t_string!(i18n, auth.password)}</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required class=format!("{INPUT} mt-1") />
                </div>
                <ErrorAlert error=action_error(action) />
                <button type="submit" class=format!("{BUTTON_PRIMARY} w-full") disabled=move || pending.get()>
                    {move || if pending.get() { t_string!(i18n, auth.sign_in.pending) } else { t_string!(i18n, auth.sign_in.submit) }}
                </button>
            </ActionForm>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let enabled = sign_up.await.unwrap_or(false);
                    let href = move || {
                        let next = next();
                        if next.is_empty() { "/sign-up".to_string() } else { format!("/sign-up?next={next}") }
                    };
                    view! {
                        <p class="mt-4 text-center text-sm text-zinc-500 dark:text-zinc-400">
                            {if enabled {
                                view! { {t_string!(i18n, auth.sign_in.no_account)} <a class="font-medium text-indigo-600 hover:underline dark:text-indigo-400" href=href>{t_string!(i18n, auth.sign_in.sign_up)}</a> }.into_any()
                            } else {
                                view! { {t_string!(i18n, auth.sign_in.sign_up_disabled)} }.into_any()
                            }}
                        </p>
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let invite = move || query.with(|q| q.get("invite").unwrap_or_default());
    let invited_email = query.with_untracked(|q| q.get("email").unwrap_or_default());
    let action = ServerAction::<SignUp>::new();
    Effect::new(move |_| {
        if let Some(Ok(next)) = action.value().get() {
            full_navigation(&next);
        }
    });
    let email = RwSignal::new(invited_email.clone());
    let password = RwSignal::new(String::new());
    // The same rules the server applies, shown while typing.
    let problems = Memo::new(move |_| {
        let password = password.get();
        if password.is_empty() { Vec::new() } else { password_policy::problems(&password, &email.get()) }
    });
    let sign_up = Resource::new(|| (), |_| sign_up_enabled());
    let pending = action.pending();
    view! {
        <Title text=t_string!(i18n, auth.sign_up.title) />
        <AuthCard title=t_string!(i18n, auth.sign_up.heading)>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let enabled = sign_up.await.unwrap_or(false);
                    (!enabled && invite().is_empty()).then(|| view! {
                        <p role="alert" class="mb-4 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800 dark:bg-amber-950 dark:text-amber-300">
                            {t_string!(i18n, auth.sign_up.disabled)}
                        </p>
                    })
                })}
            </Suspense>
            <ActionForm action attr:class="space-y-4" attr:data-testid="sign-up-form">
                <input type="hidden" name="invite" prop:value=invite />
                <div>
                    <label class=LABEL for="name">{t_string!(i18n, auth.name)}</label>
                    <input id="name" name="name" type="text" autocomplete="name" class=format!("{INPUT} mt-1") />
                </div>
                <div>
                    <label class=LABEL for="email">{t_string!(i18n, auth.email)}</label>
                    <input id="email" name="email" type="email" autocomplete="username" required class=format!("{INPUT} mt-1")
                        prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))
                        readonly=!invited_email.is_empty() />
                </div>
                <div>
                    <label class=LABEL for="password">{t_string!(i18n, auth.password)}</label>
                    <input id="password" name="password" type="password" autocomplete="new-password" required class=format!("{INPUT} mt-1")
                        on:input=move |ev| password.set(event_target_value(&ev)) />
                    <p class=HINT>{t_string!(i18n, auth.sign_up.password_hint)}</p>
                    <ul class="mt-1 space-y-0.5 text-xs text-amber-700 dark:text-amber-400" data-testid="password-problems">
                        {move || problems.get().into_iter().map(|p| view! { <li>{password_problem(i18n.get_locale_untracked(), p)}</li> }).collect_view()}
                    </ul>
                </div>
                <ErrorAlert error=action_error(action) />
                <button type="submit" class=format!("{BUTTON_PRIMARY} w-full") disabled=move || pending.get() || !problems.get().is_empty()>
                    {move || if pending.get() { t_string!(i18n, auth.sign_up.pending) } else { t_string!(i18n, auth.sign_up.submit) }}
                </button>
            </ActionForm>
            <p class="mt-4 text-center text-sm text-zinc-500 dark:text-zinc-400">
                {t_string!(i18n, auth.sign_up.have_account)}
                <a class="font-medium text-indigo-600 hover:underline dark:text-indigo-400" href="/sign-in">{t_string!(i18n, auth.sign_up.sign_in)}</a>
            </p>
        </AuthCard>
    }
}

/// A rule the password breaks (`password_policy::problems`, which speaks English), in `locale`.
pub(crate) fn password_problem(locale: Locale, problem: &'static str) -> &'static str {
    match problem {
        "Use at least 8 characters." => td_string!(locale, auth.password_problems.too_short),
        "Use at most 128 characters." => td_string!(locale, auth.password_problems.too_long),
        "Do not repeat a single character." => td_string!(locale, auth.password_problems.repeated),
        "Do not use your email address." => td_string!(locale, auth.password_problems.email),
        "This password is among the most common ones; choose another." => td_string!(locale, auth.password_problems.common),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::password_problem;
    use crate::domain::password_policy::problems;
    use crate::i18n::Locale;

    /// Every sentence the policy can say has a translation (English stays word for word).
    #[test]
    fn every_password_problem_is_translated() {
        let all: Vec<&'static str> = [("short", "a@b.c"), (&"x1".repeat(65), "a@b.c"), ("aaaaaaaaaa", "a@b.c"), ("alice.smith", "alice.smith@example.com"), ("password", "a@b.c")]
            .iter()
            .flat_map(|(password, email)| problems(password, email))
            .collect();
        assert_eq!(all.len(), 5, "{all:?}");
        for problem in all {
            assert_eq!(password_problem(Locale::en, problem), problem);
            assert_ne!(password_problem(Locale::zh, problem), problem, "no Chinese for {problem:?}");
        }
    }
}
