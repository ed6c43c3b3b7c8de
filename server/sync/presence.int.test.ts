/**
 * Presence (awareness) from a stranger, over real sockets: the sync server bounds it, checks it,
 * stamps the identity from the room token on it, caps its rate, and survives whatever arrives —
 * one socket's frame closes that socket, never the process or the room.
 */
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { COLLAB_SCHEMA_VERSION, createRoomAwareness, MAX_PRESENCE_BYTES, type Presence } from "@statescope/collab";
import { createTestSyncServer, fileSyncServer, presenceAt, seedMembers, spawnSyncProcess } from "../../tests/setup/sync-server";
import type { Role } from "../services/schemas";
import { signSyncToken } from "../services/sync-tokens";
import { PRESENCE_BURST, PRESENCE_RATE } from "./presence-gate";

const SECRET = "presence-secret-presence-secret-presence";
const V = String(COLLAB_SCHEMA_VERSION);

/** Who is who in workspace w1: name and colour are what the server signs into their tokens. */
const PEOPLE: Record<string, { role: Role; name: string; color: string }> = {
  olga: { role: "OWNER", name: "Olga", color: "#1f77b4" },
  vera: { role: "VIEWER", name: "Vera", color: "#2ca02c" },
  ed: { role: "EDITOR", name: "Ed", color: "#9467bd" },
  mallory: { role: "VIEWER", name: "Mallory", color: "#8c564b" },
  flo: { role: "VIEWER", name: "Flo", color: "#e377c2" },
  steady: { role: "VIEWER", name: "Steady", color: "#17becf" },
};

const sync = fileSyncServer(SECRET, (db) => seedMembers(db, "w1", Object.fromEntries(Object.entries(PEOPLE).map(([u, p]) => [u, p.role]))));

const token = (u: string, room: string) => signSyncToken(SECRET, { u, w: "w1", r: room, role: PEOPLE[u]!.role, n: PEOPLE[u]!.name, c: PEOPLE[u]!.color });

function provider(p: number, room: string, u: string): { doc: Y.Doc; provider: WebsocketProvider } {
  const doc = new Y.Doc();
  const prov = new WebsocketProvider(`ws://127.0.0.1:${p}`, room, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true, params: { token: token(u, room), v: V } });
  sync.cleanup.push(() => prov.destroy());
  return { doc, provider: prov };
}

