import { expect, test, type Page } from "@playwright/test";
import { OWNER, openHydrated, overflow, signIn } from "./fixtures";

// Data retention (#22): in a project of its own (so no other test's data expires), three traces
// 100 days old and two recent ones. Shortening the retention to 30 days shows what the next run
// will delete and asks for a confirmation; "Run now" runs it through the job runner and the
// section shows what it deleted. The section fits a phone and renders in dark mode.

async function ui(page: Page, endpoint: string, form: Record<string, string>) {
  const response = await page.request.post(`/api/ui/${endpoint}`, { form, headers: { Origin: new URL(page.url()).origin } });
  expect(response.status(), await response.text()).toBe(200);
  return response.json();
}

test("retention: a shorter retention shows what the next run deletes, is confirmed, and Run now deletes it", async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  const run = Date.now().toString(36);
  await signIn(page, OWNER.email, OWNER.password);
  const project: string = await ui(page, "create_project", { org_id: "e2e-org", name: `Retention ${run}` });
  const key = await ui(page, "create_api_key", { project_id: project });
  const auth = `Basic ${Buffer.from(`${key.key.public_key}:${key.secret_key}`).toString("base64")}`;

  const day = 24 * 3600 * 1000;
  const batch = [100, 101, 102, 1, 2].flatMap((age, i) => {
    const at = new Date(Date.now() - age * day).toISOString();
    const trace = `ret-${run}-${i}`;
    return [
      { id: `${trace}-e`, type: "trace-create", timestamp: at, body: { id: trace, name: "chat", timestamp: at } },
      { id: `${trace}-s1`, type: "span-create", timestamp: at, body: { id: `${trace}-span-1`, traceId: trace, startTime: at, name: "retrieve" } },
      { id: `${trace}-s2`, type: "span-create", timestamp: at, body: { id: `${trace}-span-2`, traceId: trace, startTime: at, name: "answer" } },
      { id: `${trace}-sc`, type: "score-create", timestamp: at, body: { id: `${trace}-score`, traceId: trace, name: "quality", value: 1, timestamp: at } },
    ];
  });
  const ingested = await page.request.post("/api/public/ingestion", { headers: { Authorization: auth }, data: { batch } });
  expect(ingested.status(), await ingested.text()).toBe(207);

  await openHydrated(page, `/project/${project}/settings`);
  const section = page.getByTestId("retention");
  await expect(section.getByTestId("retention-effective")).toContainText("forever");
  await expect(section.getByTestId("retention-no-run")).toBeVisible();

  // Not a number of days: refused under the field, nothing asked.
  await section.getByTestId("retention-days").fill("0");
  await section.getByTestId("retention-save").click();
  await expect(section.getByRole("alert").first()).toContainText("at least 1 day");

  // 30 days: what the next run will delete, then the confirmation.
  await section.getByTestId("retention-days").fill("30");
  await section.getByTestId("retention-save").click();
  const panel = section.getByTestId("retention-confirm-panel");
  await expect(panel).toBeVisible();
  await expect(panel.getByTestId("retention-expired-traces")).toHaveAttribute("data-count", "3");
  await expect(panel.getByTestId("retention-expired-observations")).toHaveAttribute("data-count", "6");
  await expect(panel.getByTestId("retention-expired-scores")).toHaveAttribute("data-count", "3");
  await section.screenshot({ path: testInfo.outputPath("retention-confirm-1440-light.png") });
  // Cancelling saves nothing.
  await panel.getByTestId("retention-cancel").click();
  await expect(panel).toBeHidden();
  await expect(section.getByTestId("retention-effective")).toContainText("forever");
  await section.getByTestId("retention-save").click();
  await panel.getByTestId("retention-confirm").click();
  await expect(section.getByTestId("retention-saved")).toBeVisible();
  await expect(section.getByTestId("retention-effective")).toContainText("30 days");
  await expect(section.getByTestId("retention-source")).toHaveAttribute("data-source", "Project");

  // Run now: the job runner deletes what the panel counted; the section shows it when done.
  await section.getByTestId("retention-run-now").click();
  await expect(section.getByTestId("retention-run-state")).toHaveAttribute("data-finished", "true", { timeout: 30_000 });
  await expect(section.getByTestId("retention-deleted-traces")).toHaveAttribute("data-count", "3");
  await expect(section.getByTestId("retention-deleted-observations")).toHaveAttribute("data-count", "6");
  await expect(section.getByTestId("retention-deleted-scores")).toHaveAttribute("data-count", "3");
  const traces = await page.request.get("/api/public/traces", { headers: { Authorization: auth } });
  const kept = (await traces.json()).data.map((t: { id: string }) => t.id).sort();
  expect(kept).toEqual([`ret-${run}-3`, `ret-${run}-4`]);

  // The last run is still shown after a reload, at phone width and in dark mode.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: "dark" });
  await openHydrated(page, `/project/${project}/settings`);
  await expect(page.locator("html")).toHaveClass(/dark/);
  await section.scrollIntoViewIfNeeded();
  await expect(section.getByTestId("retention-deleted-traces")).toHaveAttribute("data-count", "3");
  const o = await overflow(page);
  expect(o, `settings at 390 px sticks out: ${o.culprit}`).toEqual({ page: 0, main: 0, culprit: "" });
  await section.screenshot({ path: testInfo.outputPath("retention-390-dark.png") });
});
