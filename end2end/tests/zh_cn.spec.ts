import { expect, test, type Page } from "@playwright/test";
import { OWNER, layoutPages, openHydrated, overflow, seedLayoutData, signIn } from "./fixtures";

// The UI in Simplified Chinese (issue #17). Runs last (files run in name order), when the other
// specs have filled the project with data. A browser that asks for Chinese gets every page in
// Chinese from the first HTML on; no English UI text is left on any page; a person's choice in
// the account menu is kept with the account.

const PASSWORD = "a long enough passphrase";

/**
 * Text on the page that reads as English UI chrome: a visible text node or a label-like attribute
 * with Latin words and no Chinese, outside what shows data rather than the UI (code, inputs,
 * monospace ids and values, anything marked `translate="no"`).
 */
async function englishChrome(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const DATA = 'script, style, code, pre, kbd, textarea, input, select option[value]:not([value=""]), svg, [translate="no"], .font-mono';
    const CJK = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]/;
    // Names that are the same in both languages (products, protocols, units).
    const SAME = /^(Loupe|Langfuse|OpenTelemetry|OTLP|OTel|SDK|SDKs|API|JSON|LLM|UTC|Token|Tokens|Span|Python|JS|TypeScript|English|ID|URL|HTTP|Σ|v?\d[\d.,:\s%$µμmsh-]*)$/i;
    const looksEnglish = (text: string) => {
      const t = text.trim();
      if (!t || CJK.test(t) || !/[A-Za-z]{3,}/.test(t)) return false;
      // A single token with digits, dots, dashes, slashes, @ or underscores is an id or a value.
      if (!/\s/.test(t) && /[\d@._\/:-]/.test(t)) return false;
      return !t.split(/[\s·,()]+/).filter(Boolean).every((word) => SAME.test(word));
    };
    const hidden = (el: Element) => {
      const style = getComputedStyle(el);
      return style.display === "none" || style.visibility === "hidden" || (el as HTMLElement).offsetParent === null && style.position !== "fixed";
    };
    const found = new Set<string>();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || el.closest(DATA) || hidden(el)) continue;
      if (looksEnglish(node.textContent ?? "")) found.add(`text: ${node.textContent!.trim().slice(0, 80)}`);
    }
    for (const el of Array.from(document.body.querySelectorAll("[placeholder], [aria-label], [title]"))) {
      if (el.closest('[translate="no"], code, pre')) continue;
      for (const name of ["placeholder", "aria-label", "title"]) {
        const value = el.getAttribute(name);
        // A title that repeats data (an id, a full timestamp) is data too.
        if (value && looksEnglish(value) && !(name === "title" && el.closest(DATA))) found.add(`${name}: ${value.slice(0, 80)}`);
      }
    }
    const title = document.title.replace(/ · Loupe$/, "");
    if (looksEnglish(title)) found.add(`document title: ${title}`);
    return [...found];
  });
}

test("a Chinese browser gets every page in Chinese, with nothing left in English", async ({ browser, request }, testInfo) => {
  test.setTimeout(240_000);
  await seedLayoutData(request);
  // In dark mode (the system's choice, which Loupe follows by default): the screenshots show both
  // at once, and English reviews covered light mode.
  const context = await browser.newContext({ locale: "zh-CN", colorScheme: "dark" });
  const page = await context.newPage();
  // Signed out: the sign-in page follows Accept-Language.
  const { response } = await openHydrated(page, "/sign-in");
  expect(await response?.text()).toContain('lang="zh"');
  expect(await englishChrome(page), "/sign-in").toEqual([]);
  await page.locator("#email").fill(OWNER.email);
  await page.locator("#password").fill(OWNER.password);
  await page.locator('[data-testid="sign-in-form"] button[type="submit"]').click();
  await expect(page).not.toHaveURL(/\/sign-in/);
  const problems: string[] = [];
  for (const [name, path] of await layoutPages(page)) {
    const { response, errors } = await openHydrated(page, path);
    expect(response?.status(), path).toBe(200);
    expect(errors, path).toEqual([]);
    await expect(page.locator("html")).toHaveAttribute("lang", "zh");
    await expect(page.locator("html")).toHaveClass(/\bdark\b/);
    // Let lists and panels load before reading them.
    await page.waitForLoadState("networkidle");
    for (const text of await englishChrome(page)) problems.push(`${path} → ${text}`);
    await page.screenshot({ path: testInfo.outputPath(`zh-dark-${name}-1440.png`), fullPage: true });
    // The tightest place: a phone. Chinese labels must fit as the English ones do.
    await page.setViewportSize({ width: 390, height: 844 });
    const o = await overflow(page);
    expect(o, `${path} at 390 px in Chinese sticks out: ${o.culprit}`).toEqual({ page: 0, main: 0, culprit: "" });
    await page.screenshot({ path: testInfo.outputPath(`zh-dark-${name}-390.png`), fullPage: true });
    await page.setViewportSize({ width: 1440, height: 900 });
  }
  expect(problems, "English UI text on Chinese pages").toEqual([]);
  await context.close();
});

test("the language chosen in the account menu is kept with the account", async ({ browser }) => {
  const email = `zh-${Date.now()}@e2e.test`;
  const first = await browser.newContext({ locale: "en-US" });
  const page = await first.newPage();
  await openHydrated(page, "/sign-up");
  await page.getByLabel("Name").fill("Mei");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached({ timeout: 20_000 });
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  // Choose 简体中文: the page reloads in Chinese.
  await page.getByTestId("user-menu").click();
  await page.getByTestId("language-zh").click();
  await expect(page.locator("html")).toHaveAttribute("lang", "zh");
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached({ timeout: 20_000 });
  await expect(page.getByTestId("user-menu")).toBeVisible();
  // Signed out and in again, in another English browser: still Chinese.
  await page.getByTestId("user-menu").click();
  await page.getByTestId("sign-out").click();
  await expect(page).toHaveURL(/\/sign-in/);
  await first.close();
  const second = await browser.newContext({ locale: "en-US" });
  const again = await second.newPage();
  await signIn(again, email, PASSWORD);
  await expect(again.locator("html")).toHaveAttribute("lang", "zh");
  await again.getByTestId("user-menu").click();
  await expect(again.getByTestId("language-zh")).toHaveAttribute("aria-pressed", "true");
  // Back to following the browser: English again.
  await again.getByTestId("language-browser").click();
  await expect(again.locator("html")).toHaveAttribute("lang", "en");
  await second.close();
});