/** A socket that speaks the protocol by hand; `admitted` resolves with the first document bytes. */
function raw(p: number, room: string, u: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${p}/${room}?token=${token(u, room)}&v=${V}`);
  ws.on("error", () => undefined);
  sync.cleanup.push(() => ws.terminate());
  const admitted = new Promise<void>((r) => ws.once("message", () => r()));
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.once("close", (code, reason) => r({ code, reason: reason.toString() })));
  return { ws, admitted, closed };
}

/** An awareness frame setting client `clientId`'s state (JSON text) at `clock`. */
function awarenessFrame(clientId: number, clock: number, json: string): Uint8Array {
  const inner = encoding.createEncoder();
  encoding.writeVarUint(inner, 1);
  encoding.writeVarUint(inner, clientId);
  encoding.writeVarUint(inner, clock);
  encoding.writeVarString(inner, json);
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 1);
  encoding.writeVarUint8Array(e, encoding.toUint8Array(inner));
  return encoding.toUint8Array(e);
}

const stateOf = (p: WebsocketProvider, clientId: number) => p.awareness.getStates().get(clientId) as Presence | undefined;
const synced = (p: WebsocketProvider) => expect.poll(() => p.synced, { timeout: 10_000 }).toBe(true);

describe("a hostile presence frame", () => {
  it("nested 5,000 deep (30 KB): the sync process stays up, closes only that socket, and the others keep syncing", async () => {
    const { child, port: p, exited } = await spawnSyncProcess(sync.t.url, SECRET);
    try {
      const room = "ws:w1:deep";
      const a = provider(p, room, "ed");
      const b = provider(p, room, "olga");
      await Promise.all([synced(a.provider), synced(b.provider)]);
      b.provider.awareness.setLocalState(presenceAt(5));

      const m = raw(p, room, "mallory");
      await m.admitted;
      const deep = '{"a":'.repeat(5000) + "1" + "}".repeat(5000);
      expect(deep.length).toBe(30_001);
      m.ws.send(awarenessFrame(4242, 1, deep));
      expect(await m.closed).toEqual({ code: 4400, reason: `presence state refused: 30001 bytes; the limit is ${MAX_PRESENCE_BYTES}` });
      // as deep again within the size cap: refused for its depth
      const m2 = raw(p, room, "mallory");
      await m2.admitted;
      const deepSmall = '{"a":'.repeat(1300) + "1" + "}".repeat(1300);
      expect(deepSmall.length).toBeLessThan(MAX_PRESENCE_BYTES);
      m2.ws.send(awarenessFrame(4243, 1, deepSmall));
      expect(await m2.closed).toEqual({ code: 4400, reason: "presence state refused: JSON nested deeper than 8 levels" });

      // the process is up: the room still syncs, a new client can join, and nobody saw the state
      a.doc.getMap("view").set("after", 1);
      await expect.poll(() => b.doc.getMap("view").get("after"), { timeout: 5000 }).toBe(1);
      const c = provider(p, room, "vera");
      await synced(c.provider);
      expect(c.doc.getMap("view").get("after")).toBe(1);
      await expect.poll(() => stateOf(c.provider, b.doc.clientID)?.view?.position, { timeout: 5000 }).toBe(5);
      expect(b.provider.awareness.getStates().has(4242)).toBe(false);
      expect(b.provider.awareness.getStates().has(4243)).toBe(false);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  }, 60_000);

  it("over the 8 KB cap: that socket is closed with the reason, and the state reaches nobody", async () => {
    const room = "ws:w1:oversize";
    const watcher = provider(sync.port, room, "olga");
    await synced(watcher.provider);
    const m = raw(sync.port, room, "mallory");
    await m.admitted;
    const state = presenceAt(1, Array.from({ length: 1000 }, (_, i) => 1000 + i));
    const big = JSON.stringify({ ...state, view: { ...state.view!, query: "q".repeat(4000) } });
    expect(big.length).toBeGreaterThan(MAX_PRESENCE_BYTES);
    m.ws.send(awarenessFrame(777, 1, big));
    const closed = await m.closed;
    expect(closed).toEqual({ code: 4400, reason: `presence state refused: ${big.length} bytes; the limit is ${MAX_PRESENCE_BYTES}` });
    // the room goes on: an edit and presence from someone else still arrive
    const ed = provider(sync.port, room, "ed");
    ed.provider.awareness.setLocalState(presenceAt(9));
    await expect.poll(() => stateOf(watcher.provider, ed.doc.clientID)?.view?.position, { timeout: 5000 }).toBe(9);
    expect(watcher.provider.awareness.getStates().has(777)).toBe(false);
  });
});

describe("a page's awareness", () => {
  // y-protocols' Awareness starts at `{}`, which y-websocket announces when the socket opens: the
  // server refused it as malformed (a strike of three) before the page had set its presence
  it("announces nothing before its presence is set: the server refuses nothing, and the presence arrives", async () => {
    const lines: string[] = [];
    const logged = createTestSyncServer(sync.t.url, SECRET, { log: (l) => lines.push(l) });
    try {
      const p = await logged.listen(0, "127.0.0.1");
      const room = "ws:w1:awareness-start";
      const connect = (u: string) => {
        const doc = new Y.Doc();
        const prov = new WebsocketProvider(`ws://127.0.0.1:${p}`, room, doc, { WebSocketPolyfill: WebSocket as never, disableBc: true, awareness: createRoomAwareness(doc), params: { token: token(u, room), v: V } });
        sync.cleanup.push(() => prov.destroy());
        return prov;
      };
      const ed = connect("ed");
      const olga = connect("olga");
      await synced(ed);
      await synced(olga);
      expect(ed.awareness.getLocalState()).toBeNull();
      ed.awareness.setLocalState(presenceAt(42));
      await expect.poll(() => stateOf(olga, ed.awareness.clientID)?.view?.position, { timeout: 5000 }).toBe(42);
      expect(lines.filter((l) => /malformed|closing the connection/.test(l))).toEqual([]);
    } finally {
      await logged.close();
    }
  });
});

