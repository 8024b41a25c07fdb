//! The quota banner (#22): at 80 % and 100 % of the included units, for the organization's
//! Owners and Admins, on its pages (`/organization/{id}/…`) and inside its projects. Part of the
//! shell (`layout::AppLayout`), so every page of the organization shows it without each page
//! asking; it names the plan and links the usage page.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::components::session::use_session;
use crate::domain::format::count;
use crate::domain::plans::{percent, BannerLevel, UsageBanner};
use crate::domain::Action;
use crate::i18n::*;
use crate::sections::project_from_path;
use crate::server_fns::usage::get_usage_banner;

/// The organization a page belongs to, when the person may see its banner (Owners and Admins):
/// asked of the server only then, so nobody else's page render makes a refused call.
fn banner_org(path: &str, info: Option<&crate::domain::account::SessionInfo>) -> Option<String> {
    let info = info?;
    let org = match project_from_path(path) {
        Some((project_id, _)) => info.project(project_id).map(|(org, _)| org),
        None => path.strip_prefix("/organization/").and_then(|rest| info.organization(rest.split('/').next().unwrap_or(""))),
    }?;
    org.can(Action::ManageOrganization).then(|| org.id.clone())
}

#[component]
pub fn UsageBannerSlot() -> impl IntoView {
    let location = use_location();
    let session = use_session();
    // The path is part of the key: moving between pages re-reads the (cached) state.
    let source = Memo::new(move |_| {
        let path = location.pathname.get();
        session.with(|info| banner_org(&path, info)).map(|org| (org, path))
    });
    let banner = Resource::new(move || source.get(), |source| async move {
        match source {
            Some((org_id, _)) => get_usage_banner(org_id).await,
            None => Ok(None),
        }
    });
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match banner.await {
                    Ok(Some(banner)) => view! { <Banner banner /> }.into_any(),
                    // A failed read shows nothing: the banner is a hint, the page goes on.
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Banner(banner: UsageBanner) -> impl IntoView {
    let i18n = use_i18n();
    let (limit, used) = (count(banner.included), count(banner.units));
    let share = percent(banner.units, banner.included).to_string();
    // The plan's name is the administrator's words: not translated.
    let name = banner.plan_name.clone();
    let plan = move || view! { <strong translate="no">{name.clone()}</strong> };
    let text = match (banner.level, banner.refusing) {
        (BannerLevel::Reached, true) => t!(i18n, usage.banner.refusing, plan, limit, used).into_any(),
        (BannerLevel::Reached, false) => t!(i18n, usage.banner.reached, plan, limit, used).into_any(),
        _ => t!(i18n, usage.banner.warning, plan, limit, percent = share).into_any(),
    };
    let class = if banner.level == BannerLevel::Reached {
        "border-red-300 bg-red-50 text-red-900 dark:border-red-900 dark:bg-red-950/60 dark:text-red-100"
    } else {
        "border-amber-300 bg-amber-50 text-amber-900 dark:border-amber-900 dark:bg-amber-950/60 dark:text-amber-100"
    };
    let level = if banner.level == BannerLevel::Reached { "100" } else { "80" };
    view! {
        <div class=format!("flex flex-wrap items-center justify-between gap-2 border-b px-4 py-2 text-sm sm:px-8 {class}")
            role="status" data-testid="usage-banner" data-level=level>
            <p>{text}</p>
            <a class="font-medium underline" href=format!("/organization/{}/usage", banner.org_id)>{t_string!(i18n, usage.banner.link)}</a>
        </div>
    }
}
