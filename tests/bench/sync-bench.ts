/**
 * `npm run bench:sync`: issue 7's propagation-latency figures for one room.
 *
 *   tsx tests/bench/sync-bench.ts [--seconds 10] [--editors 30] [--readers 300] [--edit-hz 5] [--write-hz 20] [--only 1,2,3] [--flush-delay-ms 0] [--profile DIR]
 *
 * `--only` runs just the numbered scenarios below (e.g. `--only 3`: the two-process one).
 * `--flush-delay-ms N` makes every WAL flush of the bench database wait N ms first (Postgres's
 * `commit_delay`, every commit): a slower disk, such as a network volume or one busy with a
 * checkpoint, to see what of the latency waits for the disk.
 * BENCH_PG_PORT: the embedded PostgreSQL's port when it has to be started (default 54640).
 * Starts (or reuses) the embedded PostgreSQL in .test-data/bench-sync and
 * spawns real sync processes (`node --import tsx server/sync/main.ts`, the
 * same entry `npm run start:sync` runs, with their Postgres persistence and
 * relay). Clients are real `y-websocket` providers over `ws` in this process,
 * each with its own Y.Doc, admitted with real room tokens. An edit adds a
 * new key (client, sequence) to a shared `Y.Map`; its latency is the time
 * from the local set to the moment the key is observed in each
 * other client's document (so it includes the receiving client's decode and
 * apply, done for all clients by this one process). Scenarios:
 *
 * 1. co-editing: N editors, each editing at `--edit-hz`;
 * 2. readers: one writer at `--write-hz`, N protocol-level readers (presence, no Y.Doc:
 *    see connectRaw), then the same with a Y.Doc per reader, for information;
 * 3. two processes: N editors split over two sync processes, relayed through
 *    Postgres (the NOTIFY sent with each stored batch carries it); latency split by same/other process;
 * 4. relay hop: the Postgres storage and relay of two "processes" in this process, each storing a
 *    batch every SYNC_FLUSH_MS (20 ms, a room's busiest) without waiting for earlier commits;
 *    latency = append called → the other relay hands the update over (no sockets, no Y.Doc: the
 *    part of scenario 3 that goes through Postgres, measured without the clients' CPU).
 *
 * Prints p50/p90/p99/max per scenario and the sync processes' RSS.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import os from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { resolve } from "node:path";
import WebSocket from "ws";
import * as encoding from "lib0/encoding";
import * as awarenessProtocol from "y-protocols/awareness";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { COLLAB_SCHEMA_VERSION } from "@statescope/collab";
import { createDb } from "@/server/db/client";
import { ensureDatabase } from "@/server/db/embedded";
import { ensurePrismaClient, migrate } from "@/server/cli/runtime";
import { signSyncToken } from "@/server/services/sync-tokens";
import { createPgPubSub } from "@/server/pubsub/pg";
import { createRelay, type RelayPeer } from "@/server/sync/relay";
import { createPgStorage } from "@/server/sync/storage-pg";
import pg from "pg";

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const SECONDS = opt("--seconds", 10);
const EDITORS = opt("--editors", 30);
const READERS = opt("--readers", 300);
const EDIT_HZ = opt("--edit-hz", 5);
const WRITE_HZ = opt("--write-hz", 20);
const ONLY = args.includes("--only") ? new Set(args[args.indexOf("--only") + 1]!.split(",").map(Number)) : null;
const runs = (n: number) => !ONLY || ONLY.has(n);
const FLUSH_DELAY_MS = opt("--flush-delay-ms", 0);
const ROOT = resolve(import.meta.dirname, "..", "..");
const SECRET = randomBytes(24).toString("base64url");
const log = (l: string) => process.stderr.write(`[bench] ${l}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A delivery slower than this goes into the scenario's stall timeline. */
const SLOW_MS = 100;

/**
 * Once a second: this process's event-loop delay (max, ms) and the kernel's dirty + writeback page
 * cache (MB, /proc/meminfo) — with the sync processes' loop-probe samples, the stall timeline says
 * whether a latency tail was spent in a sync process, in this (receiving) process, or waiting on the disk.
 */
