//! An invitation link: who invites you where, with which role; accept when signed in as the
//! invited email, otherwise sign in or sign up first (the link comes back here).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::server_fns::account::SignOut;
use crate::server_fns::invitations::{preview_invitation, AcceptInvitation};
use crate::components::session::use_session;
use crate::components::ui::{action_error, encode_query, full_navigation, ErrorAlert, LoadError, BUTTON_PRIMARY, BUTTON_SECONDARY};
use crate::pages::auth::AuthCard;

#[component]
pub fn InvitePage() -> impl IntoView {
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
        <Title text="Invitation" />
        <AuthCard title="Join an organization">
            <Suspense fallback=|| view! { <p class="text-sm text-zinc-500">"Reading the invitation…"</p> }>
                {move || Suspend::new(async move {
                    let preview = match preview.await {
                        Ok(preview) => preview,
                        Err(error) => return view! { <LoadError error /> }.into_any(),
                    };
                    if let Some(problem) = preview.state.problem() {
                        return view! { <p role="alert" data-testid="invitation-problem" class="text-sm text-red-700 dark:text-red-400">{problem}</p> }.into_any();
                    }
                    let me = session.info.await.ok().flatten();
                    let intro = view! {
                        <p class="text-sm" data-testid="invitation-summary">
                            {preview.invited_by.clone().map(|by| format!("{by} invited you")).unwrap_or_else(|| "You are invited".to_string())}
                            " to join "<strong>{preview.organization_name.clone()}</strong>" as "<strong>{preview.role.label()}</strong>"."
                        </p>
                    };
                    let token = token();
                    let body = match me {
                        Some(me) if me.user.email.eq_ignore_ascii_case(&preview.email) => view! {
                            <button type="button" class=format!("{BUTTON_PRIMARY} mt-4 w-full") data-testid="accept-invitation"
                                disabled=move || accept.pending().get()
                                on:click=move |_| { accept.dispatch(AcceptInvitation { token: token.clone() }); }>
                                "Accept invitation"
                            </button>
                        }.into_any(),
                        Some(me) => view! {
                            <p class="mt-4 text-sm text-amber-800 dark:text-amber-300">
                                {format!("This invitation is for {}, but you are signed in as {}.", preview.email, me.user.email)}
                            </p>
                            <button type="button" class=format!("{BUTTON_SECONDARY} mt-3 w-full") on:click=move |_| { sign_out.dispatch(SignOut {}); }>
                                "Sign out to switch accounts"
                            </button>
                        }.into_any(),
                        None if preview.has_account => view! {
                            <a class=format!("{BUTTON_PRIMARY} mt-4 w-full") data-testid="sign-in-to-accept"
                                href=format!("/sign-in?next={}", encode_query(&format!("/invite/{token}")))>"Sign in to accept"</a>
                        }.into_any(),
                        None => view! {
                            <a class=format!("{BUTTON_PRIMARY} mt-4 w-full") data-testid="sign-up-to-accept"
                                href=format!("/sign-up?invite={token}&email={}", encode_query(&preview.email))>"Create your account to accept"</a>
                        }.into_any(),
                    };
                    view! { {intro} {body} <div class="mt-3"><ErrorAlert error=action_error(accept) /></div> }.into_any()
                })}
            </Suspense>
        </AuthCard>
    }
}
