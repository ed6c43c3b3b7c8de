import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PALETTE, roomName } from "@statescope/collab";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { resetEnvCache } from "../env";
import { createUser } from "../services/users";
import { verifySyncToken } from "../services/sync-tokens";
import { createCaller } from "./root";
import { trpcError } from "../../tests/fixtures/collab";

const SECRET = "sync-router-secret-sync-router-secret";
let t: TestDatabase;
beforeAll(async () => {
  vi.stubEnv("AUTH_SECRET", SECRET);
  vi.stubEnv("SYNC_PORT", "1999");
  vi.stubEnv("SYNC_PUBLIC_URL", undefined);
  resetEnvCache();
  t = await freshDatabase();
});
afterAll(async () => {
  vi.unstubAllEnvs();
  resetEnvCache();
  await t.drop();
});

const as = (userId: string, requestOrigin = "http://lab.example:3000") =>
  createCaller({ db: t.db, pubsub: t.pubsub, actor: { userId }, publicUrl: "https://public.example", requestOrigin });


describe("sync.token", () => {
  it("issues a ticket for a dataset of the workspace: room, verified role, browser URL and presence identity", async () => {
    const owner = await createUser(t.db, { email: "ada@sync.test", password: "password1", name: "Ada" });
    const viewer = await createUser(t.db, { email: "grace.h@sync.test", password: "password1" });
    const outsider = await createUser(t.db, { email: "eve@sync.test", password: "password1" });
    await as(owner.userId).workspace.create({ slug: "syncws", name: "Sync" });
    await as(owner.userId).workspace.create({ slug: "otherws", name: "Other" });
    const invite = await as(owner.userId).invite.create({ workspace: "syncws", role: "VIEWER" });
    await as(viewer.userId).invite.accept({ token: invite.token });
    const ws = await t.db.workspace.findUniqueOrThrow({ where: { slug: "syncws" } });
    const other = await t.db.workspace.findUniqueOrThrow({ where: { slug: "otherws" } });
    const ds = await t.db.dataset.create({ data: { workspaceId: ws.id, name: "d" } });
    const foreign = await t.db.dataset.create({ data: { workspaceId: other.id, name: "f" } });

    const ticket = await as(owner.userId).sync.token({ workspace: "syncws", datasetId: ds.id });
    expect(ticket).toMatchObject({
      room: roomName(ws.id, ds.id),
      url: "ws://lab.example:1999",
      expiresInSeconds: 60,
      role: "OWNER",
      // members' colours by join order: the owner joined first
      user: { id: owner.userId, name: "Ada", color: PALETTE[0] },
    });
    expect(verifySyncToken(SECRET, ticket.token)).toMatchObject({ u: owner.userId, w: ws.id, r: ticket.room, role: "OWNER" });

    const v = await as(viewer.userId, "https://secure.example").sync.token({ workspace: "syncws", datasetId: ds.id });
    expect(v).toMatchObject({ role: "VIEWER", url: "wss://secure.example:1999", user: { name: "grace.h", color: PALETTE[1] } });
    // the avatars read the same colours from workspace.get
    expect((await as(viewer.userId).workspace.get({ workspace: "syncws" })).colors).toEqual({ [owner.userId]: PALETTE[0], [viewer.userId]: PALETTE[1] });
    expect(verifySyncToken(SECRET, v.token).role).toBe("VIEWER");

    const missing = await trpcError(as(owner.userId).sync.token({ workspace: "syncws", datasetId: foreign.id }));
    expect(missing.code).toBe("NOT_FOUND");
    expect(missing.message).toBe(`dataset ${foreign.id} does not exist in workspace "syncws"`);
    expect((await trpcError(as(outsider.userId).sync.token({ workspace: "syncws", datasetId: ds.id }))).code).toBe("FORBIDDEN");

    // deleting the dataset deletes its room's stored document
    await t.db.syncUpdate.create({ data: { room: ticket.room, data: Buffer.from([0, 0]), origin: "test" } });
    await t.db.syncUpdate.create({ data: { room: roomName(other.id, foreign.id), data: Buffer.from([0, 0]), origin: "test" } });
    const gone = await t.db.dataset.create({ data: { workspaceId: ws.id, name: "gone" } });
    await t.db.syncUpdate.create({ data: { room: roomName(ws.id, gone.id), data: Buffer.from([0, 0]), origin: "test" } });
    await as(owner.userId).dataset.delete({ workspace: "syncws", datasetId: gone.id });
    expect(await t.db.syncUpdate.count({ where: { room: roomName(ws.id, gone.id) } })).toBe(0);
    expect(await t.db.syncUpdate.count()).toBe(2);

    vi.stubEnv("SYNC_PUBLIC_URL", "wss://sync.example/rt/");
    resetEnvCache();
    expect((await as(owner.userId).sync.token({ workspace: "syncws", datasetId: ds.id })).url).toBe("wss://sync.example/rt");
  });
});
