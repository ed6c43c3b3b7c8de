/**
 * The repository's import graph, as the TypeScript compiler resolves it (tsconfig paths, type-only
 * imports, re-exports and dynamic `import()` all count): no file reaches itself through its
 * imports, and imports flow one way — the packages' code imports only packages (their tests may
 * use tests/fixtures), nothing under server/ or packages/ imports the job handlers in workers/,
 * and nothing under server/, packages/ or workers/ imports the pages in app/.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Every TypeScript file tsconfig.json compiles, minus generated code. */
function projectFiles(): string[] {
  const config = ts.readConfigFile(path.join(REPO_ROOT, "tsconfig.json"), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO_ROOT);
  const generated = /^(\.next|prisma\/generated)\/|\.d\.ts$/;
  return parsed.fileNames.filter((f) => !generated.test(path.relative(REPO_ROOT, f)));
}

/** file (relative to the repo) → the repo files it imports */
function importGraph(): Map<string, string[]> {
  const config = ts.readConfigFile(path.join(REPO_ROOT, "tsconfig.json"), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO_ROOT);
  const files = projectFiles();
  const inRepo = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const targets = new Set<string>();
    for (const { fileName } of importedFiles) {
      const resolved = ts.resolveModuleName(fileName, file, options, ts.sys).resolvedModule?.resolvedFileName;
      if (resolved && inRepo.has(resolved)) targets.add(path.relative(REPO_ROOT, resolved));
    }
    graph.set(path.relative(REPO_ROOT, file), [...targets].sort());
  }
  return graph;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe("import graph", () => {
  const graph = importGraph();
  const edges = [...graph].flatMap(([from, tos]) => tos.map((to) => `${from} → ${to}`));

  it("sees the repository (tsconfig paths and package names resolve to files)", () => {
    expect(graph.size).toBeGreaterThan(200);
    expect(edges).toContain("workers/tasks.ts → server/jobs/match.ts");
    expect(edges.some((e) => e.startsWith("server/") && e.endsWith("→ packages/core/src/index.ts"))).toBe(true);
  });

  it("finds a circle when there is one", () => {
    const g = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts", "d.ts"]],
      ["d.ts", []],
      ["e.ts", ["e.ts"]],
    ]);
    expect(cycles(g)).toEqual([["a.ts", "b.ts", "c.ts"], ["e.ts"]]);
    expect(cycles(new Map([["a.ts", ["b.ts"]], ["b.ts", []]]))).toEqual([]);
  });

  it("has no import circles", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("imports flow one way: packages/ → packages/ only; server/, packages/ ↛ workers/; nothing below app/ imports app/ (tests may)", () => {
    expect(edges.filter((e) => /^packages\/.* → (?!packages\/)/.test(e) && !/^\S+\.test\.ts → tests\/fixtures\//.test(e))).toEqual([]);
    expect(edges.filter((e) => /^(server|packages)\/.* → workers\//.test(e))).toEqual([]);
    // tests compose the whole system (a finding's routes live in app/f/_lib, its service test renders them)
    expect(edges.filter((e) => /^(server|packages|workers)\/.* → app\//.test(e) && !/^\S+\.test\.ts → /.test(e))).toEqual([]);
  });
});
