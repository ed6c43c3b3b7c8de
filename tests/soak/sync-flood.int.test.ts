import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roomName } from "@statescope/collab";
import { collabFixture, type CollabFixture } from "../fixtures/collab";
import { freshDatabase, type TestDatabase } from "../setup/db";
import { syncFlood } from "./sync-flood";

const SECRET = "flood-secret-flood-secret-flood-secret";
let t: TestDatabase;
let fx: CollabFixture;
let child: ChildProcess;
let syncUrl: string;

beforeAll(async () => {
  t = await freshDatabase();
  fx = await collabFixture(t.db, "flood");
  const root = fileURLToPath(new URL("../..", import.meta.url));
  // the sync process on its own, as `npm start` runs it
  child = spawn(process.execPath, ["--import", "tsx", path.join(root, "server/sync/main.ts")], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: t.url, AUTH_SECRET: SECRET, SYNC_PORT: "0", SYNC_HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`sync process exited (${code}): ${out}`)));
  });
  child.stdout!.resume();
  syncUrl = `http://127.0.0.1:${port}`;
}, 120_000);

afterAll(async () => {
  child?.kill("SIGKILL");
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
    expect(child.exitCode).toBeNull();
    expect(r.samples, JSON.stringify(r)).toBe(r.probes);
    expect(r.samples).toBeGreaterThan(100);
  });
});
