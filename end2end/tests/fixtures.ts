import { expect, type Page } from "@playwright/test";

/** The owner created by headless initialization (playwright.config.ts). */
export const OWNER = { email: "owner@e2e.test", password: "e2e-password" };
export const PROJECT = "e2e-project";

/** Loads a page and waits until the wasm bundle has hydrated it (frontend sets the marker). */
export async function openHydrated(page: Page, path: string) {
  const errors: string[] = [];
  const consoleErrors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  // Kept for the failure message: a page that never hydrates says why in its console.
  page.on("console", (message) => { if (message.type() === "error") consoleErrors.push(message.text().slice(0, 400)); });
  page.on("requestfailed", (request) => consoleErrors.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  const response = await page.goto(path);
  await expect(page.locator("body[data-hydrated=true]"), `${path} did not hydrate; console: ${consoleErrors.join(" | ")}; errors: ${errors.join(" | ")}`).toBeAttached({ timeout: 20_000 });
  return { response, errors };
}

/** Signs in through the sign-in form and waits for the page it leads to. */
export async function signIn(page: Page, email: string, password: string, next = "/") {
  await openHydrated(page, next === "/" ? "/sign-in" : `/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached({ timeout: 20_000 });
  await expect(page).not.toHaveURL(/\/sign-in/);
}
