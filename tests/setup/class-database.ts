/**
 * A classroom test file's database, for its whole run: a fresh database with DATABASE_URL and
 * AUTH_SECRET set for the file (and restored after it), a workspace owner, and a READY dataset row
 * to start sessions on — joins and answers check its length, nothing reads its tensors. Registers
 * the file's beforeAll/afterAll; the fields are filled in by its beforeAll.
 */
import { afterAll, beforeAll } from "vitest";
import { createUser } from "../../server/services/users";
import { createWorkspace } from "../../server/services/workspaces";
import { freshDatabase, type TestDatabase } from "./db";
import { setTestEnv } from "./test-env";

export interface ClassDatabase {
  t: TestDatabase;
  /** The workspace owner's user id. */
  owner: string;
  /** The dataset as classroom.start takes it. */
  dataset: { workspace: string; datasetId: string };
}

/** `env`: more settings for the file (e.g. CLASS_JOIN_RATE). */
export function classDatabase(secret: string, slug: string, steps = 1000, env: Record<string, string> = {}): ClassDatabase {
  const c = {} as ClassDatabase;
  let restoreEnv: (() => void) | undefined;
  beforeAll(async () => {
    c.t = await freshDatabase();
    restoreEnv = setTestEnv({ DATABASE_URL: c.t.url, AUTH_SECRET: secret, ...env });
    c.owner = (await createUser(c.t.db, { email: `owner@${slug}.test`, password: "password1", name: "Owner" })).userId;
    const ws = await createWorkspace(c.t.db, c.owner, { slug });
    const datasetId = (await c.t.db.dataset.create({ data: { workspaceId: ws.workspaceId, name: "class data", status: "READY", steps }, select: { id: true } })).id;
    c.dataset = { workspace: slug, datasetId };
  }, 120_000);
  afterAll(async () => {
    await (c.t as TestDatabase | undefined)?.drop();
    restoreEnv?.();
  });
  return c;
}
