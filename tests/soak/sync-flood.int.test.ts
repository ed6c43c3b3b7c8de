import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roomName } from "@statescope/collab";
import { collabFixture, type CollabFixture } from "../fixtures/collab";
import { freshDatabase, type TestDatabase } from "../setup/db";
import { spawnSyncProcess, type SyncProcess } from "../setup/sync-server";
import { syncFlood } from "./sync-flood";

const SECRET = "flood-secret-flood-secret-flood-secret";
let t: TestDatabase;
let fx: CollabFixture;
let sync: SyncProcess;
let syncUrl: string;

beforeAll(async () => {
  t = await freshDatabase();
  fx = await collabFixture(t.db, "flood");
  // the sync process on its own, as `npm start` runs it
  sync = await spawnSyncProcess(t.url, SECRET);
  const port = sync.port;
  syncUrl = `http://127.0.0.1:${port}`;
}, 120_000);

afterAll(async () => {
  sync?.child.kill("SIGKILL");
  await fx?.cleanup();
  await t?.drop();
});

// The fast variant; `npm run test:soak` sends 30,000.
describe("malformed realtime frames at volume", () => {
  // the p99 ≤ 100 ms bound is checked by the soak run (a number, not a timed unit test)
  it("3,000 malformed frames into one room: nothing merges, the sync process stays up, another room's updates all arrive", { timeout: 180_000 }, async () => {
    const attacked = roomName(fx.workspaceId, fx.datasetId);
    const other = roomName(fx.workspaceId, fx.otherDatasetId);
    const r = await syncFlood({
      syncUrl,
      secret: SECRET,
      frames: 3_000,
      attacker: { user: fx.users.editor, workspace: fx.workspaceId, room: attacked, role: "EDITOR" },
      observer: { user: fx.users.viewer, workspace: fx.workspaceId, room: attacked, role: "VIEWER" },
      writer: { user: fx.users.editor2, workspace: fx.workspaceId, room: other, role: "EDITOR" },
      reader: { user: fx.users.owner, workspace: fx.workspaceId, room: other, role: "OWNER" },
    });
    expect(r.framesSent).toBe(3_000);
    expect(r.merged).toBe(0);
    expect(await t.db.syncUpdate.count({ where: { room: attacked } })).toBe(0);
    expect(sync.child.exitCode).toBeNull();
    expect(r.samples, JSON.stringify(r)).toBe(r.probes);
    expect(r.samples).toBeGreaterThan(100);
  });
});
