// Lint: TypeScript rules plus the architecture boundary from style.md —
// nothing under packages/, server/services, workers/ or server/sync imports
// tRPC or Next.js.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const FRAMEWORK_IMPORTS = {
  patterns: [
    { group: ["@trpc/*"], message: "tRPC belongs to server/api and app/ only (see style.md: thin routers over services)." },
    { group: ["next", "next/*", "next-auth", "next-auth/*"], message: "Next.js belongs to app/ and server/auth only." },
  ],
};

export default tseslint.config(
  { ignores: ["node_modules/**", ".next/**", "prisma/generated/**", ".data/**", ".test-data/**", "test-results/**", "playwright-report/**", "next-env.d.ts"] },
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
    files: ["**/*.cjs"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["packages/**", "server/services/**", "workers/**", "server/sync/**"],
    rules: { "no-restricted-imports": ["error", FRAMEWORK_IMPORTS] },
  },
);
