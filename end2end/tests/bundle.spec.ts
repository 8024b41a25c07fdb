import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { AUTH, OWNER, PROJECT, signIn } from "./fixtures";

type StorageState = Awaited<ReturnType<BrowserContext["storageState"]>>;

// The split browser bundle (issue #16): a first visit loads the main bundle and the page's own
// area — its modules in one pack (xtask/src/pack.rs) — from the content-addressed build
// directory, cached for good; other areas load when one of their pages is opened, as one pack of
// what they need beyond the first area. Sizes are checked by `xtask budget` (scripts/test); this checks what
// the browser really fetches, and reports the first-visit hydration time (docs/BENCHMARKS.md;
// no timing assert: machines are shared).

const IMMUTABLE = "public, max-age=31536000, immutable";

type Fetched = { url: string; bytes: number; cacheControl: string | undefined; encoding: string | undefined };

/** Records the bundle files (/pkg/…) a page fetches, with their encoded sizes. */
function recordBundle(page: Page): Fetched[] {
  const fetched: Fetched[] = [];
  page.on("requestfinished", async (request) => {
    const url = new URL(request.url());
    if (!url.pathname.startsWith("/pkg/")) return;
    const response = await request.response();
    const sizes = await request.sizes();
    const headers = response?.headers() ?? {};
    fetched.push({ url: url.pathname, bytes: sizes.responseBodySize, cacheControl: headers["cache-control"], encoding: headers["content-encoding"] });
  });
  return fetched;
}

/** Milliseconds from navigation start to the hydration marker. */
async function hydrationMs(page: Page): Promise<number> {
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached({ timeout: 20_000 });
  return page.evaluate(() => (window as unknown as { __hydratedAt: number }).__hydratedAt);
}

