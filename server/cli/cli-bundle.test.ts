/**
 * The `statescope` command's bundle cache (cli-bundle.cjs), on a small project of its own in a temp
 * folder: built once, reused while its sources are unchanged, rebuilt when one changes, safe when
 * several processes build at once, and an error (so bin.cjs falls back to tsx) when esbuild fails.
 */
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), "cli-bundle.cjs");
const { ensureBundle } = createRequire(import.meta.url)(MODULE) as {
  ensureBundle(o: { root: string; entry: string }): { file: string; built: boolean };
};

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A project whose main.ts prints a greeting from lib.ts, lazily imports late.ts, and finds its root from import.meta.url. */
function project(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "cli-bundle-"));
  dirs.push(root);
  fs.mkdirSync(path.join(root, "src"));
  fs.writeFileSync(path.join(root, "package.json"), JSON.stringify({ type: "module" }));
  fs.writeFileSync(path.join(root, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true } }));
  fs.writeFileSync(path.join(root, "src", "lib.ts"), `export const greeting: string = "one";\n`);
  fs.writeFileSync(path.join(root, "src", "late.ts"), `export const late: number = 7;\n`);
  fs.writeFileSync(
    path.join(root, "src", "main.ts"),
    [
      `import path from "node:path";`,
      `import { fileURLToPath } from "node:url";`,
      `import { greeting } from "./lib";`,
      `const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");`,
      `const { late } = await import("./late");`,
      `console.log(JSON.stringify({ greeting, late, root }));`,
    ].join("\n"),
  );
  // written long ago: a source changed within seconds of a build is not trusted (cli-bundle.cjs)
  for (const f of ["tsconfig.json", "src/lib.ts", "src/late.ts", "src/main.ts"]) fs.utimesSync(path.join(root, f), new Date(1e12), new Date(1e12));
  return root;
}

const run = (file: string) => JSON.parse(execFileSync(process.execPath, [file], { encoding: "utf8" })) as { greeting: string; late: number; root: string };

/** Sets a file's content, as an editor's save does (its mtime is now). */
function edit(file: string, content: string) {
  fs.writeFileSync(file, content);
}

describe("cli-bundle", () => {
  it("builds the bundle once and reuses it while no source changed; the bundle finds the project root as main.ts does", () => {
    const root = project();
    const first = ensureBundle({ root, entry: "src/main.ts" });
    expect(first.built).toBe(true);
    expect(run(first.file)).toEqual({ greeting: "one", late: 7, root: fs.realpathSync(root) });
    const second = ensureBundle({ root, entry: "src/main.ts" });
    expect(second).toEqual({ file: first.file, built: false });
  });

  it("rebuilds when any source it was built from changes, including a lazily imported one", () => {
    const root = project();
    const first = ensureBundle({ root, entry: "src/main.ts" });

    edit(path.join(root, "src", "lib.ts"), `export const greeting: string = "two";\n`);
    const second = ensureBundle({ root, entry: "src/main.ts" });
    expect(second.built).toBe(true);
    expect(second.file).not.toBe(first.file);
    expect(run(second.file).greeting).toBe("two");

    fs.utimesSync(path.join(root, "src", "lib.ts"), new Date(1e12), new Date(1e12)); // settled: the next build records it
    expect(ensureBundle({ root, entry: "src/main.ts" }).built).toBe(true); // its record was not kept (lib.ts was seconds old)
    edit(path.join(root, "src", "late.ts"), `export const late: number = 8;\n`);
    const third = ensureBundle({ root, entry: "src/main.ts" });
    expect(third.built).toBe(true);
    expect(run(third.file).late).toBe(8);
    fs.utimesSync(path.join(root, "src", "late.ts"), new Date(1e12), new Date(1e12));
    const fourth = ensureBundle({ root, entry: "src/main.ts" });
    expect(fourth).toEqual({ file: third.file, built: true }); // same sources, same bundle; now recorded
    expect(ensureBundle({ root, entry: "src/main.ts" })).toEqual({ file: third.file, built: false });
  });

  it("leaves a working bundle and record when several processes build at once", async () => {
    const root = project();
    const script = `const { ensureBundle } = require(${JSON.stringify(MODULE)}); process.stdout.write(ensureBundle({ root: ${JSON.stringify(root)}, entry: "src/main.ts" }).file);`;
    const files = await Promise.all(
      Array.from({ length: 4 }, () => new Promise<string>((resolve, reject) => execFile(process.execPath, ["-e", script], (err, out) => (err ? reject(err) : resolve(out))))),
    );
    expect(new Set(files).size).toBe(1); // the same sources make the same bundle
    expect(run(files[0]!)).toMatchObject({ greeting: "one", late: 7 });
    expect(fs.readdirSync(path.join(root, ".cache")).filter((e) => e.endsWith(".tmp"))).toEqual([]);
  });

  it("throws when esbuild cannot build the sources (bin.cjs then runs them through tsx), and keeps no record", () => {
    const root = project();
    edit(path.join(root, "src", "lib.ts"), `export const greeting: string = ;\n`);
    expect(() => ensureBundle({ root, entry: "src/main.ts" })).toThrow(/Build failed|Unexpected/);
    expect(fs.existsSync(path.join(root, ".cache", "cli.json"))).toBe(false);
  });
});
