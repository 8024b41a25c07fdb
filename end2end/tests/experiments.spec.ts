import { expect, test, type Page } from "@playwright/test";
import { OWNER, openHydrated, overflow, signIn } from "./fixtures";

// Experiments (issue #21) against the fake provider (testkit/fake-llm, started by
// playwright.config.ts): two runs of a prompt version over a dataset started from the runs tab,
// their progress polled until done, scored through the public API, then compared — the verdict
// read, the direction of the score switched, the page checked at phone width. A project of its
// own, so its traces touch no other spec's counts.

const FAKE = `http://127.0.0.1:${Number(process.env.E2E_FAKE_LLM_PORT ?? 3989)}/v1`;
const KEY = "sk-e2e-experiments-41aa";
const ITEMS = 5;

async function serverFn(page: Page, endpoint: string, form: Record<string, string>) {
  const response = await page.request.post(`/api/ui/${endpoint}`, { form, headers: { Origin: new URL(page.url()).origin } });
  const body = await response.text();
  expect(response.status(), `${endpoint}: ${body}`).toBe(200);
  return JSON.parse(body);
}

/** Starts a run from the runs tab's "New run" form and waits for it to finish. */
async function startRun(page: Page, name: string) {
  await page.getByTestId("new-run").click();
  const form = page.getByTestId("new-run-form");
  await expect(form.getByTestId("new-run-prompt")).toHaveValue("qa-prompt");
  await form.getByTestId("new-run-model").fill("gpt-4o");
  await form.getByTestId("new-run-name").fill(name);
  await form.getByTestId("start-run").click();
  await expect(page.getByTestId("new-run-form")).toHaveCount(0);
  const row = page.locator(`[data-testid=run-row][data-name="${name}"]`);
  // Polled while it runs; done when every item is linked to its trace.
  await expect(row.getByTestId("run-progress")).toHaveAttribute("data-state", "done", { timeout: 30_000 });
  await expect(row.getByTestId("run-items")).toHaveText(String(ITEMS));
  await expect(row.getByTestId("run-progress-label")).toContainText(`${ITEMS} of ${ITEMS}`);
}

test("a prompt runs over a dataset from the UI, and two runs are compared with a verdict", async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);
  const project = await serverFn(page, "create_project", { org_id: "e2e-org", name: `Experiments ${Date.now()}` });
  const key = await serverFn(page, "create_api_key", { project_id: project });
  const auth = `Basic ${Buffer.from(`${key.key.public_key}:${key.secret_key}`).toString("base64")}`;
  const api = (method: "post" | "put", path: string, data: unknown) => page.request[method](`/api/public/${path}`, { headers: { Authorization: auth }, data });

  expect((await api("put", "llm-connections", { provider: "fake-openai", adapter: "openai", secretKey: KEY, baseURL: FAKE, customModels: ["gpt-4o"], withDefaultModels: false })).status()).toBe(201);
  expect((await api("post", "v2/prompts", { name: "qa-prompt", type: "text", prompt: "Answer: {{question}}", labels: ["production"] })).ok()).toBeTruthy();
  const dataset = await api("post", "v2/datasets", { name: "exp-ds" });
  expect(dataset.ok(), await dataset.text()).toBeTruthy();
  const datasetId = (await dataset.json()).id as string;
  for (let k = 0; k < ITEMS; k++) {
    const item = await api("post", "dataset-items", { datasetName: "exp-ds", id: `e2e-item-${k}`, input: { question: `q${k}` }, expectedOutput: `Echo: Answer: q${k}!` });
    expect(item.ok(), await item.text()).toBeTruthy();
  }

  // No runs yet: the SDK snippet names the dataset.
  await openHydrated(page, `/project/${project}/datasets/${datasetId}?tab=runs`);
  await expect(page.getByTestId("no-runs")).toBeVisible();
  await expect(page.getByTestId("sdk-snippet")).toContainText('get_dataset("exp-ds")');
  await startRun(page, "baseline run");
  await startRun(page, "candidate run");

  // Score both runs' traces: the candidate is exactly right on every item, the baseline never.
  const runs = await serverFn(page, "list_experiment_runs", { project_id: project, dataset_id: datasetId });
  for (const run of runs.runs) {
    const detail = await serverFn(page, "get_experiment_run", { project_id: project, dataset_id: datasetId, run_id: run.run.id });
    for (const row of detail.rows) {
      const value = run.run.name === "candidate run" ? 1 : 0;
      const scored = await api("post", "scores", { traceId: row.cell.trace_id, name: "exact", value, dataType: "NUMERIC" });
      expect(scored.ok(), await scored.text()).toBeTruthy();
    }
  }
  await page.reload();
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached();
  const baselineRow = page.locator('[data-testid=run-row][data-name="baseline run"]');
  await expect(baselineRow.locator('[data-testid=score-chip][data-name="exact"] [data-testid=score-average]')).toHaveText("0");
  await expect(page.locator('[data-testid=run-row][data-name="candidate run"] [data-testid=score-average]')).toHaveText("1");

  // The run page: every item with its output and the trace link.
  await baselineRow.getByTestId("run-link").click();
  await expect(page.getByTestId("run-title")).toHaveText("baseline run");
  await expect(page.getByTestId("run-item-row")).toHaveCount(ITEMS);
  await expect(page.locator('[data-testid=run-item-row][data-item="e2e-item-0"] [data-testid=run-item-output]')).toHaveText("Echo: Answer: q0");
  await page.goBack();

  // Pick the baseline first, then the candidate, and compare.
  await expect(page.getByTestId("compare-runs")).toBeDisabled();
  await baselineRow.getByTestId("run-select").check();
  await page.locator('[data-testid=run-row][data-name="candidate run"]').getByTestId("run-select").check();
  await page.getByTestId("compare-runs").click();
  await expect(page).toHaveURL(/\/compare\?runs=/);
  await expect(page.getByTestId("compare-row")).toHaveCount(ITEMS);
  const verdict = page.locator('[data-testid=verdict-score][data-score="exact"] [data-testid=verdict]');
  await expect(verdict).toHaveAttribute("data-verdict", "Better");
  await expect(verdict.getByTestId("verdict-sentence")).toHaveText("Better — mean difference +1 (95 % CI +1 to +1) on 5 shared items");
  // The output differs from the expected output by its "!": shown as removed.
  await expect(page.getByTestId("compare-output").first().getByTestId("diff-removed")).toHaveText("!");
  await expect(page.getByTestId("compare-delta").first()).toHaveText("(+1)");

  // Lower is better for this score: the same change is worse, and the URL says so.
  await page.locator('[data-testid=verdict-score][data-score="exact"]').getByTestId("direction-toggle").click();
  await expect(page).toHaveURL(/lower=exact/);
  await expect(verdict).toHaveAttribute("data-verdict", "Worse");

  // The candidate as the baseline: the baseline run is now the one that got worse.
  await page.getByTestId("baseline-picker").selectOption({ label: "candidate run" });
  await expect(page).toHaveURL(/baseline=/);
  await expect(verdict.getByTestId("verdict-sentence")).toContainText("mean difference −1");

  // At phone width the table scrolls in its box; the page does not.
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await overflow(page)).toEqual({ page: 0, main: 0, culprit: "" });
});
