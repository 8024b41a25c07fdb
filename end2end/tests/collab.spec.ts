import { expect, test, type Page } from "@playwright/test";
import { AUTH, OWNER, PROJECT, openHydrated, person, signIn } from "./fixtures";

// Collaborative editing of a prompt's next version (#19), with two and three browser contexts
// (separate people): concurrent typing in the same message converges to the same text on every
// screen; the others' carets and presence are shown; a context that goes offline keeps its
// edits and merges them on reconnect; a Viewer watches but cannot type; publishing from one
// screen is seen on the others.
test.describe.configure({ timeout: 120_000 });

async function createPrompt(page: Page, body: Record<string, unknown>) {
  const response = await page.request.post("/api/public/v2/prompts", { headers: { Authorization: AUTH }, data: body });
  expect(response.status(), await response.text()).toBe(201);
}

/** Opens the prompt's shared draft and waits until it is live and stored. */
async function openDraft(page: Page, name: string) {
  await openHydrated(page, `/project/${PROJECT}/prompts/new?name=${encodeURIComponent(name)}`);
  await expect(page.getByTestId("draft-status")).toHaveAttribute("data-status", "saved", { timeout: 20_000 });
}

test("two people type in the same message at once, see each other's carets, and one publishes", async ({ page, browser }) => {
  const name = `collab-chat-${Date.now()}`;
  await signIn(page, OWNER.email, OWNER.password);
  await createPrompt(page, { name, type: "chat", prompt: [{ role: "system", content: "You are terse." }, { role: "user", content: "Question:" }] });
  const bea = await person(browser, page, "MEMBER", "Bea");
  await openDraft(page, name);
  await openDraft(bea.page, name);
  await expect(page.getByTestId("draft-person")).toHaveAttribute("data-name", "Bea");

  const mine = page.getByTestId("message-content").nth(1);
  const theirs = bea.page.getByTestId("message-content").nth(1);
  await mine.click();
  await mine.press("End");
  await theirs.click();
  await theirs.press("Home");
  // Both type at once, keystroke by keystroke.
  await Promise.all([mine.pressSequentially(" alpha beta", { delay: 30 }), theirs.pressSequentially("Hi! ", { delay: 30 })]);
  const both = "Hi! Question: alpha beta";
  await expect(mine).toHaveValue(both);
  await expect(theirs).toHaveValue(both);
  // Each sees the other's caret, named, in that message.
  await expect(page.locator('[data-testid=peer-caret][data-name="Bea"]')).toHaveCount(1);
  await expect(bea.page.locator('[data-testid=peer-caret]')).toHaveCount(1);
  await expect(page.getByTestId("draft-status")).toHaveAttribute("data-status", "saved");

  // Publishing: the version is the draft, and the other screen is told.
  await page.getByTestId("submit-prompt").click();
  await expect(page).not.toHaveURL(/\/prompts\/new/, { timeout: 20_000 });
  await expect(bea.page.getByTestId("draft-notice")).toHaveAttribute("data-kind", "published");
  await expect(bea.page.getByTestId("draft-notice")).toContainText("version 2");
  const versions = await page.request.post("/api/ui/get_prompt_history", { form: { project_id: PROJECT, name }, headers: { Origin: new URL(page.url()).origin } });
  const history = await versions.json();
  expect(history.versions[0].version).toBe(2);
  expect(history.versions[0].prompt[1].content).toBe(both);
  // The draft starts again from the new version on the other screen.
  await expect(bea.page.getByTestId("draft-status")).toHaveAttribute("data-status", "saved");
  await expect(theirs).toHaveValue(both);
  await expect(bea.page.getByTestId("submit-prompt")).toContainText("3");
  await bea.context.close();
});

test("offline edits are kept and merged on reconnect; a Viewer watches but cannot type", async ({ page, browser }) => {
  const name = `collab-text-${Date.now()}`;
  await signIn(page, OWNER.email, OWNER.password);
  await createPrompt(page, { name, type: "text", prompt: "middle" });
  const bea = await person(browser, page, "MEMBER", "Bea");
  const vic = await person(browser, page, "VIEWER", "Vic");
  await openDraft(page, name);
  await openDraft(bea.page, name);
  await openDraft(vic.page, name);

  // Bea goes offline and types; the owner types meanwhile.
  await bea.context.setOffline(true);
  await expect(bea.page.getByTestId("draft-status")).toHaveAttribute("data-status", "offline");
  const beaText = bea.page.getByTestId("prompt-text");
  await beaText.click();
  await beaText.press("Home");
  await beaText.pressSequentially("start ");
  const mine = page.getByTestId("prompt-text");
  await mine.click();
  await mine.press("End");
  await mine.pressSequentially(" end");
  await expect(mine).toHaveValue("middle end");
  await expect(beaText).toHaveValue("start middle");
  // Back online: both edits survive, everywhere.
  await bea.context.setOffline(false);
  for (const p of [page, bea.page, vic.page]) {
    await expect(p.getByTestId("prompt-text")).toHaveValue("start middle end");
  }
  await expect(bea.page.getByTestId("draft-status")).toHaveAttribute("data-status", "saved");

  // The Viewer watches: the fields are disabled and the page says why.
  await expect(vic.page.getByTestId("prompt-text")).toBeDisabled();
  await expect(vic.page.getByTestId("draft-read-only")).toBeVisible();
  await expect(vic.page.getByTestId("submit-prompt")).toBeDisabled();
  // And the server refuses a publish from them.
  const refused = await vic.page.request.post("/api/ui/publish_prompt_draft", { form: { project_id: PROJECT, name }, headers: { Origin: new URL(vic.page.url()).origin } });
  expect(refused.status()).toBe(403);

  // A reload keeps the draft (it is stored, not the page's).
  await openDraft(bea.page, name);
  await expect(bea.page.getByTestId("prompt-text")).toHaveValue("start middle end");
  await bea.context.close();
  await vic.context.close();
});
