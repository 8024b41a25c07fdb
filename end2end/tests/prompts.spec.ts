import { expect, test, type Page } from "@playwright/test";
import { OWNER, openHydrated, signIn } from "./fixtures";

// Prompt management's pages: the list (empty state, folders, search), a prompt's page (versions,
// variables and placeholders highlighted, compare, label moves confirmed with a diff, references,
// deletion refused while referenced, metrics of linked generations), the trace page's prompt
// link, and prompt content rendered as text. Prompts are seeded through the UI's server function
// `create_prompt_version`, generations through the public ingestion API.
// A project of its own (made by the first test), so the empty state is real whatever other spec
// files created in the shared server's main project.
let PROJECT = "";
let AUTH = "";
let LIST = "";
const HOSTILE = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> Hello {{name}}`;

/** A server function called as the Leptos client calls it: form-encoded flat arguments. */
async function serverFn(page: Page, endpoint: string, form: Record<string, string>) {
  const response = await page.request.post(`/api/ui/${endpoint}`, { form, headers: { Origin: new URL(page.url()).origin } });
  const body = await response.text();
  expect(response.status(), `${endpoint}: ${body}`).toBe(200);
  return JSON.parse(body);
}

/** `create_prompt_version` takes JSON (a prompt's config is arbitrary JSON). */
async function createVersion(page: Page, prompt: Record<string, unknown>) {
  const response = await page.request.post("/api/ui/create_prompt_version", {
    data: { project_id: PROJECT, prompt },
    headers: { Origin: new URL(page.url()).origin },
  });
  const body = await response.text();
  expect(response.status(), `create_prompt_version: ${body}`).toBe(200);
  return JSON.parse(body);
}

const chat = (content: string) => [
  { role: "system", content },
  { type: "placeholder", name: "history" },
  { role: "user", content: "{{question}}" },
];

test.describe.serial("prompts", () => {
  test("list: empty state, folders and search", async ({ page }) => {
    await signIn(page, OWNER.email, OWNER.password);
    PROJECT = await serverFn(page, "create_project", { org_id: "e2e-org", name: `Prompts ${Date.now()}` });
    const key = await serverFn(page, "create_api_key", { project_id: PROJECT });
    AUTH = `Basic ${Buffer.from(`${key.key.public_key}:${key.secret_key}`).toString("base64")}`;
    LIST = `/project/${PROJECT}/prompts`;
    await openHydrated(page, LIST);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Prompts");
    await expect(page.getByTestId("no-prompts")).toBeVisible();
    await expect(page.getByTestId("create-prompt-snippet")).toContainText('langfuse.create_prompt(');
    await expect(page.getByTestId("create-prompt-snippet")).toContainText('labels=["production"]');
    await expect(page.getByTestId("new-prompt-empty")).toHaveAttribute("href", `${LIST}/new`);

    await createVersion(page, { name: "movie-critic", prompt: "As a {{level}} critic, rate {{movie}}.", labels: ["production"], commitMessage: "first cut" });
    await createVersion(page, { name: "movie-critic", prompt: "As a {{level}} critic, review {{movie}} now.", config: { temperature: 0.7 } });
    await createVersion(page, { name: "movie-critic", prompt: "As a {{level}} critic, review {{movie}} briefly.", tags: ["film"], commitMessage: "shorter" });
    await createVersion(page, { name: "support-chat", prompt: chat("You are {{tone}}."), labels: ["production"] });
    await createVersion(page, { name: "support-chat", prompt: chat("You are very {{tone}}.") });
    await createVersion(page, { name: "team/reviewer", prompt: "Review {{code}} carefully.", labels: ["production"] });
    await createVersion(page, { name: "hostile", prompt: HOSTILE });

    await page.reload();
    await expect(page.locator("body[data-hydrated=true]")).toBeAttached({ timeout: 20_000 });
    await expect(page.getByTestId("folder-row")).toHaveCount(1);
    await expect(page.getByTestId("folder-row")).toContainText("team");
    await expect(page.getByTestId("folder-row")).toContainText("1 prompt");
    const rows = page.getByTestId("prompt-row");
    await expect(rows).toHaveCount(3);
    const critic = rows.filter({ hasText: "movie-critic" });
    await expect(critic.getByTestId("prompt-versions")).toHaveText("3");
    await expect(critic.getByTestId("prompt-type")).toHaveText("text");
    await expect(critic.locator('[data-label="production"]')).toBeVisible();
    await expect(critic.getByTestId("prompt-tag")).toHaveText("film");
    await expect(critic).toContainText(`by ${OWNER.email}`);
    await expect(rows.filter({ hasText: "support-chat" }).getByTestId("prompt-type")).toHaveText("chat");
    await expect(page.getByTestId("new-prompt")).toHaveAttribute("href", `${LIST}/new`);

    // Into the folder and back through the breadcrumb.
    await page.getByTestId("folder-row").getByRole("link").click();
    await expect(page).toHaveURL(new RegExp(`${LIST}\\?folder=team$`));
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toHaveAttribute("data-name", "team/reviewer");
    await expect(page.getByTestId("folder-row")).toHaveCount(0);
    await page.getByTestId("prompt-breadcrumb").getByRole("link", { name: "Prompts" }).click();
    await expect(page).toHaveURL(new RegExp(`${LIST}$`));
    await expect(rows).toHaveCount(3);

    // Search by tag, then by part of a name (every folder).
    await page.getByTestId("prompt-search").fill("film");
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(new RegExp(`${LIST}\\?search=film$`));
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toHaveAttribute("data-name", "movie-critic");
    await openHydrated(page, `${LIST}?search=review`);
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toHaveAttribute("data-name", "team/reviewer");
    await openHydrated(page, `${LIST}?search=nothing-like-this`);
    await expect(page.getByTestId("no-matching-prompts")).toBeVisible();
  });

  test("prompt page: versions, variables, placeholders, compare", async ({ page }) => {
    await signIn(page, OWNER.email, OWNER.password);
    await openHydrated(page, `${LIST}/movie-critic`);
    await expect(page.getByTestId("prompt-name")).toHaveText("movie-critic");
    await expect(page.getByTestId("timeline-version")).toHaveCount(3);
    // Opens at the production version.
    await expect(page.getByTestId("selected-version")).toHaveText("Version 1");
    await expect(page.getByTestId("commit-message")).toHaveText("first cut");
    const variables = page.getByTestId("prompt-body").getByTestId("prompt-variable");
    await expect(variables).toHaveCount(2);
    await expect(variables.first()).toHaveText("{{level}}");
    await expect(variables.nth(1)).toHaveAttribute("data-name", "movie");
    await expect(page.getByTestId("sdk-snippet")).toContainText('langfuse.get_prompt("movie-critic", version=1)');
    await expect(page.getByTestId("sdk-snippet")).toContainText('label="production"');
    await expect(page.getByTestId("new-version")).toHaveAttribute("href", `${LIST}/new?name=movie-critic`);

    // Select version 3 in the timeline; compare it with version 2.
    await page.getByTestId("timeline-version").filter({ hasText: "v3" }).click();
    await expect(page).toHaveURL(/\?version=3$/);
    await expect(page.getByTestId("selected-version")).toHaveText("Version 3");
    await expect(page.getByTestId("duplicate-prompt")).toHaveAttribute("href", `${LIST}/new?from=movie-critic&version=3`);
    await page.getByTestId("compare-select").selectOption("2");
    await expect(page).toHaveURL(/\?version=3&compare=2$/);
    await expect(page.getByTestId("diff-text").getByTestId("diff-removed")).toHaveText("now");
    await expect(page.getByTestId("diff-text").getByTestId("diff-added")).toHaveText("briefly");
    // The config was set on version 2 only: its line is shown removed.
    await expect(page.getByTestId("diff-config").getByTestId("diff-removed").filter({ hasText: '"temperature": 0.7' })).toHaveCount(1);
    await expect(page.getByTestId("diff-config").getByTestId("diff-added")).toHaveText("+ {}");
    await page.getByTestId("close-compare").click();
    await expect(page).toHaveURL(/\?version=3$/);
    await expect(page.getByTestId("prompt-diff")).toHaveCount(0);

    // A chat prompt: messages as cards with roles, the placeholder marked.
    await openHydrated(page, `${LIST}/support-chat`);
    await expect(page.getByTestId("prompt-message")).toHaveCount(2);
    await expect(page.getByTestId("prompt-message").first()).toHaveAttribute("data-role", "system");
    await expect(page.getByTestId("prompt-placeholder")).toHaveAttribute("data-name", "history");
    await expect(page.getByTestId("prompt-placeholder")).toContainText("placeholder");
    await expect(page.getByTestId("variable-name")).toHaveText(["tone", "question"]);
    await expect(page.getByTestId("placeholder-name")).toHaveText("[history]");
    // Chat versions compare per message.
    await page.getByTestId("timeline-version").filter({ hasText: "v2" }).click();
    await page.getByTestId("compare-select").selectOption("1");
    const changed = page.getByTestId("diff-chat").locator('[data-change="changed"]');
    await expect(changed).toHaveCount(1);
    await expect(changed.getByTestId("diff-added")).toHaveText("very ");
    await expect(page.getByTestId("diff-chat").locator('[data-change="same"]')).toHaveCount(2);

    // A folder prompt: its page lives under the folder path, with the folder in the crumbs.
    await openHydrated(page, `${LIST}/team/reviewer`);
    await expect(page.getByTestId("prompt-name")).toHaveText("team/reviewer");
    await expect(page.getByTestId("prompt-crumbs").getByRole("link", { name: "team" })).toHaveAttribute("href", `${LIST}?folder=team`);
  });

  test("labels: move production with a diff confirmation; protected labels", async ({ page }) => {
    await signIn(page, OWNER.email, OWNER.password);
    await openHydrated(page, `${LIST}/movie-critic?version=3`);
    // A new label is checked as typed, with the server's rule.
    await page.getByTestId("move-label-select").selectOption("__new");
    await page.getByTestId("new-label").fill("Bad Label");
    await expect(page.getByTestId("label-problem")).toContainText("a-z, 0-9");
    await expect(page.getByTestId("move-label")).toBeDisabled();
    await page.getByTestId("new-label").fill("latest");
    await expect(page.getByTestId("label-problem")).toContainText("always assigned to the latest");

    await page.getByTestId("move-label-select").selectOption("production");
    await page.getByTestId("move-label").click();
    const dialog = page.getByTestId("move-label-dialog");
    await expect(dialog).toBeVisible();
    await expect(dialog.getByTestId("move-label-holder")).toContainText("production is on version 1 now");
    await expect(dialog.getByTestId("diff-removed")).toHaveText("rate");
    await expect(dialog.getByTestId("diff-added").first()).toHaveText("review");
    await dialog.getByTestId("confirm-move").click();
    await expect(dialog).toHaveCount(0);
    await expect(page.getByTestId("timeline-version").filter({ hasText: "v3" }).locator('[data-label="production"]')).toBeVisible();
    await expect(page.getByTestId("timeline-version").filter({ hasText: "v1" }).locator('[data-label="production"]')).toHaveCount(0);

    // The page now opens at version 3; the server agrees.
    await openHydrated(page, `${LIST}/movie-critic`);
    await expect(page.getByTestId("selected-version")).toHaveText("Version 3");
    const history = await serverFn(page, "get_prompt_history", { project_id: PROJECT, name: "movie-critic" });
    const holders = history.versions.filter((v: { labels: string[] }) => v.labels.includes("production")).map((v: { version: number }) => v.version);
    expect(holders).toEqual([3]);
    // And so does the public API the SDKs read.
    const sdk = await page.request.get("/api/public/v2/prompts/movie-critic", { headers: { Authorization: AUTH } });
    expect(sdk.status()).toBe(200);
    expect((await sdk.json()).version).toBe(3);

    // A label on another version is removed from it (after a confirmation).
    await page.getByTestId("move-label-select").selectOption("__new");
    await page.getByTestId("new-label").fill("canary");
    await page.getByTestId("move-label").click();
    await expect(page.getByTestId("move-label-holder")).toContainText("No version has canary yet");
    await page.getByTestId("confirm-move").click();
    const canary = page.locator('[data-testid="version-label"][data-label="canary"]');
    await expect(canary).toBeVisible();
    page.once("dialog", (d) => d.accept());
    await canary.getByTestId("remove-label").click();
    await expect(canary).toHaveCount(0);

    // Admins protect production: it is marked with a lock.
    await page.getByTestId("protected-labels").locator("summary").click();
    await page.getByTestId("protected-input").fill("production, staging");
    await page.getByTestId("save-protected").click();
    await expect(page.getByTestId("protected-labels").locator("summary")).toContainText("production, staging");
    await expect(page.locator('[data-testid="version-label"][data-label="production"]').getByTestId("lock")).toBeVisible();
    await expect(page.locator('[data-testid="version-label"][data-label="latest"]').getByTestId("lock")).toHaveCount(0);
    await expect(page.getByTestId("move-label-select").locator("option", { hasText: "staging (protected)" })).toHaveCount(1);
  });

  test("references link to their prompt, resolve, and block deleting what they use", async ({ page }) => {
    await signIn(page, OWNER.email, OWNER.password);
    await createVersion(page, { name: "base", prompt: "Be kind.", labels: ["production"] });
    await createVersion(page, { name: "composite", prompt: "@@@langfusePrompt:name=base|label=production@@@ Then answer {{q}}." });
    await openHydrated(page, `${LIST}/composite`);
    await expect(page.getByTestId("prompt-reference")).toHaveText("@@@langfusePrompt:name=base|label=production@@@");
    await page.getByTestId("resolved-toggle").check();
    await expect(page.getByTestId("resolved-body")).toHaveText("Be kind. Then answer {{q}}.");
    await page.getByTestId("resolved-toggle").uncheck();
    await page.getByTestId("prompt-reference").click();
    await expect(page).toHaveURL(new RegExp(`${LIST}/base\\?label=production$`));
    await expect(page.getByTestId("prompt-name")).toHaveText("base");
    await expect(page.getByTestId("dependent")).toContainText("composite v1");

    page.once("dialog", (d) => d.accept());
    await page.getByTestId("delete-menu").locator("summary").click();
    await page.getByTestId("delete-prompt").click();
    await expect(page.getByTestId("form-error")).toContainText("references this prompt");
    await openHydrated(page, `${LIST}/base`);
    await expect(page.getByTestId("prompt-name")).toHaveText("base");
  });

  test("metrics of linked generations, and the trace page's prompt link", async ({ page }) => {
    await signIn(page, OWNER.email, OWNER.password);
    await openHydrated(page, `${LIST}/movie-critic?tab=metrics`);
    await expect(page.getByTestId("no-metrics")).toContainText("langfuse_prompt=prompt");

    const now = Date.now();
    const at = (ms: number) => new Date(now - 5_000 + ms).toISOString();
    const batch = [
      { id: "pm1", type: "trace-create", timestamp: at(0), body: { id: "e2e-prompt-trace", name: "critique", timestamp: at(0) } },
      { id: "pm2", type: "generation-create", timestamp: at(0), body: {
        id: "e2e-prompt-gen", traceId: "e2e-prompt-trace", name: "critique", model: "gpt-4o", startTime: at(0), endTime: at(1200),
        promptName: "movie-critic", promptVersion: 3, usage: { input: 40, output: 10, total: 50 },
        input: "As a pro critic, review Alien briefly.", output: "Tense.",
      } },
      { id: "pm3", type: "generation-create", timestamp: at(0), body: {
        id: "e2e-reviewer-gen", traceId: "e2e-prompt-trace", name: "review", model: "gpt-4o", startTime: at(100), endTime: at(300),
        promptName: "team/reviewer", promptVersion: 1,
      } },
    ];
    const response = await page.request.post("/api/public/ingestion", { headers: { Authorization: AUTH }, data: { batch } });
    expect(response.status()).toBe(207);
    expect((await response.json()).errors).toEqual([]);

    await page.reload();
    await expect(page.locator("body[data-hydrated=true]")).toBeAttached({ timeout: 20_000 });
    const row = page.getByTestId("metrics-row");
    await expect(row).toHaveCount(1);
    await expect(row).toHaveAttribute("data-version", "3");
    await expect(row.getByTestId("metric-generations")).toHaveText("1");
    await expect(row.getByTestId("metric-tokens")).toHaveText("40 / 10 / 50");
    await expect(row).toContainText("1.20 s");
    // The list counts the usage too.
    await openHydrated(page, LIST);
    await expect(page.getByTestId("prompt-row").filter({ hasText: "movie-critic" }).getByTestId("prompt-usage")).toHaveText("1");

    // From the generation on the trace page to the prompt version it used (folder names keep their path).
    await openHydrated(page, `/project/${PROJECT}/traces/e2e-prompt-trace?observation=e2e-reviewer-gen`);
    const link = page.getByTestId("observation-prompt");
    await expect(link).toHaveText("team/reviewer v1");
    await expect(link).toHaveAttribute("href", `${LIST}/team/reviewer?version=1`);
    await link.click();
    await expect(page.getByTestId("prompt-name")).toHaveText("team/reviewer");
    await expect(page.getByTestId("selected-version")).toHaveText("Version 1");
  });

  test("prompt content is text: markup in a prompt runs nothing", async ({ page }) => {
    await signIn(page, OWNER.email, OWNER.password);
    const { errors } = await openHydrated(page, `${LIST}/hostile`);
    await expect(page.getByTestId("prompt-text")).toHaveText(HOSTILE);
    await expect(page.getByTestId("prompt-variable")).toHaveText("{{name}}");
    await expect(page.locator("#main img")).toHaveCount(0);
    await expect(page.locator("#main script")).toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(errors).toEqual([]);
  });
});