const ownLoop: { at: number; max: number; dirtyMb: number }[] = [];
{
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  setInterval(() => {
    let dirtyMb = NaN;
    try {
      const m = readFileSync("/proc/meminfo", "utf8");
      const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(m)?.[1] ?? NaN);
      dirtyMb = (kb("Dirty") + kb("Writeback")) / 1024;
    } catch {
      // not Linux: leave it out
    }
    ownLoop.push({ at: performance.now(), max: h.max / 1e6, dirtyMb });
    h.reset();
  }, 1000).unref();
}

/** The seconds of [t0, t1] in which some delivery took > SLOW_MS, with every process's worst loop delay then. */
function stallTimeline(name: string, rec: Recorder, procs: SyncProc[], t0: number, t1: number): void {
  if (rec.slow.length === 0) {
    log(`${name}: no delivery over ${SLOW_MS} ms`);
    return;
  }
  const seconds = new Map<number, { n: number; max: number }>();
  for (const d of rec.slow) {
    const s = Math.floor((d.at - t0) / 1000);
    const e = seconds.get(s) ?? { n: 0, max: 0 };
    e.n++;
    e.max = Math.max(e.max, d.ms);
    seconds.set(s, e);
  }
  // a loop sample at `at` covers the second before it
  const loopAt = (xs: { at: number; max: number }[], s: number) =>
    Math.max(0, ...xs.filter((x) => x.at > t0 + s * 1000 && x.at <= t0 + (s + 2) * 1000).map((x) => x.max));
  log(`${name}: deliveries over ${SLOW_MS} ms in ${seconds.size} of ${Math.round((t1 - t0) / 1000)} s (second: count, worst; loop max of ${procs.map((p) => p.name).join(", ")}, bench; dirty+writeback MB)`);
  for (const [s, e] of [...seconds].sort((a, b) => a[0] - b[0])) {
    const dirty = ownLoop.filter((x) => x.at > t0 + s * 1000 && x.at <= t0 + (s + 2) * 1000).map((x) => x.dirtyMb);
    log(
      `  t=${s}s: ${e.n} slow, worst ${e.max.toFixed(0)} ms; loop ${procs.map((p) => loopAt(p.loop, s).toFixed(0)).join(" / ")} / ${loopAt(ownLoop, s).toFixed(0)} ms; ` +
        `dirty ${dirty.length ? Math.max(...dirty).toFixed(0) : "–"} MB`,
    );
  }
}

interface SyncProc {
  child: ChildProcess;
  port: number;
  name: string;
  /** The process's event-loop delay, one sample a second (loop-probe.ts). */
  loop: { at: number; max: number }[];
}

async function startSync(databaseUrl: string, name: string): Promise<SyncProc> {
  // `--profile DIR` writes a V8 CPU profile of each sync process there (open it in Chrome DevTools).
  const profile = args.indexOf("--profile");
  const prof = profile >= 0 ? ["--cpu-prof", "--cpu-prof-dir", resolve(args[profile + 1]!)] : [];
  const child = spawn(process.execPath, [...prof, "--import", "tsx", "--import", resolve(ROOT, "tests/bench/loop-probe.ts"), resolve(ROOT, "server/sync/main.ts")], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, AUTH_SECRET: SECRET, SYNC_PORT: "0", SYNC_HOST: "127.0.0.1", NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const loop: SyncProc["loop"] = [];
  let partial = "";
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  child.stdout!.on("data", (d: Buffer) => {
    const lines = (partial + d.toString()).split("\n");
    partial = lines.pop()!;
    for (const line of lines) {
      const l = /^loop-delay ([\d.]+) ([\d.]+)$/.exec(line);
      if (l) loop.push({ at: performance.now(), max: Number(l[2]) });
    }
  });
  const port = await new Promise<number>((ok, fail) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on ws:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) ok(Number(m[1]));
    });
    child.once("exit", (code) => fail(new Error(`sync process ${name} exited (${code}): ${out}`)));
  });
  log(`sync process ${name}: pid ${child.pid}, port ${port}`);
  return { child, port, name, loop };
}

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** Resident and peak resident memory of a process, from /proc. */
function rss(pid: number): { rssMb: number; peakMb: number } {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? NaN);
  return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}

interface Client {
  id: number;
  doc: Y.Doc;
  provider: WebsocketProvider;
  proc: number;
}

/** The bench member: the sync process re-checks every socket's membership every 2 s. */
const member = { workspaceId: "", userId: "" };

