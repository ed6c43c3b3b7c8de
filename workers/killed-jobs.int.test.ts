import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "../tests/setup/db";
import { pgPool } from "../server/db/client";
import { workerHeartbeat } from "../server/jobs/heartbeat";
import { startImportFromUpload } from "../server/services/datasets/datasets";
import { importDataset } from "../server/services/datasets/import";
import { writeVocabulary } from "../server/storage/dataset-store";
import { makeLstmVisProject } from "../tests/fixtures/formats/projects";
import { startTestWorker } from "../tests/setup/worker";
import { createUser } from "../server/services/users";
import { createWorkspace } from "../server/services/workspaces";
import { enqueue } from "../server/jobs/enqueue";
import { MATCH_RUN_JOB } from "../server/jobs/match";
import { matchResult } from "../server/services/matching/matches";
import { MATCH_DONE, matchNotifier } from "../server/services/matching/notifier";
import { canonicalQuery, matchKey, ZMatchInput } from "../server/services/matching/schemas";
import { abandonedJobHandler } from "./tasks";

let t: TestDatabase;
let tmp: string;
beforeAll(async () => {
  t = await freshDatabase();
  tmp = await mkdtemp(join(tmpdir(), "abandoned-"));
});
afterAll(async () => {
  await t?.drop();
  await rm(tmp, { recursive: true, force: true });
});

/**
 * The state a worker killed with kill -9 leaves: the job locked by its pool, one attempt spent
 * (`last`: the job's last attempt).
 */
async function lockedByDeadPool(task: string, pool = "pool-killed", last = true): Promise<void> {
  await pgPool(t.db).query(
    `update graphile_worker._private_jobs j set locked_by = $2, locked_at = now() - interval '10 minutes',
            attempts = case when $3 then j.max_attempts else j.attempts + 1 end
       from graphile_worker._private_tasks k where k.id = j.task_id and k.identifier = $1`,
    [task, pool, last],
  );
}

