import { LangfuseClient } from "@langfuse/client";
import { expect, test } from "@playwright/test";
import { OWNER, PROJECT, openHydrated, signIn } from "./fixtures";

// The release flow of issue #6 end to end: a prompt created in the editor, a new version from its
// page, the two compared, `production` moved with the diff in the confirmation, and the real JS
// SDK (`@langfuse/client`) fetching whichever version holds `production` at each step.
test("create, add a version, diff, promote to production: the SDK fetches the new production version", async ({ page, baseURL }) => {
  const name = `release-flow-${Date.now()}`;
  const sdk = new LangfuseClient({ publicKey: "pk-lf-e2e", secretKey: "sk-lf-e2e-secret", baseUrl: baseURL });
  // No SDK-side caching: each call must reach the server.
  const production = () => sdk.prompt.get(name, { cacheTtlSeconds: 0 });

  await signIn(page, OWNER.email, OWNER.password);
  await openHydrated(page, `/project/${PROJECT}/prompts/new`);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByTestId("prompt-text").fill("Summarize {{text}} briefly.");
  await expect(page.getByTestId("variable-chip")).toHaveText(["text"]);
  await page.getByTestId("label-production").check();
  await page.getByTestId("prompt-commit").fill("first cut");
  await page.getByTestId("submit-prompt").click();
  await expect(page).toHaveURL(new RegExp(`/prompts/${name}\\?version=1$`));
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached();

  const v1 = await production();
  expect(v1.version).toBe(1);
  expect(v1.compile({ text: "the report" })).toBe("Summarize the report briefly.");

  // A new version, from the prompt's page: the editor starts from the latest version.
  await page.getByTestId("new-version").click();
  await expect(page).toHaveURL(new RegExp(`/prompts/new\\?name=${name}$`));
  await expect(page.getByTestId("prompt-text")).toHaveValue("Summarize {{text}} briefly.");
  await page.getByTestId("prompt-text").fill("Summarize {{text}} thoroughly.");
  await page.getByTestId("prompt-commit").fill("longer");
  await page.getByTestId("submit-prompt").click();
  await expect(page).toHaveURL(new RegExp(`/prompts/${name}\\?version=2$`));
  expect((await production()).version, "production stays on version 1 until moved").toBe(1);

  // The diff of version 2 against version 1.
  await page.getByTestId("compare-select").selectOption("1");
  await expect(page.getByTestId("diff-text").getByTestId("diff-removed")).toHaveText("briefly");
  await expect(page.getByTestId("diff-text").getByTestId("diff-added")).toHaveText("thoroughly");
  await page.getByTestId("close-compare").click();

  // Promote: the confirmation names the current holder and shows what changes.
  await page.getByTestId("move-label-select").selectOption("production");
  await page.getByTestId("move-label").click();
  const dialog = page.getByTestId("move-label-dialog");
  await expect(dialog.getByTestId("move-label-holder")).toContainText("production is on version 1 now");
  await expect(dialog.getByTestId("diff-removed")).toHaveText("briefly");
  await expect(dialog.getByTestId("diff-added")).toHaveText("thoroughly");
  await dialog.getByTestId("confirm-move").click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId("timeline-version").filter({ hasText: "v2" }).locator('[data-label="production"]')).toBeVisible();

  const v2 = await production();
  expect(v2.version).toBe(2);
  expect(v2.compile({ text: "the report" })).toBe("Summarize the report thoroughly.");
  expect(v2.labels.sort()).toEqual(["latest", "production"]);
});
