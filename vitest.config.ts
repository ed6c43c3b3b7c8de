import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * Integration files that run one at a time, after the others: each bounds how long something real
 * may take (a killed process back within 10 s, a burst of joins spread over a time window, a socket
 * closed within 5 s…), which a second test file busy beside it on a small machine could break.
 */
const SERIAL_INTEGRATION = [
  "server/cli/supervision.int.test.ts",
  "server/jobs/heartbeat.int.test.ts",
  "workers/killed-jobs.int.test.ts",
  "server/api/rate-limits.int.test.ts",
  "server/services/datasets/datasets.int.test.ts",
  "server/services/datasets/search-isolation.int.test.ts",
  "server/sync/server.int.test.ts",
  "server/sync/persistence.int.test.ts",
  "server/sync/admission.int.test.ts",
  "server/sync/join-burst.int.test.ts",
  "server/sync/classroom-presence.int.test.ts",
  "server/sync/presence-reconnect.int.test.ts",
];

export default defineConfig({
  resolve: {
    alias: [
      { find: "@statescope/core", replacement: r("./packages/core/src/index.ts") },
      { find: "@statescope/formats", replacement: r("./packages/formats/src/index.ts") },
      { find: "@statescope/collab", replacement: r("./packages/collab/src/index.ts") },
      { find: /^@\/(.*)$/, replacement: r("./") + "$1" },
    ],
  },
  test: {
    // a committed .only would silently skip every other test (vitest's default, stated)
    allowOnly: !process.env.CI,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/**/*.test.ts", "server/**/*.test.ts", "workers/**/*.test.ts", "tests/contracts/**/*.test.ts", "app/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
          // a hang guard, not a speed check (benchmarks measure speed): second-long tests take
          // several times longer on a machine shared by several test runs
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["**/*.int.test.ts"],
          exclude: ["**/node_modules/**", ...SERIAL_INTEGRATION],
          globalSetup: ["tests/setup/integration-db.ts"],
          // two files at a time: each has its own database (tests/setup/db.ts), temp folders and
          // free ports, and most of their time is spent waiting on processes and PostgreSQL
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: "integration-serial",
          include: SERIAL_INTEGRATION,
          exclude: ["**/node_modules/**"],
          globalSetup: ["tests/setup/integration-db.ts"],
          fileParallelism: false,
          sequence: { groupOrder: 2 },
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
