import { defineConfig } from "@playwright/test";

// Started by scripts/test, which builds the binary and the site and picks a fresh data directory.
const port = Number(process.env.E2E_PORT ?? 3987);
const baseURL = `http://127.0.0.1:${port}`;
const loupeBin = process.env.LOUPE_BIN ?? "../target/debug/loupe";
const dataDir = process.env.E2E_DATA_DIR;
// The fake LLM provider (testkit/fake-llm) the playground tests run prompts against.
const fakeLlmBin = process.env.FAKE_LLM_BIN ?? "../target/debug/fake-llm";
const fakeLlmPort = Number(process.env.E2E_FAKE_LLM_PORT ?? 3989);
if (!dataDir) {
  throw new Error("E2E_DATA_DIR must name a fresh, world-traversable directory (scripts/test creates one)");
}

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      // Debian's Chromium; Playwright's own browser download is not available here.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: [{
    command: `${fakeLlmBin} ${fakeLlmPort}`,
    url: `http://127.0.0.1:${fakeLlmPort}/requests`,
    timeout: 30_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
  }, {
    command: `${loupeBin} --addr 127.0.0.1:${port} --data-dir ${dataDir}`,
    url: `${baseURL}/api/public/health`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      LOUPE_LOG: "warn",
      LOUPE_PG_UNSAFE_FAST: "true",
      LANGFUSE_INIT_ORG_ID: "e2e-org",
      LANGFUSE_INIT_ORG_NAME: "E2E Org",
      LANGFUSE_INIT_PROJECT_ID: "e2e-project",
      LANGFUSE_INIT_PROJECT_NAME: "E2E Project",
      LANGFUSE_INIT_PROJECT_PUBLIC_KEY: "pk-lf-e2e",
      LANGFUSE_INIT_PROJECT_SECRET_KEY: "sk-lf-e2e-secret",
      LANGFUSE_INIT_USER_EMAIL: "owner@e2e.test",
      LANGFUSE_INIT_USER_PASSWORD: "e2e-password",
    },
  }],
});
