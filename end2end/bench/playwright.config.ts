import { defineConfig } from "@playwright/test";

// The waterfall benchmark (scripts/bench-waterfall starts the server and seeds the traces).
export default defineConfig({
  testDir: ".",
  testMatch: /.*\.bench\.ts/,
  timeout: 600_000,
  workers: 1,
  reporter: [["line"]],
  use: {
    baseURL: process.env.BENCH_URL,
    viewport: { width: 1600, height: 1000 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
});
