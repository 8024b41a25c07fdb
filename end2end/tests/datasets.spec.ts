import { expect, test } from "@playwright/test";
import { AUTH, OWNER, PROJECT, openHydrated, signIn } from "./fixtures";

// Datasets (#21): a dataset made on its page and filled from three traces by the traces list's
// bulk action; one item edited on its page (a new version, the history with its diff); then a
// small CSV imported with its columns mapped, one bad row reported and the good ones kept.

test("datasets: from traces, an edited item's history, and a CSV import with a mapping", async ({ page, request }) => {
  const run = Date.now().toString(36);
  const name = `faq-${run}`;
  const now = Date.now();
  const batch = [0, 1, 2].map((i) => ({
    id: `${name}-e${i}`, type: "trace-create", timestamp: new Date(now - i * 1000).toISOString(),
    body: { id: `${name}-t${i}`, name, input: { question: `question ${i}` }, output: `answer ${i}`, timestamp: new Date(now - i * 1000).toISOString() },
  }));
  const ingested = await request.post("/api/public/ingestion", { headers: { Authorization: AUTH }, data: { batch } });
  expect(ingested.status(), await ingested.text()).toBe(207);
  await signIn(page, OWNER.email, OWNER.password);

  // A dataset in a folder, made on the datasets page; its page opens, empty.
  const datasetName = `e2e/${name}`;
  await openHydrated(page, `/project/${PROJECT}/datasets`);
  await page.getByTestId("new-dataset").click();
  await page.getByTestId("dataset-name").fill("bad//name");
  await expect(page.getByTestId("dataset-name-error")).toBeVisible();
  await expect(page.getByTestId("save-dataset")).toBeDisabled();
  await page.getByTestId("dataset-name").fill(datasetName);
  await page.getByTestId("dataset-metadata").fill('{"team": ');
  await expect(page.getByTestId("dataset-metadata-error")).toContainText("metadata");
  await page.getByTestId("dataset-metadata").fill('{"team": "support"}');
  await page.getByTestId("save-dataset").click();
  await expect(page.getByTestId("dataset-title")).toHaveText(name);
  await expect(page.getByTestId("no-items")).toBeVisible();
  const datasetPath = new URL(page.url()).pathname;

  // The three traces, selected in the list and added by the bulk action.
  await openHydrated(page, `/project/${PROJECT}/traces?name=${name}`);
  await expect(page.getByTestId("select-trace")).toHaveCount(3);
  await page.getByTestId("select-all").check();
  await page.getByTestId("bulk-add-to-dataset").click();
  await page.locator(`[data-testid=dataset-option][data-name="${datasetName}"]`).click();
  await expect(page.getByTestId("added-to-dataset")).toContainText("3");

  await openHydrated(page, datasetPath);
  await expect(page.getByTestId("item-row")).toHaveCount(3);
  await expect(page.getByTestId("item-source").first()).toContainText(`${name}-t`);
  await expect(page.getByTestId("items-total")).toContainText("3");

  // One item edited on its page: a second version, the change shown in the history.
  const row = page.getByTestId("item-row").filter({ hasText: "answer 1" });
  await row.locator("a").first().click();
  await expect(page.getByTestId("item-title")).toBeVisible();
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached();
  await expect(page.getByTestId("item-version")).toHaveCount(1);
  await page.getByTestId("edit-item").click();
  await page.getByTestId("item-expected").fill('"answer one, corrected"');
  await page.getByTestId("save-item").click();
  await expect(page.getByTestId("item-version")).toHaveCount(2);
  await expect(page.getByTestId("current-version").getByTestId("field-expected")).toContainText("answer one, corrected");
  const latest = page.locator("[data-testid=item-version][data-version='2']");
  await expect(latest.getByTestId("diff-removed")).toContainText("answer 1");
  await expect(latest.getByTestId("diff-added")).toContainText("answer one, corrected");

  // A CSV imported with its columns mapped; the row without a question is reported.
  await openHydrated(page, datasetPath);
  await page.getByTestId("import-items").click();
  const csv = "question,reference,notes,extra\nWhat is 2+2?,4,\"{\"\"source\"\": \"\"quiz\"\"}\",x\nCapital of France?,Paris,,y\n,orphan answer,,z\n";
  await page.getByTestId("import-file").setInputFiles({ name: "items.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await expect(page.getByTestId("import-mapping")).toBeVisible();
  await expect(page.locator("[data-testid=import-target][data-column=question]")).toHaveValue("Input");
  await expect(page.locator("[data-testid=import-target][data-column=reference]")).toHaveValue("ExpectedOutput");
  await page.locator("[data-testid=import-target][data-column=notes]").selectOption("Metadata");
  await expect(page.getByTestId("import-preview-row")).toHaveCount(2);
  await expect(page.getByTestId("import-preview-row").first()).toContainText('{"source":"quiz"}');
  await expect(page.locator("[data-testid=import-problem][data-row='4']")).toBeVisible();
  await page.getByTestId("start-import").click();
  const report = page.getByTestId("import-report");
  await expect(report).toHaveAttribute("data-created", "2");
  await expect(report).toHaveAttribute("data-failed", "1");
  await expect(page.getByTestId("items-total")).toContainText("5");
  await expect(page.getByTestId("item-row").filter({ hasText: "Capital of France?" })).toHaveCount(1);
});
