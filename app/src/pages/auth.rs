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
        <Title text="Sign in" />
        <AuthCard title="Sign in to Loupe">
            <ActionForm action attr:class="space-y-4" attr:data-testid="sign-in-form">
                <input type="hidden" name="next" prop:value=next />
                <div>
                    <label class=LABEL for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required class=format!("{INPUT} mt-1") />
                </div>
                <div>
                    <label class=LABEL for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required class=format!("{INPUT} mt-1") />
                </div>
                <ErrorAlert error=action_error(action) />
                <button type="submit" class=format!("{BUTTON_PRIMARY} w-full") disabled=move || pending.get()>
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
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
                                view! { "No account yet? " <a class="font-medium text-indigo-600 hover:underline dark:text-indigo-400" href=href>"Sign up"</a> }.into_any()
                            } else {
                                view! { "Sign-up is disabled on this instance; ask an administrator for an invitation." }.into_any()
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
        <Title text="Sign up" />
        <AuthCard title="Create your Loupe account">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let enabled = sign_up.await.unwrap_or(false);
                    (!enabled && invite().is_empty()).then(|| view! {
                        <p role="alert" class="mb-4 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800 dark:bg-amber-950 dark:text-amber-300">
                            "Sign-up is disabled on this instance. You can still join with an invitation link from an administrator."
                        </p>
                    })
                })}
            </Suspense>
            <ActionForm action attr:class="space-y-4" attr:data-testid="sign-up-form">
                <input type="hidden" name="invite" prop:value=invite />
                <div>
                    <label class=LABEL for="name">"Name"</label>
                    <input id="name" name="name" type="text" autocomplete="name" class=format!("{INPUT} mt-1") />
                </div>
                <div>
                    <label class=LABEL for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required class=format!("{INPUT} mt-1")
                        prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))
                        readonly=!invited_email.is_empty() />
                </div>
                <div>
                    <label class=LABEL for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="new-password" required class=format!("{INPUT} mt-1")
                        on:input=move |ev| password.set(event_target_value(&ev)) />
                    <p class=HINT>"At least 8 characters. Length matters more than symbols."</p>
                    <ul class="mt-1 space-y-0.5 text-xs text-amber-700 dark:text-amber-400" data-testid="password-problems">
                        {move || problems.get().into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
                    </ul>
                </div>
                <ErrorAlert error=action_error(action) />
                <button type="submit" class=format!("{BUTTON_PRIMARY} w-full") disabled=move || pending.get() || !problems.get().is_empty()>
                    {move || if pending.get() { "Creating account…" } else { "Create account" }}
                </button>
            </ActionForm>
            <p class="mt-4 text-center text-sm text-zinc-500 dark:text-zinc-400">
                "Already have an account? "
                <a class="font-medium text-indigo-600 hover:underline dark:text-indigo-400" href="/sign-in">"Sign in"</a>
            </p>
        </AuthCard>
    }
}
