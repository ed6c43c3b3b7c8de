import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { createUser } from "../services/users";
import { appRouter, createCaller, PUBLIC_PROCEDURES, SESSION_PROCEDURES, USER_PROCEDURES } from "./root";
import { SESSION_MIDDLEWARES, WORKSPACE_MIDDLEWARES } from "./trpc";
import { trpcError } from "../../tests/fixtures/collab";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => {
  await t.drop();
});

const as = (userId: string | null) => createCaller({ db: t.db, pubsub: t.pubsub, actor: userId ? { userId } : null, publicUrl: "http://app.test" });


describe("router audit", () => {
  it("runs the workspace authorization middleware on every procedure that is not explicitly public or user-level", () => {
    const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { meta?: { auth?: string }; middlewares: unknown[] } }>;
    const names = Object.keys(procedures);
    expect(names.length).toBeGreaterThan(5);
    const offenders: string[] = [];
    for (const name of names) {
      const def = procedures[name]!._def;
      const hasWorkspaceAuth = def.middlewares.some((m) => WORKSPACE_MIDDLEWARES.has(m));
      if (PUBLIC_PROCEDURES.has(name)) {
        if (def.meta?.auth !== "public") offenders.push(`${name}: listed as public but built as ${def.meta?.auth}`);
      } else if (USER_PROCEDURES.has(name)) {
        if (def.meta?.auth !== "user") offenders.push(`${name}: listed as user-level but built as ${def.meta?.auth}`);
      } else if (SESSION_PROCEDURES.has(name)) {
        // a classroom procedure: the session authorization middleware instead (classroom-authz.int.test.ts)
        if (def.meta?.auth !== "session" || !def.middlewares.some((m) => SESSION_MIDDLEWARES.has(m))) offenders.push(`${name}: no session authorization middleware`);
      } else if (!hasWorkspaceAuth || def.meta?.auth !== "workspace") {
        offenders.push(`${name}: no workspace authorization middleware`);
      }
    }
    expect(offenders).toEqual([]);
    for (const allowed of [...PUBLIC_PROCEDURES, ...USER_PROCEDURES]) expect(names).toContain(allowed);
  });
});

describe("workspace authorization", () => {
  it("refuses non-members, enforces roles on the server, and needs a session", async () => {
    const owner = await createUser(t.db, { email: "owner@api.test", password: "password1" });
    const viewer = await createUser(t.db, { email: "viewer@api.test", password: "password1" });
    const outsider = await createUser(t.db, { email: "outsider@api.test", password: "password1" });
    await as(owner.userId).workspace.create({ slug: "alpha", name: "Alpha" });
    const invite = await as(owner.userId).invite.create({ workspace: "alpha", role: "VIEWER" });
    await as(viewer.userId).invite.accept({ token: invite.token });

    const nonMember = await trpcError(as(outsider.userId).workspace.members({ workspace: "alpha" }));
    expect(nonMember.code).toBe("FORBIDDEN");
    expect(nonMember.message).toBe('you are not a member of workspace "alpha"');

    const rename = await trpcError(as(viewer.userId).workspace.rename({ workspace: "alpha", name: "Mine now" }));
    expect(rename.code).toBe("FORBIDDEN");
    expect(rename.message).toMatch(/needs the OWNER role .* you are VIEWER/);
    expect((await as(viewer.userId).workspace.get({ workspace: "alpha" })).name).toBe("Alpha");

    const anonymous = await trpcError(as(null).workspace.get({ workspace: "alpha" }));
    expect(anonymous.code).toBe("UNAUTHORIZED");
    const missing = await trpcError(as(owner.userId).workspace.get({ workspace: "no-such" }));
    expect(missing.code).toBe("NOT_FOUND");

    expect((await as(owner.userId).workspace.rename({ workspace: "alpha", name: "Alpha 2" })).name).toBe("Alpha 2");
  });

  it("rejects malformed input with a message naming the field", async () => {
    const u = await createUser(t.db, { email: "shape@api.test", password: "password1" });
    const e = await trpcError(as(u.userId).workspace.create({ slug: "NOT VALID" }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toMatch(/lowercase letters/);
    const dup = await trpcError(as(null).auth.signUp({ email: "shape@api.test", password: "password1" }));
    expect(dup.code).toBe("CONFLICT");
    expect(dup.message).toMatch(/already exists/);
  });
});
