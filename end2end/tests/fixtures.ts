import { expect, type Browser, type BrowserContext, type Page } from "@playwright/test";

/** The owner created by headless initialization (playwright.config.ts). */
export const OWNER = { email: "owner@e2e.test", password: "e2e-password" };
export const PROJECT = "e2e-project";

/** Loads a page and waits until the wasm bundle has hydrated it (frontend sets the marker). */
export async function openHydrated(page: Page, path: string) {
  const errors: string[] = [];
  const consoleErrors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  // Kept for the failure message: a page that never hydrates says why in its console.
  page.on("console", (message) => { if (message.type() === "error") consoleErrors.push(message.text().slice(0, 400)); });
  page.on("requestfailed", (request) => consoleErrors.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  const response = await page.goto(path);
  await expect(page.locator("body[data-hydrated=true]"), `${path} did not hydrate; console: ${consoleErrors.join(" | ")}; errors: ${errors.join(" | ")}`).toBeAttached({ timeout: 20_000 });
  return { response, errors };
}

/** Signs in through the sign-in form and waits for the page it leads to. */
export async function signIn(page: Page, email: string, password: string, next = "/") {
  await openHydrated(page, next === "/" ? "/sign-in" : `/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  // Off the sign-in page first, then hydrated: the sign-in page itself was hydrated already, and a
  // click on the next page's menus before its code runs does nothing.
  await expect(page).not.toHaveURL(/\/sign-in/);
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached({ timeout: 20_000 });
}

export const AUTH = `Basic ${Buffer.from("pk-lf-e2e:sk-lf-e2e-secret").toString("base64")}`;

/** Ids with a dot, an `@`, CJK and emoji: one trace carries them all. */
export const TRACE = "layout.trace-1";
export const SESSION = "sess.1-会话-🦀";
export const USER = "dana.lee@globex.com";

/** One trace (with a generation) in a session of a user, all with awkward ids; idempotent. */
export async function seedLayoutData(request: import("@playwright/test").APIRequestContext) {
  const now = new Date();
  const at = (ms: number) => new Date(now.getTime() - 60_000 + ms).toISOString();
  const batch = [
    {
      id: "layout-e1", type: "trace-create", timestamp: at(0),
      body: {
        id: TRACE, name: "客服 answer with a long name that has to be truncated somewhere on a phone", sessionId: SESSION,
        userId: USER, tags: ["layout", "a-rather-long-tag-name"], timestamp: at(0),
        input: { question: "退货政策是什么？" }, output: "Within 30 days.", metadata: { tier: "gold" },
      },
    },
    {
      id: "layout-e2", type: "generation-create", timestamp: at(0),
      body: {
        id: "layout.gen-1", traceId: TRACE, name: "llm call", model: "gpt-4o", startTime: at(10), endTime: at(900),
        usageDetails: { input: 1200, output: 300 }, input: [{ role: "user", content: "退货政策是什么？" }], output: "Within 30 days.",
      },
    },
  ];
  const response = await request.post("/api/public/ingestion", { headers: { Authorization: AUTH }, data: { batch } });
  expect(response.status()).toBe(207);
  // A prompt whose shared draft is one of the pages (`prompt-draft`).
  const prompt = await request.post("/api/public/v2/prompts", {
    headers: { Authorization: AUTH },
    data: { name: LAYOUT_PROMPT, type: "chat", prompt: [{ role: "system", content: "你是客服。" }, { role: "user", content: "{{question}}" }] },
  });
  expect(prompt.status(), await prompt.text()).toBe(201);
}

export const LAYOUT_PROMPT = "布局/回复";

/** The pages, with a saved playground (a shared document) saved by `page`'s person. */
export async function layoutPages(page: Page): Promise<[string, string][]> {
  const origin = new URL(page.url()).origin;
  const saved = await page.request.post("/api/ui/save_playground", {
    headers: { Origin: origin, "Content-Type": "application/json" },
    data: JSON.stringify({ project_id: PROJECT, name: "布局演练场", playground: { mode: "chat", messages: [{ role: "user", content: "{{question}}" }], variants: [{ connection: "", model: "" }] } }),
  });
  expect(saved.status(), await saved.text()).toBe(200);
  // An annotation queue holding the layout trace: its page and its review (#20).
  const post = (endpoint: string, data: unknown) =>
    page.request.post(`/api/ui/${endpoint}`, { headers: { Origin: origin, "Content-Type": "application/json" }, data: JSON.stringify(data) });
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  const config = await post("create_score_config", {
    project_id: PROJECT,
    config: { name: `布局 ${run}`, data_type: "CATEGORICAL", min_value: null, max_value: null, categories: [{ label: "好", value: 1 }, { label: "差", value: 0 }], description: "回答是否礼貌？" },
  });
  expect(config.status(), await config.text()).toBe(200);
  const queue = await post("create_annotation_queue", {
    project_id: PROJECT,
    queue: { name: `布局队列 ${run}`, description: "看**语气**。", score_config_ids: [(await config.json()).id], assignee_ids: [], reviewers_per_item: 1 },
  });
  expect(queue.status(), await queue.text()).toBe(200);
  const queueId = (await queue.json()).id;
  const added = await post("add_to_queue", { project_id: PROJECT, queue_id: queueId, targets: [{ type: "trace", traceId: TRACE }] });
  expect(added.status(), await added.text()).toBe(200);
  // An evaluator (#21), made on a connection that is deleted again (llm_connections.spec expects
  // the project without one) and paused: its page shows both warnings.
  const judge = `layout-judge-${run}`;
  const connection = await page.request.put("/api/public/llm-connections", {
    headers: { Authorization: AUTH },
    data: { provider: judge, adapter: "openai", secretKey: "sk-layout-judge", customModels: ["gpt-4o"], withDefaultModels: false },
  });
  expect(connection.status(), await connection.text()).toBe(201);
  const evaluator = await post("create_evaluator", {
    project_id: PROJECT,
    evaluator: {
      name: `布局评估器 ${run}`, templateId: "builtin:relevance", connection: judge, model: "gpt-4o", target: { kind: "trace" },
      filter: { tag: "layout" }, sampling: 0.5, delayMs: 10000,
      mapping: [{ variable: "input", source: "input", jsonPath: "$.question" }, { variable: "output", source: "output" }],
    },
  });
  expect(evaluator.status(), await evaluator.text()).toBe(200);
  const evaluatorId = (await evaluator.json()).id;
  const paused = await page.request.post("/api/ui/pause_evaluator", { form: { project_id: PROJECT, evaluator_id: evaluatorId }, headers: { Origin: origin } });
  expect(paused.status(), await paused.text()).toBe(200);
  const removed = await page.request.post("/api/ui/delete_llm_connection", { form: { project_id: PROJECT, connection_id: (await connection.json()).id }, headers: { Origin: origin } });
  expect(removed.status(), await removed.text()).toBe(200);
  // A dataset (#21) in a folder with an item made from the layout trace: its page and the item's.
  const dataset = await post("create_dataset", { project_id: PROJECT, dataset: { name: `布局/数据集 ${run}`, description: "客服常见问题。", metadata: '{"team": "客服"}' } });
  expect(dataset.status(), await dataset.text()).toBe(200);
  const datasetId = (await dataset.json()).id;
  const item = await post("save_dataset_item", {
    project_id: PROJECT, dataset_id: datasetId, create: true,
    item: { id: `layout-item-${run}`, input: '{"question": "退货政策是什么？"}', expected_output: '"30 天内可退货。"', metadata: '{"tier": "gold"}', source_trace_id: TRACE, source_observation_id: null },
  });
  expect(item.status(), await item.text()).toBe(200);
  // A custom dashboard started from the home's widgets (#22): its page draws every chart kind.
  // In the page's language, as the page's own "New dashboard" would (the home's widget titles
  // are copied in the creator's words).
  const dashboard = await page.request.post("/api/ui/create_dashboard", {
    form: { project_id: PROJECT, name: `布局仪表盘 ${run}`, description: "每日概览。", from_home: "true" },
    headers: { Origin: origin, "Accept-Language": await page.evaluate(() => navigator.language) },
  });
  expect(dashboard.status(), await dashboard.text()).toBe(200);
  return [
    ...PAGES,
    ["shared-playground", `/project/${PROJECT}/playground?saved=${enc((await saved.json()).id)}`],
    ["annotation-queue", `/project/${PROJECT}/annotation-queues/${enc(queueId)}`],
    ["review", `/project/${PROJECT}/annotation-queues/${enc(queueId)}/review`],
    ["dataset", `/project/${PROJECT}/datasets/${enc(datasetId)}`],
    ["dataset-item", `/project/${PROJECT}/datasets/${enc(datasetId)}/items/${enc(`layout-item-${run}`)}`],
    ["evaluator", `/project/${PROJECT}/evaluators/${enc(evaluatorId)}`],
    ["dashboard", `/project/${PROJECT}/dashboards/${enc((await dashboard.json()).id)}`],
  ];
}

export const enc = encodeURIComponent;
/** Every kind of page, by a short name (for screenshots), with data from seedLayoutData. */
export const PAGES: [string, string][] = [
  ["home", "/"],
  ["account", "/account"],
  ["organization", "/organization/e2e-org"],
  ["members", "/organization/e2e-org/members"],
  ["audit-log", "/organization/e2e-org/audit-log"],
  ["usage", "/organization/e2e-org/usage"],
  ["organization-settings", "/organization/e2e-org/settings"],
  ["admin-plans", "/admin/plans"],
  ["project-home", `/project/${PROJECT}`],
  ["dashboards", `/project/${PROJECT}/dashboards`],
  ["traces", `/project/${PROJECT}/traces`],
  ["trace", `/project/${PROJECT}/traces/${enc(TRACE)}`],
  ["sessions", `/project/${PROJECT}/sessions`],
  ["session", `/project/${PROJECT}/sessions/${enc(SESSION)}`],
  ["users", `/project/${PROJECT}/users`],
  ["scores", `/project/${PROJECT}/scores`],
  ["user", `/project/${PROJECT}/users/${enc(USER)}`],
  ["prompts", `/project/${PROJECT}/prompts`],
  ["new-prompt", `/project/${PROJECT}/prompts/new`],
  ["prompt-draft", `/project/${PROJECT}/prompts/new?name=${enc("布局/回复")}`],
  ["settings", `/project/${PROJECT}/settings`],
  ["models", `/project/${PROJECT}/settings/models`],
  ["playground", `/project/${PROJECT}/playground`],
  ["datasets", `/project/${PROJECT}/datasets`],
  ["annotation-queues", `/project/${PROJECT}/annotation-queues`],
  ["evaluators", `/project/${PROJECT}/evaluators`],
  ["new-evaluator", `/project/${PROJECT}/evaluators/new`],
];

/** How far the page is wider than the window, and the elements sticking out (for the message). */
export async function overflow(page: Page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const main = document.getElementById("main")!;
    const culprits: string[] = [];
    for (const el of Array.from(main.querySelectorAll<HTMLElement>("*"))) {
      const r = el.getBoundingClientRect();
      // Content inside a box that scrolls on its own is fine; the box itself must fit.
      const box = el.parentElement?.closest(".overflow-x-auto, .overflow-auto, .overflow-hidden");
      if (r.right > width + 1 && (!box || box === main)) {
        culprits.push(`${el.tagName.toLowerCase()}[${el.getAttribute("data-testid") ?? ""}].${el.className} → ${Math.round(r.right)}px`.slice(0, 200));
        if (culprits.length === 3) break;
      }
    }
    return { page: document.documentElement.scrollWidth - width, main: main.scrollWidth - main.clientWidth, culprit: culprits.join(" | ") };
  });
}

const PERSON_PASSWORD = "a long enough passphrase";

/** A person invited into the e2e organization with `role`, signed in in a context of their own. */
export async function person(browser: Browser, owner: Page, role: "MEMBER" | "VIEWER", name: string): Promise<{ context: BrowserContext; page: Page }> {
  const origin = new URL(owner.url()).origin;
  const email = `${name.toLowerCase()}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@e2e.test`;
  const invited = await owner.request.post("/api/ui/create_invitation", { form: { org_id: "e2e-org", email, role }, headers: { Origin: origin } });
  expect(invited.status(), await invited.text()).toBe(200);
  const token = new URL((await invited.json()).link).pathname.split("/").pop()!;
  const context = await browser.newContext();
  const signedUp = await context.request.post(`${origin}/api/ui/sign_up`, { form: { email, name, password: PERSON_PASSWORD, invite: token }, headers: { Origin: origin } });
  expect(signedUp.status(), await signedUp.text()).toBe(200);
  return { context, page: await context.newPage() };
}
