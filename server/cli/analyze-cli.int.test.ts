/**
 * Issue 16's "done when" on the demo datasets, through the real `statescope` command: cell search
 * on parens (`depth`) and c-code (`in_comment` = `yes`), and the evidence `match --track` adds.
 */
import type { Runner } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyTransform, selectCells } from "@statescope/core";
import { directAuc, pearson } from "../../packages/core/src/analysis/reference";
import { runCli } from "../../tests/setup/cli";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { startTestWorker } from "../../tests/setup/worker";
import { pgPool } from "../db/client";
import { readStates } from "../services/datasets/datasets";
import { seedDemoDatasets } from "../services/extract/start";
import { createUser } from "../services/users";
import { createWorkspace } from "../services/workspaces";
import { readMetaWindow, readWholeSource } from "../storage/dataset-store";

let t: TestDatabase;
let runner: Runner;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await freshDatabase();
  const userId = (await createUser(t.db, { email: "demo@analyze.test", password: "password1" })).userId;
  const ws = await createWorkspace(t.db, userId, { slug: "demos" });
  runner = await startTestWorker(t, { concurrency: 2 });
  await seedDemoDatasets(t.db, ws.workspaceId, userId);
  for (;;) {
    const rows = await t.db.dataset.findMany({ select: { id: true, status: true, error: true, model: { select: { demo: true } } } });
    const failed = rows.find((r) => r.status === "FAILED");
    if (failed) throw new Error(`demo extraction failed: ${failed.error}`);
    if (rows.length === 2 && rows.every((r) => r.status === "READY")) {
      for (const r of rows) ids[r.model!.demo!] = r.id;
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}, 600_000);
afterAll(async () => {
  await runner?.stop();
  await t.drop();
});

const cli = (args: string[]) => runCli(t.url, args);

/** A source's values as the explorer shows them (tanh), per cell, and a track's values. */
async function columns(datasetId: string, source: string) {
  const src = await t.db.datasetSource.findUniqueOrThrow({ where: { datasetId_name: { datasetId, name: source } }, select: { id: true, steps: true, cells: true, chunkRows: true, transform: true } });
  const v = applyTransform({ data: await readWholeSource(pgPool(t.db), src), steps: src.steps, cells: src.cells }, src.transform === "tanh" ? "tanh" : "none");
  return Array.from({ length: src.cells }, (_, c) => Float32Array.from({ length: src.steps }, (_, s) => v.data[s * src.cells + c]!));
}
async function track(datasetId: string, name: string, steps: number) {
  const tr = await t.db.metaTrack.findUniqueOrThrow({ where: { datasetId_name: { datasetId, name } }, select: { id: true, kind: true, width: true, chunkRows: true, hasWeights: true } });
  const rows = await readMetaWindow(pgPool(t.db), { ...tr, kind: tr.kind as "discrete" | "scalar" }, steps, 0, steps);
  if (rows.kind === "wordvec") throw new Error("wordvec");
  return rows.values;
}

