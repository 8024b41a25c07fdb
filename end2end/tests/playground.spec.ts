import { expect, test, type Page } from "@playwright/test";
import { OWNER, openHydrated, person, signIn } from "./fixtures";

// The playground (issue #18) against our fake provider (testkit/fake-llm, started by
// playwright.config.ts): two variants streamed side by side with one stopped midway, tools and
// a response schema in the same run, a tool result written and the conversation continued, the
// run's trace with its cost, replaying that generation, and saving the prompt as a new prompt
// and as a new version of it. A project of its own, so its traces and prompts touch no other
// spec's counts.

const FAKE = `http://127.0.0.1:${Number(process.env.E2E_FAKE_LLM_PORT ?? 3989)}/v1`;
const KEY = "sk-e2e-playground-8c3d";
let PROJECT = "";
let AUTH = "";

async function serverFn(page: Page, endpoint: string, form: Record<string, string>) {
  const response = await page.request.post(`/api/ui/${endpoint}`, { form, headers: { Origin: new URL(page.url()).origin } });
  const body = await response.text();
  expect(response.status(), `${endpoint}: ${body}`).toBe(200);
  return JSON.parse(body);
}

const TOOLS = JSON.stringify([{ name: "get_weather", description: "Weather of a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }]);
const SCHEMA = JSON.stringify({ type: "object", properties: { answer: { type: "string" } }, required: ["answer"] });

test.describe.serial("playground", () => {
  test("two variants stream side by side; one is stopped midway; the run is a trace with its cost", async ({ page }) => {
    await signIn(page, OWNER.email, OWNER.password);
    PROJECT = await serverFn(page, "create_project", { org_id: "e2e-org", name: `Playground ${Date.now()}` });
    const key = await serverFn(page, "create_api_key", { project_id: PROJECT });
    AUTH = `Basic ${Buffer.from(`${key.key.public_key}:${key.secret_key}`).toString("base64")}`;

    // No connection yet: the page says where to add one.
    await openHydrated(page, `/project/${PROJECT}/playground`);
    await expect(page.getByTestId("playground-no-connections")).toBeVisible();

    for (const [provider, adapter] of [["fake-openai", "openai"], ["fake-anthropic", "anthropic"]]) {
      const created = await page.request.put("/api/public/llm-connections", {
        headers: { Authorization: AUTH },
        data: { provider, adapter, secretKey: KEY, baseURL: FAKE, customModels: ["gpt-4o", "slow-gpt-4o"], withDefaultModels: false },
      });
      expect(created.status()).toBe(201);
    }
    await openHydrated(page, `/project/${PROJECT}/playground`);
    await expect(page.getByTestId("playground-no-connections")).toHaveCount(0);
    const messages = page.getByTestId("message-content");
    await messages.nth(0).fill("You are terse.");
    await messages.nth(1).fill("Hello {{name}} one two three four five six seven eight nine ten eleven twelve");
    // The variable is found as it is typed; running with it empty is refused before anything is sent.
    await page.getByTestId("run-0").click();
    await expect(page.getByTestId("error-0")).toContainText("Fill in the variable name");
    await page.getByTestId("variable-name").fill("小明");

    await page.getByTestId("model-0").fill("gpt-4o");
    await page.getByTestId("add-variant").click();
    await expect(page.getByTestId("variant")).toHaveCount(2);
    await page.getByTestId("model-1").fill("slow-gpt-4o");
    await page.getByTestId("run-all").click();

    // The slow column streams word by word; it is stopped midway while the other finishes.
    await expect(page.getByTestId("answer-1")).toContainText("Hello 小明", { timeout: 10_000 });
    await page.getByTestId("stop-1").click();
    await expect(page.getByTestId("stopped-1")).toBeVisible();
    const partial = await page.getByTestId("answer-1").textContent();
    expect(partial).not.toContain("twelve");
    await expect(page.getByTestId("answer-0")).toHaveText("Echo: Hello 小明 one two three four five six seven eight nine ten eleven twelve");
    const facts = page.getByTestId("facts-0");
    await expect(facts).toContainText("First token");
    await expect(facts).toContainText("$");
    // A stopped column stays stopped: nothing more arrives.
    await page.waitForTimeout(600);
    expect(await page.getByTestId("answer-1").textContent()).toBe(partial);

    // The page's state survives a reload (kept per person and project); the answers do not.
    const trace = await page.getByTestId("trace-link-0").getAttribute("href");
    await page.reload();
    await expect(page.locator("body[data-hydrated=true]")).toBeAttached();
    await expect(page.getByTestId("message-content").nth(1)).toHaveValue(/^Hello \{\{name\}\} one two/);
    await expect(page.getByTestId("variable-name")).toHaveValue("小明");
    await expect(page.getByTestId("variant")).toHaveCount(2);

    // The run is a trace in the playground environment, its generation priced.
    await openHydrated(page, trace!);
    await page.getByTestId("waterfall-row").filter({ hasText: "gpt-4o" }).first().click();
    await expect(page.getByTestId("observation-model")).toHaveText("gpt-4o");
    await expect(page.getByTestId("observation-cost")).toContainText("$");

    // Replay that generation: its messages and model come back in the playground.
    await page.getByTestId("replay-in-playground").click();
    await expect(page).toHaveURL(/playground\?observation=/);
    await expect(page.locator("body[data-hydrated=true]")).toBeAttached();
    await expect(page.getByTestId("message-content").nth(1)).toHaveValue(/Hello 小明 one two/);
    await expect(page.getByTestId("model-0")).toHaveValue("gpt-4o");
    await expect(page.getByTestId("variant")).toHaveCount(1);
  });

  test("tools and a response schema in one run; the tool's result continues the conversation", async ({ page }) => {
    await signIn(page, OWNER.email, OWNER.password, `/project/${PROJECT}/playground`);
    await openHydrated(page, `/project/${PROJECT}/playground`);
    await page.getByTestId("message-content").nth(1).fill("Weather in Paris?");
    await page.getByTestId("tools").fill("[{\"name\": \"bad name\"}]");
    await expect(page.getByTestId("tools-problem")).toContainText("Tool 1");
    await page.getByTestId("tools").fill(TOOLS);
    await expect(page.getByTestId("tools-problem")).toHaveCount(0);
    await page.getByTestId("response-schema").fill(SCHEMA);
    await page.getByTestId("connection-0").selectOption("fake-anthropic");
    await page.getByTestId("model-0").fill("gpt-4o");
    await page.getByTestId("run-0").click();
    const call = page.getByTestId("tool-call-0");
    await expect(call).toContainText("get_weather");
    await expect(call).toContainText('"city": "Paris"');

    // Answer the call: the assistant's call and a tool message to fill in join the conversation.
    await page.getByTestId("continue-0").click();
    await expect(page.getByTestId("message-row")).toHaveCount(4);
    await expect(page.getByTestId("tool-call-id")).not.toHaveValue("");
    await page.getByTestId("message-content").nth(3).fill("18°C and sunny");
    await page.getByTestId("response-schema").fill("");
    await page.getByTestId("run-0").click();
    await expect(page.getByTestId("answer-0")).toHaveText("The tool said: 18°C and sunny");

    // Provider output is text: markup in it is shown, never run.
    await page.getByTestId("remove-message").nth(3).click();
    await page.getByTestId("remove-message").nth(2).click();
    await page.getByTestId("tools").fill("");
    await page.getByTestId("message-content").nth(1).fill('<img src=x onerror="window.__pwned=1">');
    await page.getByTestId("run-0").click();
    await expect(page.getByTestId("answer-0")).toHaveText('Echo: <img src=x onerror="window.__pwned=1">');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

    // A provider failure is named in its column.
    await page.getByTestId("model-0").fill("rate-limit-model");
    await page.getByTestId("run-0").click();
    await expect(page.getByTestId("error-0")).toContainText("retry in 7 s");

    // Saved by name, shared with the project.
    await page.getByTestId("saved-playgrounds").locator("summary").click();
    await expect(page.getByTestId("no-saved-playgrounds")).toBeVisible();
    await page.getByTestId("saved-playground-name").fill("Weather check");
    await page.getByTestId("save-playground").click();
    await expect(page.getByTestId("save-playground-status")).toContainText("Saved as Weather check.");
    await expect(page.getByTestId("saved-playground")).toHaveCount(1);
  });

  test("save as a new prompt, open it in the playground, save as a new version", async ({ page }) => {
    await signIn(page, OWNER.email, OWNER.password, `/project/${PROJECT}/playground`);
    await openHydrated(page, `/project/${PROJECT}/playground`);
    // A fresh browser (no local state) opens the saved playground from the list.
    await page.getByTestId("saved-playgrounds").locator("summary").click();
    await page.getByTestId("saved-playground").getByRole("link", { name: "Weather check" }).click();
    await expect(page).toHaveURL(/playground\?saved=/);
    await expect(page.locator("body[data-hydrated=true]")).toBeAttached();
    await expect(page.getByTestId("message-content").nth(1)).toHaveValue('<img src=x onerror="window.__pwned=1">');
    await expect(page.getByTestId("model-0")).toHaveValue("rate-limit-model");
    await page.getByTestId("message-content").nth(0).fill("You are brief.");
    await page.getByTestId("message-content").nth(1).fill("Summarize {{topic}}");
    await page.getByTestId("model-0").fill("gpt-4o");
    await page.getByTestId("save-as-prompt").click();
    await expect(page).toHaveURL(/prompts\/new\?playground=/);
    await expect(page.locator("body[data-hydrated=true]")).toBeAttached();
    // Prefilled, nothing created yet: the person names it and saves.
    await expect(page.getByLabel("Content of message 2")).toHaveValue("Summarize {{topic}}");
    await expect(page.getByTestId("prompt-config")).toHaveValue(/"model": "gpt-4o"/);
    await page.getByLabel("Name", { exact: true }).fill("playground/summary");
    await page.getByTestId("submit-prompt").click();
    await expect(page).toHaveURL(/prompts\/playground%2Fsummary|prompts\/playground\/summary/);

    await page.getByTestId("open-in-playground").click();
    await expect(page).toHaveURL(/playground\?prompt=/);
    await expect(page.locator("body[data-hydrated=true]")).toBeAttached();
    await expect(page.getByTestId("playground-source")).toContainText("playground/summary");
    await expect(page.getByTestId("variable-topic")).toBeVisible();
    await page.getByTestId("message-content").nth(1).fill("Summarize {{topic}} in one line");
    await page.getByTestId("save-as-version").click();
    await expect(page).toHaveURL(/prompts\/new\?name=playground%2Fsummary/);
    await expect(page.locator("body[data-hydrated=true]")).toBeAttached();
    await expect(page.getByLabel("Content of message 2")).toHaveValue("Summarize {{topic}} in one line");
  });

  test("a saved playground is shared: two people edit it live and both see a run", async ({ page, browser }) => {
    test.setTimeout(120_000);
    await signIn(page, OWNER.email, OWNER.password, `/project/${PROJECT}/playground`);
    const start = await serverFn(page, "open_playground", { project_id: PROJECT });
    const id = start.saved.find((s: { name: string }) => s.name === "Weather check").id;
    const url = `/project/${PROJECT}/playground?saved=${encodeURIComponent(id)}`;
    const bea = await person(browser, page, "MEMBER", "Bea");
    for (const p of [page, bea.page]) {
      await openHydrated(p, url);
      await expect(p.getByTestId("draft-status")).toHaveAttribute("data-status", "saved", { timeout: 20_000 });
    }
    await expect(page.getByTestId("draft-person")).toHaveAttribute("data-name", "Bea");
    await expect(bea.page.getByTestId("draft-person")).toHaveAttribute("data-name", OWNER.email);

    // Both type in the same message at once, keystroke by keystroke: both keep their text.
    const mine = page.getByTestId("message-content").nth(1);
    const theirs = bea.page.getByTestId("message-content").nth(1);
    await mine.click();
    await mine.press("End");
    await theirs.click();
    await theirs.press("Home");
    await Promise.all([mine.pressSequentially(" briefly", { delay: 30 }), theirs.pressSequentially("Please: ", { delay: 30 })]);
    const both = "Please: Summarize {{topic}} briefly";
    await expect(mine).toHaveValue(both);
    await expect(theirs).toHaveValue(both);
    // A variable and a model chosen on one screen show on the other.
    await bea.page.getByTestId("variable-topic").fill("tea");
    await expect(page.getByTestId("variable-topic")).toHaveValue("tea");
    await page.getByTestId("model-0").fill("gpt-4o");
    await expect(bea.page.getByTestId("model-0")).toHaveValue("gpt-4o");

    // One runs; the other sees the answer, and who ran it.
    await page.getByTestId("run-0").click();
    await expect(page.getByTestId("answer-0")).toContainText("tea");
    await expect(page.getByTestId("facts-0")).toBeVisible();
    const answer = await page.getByTestId("answer-0").textContent();
    await expect(bea.page.getByTestId("answer-0")).toHaveText(answer ?? "");
    await expect(bea.page.getByTestId("run-by-0")).toContainText(OWNER.email);
    await expect(bea.page.getByTestId("facts-0")).toBeVisible();
    await expect(page.getByTestId("draft-status")).toHaveAttribute("data-status", "saved");

    // Reopened later, the playground is what they left (the document, not the first save).
    await bea.context.close();
    await openHydrated(page, url);
    await expect(page.getByTestId("message-content").nth(1)).toHaveValue(both);
    await expect(page.getByTestId("answer-0")).toHaveText(answer ?? "");
  });
});
