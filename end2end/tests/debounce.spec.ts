import { expect, test } from "@playwright/test";
import { OWNER, PROJECT, openHydrated, signIn } from "./fixtures";

// A search box applies the typed text once typing pauses (`Debounce`, 400 ms). Typing and then
// leaving the page (client-side) within the pause used to panic the app when the timer fired on
// the disposed search box. Now the pending timer is cleared with its page: nothing runs, the app
// keeps working.

test("a search typed and left within its pause neither panics nor applies on the next page", async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on("console", (message) => { if (message.type() === "error") consoleErrors.push(message.text().slice(0, 400)); });
  await signIn(page, OWNER.email, OWNER.password);
  const { errors } = await openHydrated(page, `/project/${PROJECT}/sessions`);
  const nav = page.getByRole("navigation", { name: "Main" });
  await page.getByTestId("sessions-search").fill("zz");
  // Within the 400 ms pause: the sessions page (and its search box) goes away.
  await nav.getByRole("link", { name: "Users" }).click();
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/users$`));
  // Past the pause: the timer would have fired by now.
  await page.waitForTimeout(1_000);
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/users$`));
  expect(consoleErrors.filter((e) => /panicked|disposed/i.test(e))).toEqual([]);
  expect(errors).toEqual([]);
  // The app still works: a search on the users page applies.
  await page.getByTestId("users-search").fill("car");
  await expect(page).toHaveURL(/\?q=car$/);
});
