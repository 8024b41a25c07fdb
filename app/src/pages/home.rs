//! Home: what this instance is and whether its database is healthy, read live from Postgres.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::system::get_system_status;
use crate::domain::SystemStatus;
use crate::error::AppError;

#[component]
pub fn HomePage() -> impl IntoView {
    // Bumped by "Check again"; the resource refetches through the server function.
    let refresh = RwSignal::new(0u32);
    let status = Resource::new(move || refresh.get(), |_| get_system_status());
    // True while a re-check is in flight: the old values stay visible, the button says so.
    let checking = RwSignal::new(false);

    view! {
        <Title text="Home" />
        <div class="max-w-4xl px-8 py-6">
            <h1 class="text-xl font-semibold tracking-tight">"Welcome to Loupe"</h1>
            <p class="mt-1 max-w-2xl text-sm text-zinc-500 dark:text-zinc-400">
                "Open-source LLM engineering: tracing, prompt management and evaluation, compatible with the Langfuse SDKs. One binary and Postgres."
            </p>

            <section class="mt-8 rounded-lg border border-zinc-200 dark:border-zinc-800" aria-labelledby="status-heading">
                <div class="flex items-center justify-between border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
                    <h2 id="status-heading" class="text-sm font-semibold">"Instance status"</h2>
                    <button
                        type="button"
                        data-testid="recheck"
                        class="rounded-md border border-zinc-200 px-2.5 py-1 text-xs font-medium hover:bg-zinc-50 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-50 dark:border-zinc-700 dark:hover:bg-zinc-800"
                        disabled=move || checking.get()
                        aria-busy=move || checking.get().to_string()
                        on:click=move |_| refresh.update(|n| *n += 1)
                    >
                        {move || if checking.get() { "Checking…" } else { "Check again" }}
                    </button>
                </div>
                <Transition fallback=StatusSkeleton set_pending=checking>
                    {move || Suspend::new(async move {
                        match status.await {
                            Ok(status) => view! { <StatusTable status /> }.into_any(),
                            Err(error) => view! { <StatusError error /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>

            <section class="mt-6 rounded-lg border border-zinc-200 px-4 py-4 text-sm dark:border-zinc-800">
                <h2 class="font-semibold">"Sending data"</h2>
                <p class="mt-1 text-zinc-500 dark:text-zinc-400">
                    "Point the Langfuse SDKs at this instance by setting "
                    <code class="font-mono text-xs">"LANGFUSE_HOST"</code>
                    " (JS: "<code class="font-mono text-xs">"LANGFUSE_BASE_URL"</code>")"
                    ". Ingestion endpoints and the trace explorer are not built yet; API keys can be created at start-up with the "
                    <code class="font-mono text-xs">"LANGFUSE_INIT_*"</code>" variables (see the README)."
                </p>
            </section>
        </div>
    }
}

#[component]
fn StatusSkeleton() -> impl IntoView {
    view! {
        <div class="space-y-3 px-4 py-4" aria-busy="true" aria-label="Loading instance status">
            <div class="h-3 w-1/3 animate-pulse rounded bg-zinc-200 dark:bg-zinc-800"></div>
            <div class="h-3 w-1/2 animate-pulse rounded bg-zinc-200 dark:bg-zinc-800"></div>
            <div class="h-3 w-1/4 animate-pulse rounded bg-zinc-200 dark:bg-zinc-800"></div>
        </div>
    }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 { format!("{n} {one}") } else { format!("{n} {many}") }
}

#[component]
fn StatusTable(status: SystemStatus) -> impl IntoView {
    let rows = [
        ("Loupe version", status.loupe_version.clone()),
        ("Database", format!("PostgreSQL {}", status.postgres_version)),
        ("Database mode", status.database_mode.describe().to_string()),
        ("Schema", plural(status.n_migrations, "migration applied", "migrations applied")),
        (
            "Contents",
            format!(
                "{}, {}, {}",
                plural(status.n_organizations, "organization", "organizations"),
                plural(status.n_projects, "project", "projects"),
                plural(status.n_users, "user", "users"),
            ),
        ),
        ("Checked at", status.checked_at.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string()),
    ];
    view! {
        <dl class="divide-y divide-zinc-100 text-sm dark:divide-zinc-800" data-testid="status">
            {rows
                .into_iter()
                .map(|(label, value)| {
                    let test_id = label.to_lowercase().replace(' ', "-");
                    view! {
                        <div class="grid grid-cols-3 gap-4 px-4 py-2">
                            <dt class="text-zinc-500 dark:text-zinc-400">{label}</dt>
                            <dd class="col-span-2 font-mono text-xs leading-5" data-testid=test_id>{value}</dd>
                        </div>
                    }
                })
                .collect_view()}
        </dl>
    }
}

#[component]
fn StatusError(error: AppError) -> impl IntoView {
    view! {
        <div role="alert" class="px-4 py-4 text-sm text-red-700 dark:text-red-400" data-testid="status-error">
            <p class="font-medium">"Could not read the instance status"</p>
            <p class="mt-1">{error.to_string()}</p>
        </div>
    }
}
