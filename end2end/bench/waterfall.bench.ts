// Measures, in Chromium, how long a trace page takes to become interactive and how smoothly its
// waterfall scrolls, for each trace named in BENCH_TRACES ("id:label,..."), BENCH_RUNS times.
// Prints one JSON line per run ("BENCH {...}"); scripts/bench-waterfall takes the medians.
import { test, expect } from "@playwright/test";

const project = process.env.BENCH_PROJECT ?? "bench";
const traces = (process.env.BENCH_TRACES ?? "").split(",").filter(Boolean).map((t) => t.split(":"));
const runs = Number(process.env.BENCH_RUNS ?? 5);

test("waterfall", async ({ page }) => {
  page.on("pageerror", (error) => console.log(`page error: ${error.message}`));
  page.on("console", (message) => message.type() === "error" && console.log(`console error: ${message.text().slice(0, 500)}`));
  await page.goto("/sign-in");
  await expect(page.locator("body[data-hydrated=true]")).toBeAttached({ timeout: 60_000 });
  await page.getByLabel("Email").fill(process.env.BENCH_EMAIL!);
  await page.getByLabel("Password").fill(process.env.BENCH_PASSWORD!);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/sign-in/);

  // Records when the first waterfall row exists in a hydrated page (interactive: the rows are
  // rendered by the hydrated app, so clicks and keys work from that moment).
  await page.addInitScript(() => {
    const w = window as any;
    w.__ready = null;
    const check = () => {
      if (w.__ready === null && document.body?.dataset.hydrated === "true" && document.querySelector("[data-testid=waterfall-row]")) {
        w.__ready = performance.now();
      }
    };
    new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
  });

  for (const [traceId, label] of traces) {
    for (let run = 0; run < runs; run++) {
      await page.goto(`/project/${project}/traces/${traceId}`);
      await page.waitForFunction(() => (window as any).__ready !== null, null, { timeout: 120_000, polling: 50 });
      const interactiveMs = await page.evaluate(() => (window as any).__ready);
      const count = await page.getByTestId("waterfall-count").textContent();

      // Scroll the whole tree in steps of ~45 rows per frame and record every frame's duration.
      const frames: number[] = await page.evaluate(async () => {
        const box = document.querySelector("[data-testid=waterfall]") as HTMLElement;
        const deltas: number[] = [];
        let last = performance.now();
        const steps = Math.min(300, Math.ceil(box.scrollHeight / 1200));
        for (let i = 0; i < steps; i++) {
          box.scrollTop = (i + 1) * Math.max(1200, (box.scrollHeight - box.clientHeight) / steps);
          await new Promise((r) => requestAnimationFrame(() => r(null)));
          const now = performance.now();
          deltas.push(now - last);
          last = now;
        }
        return deltas;
      });
      frames.sort((a, b) => a - b);
      const pct = (p: number) => frames[Math.min(frames.length - 1, Math.floor(frames.length * p))];

      // Back to the top, then select a row in the viewport and time its panel.
      await page.evaluate(async () => {
        (document.querySelector("[data-testid=waterfall]") as HTMLElement).scrollTop = 0;
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));
      });
      const rows = page.getByTestId("waterfall-row");
      const target = rows.nth(10);
      const name = await target.getAttribute("data-observation-id");
      const rowName = (await target.getByTestId("row-name").textContent())!;
      const t = Date.now();
      await target.click();
      await expect(page).toHaveURL(new RegExp(`observation=${name}`));
      await expect(page.getByTestId("observation-name")).toHaveText(rowName);
      const selectMs = Date.now() - t;

      // Collapse everything, then expand everything.
      let c = Date.now();
      await page.getByTestId("collapse-all").click();
      await expect(page.getByTestId("waterfall-count")).toContainText(" of ");
      const collapseMs = Date.now() - c;
      c = Date.now();
      await page.getByTestId("expand-all").click();
      await expect(page.getByTestId("waterfall-count")).not.toContainText(" of ");
      const expandMs = Date.now() - c;

      console.log("BENCH " + JSON.stringify({ label, run, count, interactiveMs, frameP50: pct(0.5), frameP95: pct(0.95), frameMax: frames[frames.length - 1], frames: frames.length, selectMs, collapseMs, expandMs }));
    }
  }
});
