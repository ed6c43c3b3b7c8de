import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Runner } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTar } from "../tests/fixtures/formats/archives";
import { makeLstmVisProject } from "../tests/fixtures/formats/projects";
import { freshDatabase, type TestDatabase } from "../tests/setup/db";
import { startTestWorker } from "../tests/setup/worker";
import { startImportFromUpload } from "@/server/services/datasets/datasets";
import { createUser } from "@/server/services/users";
import { createWorkspace } from "@/server/services/workspaces";
import { MatchEngine } from "@/server/services/matching/engine";

let t: TestDatabase;
let tmp: string;
let runner: Runner;
let workspaceId: string;
let userId: string;
beforeAll(async () => {
  t = await freshDatabase();
  tmp = await mkdtemp(join(tmpdir(), "job-ds-"));
  userId = (await createUser(t.db, { email: "w@job.test", password: "password1" })).userId;
  workspaceId = (await createWorkspace(t.db, userId, { slug: "jobs" })).workspaceId;
  // a match cache too small to keep any source decoded: every source gets its cell-major copy
  runner = await startTestWorker(t, { engine: new MatchEngine(1024) });
});
afterAll(async () => {
  await runner?.stop();
  await t.drop();
  await rm(tmp, { recursive: true, force: true });
});

async function upload(dir: string, name: string): Promise<string> {
  const entries = await readdir(dir);
  const file = join(tmp, name);
  await writeFile(file, makeTar(await Promise.all(entries.map(async (n) => ({ name: `p/${n}`, data: await readFile(join(dir, n)) })))));
  return file;
}

async function settled(datasetId: string) {
  for (let i = 0; i < 300; i++) {
    const d = await t.db.dataset.findUniqueOrThrow({ where: { id: datasetId }, select: { status: true, error: true, percent: true } });
    if (d.status !== "IMPORTING") return d;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("import did not finish");
}

describe("dataset:import job", () => {
  it("imports an uploaded archive, then deletes the upload; a match:columns job then writes each source's cell-major copy", async () => {
    const fx = await makeLstmVisProject(join(tmp, "ok"), { n: 50 });
    const file = await upload(fx.dir, "ok.tar.gz");
    const { datasetId } = await startImportFromUpload(t.db, { workspaceId, userId, filePath: file, name: "from upload" });
    expect(await settled(datasetId)).toEqual({ status: "READY", error: null, percent: 100 });
    expect(await t.db.stateChunk.count({ where: { source: { datasetId } } })).toBe(3);
    // the job deletes the upload after the READY flip (and queues the copy): wait for its end
    for (let i = 0; await stat(file).then(() => true, () => false); i++) {
      if (i > 500) throw new Error("the upload was not deleted after the import");
      await new Promise((ok) => setTimeout(ok, 20));
    }
    for (let i = 0; (await t.db.stateColumnChunk.count({ where: { source: { datasetId } } })) < 3; i++) {
      if (i > 1500) throw new Error("no cell-major copy was written after the import");
      await new Promise((ok) => setTimeout(ok, 20));
    }
  });

  it("marks a bad upload FAILED with the message, keeps no data and does not retry", async () => {
    const fx = await makeLstmVisProject(join(tmp, "bad"), { n: 50, nonFinite: [[3, 2]] });
    const file = await upload(fx.dir, "bad.tar.gz");
    const { datasetId } = await startImportFromUpload(t.db, { workspaceId, userId, filePath: file });
    const d = await settled(datasetId);
    expect(d.status).toBe("FAILED");
    expect(d.error).toMatch(/NaN\/Inf value, first at \(t=3, cell=2\)/);
    expect(await t.db.datasetSource.count({ where: { datasetId } })).toBe(0);
    expect(await t.db.tokenChunk.count({ where: { datasetId } })).toBe(0);
    expect(await t.db.vocabEntry.count({ where: { datasetId } })).toBe(0);
  });
});