describe("statescope analyze cells on the demo datasets", () => {
  it("parens: against `depth`, the cells with the highest |r| come first, with r as computed directly", { timeout: 180_000 }, async () => {
    const r = await cli(["analyze", "cells", "--dataset", ids.parens!, "--source", "states1", "--track", "depth", "--top", "32", "--json"]);
    expect(r.stderr).toMatch(/analyzing: /);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { track: string; label: null; kind: string; excluded: number; cells: { cell: number; r: number; rho: number }[] };
    expect(out).toMatchObject({ track: "depth", label: null, kind: "scalar", excluded: 0 });
    expect(out.cells).toHaveLength(32);
    const cols = await columns(ids.parens!, "states1");
    const depth = await track(ids.parens!, "depth", cols[0]!.length);
    const direct = cols.map((col, c) => ({ c, r: pearson(col, depth) }));
    direct.sort((a, b) => Math.abs(b.r) - Math.abs(a.r));
    expect(out.cells.map((x) => x.cell)).toEqual(direct.map((d) => d.c));
    for (const x of out.cells) expect(Math.abs(x.r - direct.find((d) => d.c === x.cell)!.r)).toBeLessThan(1e-6);
    // a depth counter: the strongest cell tracks depth closely
    expect(Math.abs(out.cells[0]!.r)).toBeGreaterThan(0.85);
  });

  it("c-code: `in_comment` = `yes` puts cell 98 of layer 1 among the top three, its AUC as the Mann–Whitney count gives it", { timeout: 180_000 }, async () => {
    const r = await cli(["analyze", "cells", "--dataset", ids["c-code"]!, "--source", "states1", "--track", "in_comment", "--label", "yes", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { label: string; kind: string; cells: { cell: number; auc: number; pointBiserial: number }[] };
    expect(out).toMatchObject({ label: "yes", kind: "discrete" });
    expect(out.cells).toHaveLength(10);
    expect(out.cells.slice(0, 3).map((c) => c.cell)).toContain(98);
    const cols = await columns(ids["c-code"]!, "states1");
    const comment = await track(ids["c-code"]!, "in_comment", cols[0]!.length);
    const c98 = out.cells.find((c) => c.cell === 98)!;
    expect(Math.abs(c98.auc - directAuc(cols[98]!, comment))).toBeLessThan(1e-6);
    expect(Math.abs(c98.pointBiserial - pearson(cols[98]!, comment))).toBeLessThan(1e-6);
    // the text form names the comparison
    const text = await cli(["analyze", "cells", "--dataset", ids["c-code"]!, "--source", "states1", "--track", "in_comment", "--label", "yes", "--top", "3"]);
    expect(text.stdout).toMatch(/^cells by association with in_comment = yes vs the rest/);
    expect(text.stdout.split("\n")[2]).toMatch(/^\d+\t0\.\d{4}\t-?0\.\d{4}$/);
  });

  it("bad input exits 2 with the reason: a discrete track without --label", async () => {
    const r = await cli(["analyze", "cells", "--dataset", ids["c-code"]!, "--source", "states1", "--track", "in_comment", "--json"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr.trim().split("\n").at(-1)!)).toMatchObject({ error: { code: "BAD_INPUT", message: expect.stringContaining('name the label to compare against the rest (labels: "no", "yes")') } });
  });
});

describe("statescope match --track", () => {
  it("parens: brushing a range at depth ≥ 5 and matching gives depth ≥ 5 a lift well above 1", { timeout: 180_000 }, async () => {
    const id = ids.parens!;
    const steps = (await t.db.dataset.findUniqueOrThrow({ where: { id }, select: { steps: true } })).steps;
    const depth = await track(id, "depth", steps);
    // the first run of at least 10 steps at depth ≥ 5, brushed whole, cells by the Select view's rule
    let b0 = 1;
    for (; b0 < steps; b0++) {
      if (depth[b0]! < 5 || depth[b0 - 1]! >= 5) continue;
      let e = b0;
      while (e < steps && depth[e]! >= 5) e++;
      if (e - b0 >= 10) break;
    }
    let b1 = b0;
    while (depth[b1]! >= 5) b1++;
    const w = await readStates(t.db, null, { datasetId: id, source: "states1", from: b0 - 1, to: b1 });
    const cells = selectCells({ data: w.values, steps: b1 - b0 + 1, cells: w.cellCount }, [1, b1 - b0 + 1], 0.3, [1, 0], "tanh");
    expect(cells.length).toBeGreaterThan(0);
    const r = await cli(["match", "--dataset", id, "--source", "states1", "--cells", cells.join(","), "--track", "depth", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { results: { pos: number; length: number }[]; evidence: { track: string; kind: string; matchedSteps: number; mean: number; baseMean: number; histogram: { edges: number[]; matched: number[]; overall: number[] } } };
    expect(out.evidence).toMatchObject({ track: "depth", kind: "scalar" });
    // matched steps: the union of the returned ranges, each step once
    const union = new Set<number>();
    for (const x of out.results) for (let s = x.pos; s < x.pos + x.length; s++) union.add(s);
    expect(out.evidence.matchedSteps).toBe(union.size);
    // depth is integer-valued: one bin per depth; lift(depth ≥ 5) = its share in the matches / its base rate
    const h = out.evidence.histogram;
    const sum = (xs: number[], pick: (i: number) => boolean) => xs.reduce((a, x, i) => a + (pick(i) ? x : 0), 0);
    const deep = (i: number) => h.edges[i]! + 0.5 >= 5;
    const lift = sum(h.matched, deep) / sum(h.matched, () => true) / (sum(h.overall, deep) / sum(h.overall, () => true));
    console.log(`parens: brushed [${b0}, ${b1}) at depth ≥ 5, ${cells.length} cell(s) ${cells.join(",")}: ${out.results.length} results, ${union.size} matched steps, lift(depth ≥ 5) = ${lift.toFixed(2)}, mean depth ${out.evidence.mean.toFixed(2)} vs ${out.evidence.baseMean.toFixed(2)}`);
    expect(lift).toBeGreaterThan(1.5);
    expect(out.evidence.mean).toBeGreaterThan(out.evidence.baseMean);
  });

  it("c-code: a discrete track gives every label's share, base rate and lift", { timeout: 120_000 }, async () => {
    const r = await cli(["match", "--dataset", ids["c-code"]!, "--source", "states1", "--cells", "98", "--threshold", "0.5", "--track", "in_comment", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { evidence: { track: string; matchedSteps: number; labels: { label: string; share: number; base: number; lift: number }[] } };
    expect(out.evidence.labels.map((l) => l.label)).toEqual(["no", "yes"]);
    const yes = out.evidence.labels[1]!;
    expect(yes.lift).toBeCloseTo(yes.share / yes.base, 12);
    expect(yes.lift).toBeGreaterThan(1);
    const text = await cli(["match", "--dataset", ids["c-code"]!, "--source", "states1", "--cells", "98", "--threshold", "0.5", "--track", "in_comment"]);
    expect(text.stdout).toMatch(/evidence on in_comment: \d+ matched steps\nlabel\tshare\tbase\tlift\nno\t/);
    const bad = await cli(["match", "--dataset", ids["c-code"]!, "--source", "states1", "--cells", "98", "--track", "nope", "--json"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('has no track \\"nope\\"');
  });
});
