// Lint: TypeScript rules plus the architecture boundaries from style.md —
// nothing under packages/, server/services, workers/ or server/sync imports
// tRPC or Next.js, and nothing under packages/ or server/ imports workers/
// (imports never point up: job definitions live in server/jobs, beside the
// services that enqueue them; workers/ only holds the handlers).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const FRAMEWORK_IMPORTS = {
  patterns: [
    { group: ["@trpc/*"], message: "tRPC belongs to server/api and app/ only (see style.md: thin routers over services)." },
    { group: ["next", "next/*", "next-auth", "next-auth/*"], message: "Next.js belongs to app/ and server/auth only." },
  ],
};

const UPWARD_IMPORTS = [
  { regex: "^(@/|(\\.\\.?/)+)workers(/|$)", message: "server/ and packages/ never import workers/ (job handlers only): job definitions live in server/jobs; tests start a worker with tests/setup/worker.ts." },
];

export default tseslint.config(
  { ignores: ["node_modules/**", ".next/**", ".cache/**", "prisma/generated/**", ".data/**", ".test-data/**", "test-results/**", "playwright-report/**", "next-env.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly", __dirname: "readonly", require: "readonly", module: "writable", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", fetch: "readonly", globalThis: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
    },
  },
  {
    // a committed .only silently skips every other test (CI also refuses it: forbidOnly, allowOnly)
    files: ["**/*.test.ts", "**/*.e2e.ts"],
    rules: {
      "no-restricted-properties": [
        "error",
        ...["describe", "it", "test"].map((object) => ({ object, property: "only", message: "remove .only before committing" })),
      ],
    },
  },
  {
    files: ["**/*.cjs"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  // one no-restricted-imports setting per file: a later config object replaces an earlier one's
  {
    files: ["packages/**", "server/services/**", "server/sync/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [...FRAMEWORK_IMPORTS.patterns, ...UPWARD_IMPORTS] }] },
  },
  {
    files: ["server/**"],
    ignores: ["server/services/**", "server/sync/**"],
    rules: { "no-restricted-imports": ["error", { patterns: UPWARD_IMPORTS }] },
  },
  {
    files: ["workers/**"],
    rules: { "no-restricted-imports": ["error", FRAMEWORK_IMPORTS] },
  },
  // the explorer knows its add-ons (the realtime room, the team's records, the analysis) only through its slots
  {
    files: ["app/_components/explorer/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ regex: "(^@/app/_components/|^\\.\\./)(room|records|analysis)(/|$)", message: "The explorer takes add-ons through ExplorerSlots (slots.ts); the page that puts it together imports room/, records/ and analysis/." }] },
      ],
    },
  },
);