describe("identity in presence", () => {
  it("is the server's (from the room token): a viewer claiming to be the owner is shown as themselves", async () => {
    const room = "ws:w1:spoof";
    const owner = provider(sync.port, room, "olga");
    const viewer = provider(sync.port, room, "vera");
    await Promise.all([synced(owner.provider), synced(viewer.provider)]);
    viewer.provider.awareness.setLocalState({ ...presenceAt(40), user: { id: "olga", name: "Olga (owner)", color: "#1f77b4", role: "OWNER" } });
    await expect.poll(() => stateOf(owner.provider, viewer.doc.clientID)?.view?.position, { timeout: 5000 }).toBe(40);
    expect(stateOf(owner.provider, viewer.doc.clientID)?.user).toEqual({ id: "vera", name: "Vera", color: "#2ca02c", role: "VIEWER" });
  });

  it("has the token's colour: a CSS value such as url(//host/x) never reaches the others", async () => {
    const room = "ws:w1:colour";
    const owner = provider(sync.port, room, "olga");
    const viewer = provider(sync.port, room, "vera");
    await Promise.all([synced(owner.provider), synced(viewer.provider)]);
    viewer.provider.awareness.setLocalState({ ...presenceAt(41), user: { id: "vera", name: "<img src=x onerror=alert(1)>", color: "url(//evil.example/x)", role: "VIEWER" } });
    await expect.poll(() => stateOf(owner.provider, viewer.doc.clientID)?.view?.position, { timeout: 5000 }).toBe(41);
    expect(stateOf(owner.provider, viewer.doc.clientID)?.user).toMatchObject({ name: "Vera", color: "#2ca02c" });
  });

  it("cannot be taken over: presence sent for another member's client is refused and theirs stays", async () => {
    const room = "ws:w1:hijack";
    const owner = provider(sync.port, room, "olga");
    const watcher = provider(sync.port, room, "ed");
    await Promise.all([synced(owner.provider), synced(watcher.provider)]);
    owner.provider.awareness.setLocalState(presenceAt(12));
    await expect.poll(() => stateOf(watcher.provider, owner.doc.clientID)?.view?.position, { timeout: 5000 }).toBe(12);
    const m = raw(sync.port, room, "mallory");
    await m.admitted;
    for (let clock = 100; clock < 103; clock++) m.ws.send(awarenessFrame(owner.doc.clientID, clock, JSON.stringify(presenceAt(666))));
    expect(await m.closed).toEqual({ code: 4400, reason: "too many malformed frames" });
    owner.provider.awareness.setLocalState(presenceAt(13));
    await expect.poll(() => stateOf(watcher.provider, owner.doc.clientID)?.view?.position, { timeout: 5000 }).toBe(13);
    expect(stateOf(watcher.provider, owner.doc.clientID)?.user.id).toBe("olga");
  });
});

describe("presence rate", () => {
  it(`passes at most ${PRESENCE_RATE} updates a second (after a burst of ${PRESENCE_BURST}) and closes a socket that floods`, async () => {
    const room = "ws:w1:flood";
    const watcher = provider(sync.port, room, "olga");
    await synced(watcher.provider);
    const seen = new Set<number>();
    watcher.provider.awareness.on("change", () => {
      const p = stateOf(watcher.provider, 9001)?.view?.position;
      if (p !== undefined) seen.add(p);
    });
    const f = raw(sync.port, room, "flo");
    await f.admitted;
    let sent = 0;
    const t0 = Date.now();
    let closedAt = 0;
    void f.closed.then(() => (closedAt = Date.now()));
    // 200 updates a second, each in its own frame (and its own turn of the server's event loop)
    while (f.ws.readyState === f.ws.OPEN && Date.now() - t0 < 3000) {
      f.ws.send(awarenessFrame(9001, ++sent, JSON.stringify(presenceAt(sent))));
      await new Promise((r) => setTimeout(r, 5));
    }
    const closed = await f.closed;
    expect(closed).toEqual({ code: 4429, reason: `too many presence updates: at most ${PRESENCE_RATE} per second` });
    const seconds = (closedAt - t0) / 1000;
    expect(sent).toBeGreaterThan(100);
    expect(seen.size).toBeGreaterThan(0);
    expect(seen.size).toBeLessThanOrEqual(PRESENCE_BURST + Math.ceil(PRESENCE_RATE * seconds) + 2);
  });

  it("keeps a client at the pages' own rate, and its last update always arrives", async () => {
    const room = "ws:w1:steady";
    const watcher = provider(sync.port, room, "olga");
    await synced(watcher.provider);
    const s = raw(sync.port, room, "steady");
    await s.admitted;
    for (let i = 1; i <= 60; i++) {
      s.ws.send(awarenessFrame(9002, i, JSON.stringify(presenceAt(i))));
      await new Promise((r) => setTimeout(r, 1000 / PRESENCE_RATE));
    }
    // and a burst at the end, as a page sends on a reconnect: coalesced, not refused
    for (let i = 61; i <= 61 + PRESENCE_BURST; i++) s.ws.send(awarenessFrame(9002, i, JSON.stringify(presenceAt(i))));
    await expect.poll(() => stateOf(watcher.provider, 9002)?.view?.position, { timeout: 5000 }).toBe(61 + PRESENCE_BURST);
    expect(s.ws.readyState).toBe(s.ws.OPEN);
  });
});
