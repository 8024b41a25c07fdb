import { expect, test, type Page } from "@playwright/test";
import { OWNER, openHydrated, overflow, signIn } from "./fixtures";

// Plans and usage (#22). In an organization of its own (so no other test's ingestion meets a
// quota), the instance administrator creates a small plan on /admin/plans — the form checks the
// units as typed —, assigns it to the organization in place, and ingestion passes 80 % of it: the
// organization's Usage tab shows the plan, the units and the projection, and the 80 % banner names
// the plan on the organization's pages and inside its project. The usage page fits a phone and
// renders in dark mode. The organization and the plan are removed at the end.

async function ui(page: Page, endpoint: string, form: Record<string, string>) {
  const response = await page.request.post(`/api/ui/${endpoint}`, { form, headers: { Origin: new URL(page.url()).origin } });
  expect(response.status(), await response.text()).toBe(200);
  return response.json();
}

test("usage: an administrator assigns a small plan, ingestion passes 80 %, the usage page and the banner show it", async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  const run = Date.now().toString(36);
  const planId = `e2e-small-${run}`;
  const planName = `Small ${run}`;
  await signIn(page, OWNER.email, OWNER.password);
  const project: string = await ui(page, "create_organization", { name: `Usage ${run}`, project_name: `Metered ${run}` });
  const key = await ui(page, "create_api_key", { project_id: project });
  const auth = `Basic ${Buffer.from(`${key.key.public_key}:${key.secret_key}`).toString("base64")}`;
  const session = await ui(page, "session", {});
  const org: string = session.organizations.find((o: { name: string }) => o.name === `Usage ${run}`).id;

  // The plans page, from the admin part of the home page.
  await openHydrated(page, "/");
  await page.getByTestId("admin-plans-link").click();
  await expect(page).toHaveURL(/\/admin\/plans$/);
  await expect(page.getByTestId("plans-table").locator('[data-plan="self-hosted"]').getByTestId("plan-default")).toBeVisible();

  // A new plan, checked as typed: a negative number of units is named under its field.
  await page.getByTestId("new-plan").click();
  const form = page.getByTestId("plan-form");
  await form.getByTestId("plan-field-id").fill(planId);
  await form.getByTestId("plan-field-name").fill(planName);
  await form.getByTestId("plan-field-included_units").fill("-5");
  await expect(form.getByTestId("plan-problem-included_units")).toHaveText("Must not be negative.");
  await form.getByTestId("plan-field-included_units").fill("10");
  await expect(form.getByTestId("plan-problem-included_units")).toHaveText("");
  await form.getByTestId("plan-field-retention_days").fill("0");
  await expect(form.getByTestId("plan-problem-retention_days")).toContainText("At least 1 day");
  await form.getByTestId("plan-field-retention_days").fill("");
  await form.getByTestId("plan-field-annotation_queue_limit").fill("2");
  await form.getByTestId("plan-field-over_quota").selectOption("warn");
  await form.getByTestId("save-plan").click();
  await expect(form).toBeHidden();
  const planRow = page.getByTestId("plans-table").locator(`[data-plan="${planId}"]`);
  await expect(planRow).toContainText(planName);
  await expect(planRow).toContainText("10");

  // Assigned to the new organization in place; its usage (none yet) beside it.
  const orgRow = page.getByTestId("plan-orgs-table").locator(`[data-org="${org}"]`);
  await orgRow.getByTestId("assign-plan").selectOption(planId);
  await expect(orgRow.getByTestId("assign-plan")).toHaveValue(planId);
  await expect(orgRow.getByTestId("plan-org-units")).toContainText("0 of 10");
  // Annotation queues beside members: the project with the most against the per-project limit.
  await expect(orgRow.getByTestId("plan-org-queues")).toHaveText("0 of 2");
  await page.screenshot({ path: testInfo.outputPath("plans-desktop.png"), fullPage: true });

  // 9 units (a trace and eight spans): past 80 %, and a warn plan still accepts them.
  const at = new Date().toISOString();
  const batch = [{ id: `${run}-t`, type: "trace-create", timestamp: at, body: { id: `usage-${run}`, name: "metered", timestamp: at } }];
  for (let i = 0; i < 8; i++) {
    batch.push({ id: `${run}-s${i}`, type: "span-create", timestamp: at, body: { id: `usage-${run}-span-${i}`, traceId: `usage-${run}`, startTime: at, name: `step ${i}` } as never });
  }
  const ingested = await page.request.post("/api/public/ingestion", { headers: { Authorization: auth }, data: { batch } });
  expect(ingested.status(), await ingested.text()).toBe(207);

  // The organization's Usage tab: the plan, 9 of 10 units, the projection, the banner.
  await openHydrated(page, `/organization/${org}`);
  const banner = page.getByTestId("usage-banner");
  await expect(banner).toHaveAttribute("data-level", "80");
  await expect(banner).toContainText(planName);
  await expect(banner).toContainText("90%");
  await banner.getByRole("link").click();
  await expect(page).toHaveURL(new RegExp(`/organization/${org}/usage$`));
  const usage = page.getByTestId("usage-page");
  await expect(usage).toHaveAttribute("data-units", "9");
  await expect(usage.getByTestId("usage-plan-name")).toHaveText(planName);
  await expect(usage.getByTestId("usage-units")).toHaveText("9");
  await expect(usage.getByTestId("usage-projection")).toBeVisible();
  await expect(usage.getByTestId("usage-daily-chart")).toBeVisible();
  const projectRow = usage.getByTestId("usage-by-project").locator(`[data-project="${project}"]`);
  await expect(projectRow).toContainText(`Metered ${run}`);
  await expect(projectRow.locator("td").nth(4)).toHaveText("9");

  await page.screenshot({ path: testInfo.outputPath("usage-desktop.png"), fullPage: true });

  // Inside the project too.
  await openHydrated(page, `/project/${project}/traces`);
  await expect(page.getByTestId("usage-banner")).toHaveAttribute("data-level", "80");
  // But not in another organization's project (the e2e organization is on the default plan).
  await openHydrated(page, "/project/e2e-project/traces");
  await expect(page.getByTestId("usage-banner")).toHaveCount(0);

  // At phone width and in dark mode.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: "dark" });
  await openHydrated(page, `/organization/${org}/usage`);
  await expect(page.locator("html")).toHaveClass(/dark/);
  await expect(page.getByTestId("usage-banner")).toBeVisible();
  await expect(page.getByTestId("usage-units")).toHaveText("9");
  const o = await overflow(page);
  expect(o, `the usage page at 390 px sticks out: ${o.culprit}`).toEqual({ page: 0, main: 0, culprit: "" });
  await page.screenshot({ path: testInfo.outputPath("usage-390-dark.png"), fullPage: true });
  await openHydrated(page, "/admin/plans");
  const a = await overflow(page);
  expect(a, `the plans page at 390 px sticks out: ${a.culprit}`).toEqual({ page: 0, main: 0, culprit: "" });
  await page.screenshot({ path: testInfo.outputPath("plans-390-dark.png"), fullPage: true });

  // Leave the instance as it was: the organization (with its counters) and the plan go.
  await ui(page, "delete_organization", { org_id: org, confirm_name: `Usage ${run}` });
  await ui(page, "delete_plan", { plan_id: planId });
});
