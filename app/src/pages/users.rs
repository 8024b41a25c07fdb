//! The traced application's end users: who used it most recently, how much, at what cost. Each
//! user links to their traces.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::traces::list_trace_users;
use crate::components::ui::*;
use crate::pages::project::InProject;

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <Title text="Users" />
        <InProject children=|_, project| view! { <UserList project_id=project.id.clone() /> } />
    }
}

#[component]
fn UserList(project_id: String) -> impl IntoView {
    let page_number = page_number();
    let pid = project_id.clone();
    let page = Resource::new(move || page_number.get(), move |n| list_trace_users(pid.clone(), n));
    let base = StoredValue::new(format!("/project/{project_id}"));
    view! {
        <div class="px-8 py-6">
            <PageHeader title="Users" subtitle="The people using your application, as your traces name them (userId), most recently active first." />
            <section class=format!("{CARD} mt-4 overflow-x-auto")>
                <Transition fallback=|| view! { <Skeleton label="Loading users" /> }>
                    {move || Suspend::new(async move {
                        let page = match page.await {
                            Ok(page) => page,
                            Err(error) => return view! { <LoadError error /> }.into_any(),
                        };
                        if page.rows.is_empty() {
                            return view! {
                                <EmptyHint title="No users yet" test_id="no-users">"Set a user id on your traces and they appear here, e.g. in Python: "
                                        <code class="font-mono text-xs">"langfuse.update_current_trace(user_id=\"user-123\")"</code></EmptyHint>
                            }.into_any();
                        }
                        let now = chrono::Utc::now();
                        let current = page_number.get_untracked();
                        view! {
                            <table class=TABLE data-testid="users-table">
                                <TableHead columns=&["User", "Traces", "Total tokens", "Total cost", "First seen", "Last seen"] />
                                <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                                    {page.rows.into_iter().map(|u| view! {
                                        <tr data-testid="user-row">
                                            <td class=TD>
                                                <a class="font-medium hover:underline" href=format!("{}/traces?user={}", base.get_value(), encode_query(&u.user_id))>{u.user_id.clone()}</a>
                                            </td>
                                            <td class=format!("{TD} text-right font-mono text-xs")>{u.traces}</td>
                                            <td class=format!("{TD} text-right font-mono text-xs")>{u.total_tokens}</td>
                                            <td class=format!("{TD} text-right font-mono text-xs")>{format!("${:.6}", u.total_cost)}</td>
                                            <td class=format!("{TD} text-xs") title=timestamp(u.first_seen)>{relative_time(u.first_seen, now)}</td>
                                            <td class=format!("{TD} text-xs") title=timestamp(u.last_seen)>{relative_time(u.last_seen, now)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pager href=format!("{}/users", base.get_value()) current next=page.next_page />
                        }.into_any()
                    })}
                </Transition>
            </section>
        </div>
    }
}
