import { expect, test } from "@playwright/test";
import { OWNER, PROJECT, openHydrated, signIn } from "./fixtures";

// The traces list: the empty state, rows from the public API, filters that live in the URL,
// back/forward, and SDK values rendered as text (never as HTML).
const AUTH = `Basic ${Buffer.from("pk-lf-e2e:sk-lf-e2e-secret").toString("base64")}`;

test("traces: first-trace hint, rows, URL filters, history and untrusted text", async ({ page, request }) => {
  await signIn(page, OWNER.email, OWNER.password);
  await openHydrated(page, `/project/${PROJECT}/traces`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Traces");
  await expect(page.getByTestId("first-trace-snippet")).toContainText('LANGFUSE_PUBLIC_KEY="pk-lf-e2e"');

  const xss = `<img src=x onerror="window.__pwned=1">`;
  const batch = [
    { user: "ada", tags: ["vip"], name: "checkout" },
    { user: "bob", tags: [], name: "search" },
    { user: "ada", tags: [], name: xss },
  ].map((t, i) => ({
    id: `e2e-event-${i}`,
    type: "trace-create",
    timestamp: new Date().toISOString(),
    body: { id: `e2e-trace-${i}`, name: t.name, userId: t.user, tags: t.tags, timestamp: new Date(Date.now() - (3 - i) * 1000).toISOString() },
  }));
  const response = await request.post("/api/public/ingestion", { headers: { Authorization: AUTH }, data: { batch } });
  expect(response.status()).toBe(207);

  await page.reload();
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached({ timeout: 20_000 });
  const rows = page.getByTestId("trace-row");
  await expect(rows).toHaveCount(3);
  // Newest first; the hostile name is shown as text and ran nothing.
  await expect(rows.first()).toContainText(xss);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  await expect(page.locator("#main img")).toHaveCount(0);

  // Filter by user through the form: the URL carries it.
  await page.getByLabel("User").fill("ada");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/traces\\?user=ada$`));
  await expect(rows).toHaveCount(2);
  // Clicking a tag narrows further.
  await page.getByTestId("trace-tag").filter({ hasText: "vip" }).click();
  await expect(page).toHaveURL(/\?user=ada&tag=vip$/);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("checkout");
  await expect(page.getByLabel("Tag")).toHaveValue("vip");

  // Back and forward restore the filters and the rows.
  await page.goBack();
  await expect(page).toHaveURL(/\?user=ada$/);
  await expect(rows).toHaveCount(2);
  await expect(page.getByLabel("Tag")).toHaveValue("");
  await page.goForward();
  await expect(rows).toHaveCount(1);

  // A shared link opens the same view.
  await openHydrated(page, `/project/${PROJECT}/traces?user=bob`);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("search");
  // A time range joins the other filters in the URL.
  await page.getByLabel("Time").selectOption("1h");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/\?user=bob&range=1h$/);
  await expect(rows).toHaveCount(1);
  await openHydrated(page, `/project/${PROJECT}/traces?user=nobody`);
  await expect(page.getByTestId("no-matching-traces")).toBeVisible();
});

test("a trace opens as a waterfall; a generation shows its input and cost", async ({ page, request }) => {
  const now = Date.now();
  const at = (ms: number) => new Date(now - 10_000 + ms).toISOString();
  const batch = [
    { id: "w1", type: "trace-create", timestamp: at(0), body: { id: "e2e-waterfall", name: "support answer", userId: "carol", timestamp: at(0) } },
    { id: "w2", type: "span-create", timestamp: at(0), body: { id: "w-root", traceId: "e2e-waterfall", name: "retrieve-and-answer", startTime: at(0), endTime: at(2000) } },
    { id: "w3", type: "span-create", timestamp: at(0), body: { id: "w-retrieve", traceId: "e2e-waterfall", parentObservationId: "w-root", name: "retrieve", startTime: at(100), endTime: at(600) } },
    { id: "w4", type: "generation-create", timestamp: at(0), body: {
      id: "w-gen", traceId: "e2e-waterfall", parentObservationId: "w-root", name: "answer", model: "gpt-4o",
      startTime: at(700), completionStartTime: at(900), endTime: at(1900),
      input: [{ role: "user", content: "How do I reset my password?" }], output: "Open Account, then Change password.",
      usage: { input: 1200, output: 80 } } },
  ];
  const response = await request.post("/api/public/ingestion", { headers: { Authorization: AUTH }, data: { batch } });
  expect(response.status()).toBe(207);

  await signIn(page, OWNER.email, OWNER.password);
  await openHydrated(page, `/project/${PROJECT}/traces?user=carol`);
  await page.getByTestId("trace-link").filter({ hasText: "support answer" }).click();
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/traces/e2e-waterfall$`));
  await expect(page.getByTestId("trace-name")).toHaveText("support answer");
  const rows = page.getByTestId("waterfall-row");
  // Tree order: the root, then its children by start time.
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toContainText("retrieve-and-answer");
  await expect(rows.nth(1)).toContainText("retrieve");
  await expect(rows.nth(2)).toContainText("answer");
  await rows.nth(2).click();
  await expect(page.getByTestId("observation-name")).toHaveText("answer");
  await expect(page.getByTestId("observation-input")).toContainText("How do I reset my password?");
  await expect(page.getByTestId("observation-output")).toHaveText("Open Account, then Change password.");
  await expect(page.getByTestId("observation-cost")).toHaveText(/^\$0\.00\d+$/);
  await expect(page.getByTestId("observation-usage")).toContainText("input");

  // The users page lists carol with her trace and cost, and leads to her traces.
  await openHydrated(page, `/project/${PROJECT}/users`);
  const carol = page.getByTestId("user-row").filter({ hasText: "carol" });
  await expect(carol).toContainText("$0.00");
  await carol.getByRole("link", { name: "carol" }).click();
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/traces\\?user=carol$`));
  await expect(page.getByTestId("trace-row")).toHaveCount(1);
});

test("a session replays its traces as one conversation", async ({ page, request }) => {
  const at = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
  const batch = [
    { id: "s-e1", type: "trace-create", timestamp: at(0), body: { id: "e2e-turn-1", name: "turn", sessionId: "e2e-chat", userId: "dora", timestamp: at(0), input: "Where is my order?", output: "It ships tomorrow." } },
    { id: "s-e2", type: "trace-create", timestamp: at(0), body: { id: "e2e-turn-2", name: "turn", sessionId: "e2e-chat", userId: "dora", timestamp: at(20), input: "Thanks!", output: "You're welcome." } },
  ];
  expect((await request.post("/api/public/ingestion", { headers: { Authorization: AUTH }, data: { batch } })).status()).toBe(207);

  await signIn(page, OWNER.email, OWNER.password);
  await openHydrated(page, `/project/${PROJECT}/sessions`);
  const row = page.getByTestId("session-row").filter({ hasText: "e2e-chat" });
  await expect(row).toContainText("dora");
  await row.getByRole("link", { name: "e2e-chat" }).click();
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/sessions/e2e-chat$`));
  const turns = page.getByTestId("session-turn");
  await expect(turns).toHaveCount(2);
  await expect(turns.nth(0).getByTestId("turn-input")).toHaveText("Where is my order?");
  await expect(turns.nth(1).getByTestId("turn-output")).toHaveText("You're welcome.");
  await turns.nth(1).getByRole("link", { name: /Open turn/ }).click();
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/traces/e2e-turn-2$`));
  await expect(page.getByTestId("trace-name")).toHaveText("turn");
});

test("traces list: CJK search, sort by cost, a hidden column stays hidden, saved views, bulk delete", async ({ page, request }) => {
  const at = (s: number) => new Date(Date.now() - 120_000 + s * 1000).toISOString();
  const traces = [
    { id: "e2e-list-1", input: "作为一个影评人，我推荐这部电影", cost: 0.3 },
    { id: "e2e-list-2", input: "Hello from the list test", cost: 0.1 },
    { id: "e2e-list-3", input: "影视新闻", cost: 0.2 },
    { id: "e2e-list-4", input: "another english trace", cost: 0.05 },
  ];
  const batch = traces.flatMap((t, i) => [
    { id: `${t.id}-e`, type: "trace-create", timestamp: at(i), body: { id: t.id, name: `list ${i + 1}`, userId: "e2e-list", timestamp: at(i), input: t.input } },
    { id: `${t.id}-g`, type: "generation-create", timestamp: at(i), body: { id: `${t.id}-gen`, traceId: t.id, startTime: at(i), endTime: at(i + 1), costDetails: { total: t.cost } } },
  ]);
  expect((await request.post("/api/public/ingestion", { headers: { Authorization: AUTH }, data: { batch } })).status()).toBe(207);

  await signIn(page, OWNER.email, OWNER.password);
  await openHydrated(page, `/project/${PROJECT}/traces?user=e2e-list`);
  const rows = page.getByTestId("trace-row");
  await expect(rows).toHaveCount(4);

  // A Chinese phrase through the search box: only the matching trace.
  await page.getByTestId("trace-search").fill("作为一个");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/search=%E4%BD%9C%E4%B8%BA%E4%B8%80%E4%B8%AA/);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("data-trace-id", "e2e-list-1");
  await expect(rows.first().getByTestId("trace-input")).toHaveText("作为一个影评人，我推荐这部电影");
  // Its chip's × removes the search again.
  await page.getByTestId("filter-chip").filter({ hasText: "Search" }).click();
  await expect(rows).toHaveCount(4);

  // A bad number is named beside the form and never reaches the URL.
  await page.getByTestId("more-filters").click();
  await page.getByLabel("Cost ≥ ($)").fill("cheap");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("filter-error")).toContainText("Cost ≥ ($)");
  await expect(page).toHaveURL(/\?user=e2e-list$/);
  await page.getByLabel("Cost ≥ ($)").fill("");

  // Sort by cost (largest first), by clicking the column header.
  await page.getByTestId("sort-cost").click();
  await expect(page).toHaveURL(/\?user=e2e-list&sort=cost$/);
  await expect(rows.first()).toHaveAttribute("data-trace-id", "e2e-list-1");
  const order = await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-trace-id")));
  expect(order).toEqual(["e2e-list-1", "e2e-list-3", "e2e-list-2", "e2e-list-4"]);
  await page.getByTestId("sort-cost").click();
  await expect(page).toHaveURL(/sort=cost&dir=asc$/);
  await expect(rows.first()).toHaveAttribute("data-trace-id", "e2e-list-4");
  await page.getByTestId("sort-cost").click();
  await expect(rows.first()).toHaveAttribute("data-trace-id", "e2e-list-1");

  // Hide the Environment column; it stays hidden after a reload.
  const headers = page.getByTestId("traces-table").locator("thead th");
  await expect(headers.filter({ hasText: "Environment" })).toHaveCount(1);
  await page.getByTestId("columns-button").click();
  await page.getByTestId("column-toggle-environment").uncheck();
  await expect(headers.filter({ hasText: "Environment" })).toHaveCount(0);
  await page.getByTestId("column-up-cost").click();
  await page.getByTestId("columns-button").click();
  await page.reload();
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached({ timeout: 20_000 });
  await expect(rows).toHaveCount(4);
  await expect(headers.filter({ hasText: "Environment" })).toHaveCount(0);

  // Save this view, go elsewhere, apply it.
  await page.getByTestId("views-button").click();
  await page.getByTestId("view-name").fill("Costly e2e traces");
  await page.getByTestId("save-view").click();
  await expect(page.getByTestId("saved-view").filter({ hasText: "Costly e2e traces" })).toBeVisible();
  await openHydrated(page, `/project/${PROJECT}/traces`);
  await page.getByTestId("views-button").click();
  await page.getByTestId("saved-view").filter({ hasText: "Costly e2e traces" }).click();
  await expect(page).toHaveURL(/\?user=e2e-list&sort=cost$/);
  await expect(rows).toHaveCount(4);
  await expect(rows.first()).toHaveAttribute("data-trace-id", "e2e-list-1");

  // Bulk delete two traces.
  await page.locator('tr[data-trace-id="e2e-list-2"]').getByTestId("select-trace").check();
  await page.locator('tr[data-trace-id="e2e-list-4"]').getByTestId("select-trace").check();
  await page.getByTestId("bulk-delete").click();
  await expect(page.getByTestId("bulk-bar")).toContainText("Delete 2 traces with their observations and scores?");
  await page.getByTestId("confirm-delete").click();
  await expect(rows).toHaveCount(2);
  const left = await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-trace-id")));
  expect(left).toEqual(["e2e-list-1", "e2e-list-3"]);
  await page.reload();
  await expect(rows).toHaveCount(2);
});
