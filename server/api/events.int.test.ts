import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { incomingMessageToRequest } from "@trpc/server/adapters/node-http";
import pg from "pg";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerFor, collabFixture, type CollabFixture } from "../../tests/fixtures/collab";
import { makeLstmVisProject } from "../../tests/fixtures/formats/projects";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { resetEnvCache } from "../env";
import { LISTENER_APPLICATION_NAME } from "../pubsub/pg";
import { notifyRecord, RECORD_EVENTS } from "../services/records/common";
import { importDataset } from "../services/datasets/import";
import { createWorkspace } from "../services/workspaces";
import { appRouter, createCaller } from "./root";

let t: TestDatabase;
let fx: CollabFixture;
let as: ReturnType<typeof callerFor>;
let otherWs: { workspaceId: string; datasetId: string };
let tmp: string;
const savedUrl = process.env.DATABASE_URL;

beforeAll(async () => {
  t = await freshDatabase();
  process.env.DATABASE_URL = t.url;
  resetEnvCache();
  fx = await collabFixture(t.db, "live");
  as = callerFor(t);
  // Another workspace (the outsider's) with its own dataset: its events must not leak.
  tmp = await mkdtemp(join(tmpdir(), "events-int-"));
  const ws = await createWorkspace(t.db, fx.users.outsider, { slug: "secret" });
  const p = await makeLstmVisProject(join(tmp, "p"), { n: 50 });
  otherWs = { workspaceId: ws.workspaceId, datasetId: (await importDataset(t.db, { workspaceId: ws.workspaceId, userId: fx.users.outsider, path: p.dir })).datasetId };
});
afterAll(async () => {
  await t.drop();
  await fx?.cleanup();
  await rm(tmp, { recursive: true, force: true });
  if (savedUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = savedUrl;
  resetEnvCache();
});

/**
 * Consume a subscription in the background; `until` waits for an item matching a predicate.
 * `onItem` runs as each item arrives, before the next one is read (e.g. to look at the database
 * at the moment of delivery).
 */
function collect<T>(start: (signal: AbortSignal) => Promise<AsyncIterable<T>>, onItem?: (x: T) => Promise<void>) {
  const ac = new AbortController();
  const items: T[] = [];
  let failure: unknown = null;
  let waiters: Array<() => void> = [];
  const poke = () => {
    for (const w of waiters) w();
    waiters = [];
  };
  const done = (async () => {
    try {
      for await (const x of await start(ac.signal)) {
        await onItem?.(x);
        items.push(x);
        poke();
      }
    } catch (e) {
      failure = e;
    } finally {
      poke();
    }
  })();
  return {
    items,
    get failure() {
      return failure;
    },
    async until(pred: (x: T) => boolean, timeoutMs = 5000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = items.find(pred);
        if (hit) return hit;
        if (failure) throw failure;
        if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(items)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
    },
    async close() {
      ac.abort();
      await done;
    },
  };
}

const subscribeAs = (userId: string) => (signal: AbortSignal) => Promise.resolve(createCaller({ db: t.db, pubsub: t.pubsub, actor: { userId }, publicUrl: "http://app.test" }, { signal }));

/** Wait until the pub/sub has `n` subscribers of record events (a subscription starts listening asynchronously). */
async function hubSubscribers(n: number) {
  const hub = t.pubsub;
  for (let i = 0; i < 500 && (hub.subscribers(RECORD_EVENTS) < n || !hub.connected); i++) await new Promise((r) => setTimeout(r, 10));
  expect(hub.subscribers(RECORD_EVENTS)).toBeGreaterThanOrEqual(n);
  expect(hub.connected).toBe(true);
}

const hyp = (datasetId: string, workspace = fx.ws) => ({ workspace, datasetId, name: "live", source: "states::states1", start: 0, end: 4, padLeft: 0, padRight: 0, threshold: 0.3, cells: [0] });

describe("live record events", () => {
  it("delivers a dataset's events after commit, and none of other datasets or workspaces", async () => {
    // whether each delivered record is visible to another connection at the moment it is delivered
    const visibleAtDelivery = new Map<string, boolean>();
    const s = collect(
      async (signal) => (await subscribeAs(fx.users.viewer)(signal)).events.onDataset({ workspace: fx.ws, datasetId: fx.datasetId }),
      async (e) => {
        if ("id" in e && e.kind === "hypothesis") visibleAtDelivery.set(e.id, (await t.db.hypothesis.count({ where: { id: e.id } })) === 1);
      },
    );
    await hubSubscribers(1);
    const h = await as(fx.users.editor).hypothesis.create(hyp(fx.datasetId));
    const ev = await s.until((e) => "id" in e && e.id === h.id);
    expect(ev).toEqual({ kind: "hypothesis", id: h.id, op: "created", userId: fx.users.editor, datasetId: fx.datasetId });
    expect(visibleAtDelivery.get(h.id)).toBe(true);

    // an event notified inside a transaction is not delivered while it is open: a later committed
    // write's event (the marker) arrives first; the held one arrives only after the commit
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const open = t.db.$transaction(async (tx) => {
      await notifyRecord(tx, { workspaceId: fx.workspaceId, datasetId: fx.datasetId, kind: "hypothesis", id: "held", op: "updated" });
      await held;
    });
    const marker = await as(fx.users.editor).hypothesis.create(hyp(fx.datasetId));
    await s.until((e) => "id" in e && e.id === marker.id);
    expect(s.items.some((e) => "id" in e && e.id === "held")).toBe(false);
    release();
    await open;
    await s.until((e) => "id" in e && e.id === "held");
    const heldAt = s.items.findIndex((e) => "id" in e && e.id === "held");
    expect(heldAt).toBeGreaterThan(s.items.findIndex((e) => "id" in e && e.id === marker.id));
    const seen = s.items.length;

    // Writes elsewhere, then a marker here: events arrive in commit order, so anything leaked would precede the marker.
    const elsewhere = await as(fx.users.editor).hypothesis.create(hyp(fx.otherDatasetId));
    const secret = await as(fx.users.outsider).hypothesis.create(hyp(otherWs.datasetId, "secret"));
    await t.db.$transaction(async (tx) => {
      await notifyRecord(tx, { workspaceId: fx.workspaceId, datasetId: fx.datasetId, kind: "hypothesis", id: "rolled-back", op: "created" });
      throw new Error("roll back");
    }).catch(() => undefined);
    const cat = await as(fx.users.editor).annotation.createCategory({ workspace: fx.ws, datasetId: fx.datasetId, name: "marker" });
    const th = await as(fx.users.editor).comment.createThread({ workspace: fx.ws, datasetId: fx.datasetId, anchor: { kind: "range", source: "states::states1", start: 1, end: 3, cells: [] }, body: "hello @viewer", idempotencyKey: randomUUID() });
    await s.until((e) => "id" in e && e.id === th.comments[0]!.id);
    const ids = s.items.map((e) => ("id" in e ? e.id : e.kind));
    expect(ids).not.toContain(elsewhere.id);
    expect(ids).not.toContain(secret.id);
    expect(ids).not.toContain("rolled-back");
    expect(s.items.slice(seen)).toEqual([
      { kind: "annotation", id: cat.id, op: "created", userId: fx.users.editor, datasetId: fx.datasetId },
      { kind: "comment", id: th.comments[0]!.id, threadId: th.id, op: "created", userId: fx.users.editor, datasetId: fx.datasetId },
    ]); // the mention went to the inbox stream only
    await s.close();
  });

  it("sends each member their own new mentions on the inbox stream", async () => {
    const viewer = collect(async (signal) => (await subscribeAs(fx.users.viewer)(signal)).events.onInbox({ workspace: fx.ws }));
    const editor2 = collect(async (signal) => (await subscribeAs(fx.users.editor2)(signal)).events.onInbox({ workspace: fx.ws }));
    await hubSubscribers(2);
    const th = await as(fx.users.editor).comment.createThread({ workspace: fx.ws, datasetId: fx.datasetId, anchor: { kind: "range", source: "states::states1", start: 5, end: 6, cells: [] }, body: "@editor2 only", idempotencyKey: randomUUID() });
    const r = await as(fx.users.editor).comment.reply({ workspace: fx.ws, threadId: th.id, body: "and @viewer", idempotencyKey: randomUUID() });
    const got = await viewer.until((e) => e.op === "created");
    expect(got.op === "created" && got.item.comment).toMatchObject({ id: r.id, body: "and @viewer", author: { id: fx.users.editor } });
    expect(got.op === "created" && got.item.thread.id).toBe(th.id);
    const e2 = await editor2.until((e) => e.op === "created");
    expect(e2.op === "created" && e2.item.comment.id).toBe(th.comments[0]!.id);
    await as(fx.users.viewer).comment.markRead({ workspace: fx.ws });
    await viewer.until((e) => e.op === "read");
    expect(viewer.items.filter((e) => e.op === "created")).toHaveLength(1);
    expect(editor2.items.filter((e) => e.op === "created")).toHaveLength(1);
    await viewer.close();
    await editor2.close();
  });

  it("refuses non-members and datasets of other workspaces, and ends a removed member's stream", async () => {
    const outsider = collect(async (signal) => (await subscribeAs(fx.users.outsider)(signal)).events.onDataset({ workspace: fx.ws, datasetId: fx.datasetId }));
    await expect(outsider.until(() => false, 2000)).rejects.toMatchObject({ code: "FORBIDDEN" });
    const foreign = collect(async (signal) => (await subscribeAs(fx.users.viewer)(signal)).events.onDataset({ workspace: fx.ws, datasetId: otherWs.datasetId }));
    await expect(foreign.until(() => false, 2000)).rejects.toMatchObject({ code: "NOT_FOUND" });

    const s = collect(async (signal) => (await subscribeAs(fx.users.editor2)(signal)).events.onDataset({ workspace: fx.ws, datasetId: fx.datasetId }));
    await hubSubscribers(1);
    await t.db.membership.delete({ where: { workspaceId_userId: { workspaceId: fx.workspaceId, userId: fx.users.editor2 } } });
    // Membership is re-checked as events flow, at most every few seconds: write one event at a
    // time, each waited for, until the stream ends (no guess at the interval).
    let outcome: unknown = undefined;
    for (let i = 0; outcome === undefined; i++) {
      expect(i, "the stream never re-checked the membership").toBeLessThan(2000);
      const h = await as(fx.users.editor).hypothesis.create(hyp(fx.datasetId));
      // delivered: go on; the stream ended instead: its error
      outcome = await s.until((e) => "id" in e && e.id === h.id).then(
        () => undefined,
        (e: unknown) => e,
      );
    }
    expect(outcome).toMatchObject({ code: "FORBIDDEN", message: "you are no longer a member of this workspace" });
    await t.db.membership.create({ data: { workspaceId: fx.workspaceId, userId: fx.users.editor2, role: "EDITOR" } });
    await Promise.all([outsider.close(), foreign.close(), s.close()]);
  });

  it("reconnects its listener after the connection is killed and tells subscribers to resync", async () => {
    const s = collect(async (signal) => (await subscribeAs(fx.users.viewer)(signal)).events.onDataset({ workspace: fx.ws, datasetId: fx.datasetId }));
    await hubSubscribers(1);
    const admin = new pg.Client({ connectionString: t.url });
    await admin.connect();
    const killed = await admin.query("select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = $1 and datname = current_database()", [LISTENER_APPLICATION_NAME]);
    await admin.end();
    expect(killed.rowCount).toBe(1);
    await s.until((e) => e.kind === "resync", 10_000);
    const h = await as(fx.users.editor).hypothesis.create(hyp(fx.datasetId));
    await s.until((e) => "id" in e && e.id === h.id);
    await s.close();
  });
});

describe("SSE over HTTP (the fetch adapter the Next route handler uses)", () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      void (async () => {
        const request = incomingMessageToRequest(req, res, { maxBodySize: null });
        const response = await fetchRequestHandler({
          endpoint: "/api/trpc",
          req: request,
          router: appRouter,
          // As app/api/trpc/[trpc]/route.ts, with the session resolved to a fixed member.
          createContext: async () => ({ db: t.db, pubsub: t.pubsub, actor: { userId: req.headers["x-user"] as string }, publicUrl: "http://app.test" }),
        });
        res.writeHead(response.status, Object.fromEntries(response.headers));
        if (!response.body) return res.end();
        const reader = response.body.getReader();
        for (let r = await reader.read(); !r.done; r = await reader.read()) res.write(r.value);
        res.end();
      })();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("streams events.onDataset as server-sent events, each after its commit", async () => {
    const input = encodeURIComponent(JSON.stringify(superjson.serialize({ workspace: fx.ws, datasetId: fx.datasetId })));
    const ac = new AbortController();
    const res = await fetch(`${base}/api/trpc/events.onDataset?input=${input}`, { headers: { accept: "text/event-stream", "x-user": fx.users.viewer }, signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const readUntil = async (needle: string) => {
      const deadline = Date.now() + 5000;
      while (!text.includes(needle)) {
        if (Date.now() > deadline) throw new Error(`no ${needle} in ${text}`);
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended: ${text}`);
        text += value;
      }
    };
    await readUntil("event: connected");
    await hubSubscribers(1);
    const h = await as(fx.users.editor).hypothesis.create(hyp(fx.datasetId));
    await readUntil(h.id);
    const data = text.split("\n").find((l) => l.startsWith("data: ") && l.includes(h.id))!;
    expect(superjson.deserialize(JSON.parse(data.slice(6)))).toEqual({ kind: "hypothesis", id: h.id, op: "created", userId: fx.users.editor, datasetId: fx.datasetId });
    ac.abort();
    await reader.cancel().catch(() => undefined);
    // The server ends the subscription when the client goes away (no listener leaks).
    for (let i = 0; i < 200 && t.pubsub.subscribers(RECORD_EVENTS) > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(t.pubsub.subscribers(RECORD_EVENTS)).toBe(0);

    // A non-member gets an error response, not a stream of someone else's events.
    const refused = await fetch(`${base}/api/trpc/events.onDataset?input=${input}`, { headers: { accept: "text/event-stream", "x-user": fx.users.outsider } });
    const body = await refused.text();
    expect(body).toMatch(/you are not a member of workspace/);
  });
});
