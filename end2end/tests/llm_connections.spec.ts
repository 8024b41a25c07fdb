import { expect, test } from "@playwright/test";
import { AUTH, OWNER, PROJECT, openHydrated, signIn } from "./fixtures";

// LLM connections in the project's settings (issue #18): an Owner adds one, sees it listed by the
// end of its key only, replaces it under the same name, is told what is wrong at the field, and
// deletes it; the public API sees the same connections and never a secret.

const KEY = "sk-e2e-very-secret-4f2a";

test("an Owner adds, replaces and deletes an LLM connection; the key is never shown", async ({ page, request }) => {
  await signIn(page, OWNER.email, OWNER.password, `/project/${PROJECT}/settings`);
  await openHydrated(page, `/project/${PROJECT}/settings`);
  const section = page.getByTestId("llm-connections");
  await expect(section.getByTestId("no-llm-connections")).toBeVisible();

  await section.getByTestId("add-llm-connection").click();
  const form = section.getByTestId("llm-connection-form");
  await form.getByLabel("Name").fill("local-ollama");
  await form.getByLabel("API key").fill(KEY);
  // A base URL that is not http(s) is named at its field; nothing is stored.
  await form.getByLabel("Base URL").fill("ftp://models.local");
  await form.getByTestId("save-llm-connection").click();
  await expect(form.getByTestId("llm-error-base_url")).toContainText("is not an http or https URL");
  await form.getByLabel("Base URL").fill("http://localhost:11434/v1");
  await form.getByLabel("Custom models (one per line)").fill("qwen2.5:7b\nllama3.1");
  await form.getByLabel("Extra headers").fill("X-Team: search");
  await form.getByTestId("save-llm-connection").click();

  await expect(form).toHaveCount(0);
  const row = section.getByTestId("llm-connection-row");
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId("llm-connection-name")).toHaveText("local-ollama");
  await expect(row.getByTestId("llm-connection-key")).toHaveText("...4f2a");
  await expect(row).toContainText("qwen2.5:7b");
  await expect(row).toContainText("Headers: X-Team");
  expect(await page.content()).not.toContain(KEY);
  // "Test" makes one tiny call; nothing listens there, and the column says so in words.
  await row.getByTestId("test-llm-connection").click();
  await expect(row.getByTestId("llm-connection-test-result")).toContainText("could not be reached");

  // Replace: the name stays, the key is typed again.
  await row.getByTestId("edit-llm-connection").click();
  await expect(form.getByLabel("Name")).toHaveValue("local-ollama");
  await expect(form.getByLabel("Base URL")).toHaveValue("http://localhost:11434/v1");
  await form.getByLabel("API key").fill("sk-e2e-rotated-9b1c");
  await form.getByLabel("Extra headers").fill("");
  await form.getByTestId("save-llm-connection").click();
  await expect(row.getByTestId("llm-connection-key")).toHaveText("...9b1c");
  await expect(row).not.toContainText("X-Team");

  // The public API lists the same connection, without its secret.
  const listed = await request.get("/api/public/llm-connections", { headers: { Authorization: AUTH } });
  expect(listed.status()).toBe(200);
  const body = await listed.json();
  expect(body.data.map((c: { provider: string }) => c.provider)).toContain("local-ollama");
  expect(JSON.stringify(body)).not.toContain("sk-e2e-rotated-9b1c");

  page.once("dialog", (dialog) => dialog.accept());
  await row.getByTestId("delete-llm-connection").click();
  await expect(section.getByTestId("no-llm-connections")).toBeVisible();
});