function connect(port: number, room: string, id: number, proc: number): Client {
  const doc = new Y.Doc();
  const token = signSyncToken(SECRET, { u: member.userId, w: member.workspaceId, r: room, role: "EDITOR" });
  const provider = new WebsocketProvider(`ws://127.0.0.1:${port}`, room, doc, {
    WebSocketPolyfill: WebSocket as never,
    disableBc: true,
    params: { token, v: String(COLLAB_SCHEMA_VERSION) },
  });
  return { id, doc, provider, proc };
}

async function allSynced(clients: Client[]): Promise<void> {
  const until = Date.now() + 60_000;
  while (clients.some((c) => !c.provider.synced)) {
    if (Date.now() > until) throw new Error(`${clients.filter((c) => !c.provider.synced).length} clients did not sync within 60 s`);
    await sleep(50);
  }
}

/**
 * An edit adds one new key to a shared Y.Map: `#@<client id * SEQ_SPAN + sequence number>@#`.
 * Y updates carry map keys as plain UTF-8, so a protocol-level reader finds the marker in the
 * frame's bytes without decoding the update.
 */
const SEQ_SPAN = 1e7;
const keyOf = (v: number) => `#@${v}@#`;
const valueOf = (key: string) => Number(key.slice(2, -2));
const MARK_OPEN = Buffer.from("#@");
const MARK_CLOSE = Buffer.from("@#");

/**
 * A reader that speaks the protocol but keeps no Y.Doc: like a browser it sends its presence
 * (renewed every 15 s, as y-websocket clients do), and it timestamps each frame carrying an edit's
 * marker on arrival. Applying the update is left out because in production every reader does that
 * on its own machine; with 300 Y.Docs in this one process the decode queue (≈ 10 ms per broadcast)
 * would be measured instead of the server.
 */
interface RawReader {
  ws: WebSocket;
  awareness: awarenessProtocol.Awareness;
  ready: Promise<void>;
}

function connectRaw(port: number, room: string, id: number, proc: number, rec: Recorder, procOf: (id: number) => number): RawReader {
  const token = signSyncToken(SECRET, { u: member.userId, w: member.workspaceId, r: room, role: "EDITOR" });
  const ws = new WebSocket(`ws://127.0.0.1:${port}/${room}?token=${encodeURIComponent(token)}&v=${COLLAB_SCHEMA_VERSION}`);
  const awareness = new awarenessProtocol.Awareness(new Y.Doc());
  const sendPresence = () => {
    if (ws.readyState !== ws.OPEN) return;
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 1); // awareness message
    encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(awareness, [awareness.clientID]));
    ws.send(encoding.toUint8Array(e));
  };
  awareness.on("update", sendPresence);
  const ready = new Promise<void>((ok, fail) => {
    ws.once("message", () => ok());
    ws.once("close", (code, reason) => fail(new Error(`reader ${id} closed: ${code} ${reason.toString()}`)));
  });
  // a presence state as the explorer sends one (the server replaces `user` with the token's identity)
  ws.on("open", () => awareness.setLocalState({ schemaVersion: COLLAB_SCHEMA_VERSION, user: { id: `reader-${id}`, name: `reader ${id}`, color: "#1f77b4", role: "EDITOR" }, view: null, following: null }));
  ws.on("message", (data: Buffer) => rec.frame(data, proc, procOf));
  return { ws, awareness, ready };
}

/** Latency samples (ms) per (sender process, receiver process) pair kind. */
class Recorder {
  sent = new Map<number, number>();
  same: number[] = [];
  cross: number[] = [];
  expected = 0;
  recording = false;
  /** Deliveries slower than SLOW_MS: arrival time (performance.now()) and latency, for the stall timeline. */
  slow: { at: number; ms: number }[] = [];

  private add(kind: "same" | "cross", now: number, ms: number): void {
    this[kind].push(ms);
    if (ms > SLOW_MS) this.slow.push({ at: now, ms });
  }

  watch(c: Client, procOf: (id: number) => number): void {
    c.doc.getMap<number>("bench").observe((ev) => {
      const now = performance.now();
      if (!this.recording) return;
      // keysChanged is just this transaction's keys (an array event's `changes` would walk the whole array)
      for (const key of ev.keysChanged) {
        const v = valueOf(key);
        const from = Math.floor(v / SEQ_SPAN);
        if (from === c.id) continue;
        const at = this.sent.get(v);
        if (at === undefined) continue;
        this.add(procOf(from) === c.proc ? "same" : "cross", now, now - at);
      }
    });
  }

