import fs from "node:fs";
import { defineConfig, devices } from "@playwright/test";
import { CHROMIUM_ARGS } from "./tests/chromium-args";

/**
 * End-to-end tests against the production build, started like `npm start`
 * but on its own data dir and ports. The browser is Debian's Chromium (or
 * CHROMIUM_PATH); where neither exists, Playwright's own browser is used.
 */
const port = Number(process.env.E2E_PORT ?? 3100);
const syncPort = Number(process.env.E2E_SYNC_PORT ?? 1334);
const chromium = process.env.CHROMIUM_PATH ?? (fs.existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);

export default defineConfig({
  testDir: "tests/e2e",
  testMatch: /.*\.e2e\.ts$/,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  // a committed test.only would silently skip every other test
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          ...(chromium ? { executablePath: chromium } : {}),
          args: CHROMIUM_ARGS,
        },
      },
    },
  ],
  webServer: {
    command: "node --import tsx tests/e2e/start-server.ts",
    url: `http://127.0.0.1:${port}/api/trpc/health`,
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      PORT: String(port),
      SYNC_PORT: String(syncPort),
      HOSTNAME: "127.0.0.1",
      SYNC_HOST: "127.0.0.1",
      STATESCOPE_DATA_DIR: ".test-data/e2e",
      EMBEDDED_PG_PORT: process.env.E2E_PG_PORT ?? "54500",
      // small enough that tests can stream past it (edge.e2e.ts); every fixture is far below
      UPLOAD_MAX_BYTES: String(32 * 1024 * 1024),
    },
  },
});
