//! An invitation link: who invites you where, with which role; accept when signed in as the
//! invited email, otherwise sign in or sign up first (the link comes back here).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::server_fns::account::SignOut;
use crate::server_fns::invitations::{preview_invitation, AcceptInvitation};
use crate::components::session::use_session;
use crate::components::ui::{action_error, encode_query, full_navigation, ErrorAlert, LoadError, BUTTON_PRIMARY, BUTTON_SECONDARY};
use crate::domain::account::InvitationState;
use crate::i18n::*;
use crate::pages::auth::AuthCard;
use crate::pages::organization::role_label;

/// Why an invitation cannot be used, in `locale` (`InvitationState::problem` is English).
pub(crate) fn invitation_problem(locale: Locale, state: InvitationState) -> Option<&'static str> {
    match state {
        InvitationState::Open => None,
        InvitationState::Accepted => Some(td_string!(locale, auth.invitation.used)),
        InvitationState::Revoked => Some(td_string!(locale, auth.invitation.withdrawn)),
        InvitationState::Expired => Some(td_string!(locale, auth.invitation.expired)),
    }
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let preview = Resource::new(token, preview_invitation);
    let session = use_session();
    let accept = ServerAction::<AcceptInvitation>::new();
    let sign_out = ServerAction::<SignOut>::new();
    Effect::new(move |_| {
        if let Some(Ok(next)) = accept.value().get() {
            full_navigation(&next);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = sign_out.value().get() {
            full_navigation(&format!("/invite/{}", token()));
        }
    });
    view! {
        <Title text=t_string!(i18n, auth.invitation.title) />
        <AuthCard title=t_string!(i18n, auth.invitation.heading)>
            <Suspense fallback=move || view! { <p class="text-sm text-zinc-500">{t_string!(i18n, auth.invitation.reading)}</p> }>
                {move || Suspend::new(async move {
                    let preview = match preview.await {
                        Ok(preview) => preview,
                        Err(error) => return view! { <LoadError error /> }.into_any(),
                    };
                    if let Some(problem) = invitation_problem(locale, preview.state) {
                        return view! { <p role="alert" data-testid="invitation-problem" class="text-sm text-red-700 dark:text-red-400">{problem}</p> }.into_any();
                    }
                    let me = session.current_untracked();
                    let organization_name = preview.organization_name.clone();
                    let organization = move || view! { <strong>{organization_name.clone()}</strong> };
                    let role_name = role_label(locale, preview.role);
                    let role = move || view! { <strong>{role_name}</strong> };
                    let summary = match preview.invited_by.clone() {
                        Some(by) => t!(i18n, auth.invitation.invited_by, by, organization, role).into_any(),
                        None => t!(i18n, auth.invitation.invited, organization, role).into_any(),
                    };
                    let intro = view! {
                        <p class="text-sm" data-testid="invitation-summary">{summary}</p>
                    };
                    let token = token();
                    let body = match me {
                        Some(me) if me.user.email.eq_ignore_ascii_case(&preview.email) => view! {
                            <button type="button" class=format!("{BUTTON_PRIMARY} mt-4 w-full") data-testid="accept-invitation"
                                disabled=move || accept.pending().get()
                                on:click=move |_| { accept.dispatch(AcceptInvitation { token: token.clone() }); }>
                                {t_string!(i18n, auth.invitation.accept)}
                            </button>
                        }.into_any(),
                        Some(me) => view! {
                            <p class="mt-4 text-sm text-amber-800 dark:text-amber-300">
                                {td_string!(locale, auth.invitation.other_account, invited = preview.email.clone(), current = me.user.email.clone()).to_string()}
                            </p>
                            <button type="button" class=format!("{BUTTON_SECONDARY} mt-3 w-full") on:click=move |_| { sign_out.dispatch(SignOut {}); }>
                                {t_string!(i18n, auth.invitation.switch_accounts)}
                            </button>
                        }.into_any(),
                        None if preview.has_account => view! {
                            <a class=format!("{BUTTON_PRIMARY} mt-4 w-full") data-testid="sign-in-to-accept"
                                href=format!("/sign-in?next={}", encode_query(&format!("/invite/{token}")))>{t_string!(i18n, auth.invitation.sign_in_to_accept)}</a>
                        }.into_any(),
                        None => view! {
                            <a class=format!("{BUTTON_PRIMARY} mt-4 w-full") data-testid="sign-up-to-accept"
                                href=format!("/sign-up?invite={token}&email={}", encode_query(&preview.email))>{t_string!(i18n, auth.invitation.sign_up_to_accept)}</a>
                        }.into_any(),
                    };
                    view! { {intro} {body} <div class="mt-3"><ErrorAlert error=action_error(accept) /></div> }.into_any()
                })}
            </Suspense>
        </AuthCard>
    }
}