  /** A protocol-level reader got a frame: every marker in it is one delivery. */
  frame(buf: Buffer, proc: number, procOf: (id: number) => number): void {
    const now = performance.now();
    if (!this.recording) return;
    for (let i = buf.indexOf(MARK_OPEN); i >= 0; ) {
      const j = buf.indexOf(MARK_CLOSE, i + 2);
      if (j < 0) break;
      const v = Number(buf.toString("latin1", i + 2, j));
      const at = this.sent.get(v);
      if (at !== undefined) this.add(procOf(Math.floor(v / SEQ_SPAN)) === proc ? "same" : "cross", now, now - at);
      i = buf.indexOf(MARK_OPEN, j + 2);
    }
  }

  edit(c: Client, seq: number): void {
    const v = c.id * SEQ_SPAN + seq;
    this.sent.set(v, performance.now());
    c.doc.getMap<number>("bench").set(keyOf(v), 1);
  }
}

function pct(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))]!;
}
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "–");
const row = (cols: (string | number)[]) => "| " + cols.map(String).join(" | ") + " |";

interface Result {
  scenario: string;
  /** CPU use during the measured seconds: sync processes, this process (clients). */
  cpu: string;
  samples: number[];
  expected: number;
  target?: number;
  rss: string;
}

/** Editors edit at `hz` each (staggered) for SECONDS; a warm-up second is not recorded. */
async function drive(rec: Recorder, editors: Client[], hz: number, receivers: number): Promise<void> {
  let seq = 0;
  const period = 1000 / hz;
  const timers: NodeJS.Timeout[] = [];
  const start = (record: boolean) => {
    rec.recording = record;
    editors.forEach((c, i) => {
      const kick = setTimeout(() => {
        const t = setInterval(() => {
          rec.edit(c, ++seq);
          if (record) rec.expected += receivers;
        }, period);
        timers.push(t);
      }, (i * period) / editors.length);
      timers.push(kick);
    });
  };
  const stop = () => {
    for (const t of timers) clearInterval(t);
    timers.length = 0;
  };
  start(false);
  await sleep(1000);
  stop();
  await sleep(300);
  start(true);
  await sleep(SECONDS * 1000);
  stop();
  await sleep(1000); // let the last edits arrive
  rec.recording = false;
}

async function scenario(
  name: string,
  procs: SyncProc[],
  counts: { editors: number; readers: number },
  hz: number,
  target?: number,
  readers: "doc" | "raw" = "doc",
): Promise<Result[]> {
  const room = `ws:${member.workspaceId}:${name.replace(/\W+/g, "-")}-${randomBytes(3).toString("hex")}`;
  const n = counts.editors + counts.readers;
  const procOf = (id: number) => id % procs.length;
  const rec = new Recorder();
  const clients: Client[] = [];
  const raw: RawReader[] = [];
  for (let i = 0; i < n; i++) {
    if (readers === "raw" && i >= counts.editors) raw.push(connectRaw(procs[procOf(i)]!.port, room, i, procOf(i), rec, procOf));
    else clients.push(connect(procs[procOf(i)]!.port, room, i, procOf(i)));
    if (i % 25 === 24) await sleep(20);
  }
  await allSynced(clients);
  await Promise.all(raw.map((r) => r.ready));
  await sleep(1000); // presence of every client reaches every client
  log(`${name}: ${n} clients synced`);
  for (const c of clients) rec.watch(c, procOf);
  const editors = clients.slice(0, counts.editors);
  const cpu0 = procs.map((p) => cpuSeconds(p.child.pid!));
  const me0 = process.cpuUsage();
  const t0 = performance.now();
  await drive(rec, editors, hz, n - 1);
  const t1 = performance.now();
  const wall = (t1 - t0) / 1000;
  const meUse = process.cpuUsage(me0);
  stallTimeline(name, rec, procs, t0, t1);
  const cpu =
    procs.map((p, i) => `${(((cpuSeconds(p.child.pid!) - cpu0[i]!) / wall) * 100).toFixed(0)}%`).join(" + ") +
    ` / ${(((meUse.user + meUse.system) / 1e6 / wall) * 100).toFixed(0)}%`;
  const mem = procs.map((p) => rss(p.child.pid!)).map((m) => `${m.rssMb.toFixed(0)} MB (peak ${m.peakMb.toFixed(0)})`).join(" + ");
  for (const c of clients) c.provider.destroy();
  for (const r of raw) {
    r.awareness.destroy();
    r.ws.close();
  }
  if (procs.length === 1) return [{ scenario: name, samples: rec.same, expected: rec.expected, target, rss: mem, cpu }];
  return [
    { scenario: `${name}: same process`, samples: rec.same, expected: 0, rss: mem, cpu },
    { scenario: `${name}: other process`, samples: rec.cross, expected: 0, rss: mem, cpu },
    { scenario: `${name}: all`, samples: [...rec.same, ...rec.cross], expected: rec.expected, target, rss: mem, cpu },
  ];
}

