import { expect, test, type Page } from "@playwright/test";
import { OWNER, PROJECT, openHydrated, signIn } from "./fixtures";

// Accounts and teams in a real browser: signing up, creating an organization and project, an API
// key whose secret is shown once, inviting a second person (in a second browser context) who
// joins with the right role, and what a Viewer may not do.
test.describe.configure({ timeout: 90_000 });

const PASSWORD = "a long enough passphrase";

async function signUp(page: Page, email: string, name: string) {
  await openHydrated(page, "/sign-up");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
}

test("sign up, create an organization and project, and an API key shown once", async ({ page, request }) => {
  const email = `founder-${Date.now()}@e2e.test`;
  // Weak passwords are explained while typing, and the form cannot be sent.
  await openHydrated(page, "/sign-up");
  await page.getByLabel("Password").fill("short");
  await expect(page.getByTestId("password-problems")).toContainText("Use at least 8 characters.");
  await expect(page.getByRole("button", { name: "Create account" })).toBeDisabled();

  await signUp(page, email, "Founder");
  await expect(page).toHaveURL(/\/$/);
  // A new document after signing up: wait for it to hydrate before using its forms.
  await expect(page.getByTestId("onboarding")).toBeVisible();
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached({ timeout: 20_000 });
  await page.getByLabel("Organization name").fill("Founders Inc");
  await page.getByLabel("First project").fill("Support Bot");
  await page.getByRole("button", { name: "Create organization and project" }).click();

  // The new project's settings open, and the switcher knows the project.
  await expect(page).toHaveURL(/\/project\/[0-9a-f]+\/settings\?created=1$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Support Bot settings");
  await expect(page.getByTestId("current-project")).toHaveText("Founders Inc / Support Bot");
  await expect(page.getByTestId("no-api-keys")).toBeVisible();

  await page.getByTestId("create-api-key").click();
  const secret = (await page.getByTestId("new-secret-key").textContent())!;
  const publicKey = (await page.getByTestId("new-public-key").textContent())!;
  expect(secret).toMatch(/^sk-lf-[0-9a-f-]{36}$/);
  expect(publicKey).toMatch(/^pk-lf-[0-9a-f-]{36}$/);
  const host = new URL(page.url()).origin;
  await expect(page.getByTestId("env-snippet")).toHaveText(
    `LANGFUSE_PUBLIC_KEY="${publicKey}"\nLANGFUSE_SECRET_KEY="${secret}"\nLANGFUSE_HOST="${host}"\n`,
  );
  // The key works against the public API right away.
  const auth = Buffer.from(`${publicKey}:${secret}`).toString("base64");
  const projects = await request.get("/api/public/projects", { headers: { Authorization: `Basic ${auth}` } });
  expect(projects.status()).toBe(200);
  expect((await projects.json()).data[0].name).toBe("Support Bot");

  // Dismissed, the secret is gone for good: the list shows it masked, and a reload never has it.
  await page.getByTestId("dismiss-api-key").click();
  await expect(page.getByTestId("new-api-key")).toHaveCount(0);
  await expect(page.getByTestId("masked-secret")).toHaveText(`sk-lf-...${secret.slice(-4)}`);
  await page.reload();
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached({ timeout: 20_000 });
  await expect(page.getByTestId("api-key-row")).toHaveCount(1);
  expect(await page.content()).not.toContain(secret);

  // The organization's audit log recorded it all.
  await page.getByTestId("project-switcher").click();
  await page.getByTestId("project-menu").getByRole("link", { name: "Settings" }).click();
  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByTestId("audit-row").first()).toContainText("api_key.create");
  await expect(page.getByTestId("audit-table")).toContainText("organization.create");
  await expect(page.getByTestId("audit-table")).toContainText(email);

  // Signing out ends the session: project pages lead back to sign-in.
  await page.getByTestId("user-menu").click();
  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto(`/project/${PROJECT}/traces`);
  await expect(page).toHaveURL(/\/sign-in\?next=/);
});

test("an invited person joins in another browser with the role they were given", async ({ page, browser }) => {
  await signIn(page, OWNER.email, OWNER.password);
  await openHydrated(page, "/organization/e2e-org/members");
  const invitee = `viewer-${Date.now()}@e2e.test`;
  await page.getByLabel("Email").fill(invitee);
  await page.getByLabel("Role", { exact: true }).selectOption("VIEWER");
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  const link = (await page.getByTestId("invitation-link").textContent())!;
  expect(link).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
  await expect(page.getByTestId("invitations")).toContainText(invitee);

  // A second person, in a browser context of their own.
  const other = await browser.newContext();
  const second = await other.newPage();
  await openHydrated(second, new URL(link).pathname);
  await expect(second.getByTestId("invitation-summary")).toContainText("to join E2E Org as Viewer");
  await second.getByTestId("sign-up-to-accept").click();
  await expect(second.locator("body[data-hydrated=true]")).toBeAttached({ timeout: 20_000 });
  await expect(second.getByLabel("Email")).toHaveValue(invitee);
  await second.getByLabel("Name").fill("Vera Viewer");
  await second.getByLabel("Password").fill(PASSWORD);
  await second.getByRole("button", { name: "Create account" }).click();

  // They see the organization's project, as a Viewer.
  await expect(second).toHaveURL(/\/$/);
  const card = second.getByTestId("organization-card").filter({ hasText: "E2E Org" });
  await expect(card).toContainText("Your role: Viewer");
  await card.getByTestId("project-link").filter({ hasText: "E2E Project" }).click();
  // A project opens on its home dashboard (#22).
  await expect(second).toHaveURL(new RegExp(`/project/${PROJECT}$`));

  // A Viewer cannot create API keys: the page says so and offers no button.
  await openHydrated(second, `/project/${PROJECT}/settings`);
  await expect(second.getByTestId("api-keys-not-allowed")).toContainText("Your role (Viewer) may not manage API keys");
  await expect(second.getByTestId("create-api-key")).toHaveCount(0);
  // Nor through the server function directly.
  const direct = await second.request.post("/api/ui/create_api_key", {
    form: { project_id: PROJECT },
    headers: { Origin: new URL(second.url()).origin },
  });
  expect(direct.status()).toBe(403);

  // The owner sees the new member, with the role given.
  await page.reload();
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached({ timeout: 20_000 });
  await expect(page.getByTestId("member-row").filter({ hasText: invitee })).toContainText("Vera Viewer");
  await expect(page.getByTestId("invitations").filter({ hasText: invitee })).toHaveCount(0);
  // The only Owner cannot leave; the page says so before the server would.
  const leave = page.getByTestId("member-row").filter({ hasText: OWNER.email }).getByRole("button", { name: "Leave" });
  await expect(leave).toBeDisabled();
  await expect(leave).toHaveAttribute("title", /last Owner/);

  // The link is used up.
  const third = await browser.newContext();
  const stranger = await third.newPage();
  await openHydrated(stranger, new URL(link).pathname);
  await expect(stranger.getByTestId("invitation-problem")).toContainText("already been used");
  await other.close();
  await third.close();
});

test("wrong credentials say so without saying which one was wrong", async ({ page }) => {
  await openHydrated(page, "/sign-in");
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("form-error")).toContainText("Wrong email or password.");
  await expect(page).toHaveURL(/\/sign-in$/);
});
