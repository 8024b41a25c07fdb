import { expect, type Page } from "@playwright/test";

/** Loads a page and waits until the wasm bundle has hydrated it (frontend sets the marker). */
export async function openHydrated(page: Page, path: string) {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const response = await page.goto(path);
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached({ timeout: 20_000 });
  return { response, errors };
}