/** Scenario 4: the relay hop through Postgres alone (see the header). */
async function relayHop(url: string, room: string): Promise<Result[]> {
  const PERIOD_MS = 20;
  const pools = [0, 1].map(() => new pg.Pool({ connectionString: url, max: 8 }));
  const ends = pools.map((pool) => createPgPubSub({ connectionString: url, pool }));
  const relays = ends.map((end, i) => createRelay(end, { origin: `bench-hop-${i}-${randomBytes(2).toString("hex")}` }));
  const storages = pools.map((pool, i) => createPgStorage({ pool, origin: relays[i]!.origin }));
  const rec = new Recorder();
  const peer = (proc: number): RelayPeer => ({
    update: (u) => rec.frame(Buffer.from(u.buffer, u.byteOffset, u.byteLength), proc, (id) => id),
    reload: () => undefined,
    presence: () => undefined,
    dropClients: () => undefined,
    localPresence: () => null,
  });
  try {
    const joined = await Promise.all(relays.map((r, i) => r.join(room, peer(i))));
    // the pools' connections are open: opening one is not what this measures
    await Promise.all(pools.map((p) => Promise.all(Array.from({ length: 8 }, () => p.query("SELECT 1")))));
    const writes: Promise<void>[] = [];
    const write = async (record: boolean, ms: number) => {
      rec.recording = record;
      const until = performance.now() + ms;
      for (let seq = 0; performance.now() < until; ) {
        for (const i of [0, 1]) {
          const v = i * SEQ_SPAN + ++seq;
          const doc = new Y.Doc();
          doc.getMap("bench").set(keyOf(v), 1);
          const u = Y.encodeStateAsUpdate(doc);
          rec.sent.set(v, performance.now());
          if (record) rec.expected++;
          writes.push(storages[i]!.append(room, u, joined[i]!.announce(u)).catch((e: unknown) => void log(`relay hop: append failed: ${String(e)}`)));
        }
        await sleep(PERIOD_MS);
      }
    };
    await write(false, 1000);
    await write(true, SECONDS * 1000);
    await Promise.all(writes);
    await sleep(1000);
    rec.recording = false;
  } finally {
    await Promise.all(relays.map((r) => r.close()));
    await Promise.all(ends.map((e) => e.close()));
    await Promise.all(pools.map((p) => p.end()));
  }
  return [{ scenario: `relay hop: 2 storages + relays, a batch every ${PERIOD_MS} ms each → the other relay`, samples: rec.cross, expected: rec.expected, rss: "–", cpu: "–" }];
}

