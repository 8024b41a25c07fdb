import { expect, test } from "@playwright/test";
import { OWNER, PROJECT, openHydrated, signIn } from "./fixtures";

// The traces list: the empty state, rows from the public API, filters that live in the URL,
// back/forward, and SDK values rendered as text (never as HTML).
const AUTH = `Basic ${Buffer.from("pk-lf-e2e:sk-lf-e2e-secret").toString("base64")}`;

test("traces: first-trace hint, rows, URL filters, history and untrusted text", async ({ page, request }) => {
  await signIn(page, OWNER.email, OWNER.password);
  // A project of its own: the empty state needs an empty project, and specs that run earlier
  // (annotation, comments, scores) write traces into the shared one.
  const origin = new URL(page.url()).origin;
  const created = await page.request.post("/api/ui/create_project", { form: { org_id: "e2e-org", name: `Traces ${Date.now().toString(36)}` }, headers: { Origin: origin } });
  expect(created.status(), await created.text()).toBe(200);
  const PROJECT: string = await created.json();
  const keyed = await page.request.post("/api/ui/create_api_key", { form: { project_id: PROJECT }, headers: { Origin: origin } });
  expect(keyed.status(), await keyed.text()).toBe(200);
  const key = await keyed.json();
  const AUTH = `Basic ${Buffer.from(`${key.key.public_key}:${key.secret_key}`).toString("base64")}`;
  await openHydrated(page, `/project/${PROJECT}/traces`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Traces");
  await expect(page.getByTestId("first-trace-snippet")).toContainText(`LANGFUSE_PUBLIC_KEY="${key.key.public_key}"`);

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

  // Filter by user through the form: it applies once typing pauses (no Apply button), and the
  // URL carries it.
  await expect(page.getByRole("button", { name: "Apply", exact: true })).toHaveCount(0);
  await page.getByLabel("User").fill("ada");
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
  // A select applies as soon as it is chosen.
  await page.getByLabel("Time").selectOption("1h");
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
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/traces/e2e-waterfall(\\?observation=w-root)?$`));
  await expect(page.getByTestId("trace-name")).toHaveText("support answer");
  const rows = page.getByTestId("waterfall-row");
  // Tree order: the root, then its children by start time.
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toContainText("retrieve-and-answer");
  await expect(rows.nth(1)).toContainText("retrieve");
  await expect(rows.nth(2)).toContainText("answer");
  // The first row is selected, and the selection is in the URL.
  await expect(rows.nth(0)).toHaveAttribute("aria-selected", "true");
  await expect(page).toHaveURL(/\?observation=w-root$/);

  // Collapse and expand: the root's toggle, then collapse-all / expand-all.
  await rows.nth(0).getByTestId("toggle-row").click();
  await expect(rows).toHaveCount(1);
  await expect(page.getByTestId("waterfall-count")).toHaveText("1 of 3 observations shown");
  await page.getByTestId("expand-all").click();
  await expect(rows).toHaveCount(3);
  await page.getByTestId("collapse-all").click();
  await expect(rows).toHaveCount(1);
  await page.getByTestId("expand-all").click();

  // Keyboard: down twice selects the generation, whose panel shows its input, output and cost;
  // left steps out to the parent, left again collapses it, right expands it.
  await page.getByTestId("waterfall").focus();
  await page.keyboard.press("ArrowDown");
  await expect(page.getByTestId("observation-name")).toHaveText("retrieve");
  await page.keyboard.press("ArrowDown");
  await expect(rows.nth(2)).toHaveAttribute("aria-selected", "true");
  await expect(page.getByTestId("observation-name")).toHaveText("answer");
  await expect(page.getByTestId("observation-input")).toContainText("How do I reset my password?");
  await expect(page.getByTestId("observation-input").getByTestId("chat-message")).toHaveAttribute("data-role", "user");
  await expect(page.getByTestId("observation-output").getByTestId("markdown")).toHaveText("Open Account, then Change password.");
  await expect(page.getByTestId("observation-cost")).toHaveText(/^\$0\.00\d+$/);
  await expect(page.getByTestId("observation-usage")).toContainText("input");
  await expect(page.getByTestId("observation-ttft")).toHaveText("200 ms");
  await expect(page).toHaveURL(/\?observation=w-gen$/);
  await page.keyboard.press("ArrowLeft");
  await expect(page.getByTestId("observation-name")).toHaveText("retrieve-and-answer");
  await page.keyboard.press("ArrowLeft");
  await expect(rows).toHaveCount(1);
  await page.keyboard.press("ArrowRight");
  await expect(rows).toHaveCount(3);

  // Find by name: both rows whose name contains "answer"; Enter steps to the next one.
  await page.getByTestId("waterfall-find").fill("answer");
  await expect(page.getByTestId("waterfall-matches")).toHaveText("1 of 2");
  await page.getByTestId("waterfall-find").press("Enter");
  await expect(page.getByTestId("waterfall-matches")).toHaveText("2 of 2");
  await expect(page.getByTestId("observation-name")).toHaveText("answer");
  await page.getByTestId("waterfall-find").fill("");

  // The generation's bar carries its first-token mark; the tree view shows its cost instead.
  await expect(rows.nth(2).getByTestId("first-token")).toBeAttached();
  await page.getByTestId("zoom-in").click();
  await expect(page.getByTestId("zoom-reset")).toBeEnabled();
  await page.getByTestId("mode-tree").click();
  await expect(rows.nth(2)).toContainText(/\$0\.00\d+/);
  await expect(rows.nth(2)).toContainText("1,280");
  // Tree mode rolls tokens and cost up: the root span, which has none of its own, shows its
  // generation's; the retrieval span below it has nothing to show.
  await expect(rows.nth(0).getByTestId("tree-tokens")).toHaveText("1,280");
  await expect(rows.nth(0).getByTestId("tree-cost")).toHaveText(await rows.nth(2).getByTestId("tree-cost").innerText());
  await expect(rows.nth(1).getByTestId("tree-tokens")).toHaveText("—");

  // A link with ?observation= opens the trace at that observation.
  await openHydrated(page, `/project/${PROJECT}/traces/e2e-waterfall?observation=w-retrieve`);
  await expect(page.getByTestId("observation-name")).toHaveText("retrieve");
  await expect(rows.nth(1)).toHaveAttribute("aria-selected", "true");

  // The users page lists carol with her trace and cost, and leads to her traces.
  await openHydrated(page, `/project/${PROJECT}/users`);
  const carol = page.getByTestId("user-row").filter({ hasText: "carol" });
  await expect(carol).toContainText("$0.00");
  // Searching keeps only the users whose id contains the text.
  await page.getByTestId("users-search").fill("CAR");
  await expect(page).toHaveURL(/\?q=CAR$/);
  await expect(page.getByTestId("user-row")).toHaveCount(1);
  await expect(carol).toBeVisible();
  await carol.getByRole("link", { name: "carol" }).click();
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/users/carol$`));
  await expect(page.getByTestId("user-traces")).toHaveText("1");
  await expect(page.getByTestId("user-recent-traces")).toContainText("support answer");
  await expect(page.getByTestId("user-no-sessions")).toBeVisible();
  await page.getByTestId("user-all-traces").click();
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/traces\\?user=carol$`));
  await expect(page.getByTestId("trace-row")).toHaveCount(1);
});

test("a session replays its traces as one conversation", async ({ page, request }) => {
  const at = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
  const batch = [
    { id: "s-e1", type: "trace-create", timestamp: at(0), body: { id: "e2e-turn-1", name: "turn", sessionId: "e2e-chat", userId: "dora", timestamp: at(0), input: "Where is my order?", output: "It ships tomorrow." } },
    { id: "s-e2", type: "trace-create", timestamp: at(0), body: { id: "e2e-turn-2", name: "turn", sessionId: "e2e-chat", userId: "dora", timestamp: at(20), input: "Thanks!", output: "You're welcome." } },
    { id: "s-e3", type: "span-create", timestamp: at(0), body: { id: "e2e-turn-1-lookup", traceId: "e2e-turn-1", name: "order lookup", startTime: at(1), endTime: at(2), output: { status: "shipping" } } },
    { id: "s-e4", type: "score-create", timestamp: at(0), body: { id: "e2e-chat-resolved", sessionId: "e2e-chat", name: "resolved", value: 1 } },
    // An older conversation in another environment, for the filters.
    { id: "s-e5", type: "trace-create", timestamp: at(0), body: { id: "e2e-old-turn", name: "turn", sessionId: "e2e-old-chat", environment: "e2e-staging", timestamp: new Date(Date.now() - 40 * 86_400_000).toISOString() } },
  ];
  expect((await request.post("/api/public/ingestion", { headers: { Authorization: AUTH }, data: { batch } })).status()).toBe(207);

  await signIn(page, OWNER.email, OWNER.password);
  await openHydrated(page, `/project/${PROJECT}/sessions`);
  const row = page.getByTestId("session-row").filter({ hasText: "e2e-chat" });
  await expect(row).toContainText("dora");
  // The search narrows the list as one types (by session or user id), and lives in the URL.
  await page.getByTestId("sessions-search").fill("dor");
  await expect(page).toHaveURL(/\?q=dor$/);
  await expect(page.getByTestId("session-row")).toHaveCount(1);
  await page.getByTestId("sessions-search").fill("no-such-session");
  await expect(page.getByTestId("no-matching-sessions")).toBeVisible();
  // The session's own scores are chips of its row.
  await page.getByTestId("sessions-search").fill("e2e-");
  await expect(row.getByTestId("session-scores")).toContainText("resolved");
  // Filters apply as chosen, keep the search, and can be cleared from an empty result.
  await page.getByTestId("sessions-environment").selectOption("e2e-staging");
  await expect(page).toHaveURL(/\?q=e2e-&env=e2e-staging$/);
  await expect(page.getByTestId("session-row")).toHaveCount(1);
  await expect(page.getByTestId("session-row")).toContainText("e2e-old-chat");
  await page.getByTestId("sessions-range").selectOption("24h");
  await expect(page.getByTestId("no-matching-sessions")).toBeVisible();
  await page.getByTestId("sessions-environment").selectOption("");
  await expect(page).toHaveURL(/\?q=e2e-&range=24h$/);
  await expect(row).toBeVisible();
  await expect(page.getByTestId("session-row").filter({ hasText: "e2e-old-chat" })).toHaveCount(0);
  // Typing keeps the filters.
  await page.getByTestId("sessions-search").fill("e2e-chat");
  await expect(page).toHaveURL(/\?range=24h&q=e2e-chat$/);
  await row.getByRole("link", { name: "e2e-chat" }).click();
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/sessions/e2e-chat$`));
  // The session's summary: its traces, people and length.
  await expect(page.getByTestId("session-traces")).toHaveText("2");
  await expect(page.getByTestId("session-users")).toHaveText("dora");
  await expect(page.getByTestId("session-duration")).toHaveText("20.0 s");
  const turns = page.getByTestId("session-turn");
  await expect(turns).toHaveCount(2);
  await expect(turns.nth(0).getByTestId("turn-input")).toHaveText("Where is my order?");
  await expect(turns.nth(1).getByTestId("turn-output")).toHaveText("You're welcome.");
  // A turn opens into its waterfall in place, with the observation's panel.
  await turns.nth(0).getByTestId("turn-expand").click();
  const inline = turns.nth(0).getByTestId("turn-waterfall");
  await expect(inline.getByTestId("waterfall-row")).toHaveCount(1);
  await expect(inline.getByTestId("observation-name")).toHaveText("order lookup");
  await expect(inline.getByTestId("observation-output")).toContainText("shipping");
  await turns.nth(0).getByTestId("turn-expand").click();
  await expect(inline).toHaveCount(0);
  await turns.nth(1).getByRole("link", { name: /Open turn/ }).click();
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/traces/e2e-turn-2$`));
  await expect(page.getByTestId("trace-name")).toHaveText("turn");
});

test("LLM output is shown by shape and never executed; a public trace opens by its link", async ({ page, request, browser }) => {
  test.setTimeout(60_000);
  const at = (ms: number) => new Date(Date.now() - 30_000 + ms).toISOString();
  const hostile = "# Answer\n\n<script>window.__xss = 'script'</script>\n\n<img src=x onerror=\"window.__xss = 'img'\">\n\n"
    + "[click me](javascript:window.__xss='link') and [docs](https://example.com/docs)\n\n- one\n- two";
  const batch = [
    { id: "x1", type: "trace-create", timestamp: at(0), body: { id: "e2e-hostile", name: "hostile output", timestamp: at(0) } },
    { id: "x2", type: "generation-create", timestamp: at(0), body: {
      id: "x-gen", traceId: "e2e-hostile", name: "answer", model: "gpt-4o", startTime: at(0), endTime: at(500),
      input: [
        { role: "system", content: "You are <b onmouseover=\"window.__xss='b'\">helpful</b>." },
        { role: "user", content: "What's the weather?" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"<img src=y onerror=alert(1)>\"}" } }] },
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
      ],
      output: hostile } },
  ];
  expect((await request.post("/api/public/ingestion", { headers: { Authorization: AUTH }, data: { batch } })).status()).toBe(207);

  await signIn(page, OWNER.email, OWNER.password);
  await openHydrated(page, `/project/${PROJECT}/traces/e2e-hostile?observation=x-gen`);
  const input = page.getByTestId("observation-input");
  const output = page.getByTestId("observation-output");
  // Chat messages by role, the tool call with its arguments, the tool's result.
  await expect(input.getByTestId("chat-message")).toHaveCount(4);
  await expect(input.getByTestId("chat-message").nth(0)).toHaveAttribute("data-role", "system");
  await expect(input.getByTestId("tool-call")).toContainText("get_weather");
  await expect(input.getByTestId("tool-call")).toContainText("<img src=y onerror=alert(1)>");
  // Markdown rendered: a heading, a list and a safe link; the hostile parts are text.
  await expect(output.locator("h1")).toHaveText("Answer");
  await expect(output.locator("li")).toHaveCount(2);
  await expect(output.getByRole("link", { name: "docs" })).toHaveAttribute("href", "https://example.com/docs");
  await expect(output.getByRole("link", { name: "click me" })).toHaveCount(0);
  await expect(output).toContainText("<script>window.__xss = 'script'</script>");
  await expect(page.locator("img[src=x], img[src=y], script:text('__xss')")).toHaveCount(0);
  await input.getByTestId("chat-message").nth(0).hover();
  // The raw view shows the JSON as text.
  await output.getByTestId("content-raw-toggle").click();
  await expect(output.getByTestId("content-raw")).toContainText("onerror");
  expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();

  // Sharing: the owner makes the trace public; a signed-out visitor opens the link.
  await page.getByTestId("share-toggle").click();
  await expect(page.getByTestId("share-toggle")).toHaveAttribute("aria-checked", "true");
  const link = (await page.getByTestId("share-url").textContent())!;
  expect(link).toContain("/share/traces/e2e-project/e2e-hostile");
  const visitor = await browser.newContext();
  const visitorPage = await visitor.newPage();
  await openHydrated(visitorPage, link);
  await expect(visitorPage.getByTestId("trace-name")).toHaveText("hostile output");
  await expect(visitorPage.getByTestId("waterfall-row")).toHaveCount(1);
  await expect(visitorPage.getByTestId("observation-output").locator("h1")).toHaveText("Answer");
  await expect(visitorPage.getByTestId("share-toggle")).toHaveCount(0);
  // The URL the SDKs hand out (`get_trace_url()`) leads the visitor there too.
  const canonical = await visitor.newPage();
  await openHydrated(canonical, `/project/${PROJECT}/traces/e2e-hostile`);
  await expect(canonical).toHaveURL(/\/share\/traces\/e2e-project\/e2e-hostile$/);
  await expect(canonical.getByTestId("trace-name")).toHaveText("hostile output");
  // Private again: the same link shows nothing.
  await page.getByTestId("share-toggle").click();
  await expect(page.getByTestId("share-toggle")).toHaveAttribute("aria-checked", "false");
  await openHydrated(visitorPage, link);
  await expect(visitorPage.getByTestId("share-not-found")).toBeVisible();
  await expect(visitorPage.getByTestId("trace-name")).toHaveCount(0);
  await openHydrated(canonical, `/project/${PROJECT}/traces/e2e-hostile`);
  await expect(canonical).toHaveURL(/\/sign-in\?next=/);
  await visitor.close();
});

test("an OTel span's panel shows its raw attributes next to the fields they became", async ({ page, request }) => {
  const start = BigInt(Date.now() - 20_000) * 1_000_000n;
  const body = { resourceSpans: [{
    resource: { attributes: [{ key: "service.name", value: { stringValue: "chat-svc" } }] },
    scopeSpans: [{ scope: { name: "opentelemetry.instrumentation.openai_v2" }, spans: [{
      traceId: "5b8aa5a2d2c872e8321cf37308d69df9", spanId: "051581bf3cb55c19", name: "chat gpt-4o", kind: 3,
      startTimeUnixNano: start.toString(), endTimeUnixNano: (start + 800_000_000n).toString(),
      attributes: [
        { key: "gen_ai.operation.name", value: { stringValue: "chat" } },
        { key: "gen_ai.request.model", value: { stringValue: "gpt-4o" } },
        { key: "gen_ai.usage.input_tokens", value: { intValue: "42" } },
        { key: "http.route", value: { stringValue: "/chat" } },
        { key: "langfuse.observation.input", value: { stringValue: '{"question": "Is it <b>bold</b>?"}' } },
      ] }] }] }] };
  const response = await request.post("/api/public/otel/v1/traces", { headers: { Authorization: AUTH, "Content-Type": "application/json" }, data: body });
  expect(response.status()).toBe(200);

  await signIn(page, OWNER.email, OWNER.password);
  await openHydrated(page, `/project/${PROJECT}/traces/5b8aa5a2d2c872e8321cf37308d69df9?observation=051581bf3cb55c19`);
  await expect(page.getByTestId("observation-model")).toHaveText("gpt-4o");
  const inspector = page.getByTestId("mapping-inspector");
  await inspector.locator("summary").click();
  await expect(inspector.locator('[data-testid=otel-attribute][data-key="gen_ai.request.model"]')).toHaveAttribute("data-mapped-to", "model");
  await expect(inspector.locator('[data-testid=otel-attribute][data-key="gen_ai.usage.input_tokens"]')).toHaveAttribute("data-mapped-to", "usageDetails.input");
  await expect(inspector.locator('[data-testid=otel-attribute][data-key="http.route"]')).toContainText("not mapped");
  // Input taken as sent is stored once, as the field, and shown from it (as text), labelled so.
  const input = inspector.locator('[data-testid=otel-attribute][data-key="langfuse.observation.input"]');
  await expect(input).toHaveAttribute("data-mapped-to", "input trace.input");
  await expect(input.getByTestId("otel-attribute-value")).toHaveText('{"question":"Is it <b>bold</b>?"}');
  await expect(input.getByTestId("otel-attribute-stored-as")).toHaveText("(as stored in input)");
  await expect(inspector.locator('[data-testid=otel-attribute][data-key="http.route"] [data-testid=otel-attribute-stored-as]')).toHaveCount(0);
  // In the narrow observation panel, on a wide screen and at phone width, every field's badge is
  // whole: inside the inspector and on one line (as tall as the one-word badge "input").
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await input.scrollIntoViewIfNeeded();
    const panel = (await inspector.boundingBox())!;
    const badges = await input.getByTestId("otel-field").all();
    expect(badges).toHaveLength(2);
    const heights = [];
    for (const badge of badges) {
      const box = (await badge.boundingBox())!;
      expect(box.x + box.width, `badge inside the inspector at ${width} px`).toBeLessThanOrEqual(panel.x + panel.width + 0.5);
      heights.push(Math.round(box.height));
    }
    expect(heights[1], `"trace.input" on one line at ${width} px`).toBe(heights[0]);
  }
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

  // A Chinese phrase through the search box, typed with an input method: nothing applies while
  // the composition is open (half-typed pinyin would search), the committed text applies.
  const search = page.getByTestId("trace-search");
  await search.dispatchEvent("compositionstart");
  await search.fill("zuowei");
  await page.waitForTimeout(1_000);
  await expect(page).toHaveURL(/\?user=e2e-list$/);
  await search.fill("作为一个");
  await search.dispatchEvent("compositionend");
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

  // Environment is off by default (the defaults fit a laptop screen); show it, hide Tags; the
  // choice stays after a reload.
  const headers = page.getByTestId("traces-table").locator("thead th");
  await expect(headers.filter({ hasText: "Environment" })).toHaveCount(0);
  await expect(headers.filter({ hasText: "Tags" })).toHaveCount(1);
  await page.getByTestId("columns-button").click();
  await page.getByTestId("column-toggle-environment").check();
  await page.getByTestId("column-toggle-tags").uncheck();
  await expect(headers.filter({ hasText: "Environment" })).toHaveCount(1);
  await expect(headers.filter({ hasText: "Tags" })).toHaveCount(0);
  await page.getByTestId("column-up-cost").click();
  await page.getByTestId("columns-button").click();
  await page.reload();
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached({ timeout: 20_000 });
  await expect(rows).toHaveCount(4);
  await expect(headers.filter({ hasText: "Environment" })).toHaveCount(1);
  await expect(headers.filter({ hasText: "Tags" })).toHaveCount(0);

  // The popovers close on Escape and on a click outside, and never stay open together.
  await page.getByTestId("columns-button").click();
  await expect(page.getByTestId("columns-panel")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("columns-panel")).toHaveCount(0);
  await page.getByTestId("columns-button").click();
  await page.getByRole("heading", { level: 1 }).click({ force: true });
  await expect(page.getByTestId("columns-panel")).toHaveCount(0);
  await page.getByTestId("columns-button").click();
  await page.getByTestId("views-button").click({ force: true });
  await expect(page.getByTestId("columns-panel")).toHaveCount(0);
  await expect(page.getByTestId("views-panel")).toHaveCount(0);

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

test("live: a new span appears in the open trace, and the list offers the new trace", async ({ page, request }) => {
  const at = (ms: number) => new Date(Date.now() - 5_000 + ms).toISOString();
  const send = async (batch: object[]) =>
    expect((await request.post("/api/public/ingestion", { headers: { Authorization: AUTH }, data: { batch } })).status()).toBe(207);
  await send([
    { id: "l1", type: "trace-create", timestamp: at(0), body: { id: "e2e-live", name: "live trace", timestamp: at(0) } },
    { id: "l2", type: "span-create", timestamp: at(0), body: { id: "e2e-live-root", traceId: "e2e-live", name: "root", startTime: at(0), endTime: at(1000) } },
  ]);

  await signIn(page, OWNER.email, OWNER.password);
  await openHydrated(page, `/project/${PROJECT}/traces/e2e-live`);
  const rows = page.getByTestId("waterfall-row");
  await expect(rows).toHaveCount(1);
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-connected", "true");
  await send([{ id: "l3", type: "span-create", timestamp: at(0), body: { id: "e2e-live-child", traceId: "e2e-live", parentObservationId: "e2e-live-root", name: "arrived live", startTime: at(200), endTime: at(400) } }]);
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(1)).toContainText("arrived live");
  await expect(page).toHaveURL(/\/traces\/e2e-live(\?observation=e2e-live-root)?$/);

  await openHydrated(page, `/project/${PROJECT}/traces`);
  await expect(page.getByTestId("live-indicator")).toHaveAttribute("data-connected", "true");
  await expect(page.getByTestId("trace-row").filter({ hasText: "brand new" })).toHaveCount(0);
  await send([{ id: "l4", type: "trace-create", timestamp: at(0), body: { id: "e2e-live-2", name: "brand new", timestamp: at(4000) } }]);
  await expect(page.getByTestId("new-traces")).toHaveText("1 new trace: show");
  await page.getByTestId("new-traces").click();
  await expect(page.getByTestId("trace-row").filter({ hasText: "brand new" })).toHaveCount(1);
  await expect(page.getByTestId("new-traces")).toHaveCount(0);
});

test("media attachments: an uploaded image inline, audio with a player, a PDF as a download, also by share link", async ({ page, request, browser }) => {
  const { createHash } = await import("node:crypto");
  const at = (ms: number) => new Date(Date.now() - 30_000 + ms).toISOString();
  // Uploaded as the SDKs do: POST /media, PUT the bytes to the signed URL; the data becomes a reference.
  async function upload(bytes: Buffer, contentType: string, field: string): Promise<string> {
    const sha = createHash("sha256").update(bytes).digest();
    const created = await request.post("/api/public/media", { headers: { Authorization: AUTH }, data: {
      traceId: "e2e-media", observationId: "m-gen", contentType, contentLength: bytes.length, sha256Hash: sha.toString("base64"), field } });
    expect(created.status()).toBe(200);
    const { mediaId, uploadUrl } = await created.json();
    expect(mediaId).toBe(sha.toString("base64url").slice(0, 22));
    if (uploadUrl) expect((await request.put(uploadUrl, { headers: { "Content-Type": contentType }, data: bytes })).status()).toBe(200);
    return `@@@langfuseMedia:type=${contentType}|id=${mediaId}|source=base64_data_uri@@@`;
  }
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64");
  const wav = Buffer.alloc(44 + 800);
  wav.write("RIFF", 0); wav.writeUInt32LE(36 + 800, 4); wav.write("WAVEfmt ", 8); wav.writeUInt32LE(16, 16); wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22); wav.writeUInt32LE(8000, 24); wav.writeUInt32LE(8000, 28); wav.writeUInt16LE(1, 32); wav.writeUInt16LE(8, 34);
  wav.write("data", 36); wav.writeUInt32LE(800, 40);
  const pdf = Buffer.from("%PDF-1.4\n% a report the model wrote\n%%EOF\n");
  const image = await upload(png, "image/png", "input");
  const audio = await upload(wav, "audio/wav", "input");
  const report = await upload(pdf, "application/pdf", "output");
  const batch = [
    { id: "m1", type: "trace-create", timestamp: at(0), body: { id: "e2e-media", name: "with media", timestamp: at(0) } },
    { id: "m2", type: "generation-create", timestamp: at(0), body: {
      id: "m-gen", traceId: "e2e-media", name: "describe", model: "gpt-4o", startTime: at(0), endTime: at(400),
      input: [{ role: "user", content: [
        { type: "text", text: "What is in this picture and this recording?" },
        { type: "image_url", image_url: { url: image } },
        { type: "input_audio", input_audio: { data: audio, format: "wav" } },
      ] }],
      output: report } },
  ];
  expect((await request.post("/api/public/ingestion", { headers: { Authorization: AUTH }, data: { batch } })).status()).toBe(207);

  await signIn(page, OWNER.email, OWNER.password);
  await openHydrated(page, `/project/${PROJECT}/traces/e2e-media?observation=m-gen`);
  const input = page.getByTestId("observation-input");
  const shown = input.locator('[data-testid="media"][data-kind="image"] img');
  await expect(shown).toHaveAttribute("src", new RegExp(`^/api/media/${PROJECT}/`));
  // The image really loaded (same origin, session cookie): the browser decoded it.
  await expect.poll(() => shown.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
  await expect(input.locator('[data-testid="media"][data-kind="audio"] audio')).toHaveAttribute("controls", "");
  const download = page.getByTestId("observation-output").locator('[data-testid="media"][data-kind="file"] a');
  await expect(download).toContainText("application/pdf");
  const served = await page.request.get((await download.getAttribute("href"))!);
  expect(served.status()).toBe(200);
  expect(served.headers()["content-type"]).toBe("application/octet-stream");
  expect(served.headers()["content-disposition"]).toMatch(/^attachment/);
  // Nothing on the page loads from elsewhere.
  expect(await page.locator("img").evaluateAll((imgs) => imgs.filter((i) => !(i as HTMLImageElement).src.startsWith(location.origin + "/")).length)).toBe(0);

  // Shared by link: a signed-out visitor sees the image too.
  await page.getByTestId("share-toggle").click();
  await expect(page.getByTestId("share-toggle")).toHaveAttribute("aria-checked", "true");
  const link = (await page.getByTestId("share-url").textContent())!;
  const visitor = await browser.newContext();
  const visitorPage = await visitor.newPage();
  await openHydrated(visitorPage, `${link}?observation=m-gen`);
  const visitorImage = visitorPage.getByTestId("observation-input").locator('[data-testid="media"][data-kind="image"] img');
  await expect.poll(() => visitorImage.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
  await visitor.close();
});