const MARK_HYDRATION = () => {
  new MutationObserver((_, observer) => {
    if (document.body?.getAttribute("data-hydrated") === "true") {
      (window as unknown as { __hydratedAt: number }).__hydratedAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-hydrated"] });
};

/** Five cold visits of `path` (fresh contexts signed in with `state`): the bundle files the first
 *  one fetched and each visit's hydration time. `afterLast` runs in the last visit's page. */
async function coldVisits(browser: Browser, state: StorageState, path: string, afterLast?: (page: Page, fetched: Fetched[]) => Promise<void>) {
  const samples: number[] = [];
  let firstVisit: Fetched[] = [];
  for (let run = 0; run < 5; run++) {
    const fresh = await browser.newContext({ storageState: state });
    const visit = await fresh.newPage();
    await visit.addInitScript(MARK_HYDRATION);
    const fetched = recordBundle(visit);
    await visit.goto(path);
    samples.push(await hydrationMs(visit));
    await visit.waitForLoadState("networkidle");
    if (run === 0) firstVisit = [...fetched];
    if (run === 4 && afterLast) await afterLast(visit, fetched);
    await fresh.close();
  }
  return { firstVisit, samples };
}

/** Checks a first visit fetched the main bundle and exactly one area's pack, `area`'s, then at
 *  most the packs of the tools a page opens at once (`pack_<tool>_after_<area>`), never a module
 *  by itself, all from the build directory, compressed and cached for good; returns the report
 *  line. */
function checkFirstVisit(what: string, area: string, { firstVisit, samples }: { firstVisit: Fetched[]; samples: number[] }): string {
  const wasm = firstVisit.filter((f) => f.url.endsWith(".wasm")).map((f) => f.url);
  expect(wasm.some((url) => url.endsWith("/loupe_bg.wasm")), wasm.join(", ")).toBe(true);
  const packs = wasm.filter((url) => /\/pack_/.test(url));
  expect(packs.filter((url) => !/_after_/.test(url)), `${what}: the page's area arrives as one pack`).toEqual([
    expect.stringMatching(new RegExp(`/pack_${area}_\\d+\\.wasm$`)),
  ]);
  // A tool's pack after the area (not another area's: that is for navigation).
  for (const url of packs.filter((url) => /_after_/.test(url))) expect(url, `${what}: a tool's pack`).toMatch(new RegExp(`/pack_(?!\\w*_area_\\d+_after_)\\w+_after_${area}_\\d+\\.wasm$`));
  // Every module the page needs came out of a pack: none was fetched by itself.
  expect(wasm.filter((url) => /\/(split|chunk)_/.test(url)), `${what}: modules fetched one by one`).toEqual([]);
  for (const file of firstVisit) {
    expect(file.url, "every bundle file comes from the build directory").toMatch(/^\/pkg\/[0-9a-f]{16}\//);
    expect(file.cacheControl, file.url).toBe(IMMUTABLE);
    // Sent compressed (the release build's precompressed variant: brotli where the browser asks
    // for it, else gzip), never the raw module.
    if (file.url.endsWith(".wasm")) expect(["br", "gzip"], file.url).toContain(file.encoding);
  }
  const total = firstVisit.reduce((sum, f) => sum + f.bytes, 0);
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const encodings = [...new Set(firstVisit.map((f) => f.encoding ?? "none"))].join("/");
  return `first visit of ${what}: ${firstVisit.length} bundle files (${packs.length} packs), ${(total / 1024).toFixed(1)} KB transferred (${encodings}); hydrated after ${samples.map((s) => s.toFixed(0)).join(", ")} ms (median ${median.toFixed(0)} ms)`;
}

test("a first visit loads the main bundle and its own area, cached for good", async ({ browser, request }) => {
  test.setTimeout(240_000);
  // A trace to open: the page the SDKs' trace links land on.
  const trace = `bundle.trace-${Date.now()}`;
  const ingested = await request.post("/api/public/ingestion", {
    headers: { Authorization: AUTH },
    data: { batch: [{ id: `${trace}-e`, type: "trace-create", timestamp: new Date().toISOString(), body: { id: trace, name: "bundle", input: "q", output: "a" } }] },
  });
  expect(ingested.status()).toBe(207);
  // Sign in once; each visit below is a fresh browser context (an empty cache) with that cookie.
  const signingIn = await browser.newContext();
  await signIn(await signingIn.newPage(), OWNER.email, OWNER.password);
  const state = await signingIn.storageState();
  await signingIn.close();

  const list = await coldVisits(browser, state, `/project/${PROJECT}/traces`, async (visit, fetched) => {
    // Other areas load on navigation, client-side, each as one pack of what it needs beyond the
    // first area: a trace from the list (with the comment thread's tool), then the prompts list.
    const wasmSince = (before: number) => fetched.slice(before).filter((f) => f.url.endsWith(".wasm")).map((f) => f.url);
    let before = fetched.length;
    await visit.locator(`a[href*="${trace}"]`).first().click();
    await expect(visit).toHaveURL(new RegExp(`/traces/${trace}`));
    await expect(visit.getByTestId("route-progress")).toHaveCount(0);
    // The trace's comment thread loads its tool right after the page: wait for the thread, so that
    // its pack is counted here and not as the prompts list's (networkidle alone can come first).
    await expect(visit.locator("[data-testid=comments][data-object-type=TRACE]").getByTestId("comments-empty")).toBeVisible();
    await visit.waitForLoadState("networkidle");
    const opened = wasmSince(before);
    expect(opened.filter((url) => /\/(split|chunk)_/.test(url)), "modules fetched one by one").toEqual([]);
    expect(opened.filter((url) => /details_area/.test(url)), `a trace's area, after the list's: ${opened.join(", ")}`).toEqual([
      expect.stringMatching(/\/pack_details_area_\d+_after_traces_area_\d+\.wasm$/),
    ]);
    before = fetched.length;
    await visit.locator('a[href$="/prompts"]').first().click();
    await expect(visit).toHaveURL(/\/prompts$/);
    await expect(visit).toHaveTitle(/^Prompts/);
    await visit.waitForLoadState("networkidle");
    const later = wasmSince(before);
    expect(later.filter((url) => /\/(split|chunk)_/.test(url)), "modules fetched one by one").toEqual([]);
    expect(later, `the prompts area loads when opened`).toEqual([expect.stringMatching(/\/pack_prompts_area_\d+_after_traces_area_\d+\.wasm$/)]);
  });
  const detail = await coldVisits(browser, state, `/project/${PROJECT}/traces/${encodeURIComponent(trace)}`);
  for (const report of [checkFirstVisit("the traces list", "traces_area", list), checkFirstVisit("a trace", "details_area", detail)]) {
    console.log(report);
    test.info().annotations.push({ type: "first visit", description: report });
  }
});

test("moving into another area shows a progress bar until its code has arrived", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, OWNER.email, OWNER.password, `/project/${PROJECT}/traces`);
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached();
  await expect(page.getByTestId("route-progress")).toHaveCount(0);
  // Hold the prompts area's code back for a moment, as a slow network would.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => { release = resolve; });
  await page.route(/prompts_area/, async (route) => { await held; await route.continue(); });
  await page.locator('a[href$="/prompts"]').first().click();
  await expect(page.getByTestId("route-progress")).toBeVisible();
  release();
  await expect(page).toHaveTitle(/^Prompts/);
  await expect(page.getByTestId("route-progress")).toHaveCount(0);
  await context.close();
});
