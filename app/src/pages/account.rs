//! The signed-in person's account: who they are, changing the password, signing out.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::server_fns::account::{ChangePassword, SignOut};
use crate::components::session::use_session;
use crate::i18n::*;
use crate::components::ui::{action_error, full_navigation, ErrorAlert, PageHeader, BUTTON_PRIMARY, BUTTON_SECONDARY, CARD, HINT, INPUT, LABEL};

#[component]
pub fn AccountPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let change = ServerAction::<ChangePassword>::new();
    let sign_out = ServerAction::<SignOut>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = sign_out.value().get() {
            full_navigation("/sign-in");
        }
    });
    let changed = move || matches!(change.value().get(), Some(Ok(())));
    view! {
        <Title text=t_string!(i18n, account.title) />
        <div class="max-w-3xl space-y-6 px-4 py-4 sm:px-8 sm:py-6">
            <PageHeader title=t_string!(i18n, account.title) />
            <section class=format!("{CARD} px-4 py-4")>
                {move || {
                        session.current().map(|info| view! {
                            <dl class="grid grid-cols-3 gap-2 text-sm">
                                <dt class="text-zinc-500">{t_string!(i18n, account.email)}</dt><dd class="col-span-2" data-testid="account-email">{info.user.email.clone()}</dd>
                                <dt class="text-zinc-500">{t_string!(i18n, account.name)}</dt><dd class="col-span-2">{info.user.name.clone().unwrap_or_else(|| "—".into())}</dd>
                                <dt class="text-zinc-500">{t_string!(i18n, account.instance_admin)}</dt><dd class="col-span-2">{if info.user.is_instance_admin { t_string!(i18n, account.yes) } else { t_string!(i18n, account.no) }}</dd>
                            </dl>
                        })
                }}
            </section>
            <section class=format!("{CARD} px-4 py-4")>
                <h2 class="text-sm font-semibold">{t_string!(i18n, account.change_password)}</h2>
                <p class=HINT>{t_string!(i18n, account.change_password_hint)}</p>
                <ActionForm action=change attr:class="mt-3 max-w-sm space-y-3">
                    <div>
                        <label class=LABEL for="current">{t_string!(i18n, account.current_password)}</label>
                        <input id="current" name="current" type="password" autocomplete="current-password" required class=format!("{INPUT} mt-1") />
                    </div>
                    <div>
                        <label class=LABEL for="new">{t_string!(i18n, account.new_password)}</label>
                        <input id="new" name="new" type="password" autocomplete="new-password" required class=format!("{INPUT} mt-1") />
                    </div>
                    <ErrorAlert error=action_error(change) />
                    <Show when=changed>
                        <p role="status" class="text-sm text-green-700 dark:text-green-400">{t_string!(i18n, account.password_changed)}</p>
                    </Show>
                    <button type="submit" class=BUTTON_PRIMARY disabled=move || change.pending().get()>{t_string!(i18n, account.change_password)}</button>
                </ActionForm>
            </section>
            <section class=format!("{CARD} px-4 py-4")>
                <h2 class="text-sm font-semibold">{t_string!(i18n, account.sign_out)}</h2>
                <button type="button" class=format!("{BUTTON_SECONDARY} mt-3") on:click=move |_| { sign_out.dispatch(SignOut {}); }>{t_string!(i18n, account.sign_out_here)}</button>
            </section>
        </div>
    }
}
