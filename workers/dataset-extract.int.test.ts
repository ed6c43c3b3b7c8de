import type { Runner } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "../tests/setup/db";
import { startTestWorker } from "../tests/setup/worker";
import { seedDemoDatasets, startExtraction } from "@/server/services/extract/start";
import { demoFiles } from "@/server/services/extract/demo";
import { createUser } from "@/server/services/users";
import { createWorkspace } from "@/server/services/workspaces";

let t: TestDatabase;
let runner: Runner;
let workspaceId: string;
let userId: string;
beforeAll(async () => {
  t = await freshDatabase();
  userId = (await createUser(t.db, { email: "w@extract-job.test", password: "password1" })).userId;
  workspaceId = (await createWorkspace(t.db, userId, { slug: "extract-jobs" })).workspaceId;
  runner = await startTestWorker(t);
});
afterAll(async () => {
  await runner?.stop();
  await t.drop();
});

async function settled(datasetId: string) {
  for (let i = 0; i < 600; i++) {
    const d = await t.db.dataset.findUniqueOrThrow({ where: { id: datasetId }, select: { status: true, error: true, percent: true } });
    if (d.status !== "IMPORTING") return d;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("extraction did not finish");
}

describe("dataset:extract job", () => {
  it("runs a queued extraction to READY", async () => {
    const files = await demoFiles("parens");
    const { datasetId } = await startExtraction(
      t.db,
      {
        workspaceId,
        userId,
        settings: { name: "queued parens", tokenizer: "char", unknown: "auto", gates: true },
        weights: files.weights,
        weightsName: "p.safetensors",
        vocab: files.vocab,
        text: files.text.slice(0, 3000),
      },
    );
    expect(await settled(datasetId)).toEqual({ status: "READY", error: null, percent: 100 });
    const sources = await t.db.datasetSource.findMany({ where: { datasetId }, orderBy: { ordinal: "asc" }, select: { name: true, steps: true } });
    expect(sources.map((s) => s.name)).toEqual(["states1", "output1", "gate_i1", "gate_f1", "gate_g1", "gate_o1"]);
    expect(sources.every((s) => s.steps === 3000)).toBe(true);
    const model = await t.db.datasetModel.findUniqueOrThrow({ where: { datasetId }, select: { weightsName: true, arch: true } });
    expect(model).toEqual({ weightsName: "p.safetensors", arch: "lstm" });
  });

  it("refuses bad input at once, creating nothing", async () => {
    const before = await t.db.dataset.count();
    await expect(
      startExtraction(t.db, {
        workspaceId,
        userId,
        settings: { name: "bad", tokenizer: "char", unknown: "auto", gates: false },
        weights: new Uint8Array(10),
        weightsName: "bad.safetensors",
        vocab: "[]",
        text: "x",
      }),
    ).rejects.toMatchObject({ code: "BAD_INPUT", message: expect.stringMatching(/^bad\.safetensors: /) });
    expect(await t.db.dataset.count()).toBe(before);
  });

  it("seeds both demo corpora once, with their tracks", { timeout: 120_000 }, async () => {
    const first = await seedDemoDatasets(t.db, workspaceId, userId);
    expect(first.queued).toEqual(["parens", "c-code"]);
    // A second start while they are still running queues nothing.
    expect((await seedDemoDatasets(t.db, workspaceId, userId)).queued).toEqual([]);
    const demos = await t.db.datasetModel.findMany({ where: { demo: { not: null } }, select: { datasetId: true, demo: true } });
    expect(demos).toHaveLength(2);
    for (const d of demos) expect(await settled(d.datasetId)).toMatchObject({ status: "READY", error: null });
    expect((await seedDemoDatasets(t.db, workspaceId, userId)).queued).toEqual([]);

    const byDemo = Object.fromEntries(demos.map((d) => [d.demo, d.datasetId]));
    const tracks = async (id: string) => (await t.db.metaTrack.findMany({ where: { datasetId: id }, orderBy: { ordinal: "asc" }, select: { name: true } })).map((x) => x.name);
    expect(await tracks(byDemo.parens!)).toEqual(["surprisal", "top5", "depth"]);
    expect(await tracks(byDemo["c-code"]!)).toEqual(["surprisal", "top5", "in_comment", "in_string", "brace_depth", "paren_depth"]);
    const parens = await t.db.dataset.findUniqueOrThrow({ where: { id: byDemo.parens! }, select: { steps: true, report: true } });
    expect(parens.steps).toBe(20_000);
    const cCode = await t.db.dataset.findUniqueOrThrow({ where: { id: byDemo["c-code"]! }, select: { report: true } });
    expect(JSON.stringify(cCode.report)).toMatch(/were read as \\" \\"/);

    // A failed demo is retried on the next start.
    await t.db.dataset.update({ where: { id: byDemo.parens! }, data: { status: "FAILED" } });
    const retry = await seedDemoDatasets(t.db, workspaceId, userId);
    expect(retry.queued).toEqual(["parens"]);
  });
});
