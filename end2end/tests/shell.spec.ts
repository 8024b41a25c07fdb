import { expect, test } from "@playwright/test";
import { OWNER, PROJECT, openHydrated, signIn } from "./fixtures";

test.beforeEach(async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);
});

test("home reads the instance status from Postgres through a server function", async ({ page }) => {
  const { errors } = await openHydrated(page, "/");
  await expect(page).toHaveTitle("Home · Loupe");
  // Headless initialization (playwright.config.ts) created an organization, project and user;
  // other spec files may add more.
  await expect(page.getByTestId("contents")).toHaveText(/^\d+ organizations?, \d+ projects?, \d+ users?$/);
  await expect(page.getByTestId("database-mode")).toHaveText("embedded (started by Loupe)");
  await expect(page.getByTestId("database")).toContainText("PostgreSQL");
  // The server's upkeep runs as background jobs, listed per kind.
  await expect(page.getByTestId("jobs")).toBeVisible();
  await expect(page.locator('[data-testid="job-kind"][data-kind="projects.purge_deleted"]')).toBeVisible();

  // "Check again" calls the server function from the browser; the database clock moves on.
  const checkedAt = page.getByTestId("checked-at");
  const before = await checkedAt.textContent();
  const call = page.waitForResponse((r) => r.url().endsWith("/api/ui/system_status") && r.status() === 200);
  await page.getByTestId("recheck").click();
  await call;
  await expect(checkedAt).not.toHaveText(before ?? "");
  await expect(page.getByTestId("recheck")).toHaveText("Check again");
  await expect(page.getByTestId("recheck")).toBeEnabled();
  expect(errors).toEqual([]);
});

test("navigation routes client-side and marks the current section", async ({ page }) => {
  await openHydrated(page, `/project/${PROJECT}/traces`);
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Dashboards" }).click();
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/dashboards$`));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Dashboards");
  // The dashboards list (#22): the built-in home dashboard, then the project's own.
  await expect(page.getByTestId("home-dashboard-row")).toContainText("Home dashboard");
  await expect(nav.getByRole("link", { name: "Dashboards" })).toHaveAttribute("aria-current", "page");
  // The project switcher closes on Escape and on a click outside it.
  await page.getByTestId("project-switcher").click();
  await expect(page.getByTestId("project-menu")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("project-menu")).toHaveCount(0);
  await page.getByTestId("project-switcher").click();
  await page.mouse.click(700, 500);
  await expect(page.getByTestId("project-menu")).toHaveCount(0);
  // Still the same document: the router navigated without a reload.
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached();

  await page.goBack();
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/traces$`));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Traces");
});

test("every section in the navigation has a page", async ({ page }) => {
  await openHydrated(page, `/project/${PROJECT}/traces`);
  const links = page.getByRole("navigation", { name: "Main" }).getByRole("listitem").getByRole("link");
  const names = await links.allTextContents();
  expect(names).toEqual([
    "Home", "Traces", "Sessions", "Users", "Prompts", "Playground", "Scores",
    "Annotation queues", "Datasets", "Evaluators", "Dashboards", "Settings",
  ]);
  for (const name of names.slice(1)) {
    await links.filter({ hasText: name }).first().click();
    // Settings is the project's settings page; the others name their section.
    const heading = name === "Settings" ? "E2E Project settings" : name;
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(heading);
  }
});

test("theme choice applies at once and survives a reload", async ({ page }) => {
  await openHydrated(page, "/");
  const html = page.locator("html");
  await page.getByRole("button", { name: "Dark" }).click();
  await expect(html).toHaveClass(/\bdark\b/);
  await expect(page.getByRole("button", { name: "Dark" })).toHaveAttribute("aria-pressed", "true");

  await openHydrated(page, `/project/${PROJECT}/traces`);
  await expect(html).toHaveClass(/\bdark\b/);
  await expect(page.getByRole("button", { name: "Dark" })).toHaveAttribute("aria-pressed", "true");

  await page.getByRole("button", { name: "Light" }).click();
  await expect(html).not.toHaveClass(/\bdark\b/);
});

test("unknown pages get a 404 status and a way back", async ({ page }) => {
  const { response } = await openHydrated(page, "/this/does/not/exist");
  expect(response?.status()).toBe(404);
  await expect(page.getByTestId("not-found")).toContainText("/this/does/not/exist");
  await page.getByRole("link", { name: "Back to home" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Welcome to Loupe");
});

test("health endpoint answers like Langfuse's", async ({ request }) => {
  const response = await request.get("/api/public/health");
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ status: "OK", version: expect.any(String) });
});
