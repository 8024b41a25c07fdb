import { expect, test } from "@playwright/test";
import { AUTH, OWNER, PROJECT, openHydrated, overflow, signIn } from "./fixtures";

// The Scores page: scores sent through the public API are listed, a score name chosen in the
// filter bar (and kept in the URL) shows its distribution, and two score names on the same
// sessions give an agreement value.
test("scores: filter by name, see the distribution and an agreement value", async ({ page, request }, testInfo) => {
  // Names of this run only: other specs write scores into the same project.
  const run = Date.now().toString(36);
  const tone = `e2e-tone-${run}`;
  const second = `e2e-tone-2nd-${run}`;
  const quality = `e2e-quality-${run}`;
  // Four sessions; two reviewers' labels: A pos pos neg neg, B pos neg neg neg.
  // Agree on 3 of 4 (p_o = .75); A half pos, B a quarter → p_e = .5·.25 + .5·.75 = .5;
  // κ = (.75 − .5) / (1 − .5) = 0.5.
  const a = ["pos", "pos", "neg", "neg"];
  const b = ["pos", "neg", "neg", "neg"];
  const now = Date.now();
  const at = (i: number) => new Date(now - (10 - i) * 1000).toISOString();
  const batch: object[] = [];
  // Scored as sessions: a trace score would add score chips to the traces list, which the
  // layout walk (viewports.spec.ts, run after this file) measures at its empty width.
  a.forEach((label, i) => {
    const sessionId = `e2e-scored-${run}-${i}`;
    batch.push({ id: `${sessionId}-a`, type: "score-create", timestamp: at(i), body: { id: `${sessionId}-sa`, sessionId, name: tone, value: label, dataType: "CATEGORICAL" } });
    batch.push({ id: `${sessionId}-b`, type: "score-create", timestamp: at(i), body: { id: `${sessionId}-sb`, sessionId, name: second, value: b[i], dataType: "CATEGORICAL" } });
    batch.push({ id: `${sessionId}-q`, type: "score-create", timestamp: at(i), body: { id: `${sessionId}-sq`, sessionId, name: quality, value: 0.25 * (i + 1), comment: `quality ${i}` } });
  });
  const response = await request.post("/api/public/ingestion", { headers: { Authorization: AUTH }, data: { batch } });
  expect(response.status(), await response.text()).toBe(207);
  expect((await response.json()).errors).toEqual([]);

  await signIn(page, OWNER.email, OWNER.password);
  await openHydrated(page, `/project/${PROJECT}/scores`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Scores");
  await expect(page.getByTestId("score-row").filter({ hasText: quality })).toHaveCount(4);

  // Choose the name in the filter bar: the URL carries it, the table narrows to its scores.
  const names = page.getByTestId("filter-name");
  await names.selectOption({ label: tone });
  await expect(page).toHaveURL(new RegExp(`[?&]name=${tone}(&|$)`));
  const rows = page.getByTestId("score-row");
  await expect(rows).toHaveCount(4);
  await expect(page.getByTestId("score-name")).toHaveText(Array(4).fill(tone));
  await expect(rows.first().getByTestId("score-source")).toHaveText("API");
  await expect(rows.first().getByTestId("score-target")).toContainText(`e2e-scored-${run}-`);
  await expect(rows.first().getByTestId("score-target")).toHaveAttribute("href", new RegExp(`/project/${PROJECT}/sessions/e2e-scored-${run}-`));

  // Its distribution: two bars, two scores each.
  await expect(page.getByTestId("analytics-heading")).toContainText(tone);
  const categories = page.getByTestId("distribution-categories").getByTestId("chart-category");
  await expect(categories).toHaveCount(2);
  await expect(page.locator(`[data-testid=chart-category][data-label=pos]`)).toHaveAttribute("data-value", "2");
  await expect(page.locator(`[data-testid=chart-category][data-label=neg]`)).toHaveAttribute("data-value", "2");
  await expect(page.getByTestId("distribution-summary")).toHaveText("4 scores");

  // Agreement with the second name: κ = 0.5 over 4 shared sessions, "moderate".
  await page.getByTestId("agreement-other-name").selectOption(second);
  await page.getByTestId("agreement-compute").click();
  await expect(page).toHaveURL(new RegExp(`[?&]cmp=${second}(&|$)`));
  await expect(page.getByTestId("agreement-shared")).toHaveText("4 shared objects");
  await expect(page.getByTestId("agreement-kappa")).toHaveText("0.50");
  await expect(page.getByTestId("agreement-kappa-band")).toHaveText("moderate");
  await expect(page.getByTestId("agreement-percent")).toHaveText("75 %");

  await page.screenshot({ path: testInfo.outputPath("scores-categorical-1440-light.png"), fullPage: true });

  // A link with the filters opens the same view; a numeric name gets a histogram.
  await openHydrated(page, `/project/${PROJECT}/scores?name=${quality}`);
  await expect(page.getByTestId("score-row")).toHaveCount(4);
  await expect(page.getByTestId("distribution-histogram")).toBeVisible();
  const bars = page.getByTestId("distribution-histogram").getByTestId("chart-bar");
  const counts = await bars.evaluateAll((els) => els.map((el) => Number(el.getAttribute("data-value"))));
  expect(counts.reduce((sum, n) => sum + n, 0)).toBe(4);
  await expect(page.getByTestId("over-time-chart")).toBeVisible();
  // On a phone, in the dark, the charts and the agreement box stack and nothing sticks out.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: "dark" });
  await openHydrated(page, `/project/${PROJECT}/scores?name=${quality}&cmp=${tone}`);
  await expect(page.locator("html")).toHaveClass(/dark/);
  await expect(page.getByTestId("agreement-result")).toBeVisible();
  expect(await overflow(page)).toEqual({ page: 0, main: 0, culprit: "" });
  await page.screenshot({ path: testInfo.outputPath("scores-numeric-390-dark.png"), fullPage: true });
  // Values narrow the list (0.5 and above: the last three).
  await page.getByTestId("filter-min").fill("0.5");
  await page.getByTestId("filter-min").press("Tab");
  await expect(page).toHaveURL(/[?&]min=0.5(&|$)/);
  await expect(page.getByTestId("score-row")).toHaveCount(3);
});
