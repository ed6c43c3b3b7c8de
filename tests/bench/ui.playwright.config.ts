import fs from "node:fs";
import { defineConfig, devices } from "@playwright/test";
import { CHROMIUM_ARGS } from "../chromium-args";

/**
 * `npm run bench:ui`: the Select view's re-render time after a threshold change, measured in the
 * browser (Performance API) on the production build: select-view.bench.ts on the production
 * explorer page of a workspace dataset (signed in, team panel and room around it);
 * presence.bench.ts still on the bare explorer of /bench/select-view (bench pages on), whose
 * generated members' presence it needs.
 */
const port = Number(process.env.BENCH_PORT ?? 3150);
const chromium = process.env.CHROMIUM_PATH ?? (fs.existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);

export default defineConfig({
  testDir: ".",
  testMatch: /.*\.bench\.ts$/,
  timeout: 180_000,
  workers: 1,
  reporter: [["list"]],
  outputDir: "../../test-results/bench",
  use: { baseURL: process.env.BENCH_URL ?? `http://127.0.0.1:${port}` },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        viewport: { width: 1960, height: 1100 },
        launchOptions: { ...(chromium ? { executablePath: chromium } : {}), args: CHROMIUM_ARGS },
      },
    },
  ],
  webServer: process.env.BENCH_URL
    ? undefined
    : {
        command: "node --import tsx tests/e2e/start-server.ts",
        cwd: "../..",
        url: `http://127.0.0.1:${port}/api/trpc/health`,
        timeout: 600_000,
        reuseExistingServer: false,
        stdout: "pipe",
        env: {
          PORT: String(port),
          SYNC_PORT: String(Number(process.env.BENCH_SYNC_PORT ?? 1350)),
          HOSTNAME: "127.0.0.1",
          SYNC_HOST: "127.0.0.1",
          STATESCOPE_DATA_DIR: ".test-data/bench-ui",
          EMBEDDED_PG_PORT: process.env.BENCH_PG_PORT ?? "54550",
          STATESCOPE_BENCH_PAGES: "1",
        },
      },
});
