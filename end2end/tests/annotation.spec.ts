import { expect, test, Page } from "@playwright/test";
import { AUTH, OWNER, PROJECT, openHydrated, person, signIn } from "./fixtures";

// Human annotation (#20): a score config made in the settings, a queue made on its page, four
// traces added through the traces list's bulk action, then two reviewers at once — the owner
// reviews three items with the keyboard only (a digit picks the category, `c` completes and
// moves on) while a colleague holds a fourth: nobody is handed an item someone else has open.

/** Scores the item on screen with category key `key`, completes it with `c`, and waits for the next one. */
async function reviewWithKeys(page: Page, key: string): Promise<string> {
  const item = page.getByTestId("review-item");
  const object = (await item.getAttribute("data-object"))!;
  await expect(page.getByTestId("annotate-config").first()).toBeVisible();
  await page.keyboard.press(key);
  await expect(page.locator("[data-testid=annotate-category][aria-pressed=true]")).toHaveCount(1);
  await page.keyboard.press("c");
  await expect(page.locator(`[data-testid=review-item][data-object="${object}"]`)).toHaveCount(0);
  return object;
}

test("annotation: configs, a queue, bulk add, and two reviewers working it with the keyboard", async ({ page, request, browser }) => {
  const run = Date.now().toString(36);
  const name = `review-${run}`;
  const now = Date.now();
  const batch = [0, 1, 2, 3].map((i) => ({
    id: `${name}-e${i}`, type: "trace-create", timestamp: new Date(now - i * 1000).toISOString(),
    body: { id: `${name}-t${i}`, name, input: `question ${i}`, output: `answer ${i}`, timestamp: new Date(now - i * 1000).toISOString() },
  }));
  const ingested = await request.post("/api/public/ingestion", { headers: { Authorization: AUTH }, data: { batch } });
  expect(ingested.status(), await ingested.text()).toBe(207);
  await signIn(page, OWNER.email, OWNER.password);

  // A categorical config, made in the project settings.
  const configName = `tone ${run}`;
  await openHydrated(page, `/project/${PROJECT}/settings`);
  const form = page.getByTestId("new-score-config");
  await form.getByTestId("config-name").fill(configName);
  await form.getByTestId("config-type").selectOption("CATEGORICAL");
  const labels = form.getByTestId("category-label");
  await labels.nth(0).fill("good");
  await labels.nth(0).blur();
  await labels.nth(1).fill("bad");
  await labels.nth(1).blur();
  await form.getByTestId("create-config").click();
  await expect(page.locator(`[data-testid=score-config-row][data-name="${configName}"]`)).toContainText("good = 1");

  // A queue filling that config.
  const queueName = `Support ${run}`;
  await openHydrated(page, `/project/${PROJECT}/annotation-queues`);
  await page.getByTestId("new-queue").click();
  await page.getByTestId("queue-name").fill(queueName);
  await page.getByTestId("queue-instructions").fill("Is the answer **kind**?");
  await page.locator(`[data-testid=queue-config][data-name="${configName}"]`).check();
  await page.getByTestId("create-queue").click();
  await expect(page.getByTestId("queue-title")).toHaveText(queueName);
  await expect(page.getByTestId("queue-instructions").locator("strong")).toHaveText("kind");
  await expect(page.getByTestId("no-queue-items")).toBeVisible();
  const queuePath = new URL(page.url()).pathname;

  // The four traces, selected in the list and added by the bulk action; adding again adds none.
  await openHydrated(page, `/project/${PROJECT}/traces?name=${name}`);
  await expect(page.getByTestId("select-trace")).toHaveCount(4);
  await page.getByTestId("select-all").check();
  for (const expected of [/Added 4/, /Already in/]) {
    await page.getByTestId("bulk-add-to-queue").click();
    await page.locator(`[data-testid=queue-option][data-name="${queueName}"]`).click();
    await expect(page.getByTestId("added-to-queue")).toHaveText(expected);
  }

  // The colleague opens the review first and holds one item.
  const colleague = await person(browser, page, "MEMBER", `Reviewer${run}`);
  await openHydrated(colleague.page, `${queuePath}/review`);
  const held = (await colleague.page.getByTestId("review-item").getAttribute("data-object"))!;

  // The owner reviews three items with the keyboard alone, never the colleague's.
  await openHydrated(page, `${queuePath}/review`);
  const reviewed: string[] = [];
  for (let i = 0; i < 3; i++) {
    reviewed.push(await reviewWithKeys(page, i === 1 ? "2" : "1"));
  }
  expect(new Set(reviewed).size).toBe(3);
  expect(reviewed).not.toContain(held);
  await expect(page.getByTestId("review-done")).toBeVisible();
  await expect(page.getByTestId("review-done-by-me")).toContainText("3");

  // The colleague finishes theirs with the keyboard too.
  expect(await reviewWithKeys(colleague.page, "1")).toBe(held);
  await expect(colleague.page.getByTestId("review-done")).toBeVisible();

  // The queue page: everything completed, by whom, and each reviewer's count.
  await openHydrated(page, queuePath);
  await expect(page.getByTestId("progress-label").first()).toContainText("4");
  await expect(page.locator("[data-testid=queue-item][data-status=COMPLETED]")).toHaveCount(4);
  await expect(page.locator(`[data-testid=reviewer-row][data-name="${OWNER.email}"] [data-testid=reviewer-completed]`)).toHaveText("3");
  await expect(page.locator(`[data-testid=reviewer-row][data-name="Reviewer${run}"] [data-testid=reviewer-completed]`)).toHaveText("1");

  // The annotations are scores: on the trace page, a chip naming its source and author.
  await openHydrated(page, `/project/${PROJECT}/traces/${reviewed[1]}`);
  const chip = page.getByTestId("trace-scores").getByTestId("score-chip");
  await expect(chip).toHaveAttribute("data-source", "ANNOTATION");
  await expect(chip).toContainText("bad");
  await expect(chip).toHaveAttribute("title", new RegExp(`Annotation · by ${OWNER.email.replace(".", "\\.")}`));
  await colleague.context.close();
});
