import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { classRoomName, COLLAB_SCHEMA_VERSION, type Presence } from "@statescope/collab";
import { createDb, type Db } from "@/server/db/client";
import { roomRoles } from "@/server/services/classroom/sync";
import type { Role } from "@/server/services/schemas";
import { verifyRoomToken } from "@/server/services/sync-tokens";
import { freshDatabase, type TestDatabase } from "./db";
import { createPgBackend, type PgBackendOptions } from "@/server/sync/pg-backend";
import { createSyncServer, type SyncServer, type SyncServerOptions } from "@/server/sync/server";

/**
 * A sync server for tests: Postgres persistence on `url` and the real admission rules (the
 * token through verifyRoomToken with `secret`, the member's current role through
 * classroom/sync.ts roomRoles: members, or classroom participants, on the same database), plus whatever the test sets (idle unload, recheck
 * period, backend options). Members must exist: see seedMembers.
 */
export function createTestSyncServer(
  url: string,
  secret: string,
  o: Partial<Omit<SyncServerOptions, "backend" | "authorize" | "memberRoles">> & { backend?: Partial<PgBackendOptions> } = {},
): SyncServer {
  const { backend, ...rest } = o;
  const db = createDb(url);
  const server = createSyncServer({
    ...rest,
    backend: createPgBackend({ connectionString: url, ...backend }),
    authorize: async (token, room) => verifyRoomToken(secret, token, room),
    memberRoles: (keys) => roomRoles(db, keys),
  });
  return {
    ...server,
    async close() {
      await server.close();
      await db.$disconnect();
    },
  };
}

type TestSyncOptions = Parameters<typeof createTestSyncServer>[2];

/** What fileSyncServer gives a test file: set before its first test runs. */
export interface FileSyncServer {
  /** The file's own database. */
  t: TestDatabase;
  server: SyncServer;
  /** Where `server` listens on 127.0.0.1. */
  port: number;
  /** Run before the server closes (e.g. destroy the file's providers). */
  cleanup: (() => void)[];
}

/**
 * The lifecycle a sync integration file shares: before its tests, a fresh database seeded by
 * `seed` and a test sync server (createTestSyncServer, `options`) listening on a free port; after
 * them, `cleanup`, the server closed and the database dropped. Call at the top of the file.
 */
export function fileSyncServer(secret: string, seed: (db: Db) => Promise<unknown>, options: TestSyncOptions = {}): FileSyncServer {
  const env = { cleanup: [] } as unknown as FileSyncServer;
  beforeAll(async () => {
    env.t = await freshDatabase();
    await seed(env.t.db);
    env.server = createTestSyncServer(env.t.url, secret, options);
    env.port = await env.server.listen(0, "127.0.0.1");
  });
  afterAll(async () => {
    for (const c of env.cleanup) c();
    await env.server?.close();
    await env.t?.drop();
  });
  return env;
}

/**
 * Users (ids as given, emails `<id>@sync.test`) who are members of workspace `workspaceId` (created
 * with that id when missing) with the given roles: what the sync server's admission checks.
 */
export async function seedMembers(db: Db, workspaceId: string, members: Record<string, Role>): Promise<void> {
  await db.workspace.upsert({ where: { id: workspaceId }, create: { id: workspaceId, slug: `sync-${workspaceId.toLowerCase()}`, name: workspaceId }, update: {} });
  for (const [userId, role] of Object.entries(members)) {
    await db.user.upsert({ where: { id: userId }, create: { id: userId, email: `${userId.toLowerCase()}@sync.test`, name: userId }, update: {} });
    await db.membership.upsert({ where: { workspaceId_userId: { workspaceId, userId } }, create: { workspaceId, userId, role }, update: { role } });
  }
}

/**
 * A class session in workspace `workspaceId` (its owner `teacher`, seeded with seedMembers, is the
 * instructor, named "Teacher") on a READY dataset of its own, with `students` as guest participants:
 * the session's id, its sync room, and each participant's id by name.
 */
export async function seedClassSession(
  db: Db,
  workspaceId: string,
  o: { code: string; archiveToken: string; students: readonly string[] },
): Promise<{ sessionId: string; room: string; ids: Record<string, string> }> {
  const ds = await db.dataset.create({ data: { workspaceId, name: "d", status: "READY" }, select: { id: true } });
  const s = await db.classSession.create({
    data: {
      workspaceId,
      datasetId: ds.id,
      code: o.code,
      title: "t",
      archiveToken: o.archiveToken,
      participants: { create: [{ userId: "teacher", name: "Teacher", role: "INSTRUCTOR" as const }, ...o.students.map((name) => ({ name, role: "STUDENT" as const }))] },
    },
    select: { id: true, participants: { select: { id: true, name: true } } },
  });
  return { sessionId: s.id, room: classRoomName(s.id), ids: Object.fromEntries(s.participants.map((p) => [p.name, p.id])) };
}

/**
 * A presence (awareness) state as the explorer sends it, at `position` with `cells` selected. Its
 * `user` is whatever the client claims (here a placeholder): the server replaces it.
 */
export function presenceAt(position: number, cells: number[] = [3, 17]): Presence {
  return {
    schemaVersion: COLLAB_SCHEMA_VERSION,
    user: { id: "client-says", name: "client says", color: "#000000", role: "VIEWER" },
    view: { source: "states::states1", position, window: 60, brush: [position, position + 3], padding: [1, 0], threshold: 0.3, cells },
    following: null,
  };
}

/** The real sync process (`server/sync/main.ts`, as `npm run start:sync` runs it) on `url`, on a free port. */
export interface SyncProcess {
  child: ChildProcess;
  port: number;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
}

export async function spawnSyncProcess(url: string, secret: string, env: Record<string, string> = {}): Promise<SyncProcess> {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "server/sync/main.ts")], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url, AUTH_SECRET: secret, SYNC_PORT: "0", SYNC_HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  let out = "";
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`sync process exited (${code}): ${out}`)));
  });
  return { child, port, exited };
}
