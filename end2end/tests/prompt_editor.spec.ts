import { expect, test, type Page } from "@playwright/test";
import { OWNER, PROJECT, openHydrated, signIn } from "./fixtures";

// The prompt editor (/project/{id}/prompts/new): a text prompt with CJK content, live variables
// and a JSON config; a chat prompt with a placeholder, reordered by buttons and the keyboard;
// problems shown under their field before sending, and the server's refusals likewise; a new
// version of an existing prompt. Results are read back through the UI's server function.

const NEW = `/project/${PROJECT}/prompts/new`;

/** A prompt's versions (newest first), read with the signed-in page's cookie. */
async function history(page: Page, name: string) {
  const response = await page.request.post("/api/ui/get_prompt_history", { form: { project_id: PROJECT, name } });
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()) as { versions: Array<Record<string, any>> };
}

test("a text prompt: CJK content, live variables, config checked as JSON, production label", async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);
  await openHydrated(page, NEW);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("New prompt");
  const submit = page.getByTestId("submit-prompt");

  // Names: `|` separates a reference's parts, so it is refused at once, under the field.
  await page.getByLabel("Name", { exact: true }).fill("movie|critic");
  await expect(page.getByTestId("error-name")).toContainText("cannot contain '|'");
  await expect(submit).toBeDisabled();
  await page.getByLabel("Name", { exact: true }).fill("movie-critic");
  await expect(page.getByTestId("error-name")).toHaveCount(0);

  // Variables appear as the text is typed.
  const text = page.getByTestId("prompt-text");
  await text.fill("作为一个{{expertise_level}}的影评人");
  await expect(page.getByTestId("variable-chip")).toHaveText(["expertise_level"]);
  await text.pressSequentially("，请评价电影《{{movie_name}}》");
  await expect(page.getByTestId("variable-chip")).toHaveText(["expertise_level", "movie_name"]);
  // In the text itself, each variable is marked where it was typed.
  await expect(page.getByTestId("variable-mark")).toHaveText(["{{expertise_level}}", "{{movie_name}}"]);
  // The field grows with its text instead of scrolling inside itself.
  const before = (await text.boundingBox())!.height;
  await text.press("End");
  await text.pressSequentially("\n第二行\n第三行\n第四行\n第五行\n第六行\n第七行\n第八行\n第九行\n第十行\n第十一行\n第十二行");
  await expect.poll(async () => (await text.boundingBox())!.height).toBeGreaterThan(before);
  expect(await text.evaluate((el) => el.scrollHeight <= el.clientHeight + 1), "no scrolling inside the field").toBe(true);
  await text.fill("作为一个{{expertise_level}}的影评人，请评价电影《{{movie_name}}》");

  // Invalid JSON: line and column under the field, and no way to send.
  const config = page.getByTestId("prompt-config");
  await config.fill('{\n  "model": "gpt-4",\n  "temperature" 0.7\n}');
  await expect(page.getByTestId("error-config")).toContainText("config is not valid JSON: line 3, column 17");
  await expect(submit).toBeDisabled();
  await expect(page.getByTestId("submit-blocked")).toContainText("Config:");
  await config.press("Control+Enter");
  await expect(page).toHaveURL(new RegExp(`${NEW}$`));
  await config.fill("[1, 2]");
  await expect(page.getByTestId("error-config")).toContainText("must be a JSON object");
  await config.fill('{"temperature": 0.7, "model": "gpt-4"}');
  await expect(page.getByTestId("error-config")).toHaveCount(0);
  await page.getByTestId("format-config").click();
  await expect(config).toHaveValue('{\n  "model": "gpt-4",\n  "temperature": 0.7\n}');

  await page.getByTestId("label-production").check();
  await page.getByTestId("prompt-tags").fill("movies, cjk");
  await page.getByTestId("prompt-commit").fill("First cut");
  await expect(page.getByTestId("commit-count")).toHaveText("9/500");

  // A reference to a prompt that does not exist passes the form's rules; the server's refusal
  // comes back under the prompt.
  await text.press("End");
  await text.pressSequentially(" @@@langfusePrompt:name=nope|label=production@@@");
  await expect(page.getByTestId("reference")).toHaveText(["nope (label production)"]);
  await submit.click();
  await expect(page.getByTestId("error-prompt")).toContainText("which does not exist");
  await expect(page).toHaveURL(new RegExp(`${NEW}$`));
  await text.fill("作为一个{{expertise_level}}的影评人，请评价电影《{{movie_name}}》");
  await expect(page.getByTestId("error-prompt")).toHaveCount(0, { timeout: 2_000 });

  // Ctrl+Enter sends; the prompt's page is next.
  await text.press("Control+Enter");
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/prompts/movie-critic\\?version=1$`));
  const saved = (await history(page, "movie-critic")).versions;
  expect(saved).toHaveLength(1);
  expect(saved[0].type).toBe("text");
  expect(saved[0].prompt).toBe("作为一个{{expertise_level}}的影评人，请评价电影《{{movie_name}}》");
  expect(saved[0].config).toEqual({ model: "gpt-4", temperature: 0.7 });
  expect([...saved[0].labels].sort()).toEqual(["latest", "production"]);
  expect([...saved[0].tags].sort()).toEqual(["cjk", "movies"]);
  expect(saved[0].commitMessage).toBe("First cut");
});

test("a chat prompt: placeholder, reordering, and a variable that clashes with the placeholder", async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);
  await openHydrated(page, NEW);
  await page.getByLabel("Name", { exact: true }).fill("support/chat-bot");
  await page.getByTestId("type-chat").check();
  const items = page.getByTestId("chat-item");
  await expect(items).toHaveCount(1);
  await expect(page.getByLabel("Role of message 1")).toHaveValue("system");
  await page.getByLabel("Content of message 1").fill("You are a {{tone}} movie critic.");

  await page.getByTestId("add-placeholder").click();
  // The new placeholder's name field has the focus.
  await page.keyboard.type("history");
  await page.getByTestId("add-message").click();
  await expect(page.getByLabel("Role of message 3")).toHaveValue("user");
  await page.getByLabel("Content of message 3").fill("{{question}}");
  await expect(page.getByTestId("variable-chip")).toHaveText(["tone", "question"]);
  await expect(page.getByTestId("placeholder-chip")).toHaveText(["history"]);

  const kinds = () => items.evaluateAll((els) => els.map((e) => e.getAttribute("data-kind")));
  // Move the user message up with a click, then back down with the keyboard: the focus stays
  // on the arrow that was used.
  await page.getByRole("button", { name: "Move message 3 up" }).click();
  expect(await kinds()).toEqual(["message", "message", "placeholder"]);
  await expect(page.getByLabel("Content of message 2")).toHaveValue("{{question}}");
  const down = page.getByRole("button", { name: "Move message 2 down" });
  await down.focus();
  await page.keyboard.press("Enter");
  expect(await kinds()).toEqual(["message", "placeholder", "message"]);
  await expect(page.getByRole("button", { name: "Move message 3 down" })).toBeDisabled();
  await expect(page.getByRole("button", { name: "Move message 3 up" })).toBeFocused();
  await expect(page.getByLabel("Content of message 3")).toHaveValue("{{question}}");

  // A variable named like the placeholder: compile() could not tell them apart.
  await page.getByLabel("Content of message 3").fill("{{history}}");
  await expect(page.getByTestId("error-prompt")).toContainText('"history" is both a variable and a placeholder');
  await expect(page.getByTestId("submit-prompt")).toBeDisabled();
  // A placeholder name must be variable-like; the problem is shown on its row.
  await page.getByLabel("Content of message 3").fill("{{question}}");
  await page.getByLabel("Placeholder name (item 2)").fill("9 lives");
  await expect(items.nth(1).getByTestId("error-item")).toContainText("starts with a letter");
  await page.getByLabel("Placeholder name (item 2)").fill("history");
  await expect(page.getByTestId("error-item")).toHaveCount(0);

  // An "other" role is typed freely.
  await page.getByTestId("add-message").click();
  await page.getByLabel("Role of message 4").selectOption("other");
  await page.getByLabel("Other role of message 4").fill("tool");
  await page.getByLabel("Content of message 4").fill("{}");
  await page.getByRole("button", { name: "Remove message 4" }).click();
  await expect(items).toHaveCount(3);

  await page.getByTestId("submit-prompt").click();
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/prompts/support/chat-bot\\?version=1$`));
  const saved = (await history(page, "support/chat-bot")).versions;
  expect(saved[0].type).toBe("chat");
  expect(saved[0].prompt).toEqual([
    { role: "system", content: "You are a {{tone}} movie critic." },
    { type: "placeholder", name: "history" },
    { role: "user", content: "{{question}}" },
  ]);
  expect(saved[0].labels).toEqual(["latest"]);
});

