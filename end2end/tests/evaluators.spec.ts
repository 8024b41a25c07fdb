import { expect, test, type Page } from "@playwright/test";
import { OWNER, openHydrated, signIn } from "./fixtures";

// LLM-as-a-judge evaluators (#21) against the fake provider (testkit/fake-llm, started by
// playwright.config.ts; asked for a JSON schema it answers an instance of it, so the built-in
// "Language match" — a true/false score — is judged `true`). A project of its own: the list
// starts empty and asks for an LLM connection first; the evaluator is made through the form with
// its mapping previewed on a real trace (a wrong JSON path names what is missing), run once on
// the existing trace, then scores a trace that arrives afterwards; its executions link to the
// judge's trace and the score shows on the target trace. Pause and resume round it off.

const FAKE = `http://127.0.0.1:${Number(process.env.E2E_FAKE_LLM_PORT ?? 3989)}/v1`;

async function serverFn(page: Page, endpoint: string, form: Record<string, string>) {
  const response = await page.request.post(`/api/ui/${endpoint}`, { form, headers: { Origin: new URL(page.url()).origin } });
  const body = await response.text();
  expect(response.status(), `${endpoint}: ${body}`).toBe(200);
  return JSON.parse(body);
}

test("evaluators: create one with a previewed mapping, run it on existing traces, and see its scores on traces", async ({ page }) => {
  test.setTimeout(120_000);
  const run = Date.now().toString(36);
  const traceName = `support ${run}`;
  await signIn(page, OWNER.email, OWNER.password);
  const project = await serverFn(page, "create_project", { org_id: "e2e-org", name: `Evaluators ${run}` });
  const key = await serverFn(page, "create_api_key", { project_id: project });
  const auth = `Basic ${Buffer.from(`${key.key.public_key}:${key.secret_key}`).toString("base64")}`;
  const ingest = async (id: string, question: string, answer: string) => {
    const at = new Date().toISOString();
    const response = await page.request.post("/api/public/ingestion", {
      headers: { Authorization: auth },
      data: { batch: [{ id: `${id}-e`, type: "trace-create", timestamp: at, body: { id, name: traceName, timestamp: at, input: { question }, output: answer } }] },
    });
    expect(response.status(), await response.text()).toBe(207);
  };

  // Empty, and without a connection: the page explains evaluators and says to add one first.
  await openHydrated(page, `/project/${project}/evaluators`);
  await expect(page.getByTestId("no-evaluators")).toBeVisible();
  await expect(page.getByTestId("evaluators-no-connections")).toBeVisible();
  await expect(page.getByTestId("add-connection-link")).toHaveAttribute("href", `/project/${project}/settings`);

  const created = await page.request.put("/api/public/llm-connections", {
    headers: { Authorization: auth },
    data: { provider: "fake-judge", adapter: "openai", secretKey: "sk-e2e-judge-1", baseURL: FAKE, customModels: ["gpt-4o"], withDefaultModels: false },
  });
  expect(created.status(), await created.text()).toBe(201);
  // A trace from before the evaluator: only a backfill evaluates it.
  const before = `ev-${run}-before`;
  await ingest(before, "退货政策是什么？", "Within 30 days.");

  await openHydrated(page, `/project/${project}/evaluators`);
  await expect(page.getByTestId("evaluators-no-connections")).toHaveCount(0);
  await page.getByTestId("empty-new-evaluator").click();
  await expect(page).toHaveURL(new RegExp(`/project/${project}/evaluators/new$`));
  await expect(page.getByTestId("evaluator-form")).toBeVisible();

  // Saving without a template names what is missing.
  await page.getByTestId("save-evaluator").click();
  await expect(page.getByTestId("evaluator-form-error")).toHaveAttribute("data-field", "template");

  await page.locator('[data-testid=template-card][data-id="builtin:language-match"]').click();
  await expect(page.locator('[data-testid=template-card][data-id="builtin:language-match"]')).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByTestId("evaluator-name")).toHaveValue("Language match");
  const name = `Language ${run}`;
  await page.getByTestId("evaluator-name").fill(name);
  await expect(page.getByTestId("evaluator-connection")).toHaveValue("fake-judge");
  await page.getByTestId("evaluator-model").fill("gpt-4o");
  await page.getByTestId("filter-name").fill(traceName);
  await page.getByTestId("evaluator-delay").fill("0");
  // The sampling slider reads as a percentage.
  await expect(page.getByTestId("evaluator-sampling-value")).toHaveText("100 %");

  // The mapping: input and output by default; the preview shows their values on the trace.
  const rows = page.getByTestId("mapping-row");
  await expect(rows).toHaveCount(2);
  await expect(page.locator('[data-testid=mapping-row][data-variable=input] [data-testid=mapping-source]')).toHaveValue("input");
  await expect(page.locator('[data-testid=mapping-row][data-variable=output] [data-testid=mapping-source]')).toHaveValue("output");
  const result = page.getByTestId("preview-result");
  await expect(result).toHaveAttribute("data-trace", before, { timeout: 15_000 });
  await expect(page.getByTestId("preview-prompt")).toContainText("退货政策是什么？");
  await expect(page.getByTestId("preview-prompt")).toContainText("Within 30 days.");

  // A path that finds nothing: the variable says what is missing and no prompt is compiled.
  await page.locator('[data-testid=mapping-row][data-variable=input] [data-testid=mapping-path]').fill("$.nowhere");
  await expect(page.locator('[data-testid=preview-variable][data-variable=input]')).toHaveAttribute("data-ok", "false");
  await expect(page.locator('[data-testid=preview-variable][data-variable=input] [data-testid=preview-problem]')).not.toBeEmpty();
  await expect(page.getByTestId("preview-incomplete")).toBeVisible();
  // The right path: the question alone.
  await page.locator('[data-testid=mapping-row][data-variable=input] [data-testid=mapping-path]').fill("$.question");
  await expect(page.locator('[data-testid=preview-variable][data-variable=input] [data-testid=preview-value]')).toHaveText("退货政策是什么？");
  await expect(page.getByTestId("preview-prompt")).toBeVisible();

  await page.getByTestId("save-evaluator").click();
  const done = page.getByTestId("evaluator-created");
  await expect(done).toBeVisible();

  // Run once on what exists: the count first, then the progress to the end.
  await expect(page.getByTestId("backfill-matching")).toHaveAttribute("data-matching", "1");
  await page.getByTestId("backfill-start").click();
  await expect(page.getByTestId("backfill-progress")).toHaveAttribute("data-finished", "true", { timeout: 30_000 });
  await expect(page.getByTestId("backfill-progress")).toHaveAttribute("data-state", "done");
  await page.getByTestId("open-evaluator").click();

  await expect(page.getByTestId("evaluator-title")).toHaveText(name);
  await expect(page.getByTestId("config-mapping")).toContainText("$.question");
  const completed = page.locator('[data-testid=execution-row][data-status=completed]');
  await expect(completed).toHaveCount(1);
  await expect(completed.getByTestId("execution-target")).toHaveText(before);
  const judge = await completed.getByTestId("execution-judge").getAttribute("href");
  expect(judge).toMatch(new RegExp(`^/project/${project}/traces/[0-9a-f]{32}$`));

  // A trace arriving now is evaluated on its own (the page refreshes itself).
  const after = `ev-${run}-after`;
  await ingest(after, "Where is my order?", "It ships tomorrow.");
  await expect(page.locator(`[data-testid=execution-row][data-status=completed]:has([data-testid=execution-target]:text-is("${after}"))`)).toHaveCount(1, { timeout: 45_000 });

  // Its score is on the trace, from the evaluation.
  await openHydrated(page, `/project/${project}/traces/${after}`);
  await expect(page.locator('[data-testid=trace-scores] [data-testid=score-chip][data-source=EVAL]')).toContainText(name);

  // The judge's own trace is a trace of the project.
  await openHydrated(page, judge!);
  await expect(page.locator("body")).not.toContainText("not found");

  // The list shows it with its counts; pause and resume in the row.
  await openHydrated(page, `/project/${project}/evaluators`);
  const row = page.locator(`[data-testid=evaluator-row][data-name="${name}"]`);
  await expect(row.getByTestId("evaluator-counts")).toHaveAttribute("data-completed", "2");
  await row.getByTestId("toggle-evaluator").click();
  await expect(row).toHaveAttribute("data-status", "paused");
  await expect(row.getByTestId("paused-reason")).toBeVisible();
  await row.getByTestId("toggle-evaluator").click();
  await expect(row).toHaveAttribute("data-status", "active");
});
