import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url));

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
          exclude: ["**/node_modules/**"],
          globalSetup: ["tests/setup/integration-db.ts"],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