test("a new version of an existing prompt, and a duplicate", async ({ page }) => {
  await signIn(page, OWNER.email, OWNER.password);
  // Seed version 1 through the editor's own server function.
  const seeded = await page.request.post("/api/ui/create_prompt_version", {
    data: {
      project_id: PROJECT,
      prompt: { name: "greeting", prompt: "Hello {{name}}", config: { temperature: 0.2 }, labels: ["production"], tags: ["keep-me"] },
    },
  });
  expect(seeded.status(), await seeded.text()).toBe(200);

  await openHydrated(page, `${NEW}?name=greeting`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("New version of greeting");
  await expect(page.getByText("Creating version 2 of greeting")).toBeVisible();
  await expect(page.getByTestId("prompt-name")).toHaveCount(0);
  await expect(page.getByTestId("type-chat")).toHaveCount(0);
  const text = page.getByTestId("prompt-text");
  await expect(text).toHaveValue("Hello {{name}}");
  await expect(page.getByTestId("prompt-config")).toHaveValue('{\n  "temperature": 0.2\n}');
  await expect(page.getByTestId("keep-tags")).toBeChecked();
  await expect(page.getByTestId("current-tags")).toHaveText("keep-me");
  await expect(page.getByTestId("label-production")).not.toBeChecked();

  await text.fill("Hello {{name}}, welcome back to {{place}}");
  await expect(page.getByTestId("variable-chip")).toHaveText(["name", "place"]);
  await page.getByTestId("label-staging").check();
  await page.getByTestId("prompt-custom-labels").fill("latest");
  await expect(page.getByTestId("error-labels")).toContainText("always assigned to the latest");
  await page.getByTestId("prompt-custom-labels").fill("canary");
  await page.getByTestId("submit-prompt").click();
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/prompts/greeting\\?version=2$`));

  const versions = (await history(page, "greeting")).versions;
  expect(versions.map((v) => v.version)).toEqual([2, 1]);
  expect(versions[0].prompt).toBe("Hello {{name}}, welcome back to {{place}}");
  expect([...versions[0].labels].sort()).toEqual(["canary", "latest", "staging"]);
  expect(versions[0].tags).toEqual(["keep-me"]);
  expect(versions[1].labels).toEqual(["production"]);

  // `&version=1` starts from version 1; a duplicate gets a new name and keeps the content.
  await openHydrated(page, `${NEW}?name=greeting&version=1`);
  await expect(page.getByText("Creating version 3 of greeting, starting from version 1.")).toBeVisible();
  await expect(page.getByTestId("prompt-text")).toHaveValue("Hello {{name}}");
  await openHydrated(page, `${NEW}?from=greeting&version=2`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Duplicate greeting");
  await expect(page.getByTestId("prompt-name")).toHaveValue("greeting-copy");
  await expect(page.getByTestId("prompt-text")).toHaveValue("Hello {{name}}, welcome back to {{place}}");
  await page.getByTestId("submit-prompt").click();
  await expect(page).toHaveURL(new RegExp(`/project/${PROJECT}/prompts/greeting-copy\\?version=1$`));
  expect((await history(page, "greeting-copy")).versions[0].config).toEqual({ temperature: 0.2 });

  // A prompt that does not exist cannot get a new version.
  await openHydrated(page, `${NEW}?name=nothing-here`);
  await expect(page.getByTestId("form-error")).toContainText("nothing-here");
});
