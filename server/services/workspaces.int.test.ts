import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@/server/db/client";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { createUser } from "./users";
import { changeRole, createWorkspace, removeMember } from "./workspaces";

let t: TestDatabase;
/** A second client with its own connection pool: another web process. */
let other: Db;
beforeAll(async () => {
  t = await freshDatabase();
  other = createDb(t.url);
});
afterAll(async () => {
  await other.$disconnect();
  await t.drop();
});

/** A workspace with two owners, A and B. */
async function twoOwners(round: string) {
  const a = await createUser(t.db, { email: `a${round}@owners.test`, password: "password1" });
  const b = await createUser(t.db, { email: `b${round}@owners.test`, password: "password1" });
  const ws = await createWorkspace(t.db, a.userId, { slug: `owners-${round}` });
  await t.db.membership.create({ data: { workspaceId: ws.workspaceId, userId: b.userId, role: "OWNER" } });
  return { a: a.userId, b: b.userId, ws: ws.workspaceId };
}

const owners = (ws: string) => t.db.membership.count({ where: { workspaceId: ws, role: "OWNER" } });

describe("the last owner, under concurrency", () => {
  // Each round fires both changes at once from two clients (two connection pools, like two web
  // processes); without the lock both read "2 owners" and both write.
  const ROUNDS = 12;

  it("two owners demoting themselves at the same moment: one succeeds, the workspace keeps an owner", async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const { a, b, ws } = await twoOwners(`demote${i}`);
      const results = await Promise.allSettled([changeRole(t.db, ws, a, "EDITOR", { by: a }), changeRole(other, ws, b, "VIEWER", { by: b })]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(String(refused.reason)).toMatch(/at least one owner|needs the OWNER role/);
      expect(await owners(ws)).toBe(1);
    }
  });

  it("two owners removing each other (and one demoting while the other leaves) keep an owner", async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const { a, b, ws } = await twoOwners(`remove${i}`);
      const results = await Promise.allSettled(
        i % 2 === 0
          ? [removeMember(t.db, ws, b, { by: a }), removeMember(other, ws, a, { by: b })]
          : [changeRole(t.db, ws, a, "EDITOR", { by: a }), removeMember(other, ws, b, { by: b })],
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect(await owners(ws)).toBe(1);
    }
  });

  it("an owner demoted a moment ago no longer acts as one", async () => {
    const { a, b, ws } = await twoOwners("stale");
    await changeRole(t.db, ws, b, "EDITOR", { by: a });
    // B's request was authorized before the demotion; it is checked again under the lock
    await expect(changeRole(other, ws, a, "VIEWER", { by: b })).rejects.toThrow(/needs the OWNER role in the workspace; you are EDITOR/);
    expect(await owners(ws)).toBe(1);
  });
});
