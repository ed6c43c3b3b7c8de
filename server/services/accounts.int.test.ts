import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "@statescope/core";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { createUser, verifyCredentials } from "./users";
import { acceptInvite, createInvite, previewInvite } from "./invites";
import { changeRole, createWorkspace, listMembers, removeMember } from "./workspaces";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
});
afterAll(async () => {
  await t.drop();
});

const settings = { ttlHours: 1, publicUrl: "http://app.test" };

async function rejects(p: Promise<unknown>, code: AppError["code"], message: RegExp) {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  expect((e as AppError).code).toBe(code);
  expect((e as AppError).message).toMatch(message);
}

describe("accounts", () => {
  it("signs up with an argon2id hash and checks credentials", async () => {
    const u = await createUser(t.db, { email: "Ada@Example.org", password: "correct horse", name: "Ada" });
    expect(u.email).toBe("ada@example.org");
    const row = await t.db.user.findUniqueOrThrow({ where: { id: u.userId } });
    expect(row.passwordHash).toMatch(/^\$argon2id\$/);
    expect((await verifyCredentials(t.db, "ada@example.org", "correct horse")).userId).toBe(u.userId);
  });

  it("refuses a duplicate email, whatever its case", async () => {
    await rejects(createUser(t.db, { email: "ADA@example.org", password: "another pass" }), "CONFLICT", /ada@example.org already exists/);
  });

  it("refuses a wrong password and an unknown email with the same message", async () => {
    await rejects(verifyCredentials(t.db, "ada@example.org", "wrong password"), "UNAUTHENTICATED", /^wrong email or password$/);
    await rejects(verifyCredentials(t.db, "nobody@example.org", "whatever1"), "UNAUTHENTICATED", /^wrong email or password$/);
  });

  it("names the field of invalid sign-up input", async () => {
    await rejects(createUser(t.db, { email: "not-an-email", password: "long enough" }), "BAD_INPUT", /email: not a valid email/);
    await rejects(createUser(t.db, { email: "b@example.org", password: "short" }), "BAD_INPUT", /password: password must have at least 8/);
  });
});

describe("workspaces and invites", () => {
  it("invites by single-use link and keeps at least one owner", async () => {
    const owner = await createUser(t.db, { email: "owner@example.org", password: "password1" });
    const guest = await createUser(t.db, { email: "guest@example.org", password: "password1" });
    const late = await createUser(t.db, { email: "late@example.org", password: "password1" });
    const ws = await createWorkspace(t.db, owner.userId, { slug: "lab", name: "Lab" });
    await rejects(createWorkspace(t.db, owner.userId, { slug: "lab" }), "CONFLICT", /slug "lab" is taken/);
    await rejects(createWorkspace(t.db, owner.userId, { slug: "Bad Slug!" }), "BAD_INPUT", /lowercase letters/);

    const inv = await createInvite(t.db, { userId: owner.userId }, ws.workspaceId, "VIEWER", settings);
    expect(inv.url).toBe(`http://app.test/invite/${inv.token}`);
    expect((await previewInvite(t.db, inv.token)).workspaceName).toBe("Lab");
    expect(await acceptInvite(t.db, { userId: guest.userId }, inv.token)).toEqual({ workspaceSlug: "lab", role: "VIEWER" });
    await rejects(acceptInvite(t.db, { userId: late.userId }, inv.token), "BAD_INPUT", /already used/);
    // The raw token is never stored.
    expect(await t.db.invite.count({ where: { tokenHash: inv.token } })).toBe(0);

    const members = await listMembers(t.db, ws.workspaceId);
    expect(members.map((m) => [m.email, m.role])).toEqual([
      ["owner@example.org", "OWNER"],
      ["guest@example.org", "VIEWER"],
    ]);
    await rejects(changeRole(t.db, ws.workspaceId, owner.userId, "EDITOR"), "BAD_INPUT", /at least one owner/);
    await rejects(removeMember(t.db, ws.workspaceId, owner.userId), "BAD_INPUT", /last owner/);
    expect((await changeRole(t.db, ws.workspaceId, guest.userId, "EDITOR")).role).toBe("EDITOR");
  });

  it("refuses expired and unknown invite links", async () => {
    const owner = await createUser(t.db, { email: "o2@example.org", password: "password1" });
    const guest = await createUser(t.db, { email: "g2@example.org", password: "password1" });
    const ws = await createWorkspace(t.db, owner.userId, { slug: "lab2" });
    const past = new Date(Date.now() - 2 * 3600_000);
    const inv = await createInvite(t.db, { userId: owner.userId }, ws.workspaceId, "EDITOR", settings, past);
    await rejects(acceptInvite(t.db, { userId: guest.userId }, inv.token), "BAD_INPUT", /expired on/);
    await rejects(acceptInvite(t.db, { userId: guest.userId }, "x".repeat(32)), "NOT_FOUND", /not valid/);
    expect(await t.db.membership.count({ where: { workspaceId: ws.workspaceId } })).toBe(1);
  });

  it("lets exactly one of two concurrent accepts of the same link win", async () => {
    const owner = await createUser(t.db, { email: "o3@example.org", password: "password1" });
    const a = await createUser(t.db, { email: "a3@example.org", password: "password1" });
    const b = await createUser(t.db, { email: "b3@example.org", password: "password1" });
    const ws = await createWorkspace(t.db, owner.userId, { slug: "lab3" });
    const inv = await createInvite(t.db, { userId: owner.userId }, ws.workspaceId, "VIEWER", settings);
    const results = await Promise.allSettled([
      acceptInvite(t.db, { userId: a.userId }, inv.token),
      acceptInvite(t.db, { userId: b.userId }, inv.token),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await t.db.membership.count({ where: { workspaceId: ws.workspaceId } })).toBe(2);
  });
});
