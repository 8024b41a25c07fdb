import { expect, test } from "@playwright/test";
import { AUTH, OWNER, PROJECT, openHydrated, overflow, person, signIn } from "./fixtures";

// Models and prices (#22): a built-in model overridden into the project (the form pre-filled,
// a negative price named at its field as typed), its price edited and the "Test match" box
// showing the new cost; a tiered model picking its tier by usage; a generation without a price
// found on the usage tab, priced through "Add a price" and recalculated; a Viewer reads it all
// read-only; the page at 390 px in the dark.

test("models: override a built-in, edit its price, test the match, a tiered model, usage and recalculation", async ({ page, request, browser }, testInfo) => {
  // A long walk through the page: the override, a tiered model, usage and a recalculation job.
  test.setTimeout(120_000);
  const run = Date.now().toString(36);
  const unpriced = `e2e-unpriced-${run}`;
  const at = new Date(Date.now() - 60_000).toISOString();
  const ingested = await request.post("/api/public/ingestion", {
    headers: { Authorization: AUTH },
    data: { batch: [
      { id: `${run}-t`, type: "trace-create", timestamp: at, body: { id: `models-${run}`, name: `models ${run}`, timestamp: at } },
      { id: `${run}-g`, type: "generation-create", timestamp: at,
        body: { id: `models-${run}-g`, traceId: `models-${run}`, name: "llm", model: unpriced, startTime: at, endTime: at, usageDetails: { input: 1000, output: 100 } } },
    ] },
  });
  expect(ingested.status(), await ingested.text()).toBe(207);
  await signIn(page, OWNER.email, OWNER.password);
  const models = `/project/${PROJECT}/settings/models`;
  const { errors } = await openHydrated(page, `/project/${PROJECT}/settings`);
  await page.getByTestId("models-link").getByRole("link").click();
  await expect(page).toHaveURL(new RegExp(`${models}$`));
  await expect(page.getByTestId("models-table")).toBeVisible();

  // Override gpt-4o-mini: a project copy of the built-in, pre-filled.
  await page.getByTestId("models-search").fill("gpt-4o-mini");
  const builtin = page.locator('[data-testid=model-row][data-model-name="gpt-4o-mini"][data-builtin=true]');
  await expect(builtin).toBeVisible();
  await expect(builtin.locator('[data-testid=model-tier][data-tier-name="Fast mode"]')).toContainText("service_tier");
  await builtin.getByTestId("override-model").click();
  const form = page.getByTestId("model-form");
  await expect(form.getByTestId("model-form-title")).toContainText("Override gpt-4o-mini");
  await expect(form.getByTestId("model-name")).toHaveValue("gpt-4o-mini");
  await expect(form.getByTestId("model-pattern")).toHaveValue("(?i)^(openai/)?(gpt-4o-mini)$");
  await expect(form.getByTestId("tier-editor")).toHaveCount(2);
  const standardInput = form.locator("[data-testid=tier-editor][data-tier='0'] [data-testid=price-row][data-usage-type=input]");
  await expect(standardInput.getByTestId("price-value")).toHaveValue("1.5e-7");
  // A negative price is named at its field as one types (the server's check), then fixed.
  await standardInput.getByTestId("price-value").fill("-0.000001");
  await expect(form.getByTestId("model-error-pricingTiers[0].prices.input")).toContainText("negative");
  await standardInput.getByTestId("price-value").fill("0.000001");
  await expect(form.getByTestId("model-error-pricingTiers[0].prices.input")).toHaveCount(0);
  await expect(standardInput).toContainText("$1 per 1M");
  await form.getByTestId("save-model").click();
  await expect(form).toHaveCount(0);
  const override = page.locator('[data-testid=model-row][data-model-name="gpt-4o-mini"][data-builtin=false]');
  await expect(override).toBeVisible();
  await expect(override.locator("[data-testid=model-tier][data-tier-name=Standard] [data-usage-type=input]")).toContainText("$1 per 1M");

  // "Test match": the project copy prices it now.
  const box = page.getByTestId("test-match");
  await box.getByTestId("test-model").fill("gpt-4o-mini");
  await box.getByTestId("test-usage").fill("input: 1000\noutput: 100");
  await box.getByTestId("test-match-run").click();
  await expect(box.getByTestId("test-match-model")).toHaveText("gpt-4o-mini");
  await expect(box.getByTestId("test-match-result")).toContainText("project");
  await expect(box.getByTestId("test-match-tier")).toHaveText("Standard");
  await expect(box.getByTestId("test-match-total")).toHaveAttribute("data-total", "0.00106");

  // Edit the price: the box shows the new cost.
  await override.getByTestId("edit-model").click();
  await expect(form.getByTestId("model-form-title")).toContainText("Edit gpt-4o-mini");
  await standardInput.getByTestId("price-value").fill("0.000002");
  await form.getByTestId("save-model").click();
  await expect(form).toHaveCount(0);
  await expect(box.getByTestId("test-match-total")).toHaveAttribute("data-total", "0.00206");
  // The fast tier by a model parameter, from the copied tiers.
  await box.getByTestId("test-model-parameters").fill("service_tier=priority");
  await box.getByTestId("test-match-run").click();
  await expect(box.getByTestId("test-match-tier")).toHaveText("Fast mode");
  await box.getByTestId("test-model-parameters").fill("");

  // A tiered model of its own: above 200k input tokens it costs more.
  const tiered = `e2e-tiered-${run}`;
  await page.getByTestId("new-model").click();
  await form.getByTestId("model-name").fill(tiered);
  await form.getByTestId("model-pattern").fill(`^${tiered}$`);
  const standard = form.locator("[data-testid=tier-editor][data-tier='0']");
  await standard.locator("[data-testid=price-row][data-usage-type=input] [data-testid=price-value]").fill("0.000001");
  await standard.locator("[data-testid=price-row][data-usage-type=output] [data-testid=price-value]").fill("0.000002");
  await form.getByTestId("add-tier").click();
  const large = form.locator("[data-testid=tier-editor][data-tier='1']");
  await large.getByTestId("tier-name").fill("Long context");
  await expect(large.getByTestId("condition-value")).toHaveValue("200000");
  await large.locator("[data-testid=price-row][data-usage-type=input] [data-testid=price-value]").fill("0.000002");
  await large.locator("[data-testid=price-row][data-usage-type=output] [data-testid=price-value]").fill("0.000004");
  await form.getByTestId("save-model").click();
  await expect(form).toHaveCount(0);
  await box.getByTestId("test-model").fill(tiered);
  await box.getByTestId("test-usage").fill("input: 250000\noutput: 1000");
  await box.getByTestId("test-match-run").click();
  await expect(box.getByTestId("test-match-tier")).toHaveText("Long context");
  await expect(box.getByTestId("test-match-total")).toHaveAttribute("data-total", "0.504");
  await box.getByTestId("test-usage").fill("input: 200000\noutput: 1000");
  await box.getByTestId("test-match-run").click();
  await expect(box.getByTestId("test-match-tier")).toHaveText("Standard");
  await expect(box.getByTestId("test-match-total")).toHaveAttribute("data-total", "0.202");

  // Usage: the generation without a price, "Add a price" with the form pre-filled, recalculated.
  await page.getByTestId("usage-tab").click();
  const missing = page.locator(`[data-testid=unpriced-row][data-model="${unpriced}"]`);
  await expect(missing).toBeVisible();
  await expect(missing.getByTestId("unpriced-traces")).toHaveAttribute("href", new RegExp(`/project/${PROJECT}/traces\\?model=${unpriced}&range=7d`));
  await missing.getByTestId("unpriced-add-price").click();
  await expect(form.getByTestId("model-name")).toHaveValue(unpriced);
  await expect(form.getByTestId("model-pattern")).toHaveValue(`(?i)^e2e\\-unpriced\\-${run}$`);
  await standard.locator("[data-testid=price-row][data-usage-type=input] [data-testid=price-value]").fill("0.00001");
  await standard.locator("[data-testid=price-row][data-usage-type=output] [data-testid=price-value]").fill("0.00002");
  await form.getByTestId("save-model").click();
  await expect(form).toHaveCount(0);
  await page.getByTestId("usage-tab").click();
  await expect(missing).toBeVisible();
  await page.getByTestId("recalculate-model").selectOption(unpriced);
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByTestId("recalculate-start").click();
  const done = page.locator("[data-testid=recalculation][data-state=succeeded]").first();
  await expect(done).toBeVisible({ timeout: 20_000 });
  await expect(done.getByTestId("recalculation-costs")).toHaveAttribute("data-new", "0.012");
  await openHydrated(page, `${models}?tab=usage`);
  await expect(missing).toHaveCount(0);
  await expect(page.locator(`[data-testid=usage-tier-row][data-model="${unpriced}"][data-tier=Standard]`)).toBeVisible();

  // On a phone, in the dark: both tabs fit, tables scroll inside their boxes.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: "dark" });
  for (const path of [models, `${models}?tab=usage`]) {
    await openHydrated(page, path);
    await expect(page.locator("html")).toHaveClass(/dark/);
    await expect(page.getByTestId(path.endsWith("usage") ? "usage-by-tier" : "models-table")).toBeVisible();
    expect(await overflow(page)).toEqual({ page: 0, main: 0, culprit: "" });
    await page.screenshot({ path: testInfo.outputPath(`models${path.endsWith("usage") ? "-usage" : ""}-390-dark.png`), fullPage: true });
  }
  await page.getByTestId("models-tab").click();
  await page.getByTestId("new-model").click();
  await expect(form).toBeVisible();
  expect(await overflow(page)).toEqual({ page: 0, main: 0, culprit: "" });

  // A Viewer reads the page without the writing controls.
  const viewer = await person(browser, page, "VIEWER", "Vera");
  await openHydrated(viewer.page, models);
  await expect(viewer.page.getByTestId("models-read-only")).toBeVisible();
  await expect(viewer.page.getByTestId("models-table")).toBeVisible();
  await expect(viewer.page.getByTestId("new-model")).toHaveCount(0);
  await expect(viewer.page.getByTestId("override-model")).toHaveCount(0);
  await viewer.context.close();

  // Leave the project's prices as they were for the other tests.
  const listed = await request.get("/api/public/models?limit=100", { headers: { Authorization: AUTH } });
  for (const model of (await listed.json()).data as { id: string; isLangfuseManaged: boolean }[]) {
    if (!model.isLangfuseManaged) {
      const deleted = await request.delete(`/api/public/models/${model.id}`, { headers: { Authorization: AUTH } });
      expect(deleted.status()).toBe(200);
    }
  }
  expect(errors).toEqual([]);
});
