import { expect, test, type Page } from "@playwright/test";
import { OWNER, openHydrated, overflow, signIn } from "./fixtures";

// Plan changes that shorten retention (#22). In an organization of its own, a project with two
// traces 20 days old and a recent one; a plan keeping data 10 days. Assigning it on /admin/plans
// says what the next retention run deletes (the counts, the days, the project) and waits: Cancel
// leaves the organization on its plan, Confirm applies it. A plan change that deletes nothing
// but puts the organization above a limit is applied at once and says nobody is removed. The
// organization and the plan are removed at the end.

async function ui(page: Page, endpoint: string, form: Record<string, string>) {
  const response = await page.request.post(`/api/ui/${endpoint}`, { form, headers: { Origin: new URL(page.url()).origin } });
  expect(response.status(), await response.text()).toBe(200);
  return response.json();
}

async function savePlan(page: Page, plan: Record<string, string>, create: boolean) {
  const response = await page.request.post("/api/ui/save_plan", {
    data: { plan: { included_units: "", retention_days: "", member_limit: "", annotation_queue_limit: "", over_quota: "warn", position: "50", ...plan }, create },
    headers: { Origin: new URL(page.url()).origin },
  });
  expect(response.status(), await response.text()).toBe(200);
}

async function assigned(page: Page, org: string): Promise<string | null> {
  const overview = await ui(page, "list_plans", {});
  return overview.organizations.find((o: { org_id: string }) => o.org_id === org).assigned;
}

test("plans: assigning a plan with a shorter retention says what the next run deletes and waits for a confirmation", async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  const run = Date.now().toString(36);
  const planId = `e2e-brief-${run}`;
  const planName = `Brief ${run}`;
  await signIn(page, OWNER.email, OWNER.password);
  const project: string = await ui(page, "create_organization", { name: `Plan change ${run}`, project_name: `Aged ${run}` });
  const key = await ui(page, "create_api_key", { project_id: project });
  const auth = `Basic ${Buffer.from(`${key.key.public_key}:${key.secret_key}`).toString("base64")}`;
  const session = await ui(page, "session", {});
  const org: string = session.organizations.find((o: { name: string }) => o.name === `Plan change ${run}`).id;
  await savePlan(page, { id: planId, name: planName, retention_days: "10" }, true);

  const day = 24 * 3600 * 1000;
  const batch = [20, 21, 1].flatMap((age, i) => {
    const at = new Date(Date.now() - age * day).toISOString();
    const trace = `plan-${run}-${i}`;
    return [
      { id: `${trace}-e`, type: "trace-create", timestamp: at, body: { id: trace, name: "chat", timestamp: at } },
      { id: `${trace}-s`, type: "span-create", timestamp: at, body: { id: `${trace}-span`, traceId: trace, startTime: at, name: "answer" } },
    ];
  });
  const ingested = await page.request.post("/api/public/ingestion", { headers: { Authorization: auth }, data: { batch } });
  expect(ingested.status(), await ingested.text()).toBe(207);

  await openHydrated(page, "/admin/plans");
  const orgRow = page.getByTestId("plan-orgs-table").locator(`[data-org="${org}"]`);
  const panel = page.getByTestId("plan-change-confirm-panel");

  // Chosen: nothing is applied yet; the panel says what goes, when, and where.
  await orgRow.getByTestId("assign-plan").selectOption(planId);
  await expect(panel).toBeVisible();
  const summary = panel.getByTestId("plan-change-summary");
  await expect(summary).toContainText(`Assigning ${planName} to Plan change ${run} deletes 2 traces, 2 observations and 0 scores older than 10 days at the next run`);
  await expect(summary).toContainText(`Aged ${run}`);
  await expect(panel.getByTestId("plan-change-projects").locator(`[data-project="${project}"]`)).toContainText("forever → 10 days");
  expect(await assigned(page, org)).toBeNull();
  await page.screenshot({ path: testInfo.outputPath("plan-change-confirm.png"), fullPage: true });

  // Cancel: the organization stays on its plan, and its select says so again.
  await panel.getByTestId("plan-change-cancel").click();
  await expect(panel).toBeHidden();
  await expect(orgRow.getByTestId("assign-plan")).toHaveValue("");
  expect(await assigned(page, org)).toBeNull();

  // Again, at phone width in dark mode, then confirmed: applied.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: "dark" });
  await openHydrated(page, "/admin/plans");
  await expect(page.locator("html")).toHaveClass(/dark/);
  await orgRow.getByTestId("assign-plan").selectOption(planId);
  await expect(panel).toBeVisible();
  const o = await overflow(page);
  expect(o, `the confirmation at 390 px sticks out: ${o.culprit}`).toEqual({ page: 0, main: 0, culprit: "" });
  await page.screenshot({ path: testInfo.outputPath("plan-change-confirm-390-dark.png"), fullPage: true });
  await panel.getByTestId("plan-change-confirm").click();
  await expect(panel).toBeHidden();
  await expect(orgRow.getByTestId("assign-plan")).toHaveValue(planId);
  await expect.poll(() => assigned(page, org)).toBe(planId);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: "light" });

  // Lowering the plan's units below what the organization used (6 units): applied without a
  // question, and shown.
  await page.getByTestId("plans-table").locator(`[data-plan="${planId}"]`).getByTestId("edit-plan").click();
  const form = page.getByTestId("plan-form");
  await form.getByTestId("plan-field-included_units").fill("2");
  await form.getByTestId("save-plan").click();
  await expect(form).toBeHidden();
  const over = page.getByTestId("plan-change-over");
  await expect(over).toContainText(`Plan change ${run} has used 6 units this month of 2; nothing is deleted`);
  await expect(panel).toHaveCount(0);

  // Leave the instance as it was.
  await ui(page, "delete_organization", { org_id: org, confirm_name: `Plan change ${run}` });
  await ui(page, "delete_plan", { plan_id: planId });
});