describe("jobs whose worker died", () => {
  it("an import that lost its worker on its last attempt shows its error (FAILED), not progress forever; a retryable job just runs again", async () => {
    const owner = (await createUser(t.db, { email: "o@abandon.test", password: "password1", name: "O" })).userId;
    const ws = await createWorkspace(t.db, owner, { slug: "abandon" });
    const file = join(tmp, "upload.zip");
    await writeFile(file, "not read: the worker died first");
    const { datasetId } = await startImportFromUpload(t.db, { workspaceId: ws.workspaceId, userId: owner, filePath: file });
    await lockedByDeadPool("dataset:import");
    // a match job with attempts left, held by the same dead pool
    await pgPool(t.db).query("select graphile_worker.add_job('match:probe', '{}'::json, max_attempts := 3)");
    await lockedByDeadPool("match:probe", "pool-killed", false);

    const hb = workerHeartbeat(pgPool(t.db), { intervalMs: 100, deadAfterMs: 1_000, onAbandoned: abandonedJobHandler(t.db) });
    const released = await hb.sweep();
    await hb.stop();
    expect(released.pools).toEqual(["pool-killed"]);
    expect(released.abandoned.map((j) => j.task)).toEqual(["dataset:import"]);

    const ds = await t.db.dataset.findUniqueOrThrow({ where: { id: datasetId }, select: { status: true, error: true } });
    expect(ds.status).toBe("FAILED");
    expect(ds.error).toMatch(/the worker running its import stopped \(it was killed or crashed\); start the import again/);
    const jobs = await pgPool(t.db).query<{ task_identifier: string; locked_by: string | null; runnable: boolean; last_error: string }>(
      "select task_identifier, locked_by, attempts < max_attempts as runnable, last_error from graphile_worker.jobs order by task_identifier",
    );
    expect(jobs.rows.map((j) => [j.task_identifier, j.locked_by, j.runnable])).toEqual([
      ["dataset:import", null, false],
      ["match:probe", null, true],
    ]);
    expect(jobs.rows[0]!.last_error).toMatch(/pool pool-killed missed its heartbeat/);
  });

  it("a match query whose job lost its worker on the last attempt answers the failure to its waiters and to every later long-poll, never 'pending' forever", async () => {
    await pgPool(t.db).query("delete from graphile_worker._private_jobs");
    const owner = (await createUser(t.db, { email: "om@abandon.test", password: "password1", name: "O" })).userId;
    const ws = await createWorkspace(t.db, owner, { slug: "abandon-match" });
    const { datasetId } = await importDataset(t.db, { workspaceId: ws.workspaceId, userId: owner, path: (await makeLstmVisProject(join(tmp, "m"))).dir });
    const q = canonicalQuery(ZMatchInput.parse({ datasetId, source: "states::states1", cells: [0, 1], threshold: 0.3 }));
    const key = matchKey(q);
    await enqueue(MATCH_RUN_JOB, { key, query: q, workspaceId: ws.workspaceId }, { db: t.db, jobKey: `match:${key}`, maxAttempts: 3 });
    const serving = { notifier: matchNotifier(t.pubsub), waitMs: 10_000 };
    // a page long-polling while the worker dies
    const polling = matchResult(t.db, ws.workspaceId, key, serving);
    polling.catch(() => undefined);
    await expect.poll(() => t.pubsub.subscribers(MATCH_DONE), { timeout: 5_000 }).toBeGreaterThan(0);
    await lockedByDeadPool("match:run", "pool-killed-match");
    const hb = workerHeartbeat(pgPool(t.db), { intervalMs: 100, deadAfterMs: 1_000, onAbandoned: abandonedJobHandler(t.db) });
    expect((await hb.sweep()).abandoned.map((j) => j.task)).toEqual(["match:run"]);
    await hb.stop();
    // told at once by the abandonment signal, or (when the poll's LISTEN was not active yet) by the job's state at its timeout
    await expect(polling).rejects.toThrow(/the match job failed: (the worker running it stopped on its last attempt|.*missed its heartbeat)/);
    // the next long-poll does not wait for a signal that will never come
    const t0 = Date.now();
    await expect(matchResult(t.db, ws.workspaceId, key, { ...serving, waitMs: 300 })).rejects.toThrow(/the match job failed: .*missed its heartbeat.*; run the query again/);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it("a dataset that finished before its worker died is left alone", async () => {
    await pgPool(t.db).query("delete from graphile_worker._private_jobs");
    const owner = (await createUser(t.db, { email: "o2@abandon.test", password: "password1", name: "O" })).userId;
    const ws = await createWorkspace(t.db, owner, { slug: "abandon2" });
    const file = join(tmp, "upload2.zip");
    await writeFile(file, "x");
    const { datasetId } = await startImportFromUpload(t.db, { workspaceId: ws.workspaceId, userId: owner, filePath: file });
    await t.db.dataset.update({ where: { id: datasetId }, data: { status: "READY" } });
    await lockedByDeadPool("dataset:import", "pool-late");
    const hb = workerHeartbeat(pgPool(t.db), { intervalMs: 100, deadAfterMs: 1_000, onAbandoned: abandonedJobHandler(t.db) });
    expect((await hb.sweep()).abandoned).toHaveLength(1);
    await hb.stop();
    expect((await t.db.dataset.findUniqueOrThrow({ where: { id: datasetId } })).status).toBe("READY");
  });

  it("an import whose worker was killed mid-write runs again from nothing: one READY dataset, each row once, the upload removed after", async () => {
    await pgPool(t.db).query("delete from graphile_worker._private_jobs");
    const owner = (await createUser(t.db, { email: "o3@abandon.test", password: "password1", name: "O" })).userId;
    const ws = await createWorkspace(t.db, owner, { slug: "abandon3" });
    const clean = await makeLstmVisProject(join(tmp, "clean"));
    const want = await importDataset(t.db, { workspaceId: ws.workspaceId, userId: owner, path: clean.dir, name: "clean" });
    const upload = (await makeLstmVisProject(join(tmp, "upload"))).dir;
    const { datasetId } = await startImportFromUpload(t.db, { workspaceId: ws.workspaceId, userId: owner, filePath: upload });
    // the killed first attempt had written part of the vocabulary (a retry that did not clear it would hit its primary key)
    await writeVocabulary(pgPool(t.db), datasetId, [
      { id: 1, token: "the" },
      { id: 2, token: "cat" },
    ]);
    await lockedByDeadPool("dataset:import", "pool-killed-midway", false);

    const hb = workerHeartbeat(pgPool(t.db), { intervalMs: 100, deadAfterMs: 1_000, onAbandoned: abandonedJobHandler(t.db) });
    const runner = await startTestWorker(t, { events: hb.events });
    try {
      await expect.poll(async () => (await t.db.dataset.findUnique({ where: { id: datasetId } }))?.status, { timeout: 30_000 }).toBe("READY");
      // the job ends (the READY flip comes just before it completes)
      await expect.poll(async () => (await pgPool(t.db).query("select task_identifier from graphile_worker.jobs")).rows, { timeout: 10_000 }).toEqual([]);
    } finally {
      await runner.stop();
      await hb.stop();
    }
    const count = async (id: string) => ({
      vocab: await t.db.vocabEntry.count({ where: { datasetId: id } }),
      sources: (await t.db.datasetSource.findMany({ where: { datasetId: id }, select: { name: true }, orderBy: { name: "asc" } })).map((x) => x.name),
      tracks: await t.db.metaTrack.count({ where: { datasetId: id } }),
      tokenChunks: await t.db.tokenChunk.count({ where: { datasetId: id } }),
    });
    expect(await count(datasetId)).toEqual(await count(want.datasetId));
    await expect(stat(upload)).rejects.toThrow(/ENOENT/);
  });
});
