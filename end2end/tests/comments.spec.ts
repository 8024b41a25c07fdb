import { expect, test } from "@playwright/test";
import { AUTH, OWNER, PROJECT, openHydrated, overflow, person, signIn } from "./fixtures";

// Comments with mentions (#20): the owner comments on a trace and mentions a colleague through
// the composer's @ list; the colleague — on a phone, in dark mode — sees the unread count in the
// top bar, finds the mention in the inbox and follows it to the trace; a Viewer reads the thread
// but has no composer.
test("comments: a mention chosen from the @ list reaches the colleague's inbox; viewers only read", async ({ page, request, browser }) => {
  const run = Date.now().toString(36);
  const traceId = `e2e-commented-${run}`;
  const batch = [{ id: `${traceId}-t`, type: "trace-create", timestamp: new Date().toISOString(), body: { id: traceId, name: `commented trace ${run}` } }];
  const ingested = await request.post("/api/public/ingestion", { headers: { Authorization: AUTH }, data: { batch } });
  expect(ingested.status(), await ingested.text()).toBe(207);

  await signIn(page, OWNER.email, OWNER.password);
  // A name of this run only, so the @ list offers exactly one person for it.
  const name = `Colleague${run}`;
  const colleague = await person(browser, page, "MEMBER", name);
  const viewer = await person(browser, page, "VIEWER", `Viewer${run}`);
  const tracePath = `/project/${PROJECT}/traces/${traceId}`;

  // The owner writes, choosing the colleague from the list with the keyboard.
  await openHydrated(page, tracePath);
  const thread = page.locator("[data-testid=comments][data-object-type=TRACE]");
  await expect(thread.getByTestId("comments-empty")).toBeVisible();
  const input = thread.getByTestId("comment-input");
  await input.click();
  await input.pressSequentially(`Please check the tone, @${name.slice(0, -2).toLowerCase()}`);
  const list = thread.getByTestId("mention-list");
  await expect(list).toBeVisible();
  await expect(list.getByTestId("mention-option")).toHaveCount(1);
  await expect(list.getByTestId("mention-option")).toContainText(name);
  await input.press("Enter");
  await expect(list).toHaveCount(0);
  await expect(input).toHaveValue(new RegExp(`^Please check the tone, @\\[${name}\\]\\(user:[^)]+\\) $`));
  await input.pressSequentially("**today**");
  await thread.getByTestId("comment-submit").click();
  const comment = thread.getByTestId("comment");
  await expect(comment).toHaveCount(1);
  await expect(input).toHaveValue("");
  await expect(comment.getByTestId("mention")).toHaveText(`@${name}`);
  await expect(comment.getByTestId("comment-content").locator("strong")).toHaveText("today");
  await expect(comment.getByTestId("comment-author")).toHaveText(OWNER.email);
  // The owner mentioned nobody of theirs: no unread count for them.
  await expect(page.getByTestId("inbox-unread")).toHaveCount(0);

  // The colleague, on a phone in dark mode, sees the count, the mention, and follows it.
  const phone = colleague.page;
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.emulateMedia({ colorScheme: "dark" });
  await openHydrated(phone, `/project/${PROJECT}/traces`);
  await expect(phone.getByTestId("inbox-unread")).toHaveText("1");
  await phone.getByTestId("inbox-button").click();
  const inbox = phone.getByTestId("inbox");
  const entry = inbox.getByTestId("inbox-entry");
  await expect(entry).toHaveCount(1);
  await expect(entry).toHaveAttribute("data-unread", "true");
  await expect(entry).toContainText(OWNER.email);
  await expect(entry.getByTestId("inbox-excerpt")).toContainText(`Please check the tone, @${name}`);
  // The panel fits the phone's width.
  const box = (await inbox.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  await entry.click();
  await expect(phone).toHaveURL(new RegExp(`/project/${PROJECT}/traces/${traceId}$`));
  await expect(phone.getByTestId("inbox-unread")).toHaveCount(0);
  const theirs = phone.locator("[data-testid=comments][data-object-type=TRACE]");
  await expect(theirs.getByTestId("mention")).toHaveText(`@${name}`);
  expect((await overflow(phone)).page, (await overflow(phone)).culprit).toBeLessThanOrEqual(0);
  // Read now: still listed, no longer marked.
  await phone.getByTestId("inbox-button").click();
  await expect(phone.getByTestId("inbox-entry")).toHaveAttribute("data-unread", "false");

  // A Viewer reads the thread but has no composer.
  await openHydrated(viewer.page, tracePath);
  const viewed = viewer.page.locator("[data-testid=comments][data-object-type=TRACE]");
  await expect(viewed.getByTestId("comment")).toHaveCount(1);
  await expect(viewed.getByTestId("comments-read-only")).toBeVisible();
  await expect(viewer.page.getByTestId("comment-composer")).toHaveCount(0);
  await expect(viewed.getByTestId("comment-edit")).toHaveCount(0);

  await colleague.context.close();
  await viewer.context.close();
});
