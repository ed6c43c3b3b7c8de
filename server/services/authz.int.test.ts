import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { seedMembers } from "../../tests/setup/sync-server";
import { memberRole, memberRoles, requireRole } from "./authz";

let t: TestDatabase;
beforeAll(async () => {
  t = await freshDatabase();
  await seedMembers(t.db, "wa", { ada: "OWNER", bo: "VIEWER" });
  await seedMembers(t.db, "wb", { bo: "EDITOR", cy: "EDITOR" });
});
afterAll(async () => {
  await t.drop();
});

describe("membership", () => {
  it("answers many (workspace, user) pairs in order, null for non-members, with one rule for every caller", async () => {
    const keys = [
      { workspaceId: "wa", userId: "bo" },
      { workspaceId: "wb", userId: "bo" },
      { workspaceId: "wa", userId: "cy" },
      { workspaceId: "wa", userId: "ada" },
      { workspaceId: "nope", userId: "ada" },
      { workspaceId: "wa", userId: "bo" },
    ];
    expect(await memberRoles(t.db, keys)).toEqual(["VIEWER", "EDITOR", null, "OWNER", null, "VIEWER"]);
    expect(await memberRoles(t.db, [])).toEqual([]);
    expect(await memberRole(t.db, "wb", "cy")).toBe("EDITOR");
    expect(await memberRole(t.db, "wb", "ada")).toBeNull();
    await expect(requireRole(t.db, { userId: "bo" }, "sync-wa", "EDITOR")).rejects.toThrow('this needs the EDITOR role in workspace "sync-wa"; you are VIEWER');
    await expect(requireRole(t.db, { userId: "cy" }, "sync-wa", "VIEWER")).rejects.toThrow('you are not a member of workspace "sync-wa"');
    expect((await requireRole(t.db, { userId: "bo" }, "sync-wb", "EDITOR")).role).toBe("EDITOR");
  });
});
