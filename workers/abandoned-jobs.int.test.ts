import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "../tests/setup/db";
import { pgPool } from "../server/db/client";
import { workerHeartbeat } from "../server/jobs/heartbeat";
import { startImportFromUpload } from "../server/services/datasets/datasets";
import { createUser } from "../server/services/users";
import { createWorkspace } from "../server/services/workspaces";
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

/** The state a worker killed with kill -9 leaves: the job locked by its pool, one attempt spent. */
async function lockedByDeadPool(task: string, pool = "pool-killed"): Promise<void> {
  await pgPool(t.db).query(
    `update graphile_worker._private_jobs j set locked_by = $2, locked_at = now() - interval '10 minutes', attempts = attempts + 1
       from graphile_worker._private_tasks k where k.id = j.task_id and k.identifier = $1`,
    [task, pool],
  );
}

describe("jobs whose worker died", () => {
  it("an import that lost its worker on its only attempt shows its error (FAILED), not progress forever; a retryable job just runs again", async () => {
    const owner = (await createUser(t.db, { email: "o@abandon.test", password: "password1", name: "O" })).userId;
    const ws = await createWorkspace(t.db, owner, { slug: "abandon" });
    const file = join(tmp, "upload.zip");
    await writeFile(file, "not read: the worker died first");
    const { datasetId } = await startImportFromUpload(t.db, { workspaceId: ws.workspaceId, userId: owner, filePath: file });
    await lockedByDeadPool("dataset:import");
    // a match job with attempts left, held by the same dead pool
    await pgPool(t.db).query("select graphile_worker.add_job('match:probe', '{}'::json, max_attempts := 3)");
    await lockedByDeadPool("match:probe");

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
});
