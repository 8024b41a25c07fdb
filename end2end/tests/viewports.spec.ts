import { expect, test, type Page } from "@playwright/test";
import { AUTH, OWNER, PAGES, PROJECT, layoutPages, SESSION, TRACE, USER, enc, openHydrated, overflow, seedLayoutData, signIn } from "./fixtures";

// Layout at phone width and in dark mode, ids that look like file names, and a screenshot of
// every page (1440 px light, 1440 px dark, 390 px) kept in the test output for review.
// Runs after traces.spec.ts (files run in name order), whose first test needs a project without
// traces: the data seeded here would fill it.
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1440, height: 900 };

test("every page fits a phone and renders in dark mode; screenshots for review", async ({ page, request }, testInfo) => {
  test.setTimeout(240_000);
  await seedLayoutData(request);
  await signIn(page, OWNER.email, OWNER.password);
  for (const [name, path] of await layoutPages(page)) {
    for (const [variant, viewport, scheme] of [
      ["1440-light", DESKTOP, "light"],
      ["1440-dark", DESKTOP, "dark"],
      ["390-light", PHONE, "light"],
    ] as const) {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: scheme });
      const { response, errors } = await openHydrated(page, path);
      expect(response?.status(), `${path}`).toBe(200);
      expect(errors, `${path}`).toEqual([]);
      if (scheme === "dark") {
        // The theme follows the system: the page is dark, not only the browser chrome.
        await expect(page.locator("html")).toHaveClass(/dark/);
      }
      if (name === "traces" && viewport === DESKTOP) {
        // The default columns fit a laptop screen: nothing scrolls sideways.
        const fit = await page.getByTestId("traces-table").evaluate((t) => t.scrollWidth - t.closest(".overflow-x-auto")!.clientWidth);
        expect(fit, "the traces table is wider than its box at 1440 px").toBeLessThanOrEqual(1);
      }
      if (viewport === PHONE) {
        const o = await overflow(page);
        expect(o, `${path} at 390 px sticks out: ${o.culprit}`).toEqual({ page: 0, main: 0, culprit: "" });
      }
      await page.screenshot({ path: testInfo.outputPath(`${name}-${variant}.png`), fullPage: true });
    }
  }
});

test("on a phone the navigation is a drawer behind the menu button", async ({ page }) => {
  test.setTimeout(60_000);
  await page.setViewportSize(PHONE);
  await signIn(page, OWNER.email, OWNER.password);
  await openHydrated(page, `/project/${PROJECT}/traces`);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav).toBeHidden();
  await page.getByTestId("nav-toggle").click();
  await expect(nav).toBeVisible();
  // Escape and the backdrop close it; following a link closes it too.
  await page.keyboard.press("Escape");
  await expect(nav).toBeHidden();
  await page.getByTestId("nav-toggle").click();
  await page.getByTestId("nav-backdrop").click({ position: { x: 360, y: 400 } });
  await expect(nav).toBeHidden();
  await page.getByTestId("nav-toggle").click();
  await nav.getByRole("link", { name: "Prompts" }).click();
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/prompts$`));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Prompts");
  await expect(nav).toBeHidden();
  // At desktop width the sidebar is simply there.
  await page.setViewportSize(DESKTOP);
  await expect(nav).toBeVisible();
  await expect(page.getByTestId("nav-toggle")).toBeHidden();
});

test("ids with dots, @, CJK and emoji open by direct link and survive a reload", async ({ page, request }) => {
  test.setTimeout(120_000);
  await seedLayoutData(request);
  const prompt = await request.post("/api/public/v2/prompts", {
    headers: { Authorization: AUTH },
    data: { name: "support.v2/回复", type: "text", prompt: "Answer {{question}}", labels: ["production"] },
  });
  expect(prompt.status()).toBe(201);
  await signIn(page, OWNER.email, OWNER.password);
  for (const [path, text] of [
    [`/project/${PROJECT}/users/${enc(USER)}`, USER],
    [`/project/${PROJECT}/sessions/${enc(SESSION)}`, SESSION],
    [`/project/${PROJECT}/traces/${enc(TRACE)}`, "客服 answer"],
    [`/project/${PROJECT}/prompts/support.v2/${enc("回复")}`, "Answer {{question}}"],
  ]) {
    for (const load of ["direct", "reload"]) {
      if (load === "direct") await openHydrated(page, path);
      else {
        await page.reload();
        await expect(page.locator("body[data-hydrated=true]")).toBeAttached({ timeout: 20_000 });
      }
      await expect(page.getByText("Not signed in"), `${path} ${load}`).toHaveCount(0);
      await expect(page.getByRole("main"), `${path} ${load}`).toContainText(text);
    }
  }
});

test("home shows each project's latest trace and its last day", async ({ page, request }) => {
  await seedLayoutData(request);
  await signIn(page, OWNER.email, OWNER.password);
  await page.setViewportSize(DESKTOP);
  await openHydrated(page, "/");
  const row = page.getByTestId("project-link").filter({ hasText: "E2E Project" });
  await expect(row.getByTestId("project-last-trace")).toHaveText(/^Last trace (just now|\d+ min ago)$/);
  await expect(row.getByTestId("project-last-trace")).toHaveAttribute("title", /UTC$/);
  await expect(row.getByTestId("project-traces-last-day")).toHaveText(/^[\d,]+\+? traces? in 24 h$/);
});