async function main() {
  await ensurePrismaClient(log);
  const handle = await ensureDatabase({ dataDir: resolve(ROOT, ".test-data/bench-sync"), preferredPort: Number(process.env.BENCH_PG_PORT ?? 54640), log });
  const procs: SyncProc[] = [];
  try {
    await migrate(handle.url, log);
    const db = createDb(handle.url);
    // (ALTER DATABASE … SET applies to the connections opened afterwards: the sync processes')
    const dbName = new URL(handle.url).pathname.slice(1);
    if (FLUSH_DELAY_MS > 0) {
      await db.$executeRawUnsafe(`ALTER DATABASE "${dbName}" SET commit_delay = ${Math.min(Math.round(FLUSH_DELAY_MS * 1000), 100_000)}`);
      await db.$executeRawUnsafe(`ALTER DATABASE "${dbName}" SET commit_siblings = 0`);
    } else {
      await db.$executeRawUnsafe(`ALTER DATABASE "${dbName}" RESET commit_delay`);
      await db.$executeRawUnsafe(`ALTER DATABASE "${dbName}" RESET commit_siblings`);
    }
    const user = await db.user.upsert({ where: { email: "bench@sync.test" }, create: { email: "bench@sync.test", name: "bench" }, update: {}, select: { id: true } });
    const ws = await db.workspace.upsert({ where: { slug: "bench-sync" }, create: { slug: "bench-sync", name: "sync bench" }, update: {}, select: { id: true } });
    await db.membership.upsert({
      where: { workspaceId_userId: { workspaceId: ws.id, userId: user.id } },
      create: { workspaceId: ws.id, userId: user.id, role: "EDITOR" },
      update: { role: "EDITOR" },
    });
    // rooms of earlier runs
    await db.syncUpdate.deleteMany({ where: { room: { startsWith: `ws:${ws.id}:` } } });
    await db.$disconnect();
    Object.assign(member, { workspaceId: ws.id, userId: user.id });
    process.setMaxListeners(0); // every y-websocket provider adds an exit listener
    const results: Result[] = [];
    const one = runs(1) || runs(2) || runs(3) ? await startSync(handle.url, "A") : null;
    if (one) procs.push(one);
    if (one && runs(1)) results.push(...(await scenario(`${EDITORS} co-editors`, [one], { editors: EDITORS, readers: 0 }, EDIT_HZ, 50)));
    if (one && runs(2)) {
      results.push(...(await scenario(`1 writer, ${READERS} readers`, [one], { editors: 1, readers: READERS }, WRITE_HZ, 30, "raw")));
      results.push(...(await scenario(`1 writer, ${READERS} readers, each with a Y.Doc in this process`, [one], { editors: 1, readers: READERS }, WRITE_HZ)));
    }
    if (one && runs(3)) {
      const two = await startSync(handle.url, "B");
      procs.push(two);
      results.push(...(await scenario(`${EDITORS} co-editors on 2 processes`, [one, two], { editors: EDITORS, readers: 0 }, EDIT_HZ, 50)));
    }
    if (runs(4)) results.push(...(await relayHop(handle.url, `ws:${member.workspaceId}:relay-hop-${randomBytes(3).toString("hex")}`)));

    console.log(
      `Statescope sync benchmark — node ${process.version}, ${SECONDS} s per scenario after 1 s warm-up; editors ${EDIT_HZ} edits/s each, ` +
        `the single writer ${WRITE_HZ} edits/s; sync processes: node --import tsx server/sync/main.ts with Postgres persistence (SYNC_FLUSH_MS default)` +
        (FLUSH_DELAY_MS > 0 ? `; every WAL flush delayed ${FLUSH_DELAY_MS} ms (commit_delay)` : ""),
    );
    console.log(
      "latency = local Y.Map set of a new key → key observed in another client's Y.Doc (all Y.Docs decoded by the bench process), " +
        "or, for the readers scenario, → the frame carrying it arrives at the reader's socket (see connectRaw); missing = never observed",
    );
    console.log("");
    console.log(row(["scenario", "deliveries", "p50 ms", "p90 ms", "p99 ms", "max ms", "target p99", "sync RSS", "CPU sync / clients"]));
    console.log(row(["---", "---:", "---:", "---:", "---:", "---:", "---", "---", "---"]));
    for (const r of results) {
      const p99 = pct(r.samples, 0.99);
      const verdict = r.target === undefined ? "" : `≤ ${r.target} ms ${p99 <= r.target ? "✓" : "✗"}`;
      const missing = r.expected - r.samples.length;
      console.log(
        row([
          r.scenario,
          `${r.samples.length}${missing > 0 ? ` (${missing} missing)` : ""}`,
          f1(pct(r.samples, 0.5)),
          f1(pct(r.samples, 0.9)),
          f1(p99),
          f1(pct(r.samples, 1)),
          verdict,
          r.rss,
          r.cpu,
        ]),
      );
    }
    const me = process.memoryUsage();
    console.log("");
    console.log(`bench process (all clients): RSS ${(me.rss / 2 ** 20).toFixed(0)} MB; machine: ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
  } finally {
    await Promise.all(procs.map((p) => new Promise<void>((ok) => (p.child.exitCode !== null ? ok() : (p.child.once("exit", () => ok()), p.child.kill("SIGTERM"))))));
    await handle.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
