/**
 * Malformed realtime frames at volume: an attacker process (sync-flood-attacker.ts) sends `frames`
 * malformed frames into one room while two members of another room measure how long an update
 * takes from one to the other (p50 / p99), and an observer in the attacked room checks that
 * nothing reached its document. Used by sync-flood.int.test.ts (fast) and `npm run test:soak`.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { COLLAB_SCHEMA_VERSION } from "@statescope/collab";
import { signSyncToken } from "../../server/services/sync-tokens";

const ATTACKER = path.join(path.dirname(fileURLToPath(import.meta.url)), "sync-flood-attacker.ts");

export interface FloodMember {
  user: string;
  workspace: string;
  room: string;
  /** Their role in the workspace (the token must carry the current one). */
  role: "OWNER" | "EDITOR" | "VIEWER";
}

export interface FloodResult {
  framesSent: number;
  connections: number;
  /** Updates sent in the other room while the flood ran, and how many arrived. */
  probes: number;
  samples: number;
  p50: number;
  p99: number;
  /** Changes that reached the attacked room's document (must be 0). */
  merged: number;
  ms: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A realtime member of `m.room` on the sync server at `syncUrl` (a y-websocket provider, as the page has). */
export function member(syncUrl: string, secret: string, m: FloodMember) {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(syncUrl.replace(/^http/, "ws"), m.room, doc, {
    WebSocketPolyfill: WebSocket as never,
    disableBc: true,
    params: { token: signSyncToken(secret, { u: m.user, w: m.workspace, r: m.room, role: m.role }), v: String(COLLAB_SCHEMA_VERSION) },
  });
  return { doc, provider };
}

export async function synced(p: WebsocketProvider): Promise<void> {
  const end = Date.now() + 20_000;
  while (!p.synced) {
    if (Date.now() > end) throw new Error("a flood client did not sync within 20 s");
    await sleep(20);
  }
}

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : Number.NaN;
};

export async function syncFlood(o: {
  syncUrl: string;
  secret: string;
  frames: number;
  attacker: FloodMember;
  /** Two members of another room: one writes, one reads. */
  writer: FloodMember;
  reader: FloodMember;
  /** Watches the attacked room's document. */
  observer: FloodMember;
}): Promise<FloodResult> {
  const observer = member(o.syncUrl, o.secret, o.observer);
  const w = member(o.syncUrl, o.secret, o.writer);
  const r = member(o.syncUrl, o.secret, o.reader);
  try {
    await Promise.all([synced(observer.provider), synced(w.provider), synced(r.provider)]);
    let merged = 0;
    observer.doc.on("update", () => merged++);
    const latencies: number[] = [];
    const sentAt = new Map<number, number>();
    r.doc.getMap("probe").observe((e) => {
      for (const k of e.keysChanged) {
        const t = sentAt.get(Number(k));
        if (t !== undefined) {
          latencies.push(performance.now() - t);
          if (process.env.FLOOD_TRACE) process.stderr.write(`probe ${k} at ${(t - start).toFixed(0)} ms: ${(performance.now() - t).toFixed(1)} ms\n`);
        }
      }
    });
    const child = spawn(process.execPath, ["--import", "tsx", ATTACKER], {
      env: { ...process.env, SYNC_URL: o.syncUrl, SECRET: o.secret, ROOM: o.attacker.room, USER: o.attacker.user, WORKSPACE: o.attacker.workspace, ROLE: o.attacker.role, FRAMES: String(o.frames) },
      stdio: ["pipe", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    while (!out.includes("READY\n")) {
      if (child.exitCode !== null) throw new Error(`the attacker process exited (${child.exitCode}): ${out}`);
      await sleep(20);
    }
    const t0 = Date.now();
    const start = performance.now();
    child.stdin.end("go\n");
    const done = new Promise<number | null>((res) => child.once("exit", (code) => res(code)));
    let finished = false;
    void done.then(() => (finished = true));
    // the measured room: one update every 20 ms for as long as the flood runs (and at least 3 s)
    for (let i = 0; !finished || performance.now() - start < 3_000; i++) {
      sentAt.set(i, performance.now());
      w.doc.getMap("probe").set(String(i), i);
      await sleep(20);
    }
    const code = await done;
    const settle = performance.now() + 5_000; // the last probes arrive
    while (latencies.length < sentAt.size && performance.now() < settle) await sleep(20);
    const m = /SENT (\d+) (\d+)/.exec(out);
    if (code !== 0 || !m) throw new Error(`the attacker process failed (${code}): ${out}`);
    return { framesSent: Number(m[1]), connections: Number(m[2]), probes: sentAt.size, samples: latencies.length, p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), merged, ms: Date.now() - t0 };
  } finally {
    for (const c of [observer, w, r]) c.provider.destroy();
  }
}
