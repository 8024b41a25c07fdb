import { expect, test } from "@playwright/test";
import { AUTH, OWNER, PROJECT, openHydrated, overflow, signIn } from "./fixtures";

// Dashboards (#22): the project home drawn from real ingested data (its own environment, so
// other specs' traces do not count), hover values, the time range in the URL, a custom widget
// made in the editor, saved and read back after a reload, and the board on a phone in the dark.

test("dashboards: the home from ingested data, the range in the URL, a custom widget saved and reloaded", async ({ page, request }, testInfo) => {
  test.setTimeout(120_000);
  const run = Date.now().toString(36);
  const env = `dash-${run}`;
  const now = Date.now();
  // Twelve traces over the last five hours (three in the last hour), one generation each on two
  // models; every third one an error; four scored.
  const batch: unknown[] = [];
  let cost = 0;
  for (let i = 0; i < 12; i++) {
    const at = new Date(now - (i < 3 ? 5 + i * 10 : 70 + i * 20) * 60_000).toISOString();
    const end = new Date(Date.parse(at) + 400 + i * 100).toISOString();
    const model = i % 2 === 0 ? "gpt-4o" : "claude-3-haiku";
    cost += 0.01 * (i + 1);
    batch.push({ id: `${env}-t${i}`, type: "trace-create", timestamp: at, body: { id: `${env}-t${i}`, name: i % 3 === 0 ? "search" : "chat", environment: env, userId: `user-${i % 2}`, timestamp: at } });
    batch.push({
      id: `${env}-g${i}`, type: "generation-create", timestamp: at,
      body: { id: `${env}-g${i}`, traceId: `${env}-t${i}`, name: "llm", model, environment: env, startTime: at, endTime: end, level: i % 3 === 0 ? "ERROR" : "DEFAULT",
        usage: { input: 100, output: 50, total: 150 }, costDetails: { total: 0.01 * (i + 1) } },
    });
    if (i < 4) batch.push({ id: `${env}-s${i}`, type: "score-create", timestamp: at, body: { id: `${env}-s${i}`, traceId: `${env}-t${i}`, name: "quality", value: 0.5 + i / 10, environment: env } });
  }
  const ingested = await request.post("/api/public/ingestion", { headers: { Authorization: AUTH }, data: { batch } });
  expect(ingested.status(), await ingested.text()).toBe(207);
  await signIn(page, OWNER.email, OWNER.password);

  // The home: numbers, charts over time with hover values, bars by model.
  const home = `/project/${PROJECT}?environment=${env}`;
  const { errors } = await openHydrated(page, home);
  await expect(page.getByTestId("widget-grid")).toBeVisible();
  const widget = (id: string) => page.locator(`[data-testid=widget][data-widget=${id}]`);
  await expect(widget("traces").getByTestId("number-card")).toHaveAttribute("data-value", "12");
  await expect(widget("observations").getByTestId("number-card")).toHaveAttribute("data-value", "12");
  const shownCost = Number(await widget("total_cost").getByTestId("number-card").getAttribute("data-value"));
  expect(Math.abs(shownCost - cost)).toBeLessThan(1e-9);
  await expect(widget("total_cost").getByTestId("number-card")).toHaveText(`$${cost.toFixed(2)}`);
  const overTime = widget("traces_over_time");
  await expect(overTime.getByTestId("series-chart")).toBeVisible();
  const marks = overTime.getByTestId("chart-mark");
  const counted = await marks.evaluateAll((els) => els.reduce((sum, el) => sum + Number(el.getAttribute("data-value")), 0));
  expect(counted).toBe(12);
  // Hovering a column shows its bucket's values.
  const box = (await marks.first().boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const tooltip = overTime.getByTestId("chart-tooltip").filter({ visible: true });
  await expect(tooltip).toHaveCount(1);
  await expect(tooltip).toContainText(env);
  await expect(widget("latency_by_model").getByTestId("chart-category")).toHaveCount(2);
  await expect(widget("latency_by_model").getByTestId("chart-category").first()).toHaveAttribute("title", /p95/);
  await expect(widget("error_rate").getByTestId("series-chart")).toBeVisible();
  await expect(widget("scores_over_time").getByTestId("chart-mark").first()).toBeVisible();
  await expect(widget("cost_by_model").getByTestId("data-table")).toContainText("gpt-4o");
  await page.screenshot({ path: testInfo.outputPath("dashboard-home-1440-light.png"), fullPage: true });
  // Any chart reads as a table too.
  await widget("latency_by_model").getByTestId("widget-as-table").click();
  await expect(widget("latency_by_model").getByTestId("data-table")).toContainText("claude-3-haiku");

  // The range is in the URL: a preset link, then an address typed by hand.
  await page.getByTestId("range-preset").filter({ hasText: "7d" }).click();
  await expect(page).toHaveURL(/[?&]range=7d(&|$)/);
  await expect(page).toHaveURL(new RegExp(`[?&]environment=${env}(&|$)`));
  await expect(page.locator("[data-range='7d']")).toHaveAttribute("aria-current", "true");
  await expect(widget("traces").getByTestId("number-card")).toHaveAttribute("data-value", "12");
  await openHydrated(page, `${home}&range=1h`);
  await expect(widget("traces").getByTestId("number-card")).toHaveAttribute("data-value", "3");
  await expect(page.locator("[data-range='1h']")).toHaveAttribute("aria-current", "true");

  // A custom dashboard: created, a widget made in the editor (cost by model as bars), previewed,
  // saved, and there after a reload.
  await openHydrated(page, `/project/${PROJECT}/dashboards`);
  await page.getByTestId("new-dashboard").click();
  await page.getByTestId("dashboard-name").fill(`Spend ${run}`);
  await page.getByTestId("create-dashboard-submit").click();
  await expect(page.getByTestId("dashboard-name")).toHaveText(`Spend ${run}`);
  await expect(page.getByTestId("add-widget")).toBeVisible();
  await page.getByTestId("add-widget").click();
  const editor = page.getByTestId("widget-editor");
  await editor.getByTestId("widget-title-input").fill("Cost by model");
  await editor.getByTestId("widget-view").selectOption("observations");
  await editor.getByTestId("widget-measure").selectOption("totalCost");
  await editor.getByTestId("widget-aggregation").selectOption("sum");
  await editor.getByTestId("widget-chart").selectOption("bars");
  // Bars need something to split by: the editor says so before anything is saved.
  await expect(editor.getByTestId("widget-problem")).toBeVisible();
  await expect(editor.getByTestId("widget-apply")).toBeDisabled();
  await editor.getByTestId("widget-dimension").selectOption("providedModelName");
  await editor.getByTestId("widget-add-filter").click();
  await editor.getByTestId("widget-filter-value").fill(env);
  await editor.getByTestId("widget-filter-value").press("Tab");
  await expect(editor.getByTestId("widget-problem")).toHaveCount(0);
  await expect(editor.getByTestId("widget-preview").getByTestId("chart-category")).toHaveCount(2);
  await editor.screenshot({ path: testInfo.outputPath("dashboard-editor-1440-light.png") });
  await editor.getByTestId("widget-apply").click();
  await page.getByTestId("save-dashboard").click();
  await expect(page.getByTestId("edit-dashboard")).toBeVisible();
  const dashboardPath = new URL(page.url()).pathname;
  await openHydrated(page, dashboardPath);
  const saved = page.locator("[data-testid=widget]").filter({ hasText: "Cost by model" });
  await expect(saved.getByTestId("chart-category")).toHaveCount(2);
  const bars = await saved.getByTestId("chart-mark").evaluateAll((els) => els.reduce((sum, el) => sum + Number(el.getAttribute("data-value")), 0));
  expect(Math.abs(bars - cost)).toBeLessThan(1e-9);
  await openHydrated(page, `/project/${PROJECT}/dashboards`);
  await expect(page.locator(`[data-testid=dashboard-row][data-name="Spend ${run}"]`)).toContainText("1");

  // On a phone, in the dark: the widgets stack, nothing sticks out.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: "dark" });
  await openHydrated(page, home);
  await expect(page.locator("html")).toHaveClass(/dark/);
  await expect(widget("traces_over_time").getByTestId("series-chart")).toBeVisible();
  const [first, second] = [await widget("traces").boundingBox(), await widget("observations").boundingBox()];
  expect(second!.y).toBeGreaterThan(first!.y + first!.height - 1);
  expect(await overflow(page)).toEqual({ page: 0, main: 0, culprit: "" });
  await page.screenshot({ path: testInfo.outputPath("dashboard-home-390-dark.png"), fullPage: true });
  await openHydrated(page, dashboardPath);
  await expect(page.locator("[data-testid=widget]").filter({ hasText: "Cost by model" })).toBeVisible();
  expect(await overflow(page)).toEqual({ page: 0, main: 0, culprit: "" });
  await page.screenshot({ path: testInfo.outputPath("dashboard-custom-390-dark.png"), fullPage: true });
  expect(errors).toEqual([]);
});
