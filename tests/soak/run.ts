/**
 * `npm run test:soak`: kill trials against a real `npm start` (production build, embedded
 * PostgreSQL) and the hostile-file volume fuzz, then one table — trials, acknowledged, lost,
 * duplicated, crashes — where every "lost", "duplicated" and "crashes" must be 0 (exit 1 otherwise).
 *
 *   npm run test:soak                      # 20 trials per target, 1,000 hostile archives
 *   npm run test:soak -- --trials 3 --files 100 --frames 3000
 *   npm run test:soak -- --only imports,files      # some rows: web,postgres,both,imports,match,extract,sync-kill,sync,files
 *
 * Targets: comments posted at up to 100/s by 10 clients (each retried with its idempotency key until acknowledged)
 * while web, PostgreSQL, or both are killed with SIGKILL; the worker killed at a random point of
 * imports and extractions (each must end READY exactly once: retried from nothing after the
 * worker's heartbeat lapses) and while it runs match queries (the page's match.run / match.result
 * must end with the right result, one stored row, never "pending" forever); the sync process killed
 * while a member writes 200 Yjs updates/s (every update accepted more than 100 ms before the kill
 * survives); every other part must keep serving and the killed one be back within 10 s. Then 30,000
 * malformed realtime frames into one room: nothing merged, another room's p99 ≤ 100 ms.
 * The worker's heartbeat runs at 0.5 s / dead after 3 s here (defaults 5 s / 60 s) so a trial takes
 * seconds; the mechanism is the same. Match queries all go through the worker here
 * (MATCH_INLINE_VALUES=0), and their long-polls last 2 s (MATCH_WAIT_MS).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startImportFromUpload } from "../../server/services/datasets/datasets";
import { startDemoExtraction } from "../../server/services/extract/start";
import { MatchEngine } from "../../server/services/matching/engine";
import { canonicalQuery, matchKey, ZMatchInput } from "../../server/services/matching/schemas";
import { pgPool } from "../../server/db/client";
import { makeLstmVisProject } from "../fixtures/formats/projects";
import { commentKillTrial, LAUNCHER_AUTH_SECRET, seedCommenter, type Commenter } from "../setup/durability";
import { killTrial, serving, startLauncher, TARGETS, type Launcher, type Target } from "../setup/launcher";
import { roomName } from "@statescope/collab";
import { fuzzFiles } from "./file-fuzz";
import { syncFlood } from "./sync-flood";
import { syncKillTrial } from "./sync-kill";

interface Row {
  target: string;
  trials: number;
  acknowledged: number;
  lost: number;
  duplicated: number;
  crashes: number;
  note: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (m: string) => process.stderr.write(`[soak] ${m}\n`);

async function commentRow(l: Launcher, c: Commenter, targets: Target[], trials: number): Promise<Row> {
  const row: Row = { target: `${targets.join(" + ")} (comments 100/s)`, trials, acknowledged: 0, lost: 0, duplicated: 0, crashes: 0, note: "" };
  let slowest = 0;
  let unacknowledged = 0;
  let rate = 0;
  for (let i = 0; i < trials; i++) {
    const t = await commentKillTrial(l, c, targets, `soak-${targets.join("-")}-${i}`);
    row.acknowledged += t.acknowledged;
    row.lost += t.lost;
    unacknowledged += t.abandoned;
    rate += t.perSecond / trials;
    row.duplicated += t.duplicated;
    if (!(t.backMs < 10_000)) row.crashes++;
    slowest = Math.max(slowest, t.backMs);
    log(`${row.target} #${i + 1}: sent ${t.sent}, acknowledged ${t.acknowledged} (${t.perSecond.toFixed(0)}/s), lost ${t.lost}, unacknowledged after 30 s of retries ${t.abandoned}, duplicated ${t.duplicated}, back in ${t.backMs} ms`);
  }
  row.note = `${rate.toFixed(0)} acknowledged/s on average; slowest return ${slowest} ms; ${unacknowledged} never acknowledged`;
  return row;
}

/** Steps of each soak import: long enough (seconds) that a kill can land while it writes. */
const IMPORT_STEPS = 300_000;

/**
 * Dataset jobs started by `start`, the worker killed at a random point while each one runs (once it
 * is writing, 0–1.5 s in, or whenever it ends first): each must end READY with the rows of `want`
 * exactly — lost when it ends otherwise, a crash when it still runs after 120 s (a progress bar forever).
 */
async function datasetJobRow(l: Launcher, c: Commenter, o: { target: string; what: string; trials: number; want: Counts; start: (i: number) => Promise<string> }): Promise<Row> {
  const row: Row = { target: o.target, trials: o.trials, acknowledged: 0, lost: 0, duplicated: 0, crashes: 0, note: "" };
  let midway = 0;
  for (let i = 0; i < o.trials; i++) {
    await allServing(l);
    const datasetId = await o.start(i);
    row.acknowledged++;
    for (let end = Date.now() + 60_000; Date.now() < end; await sleep(50)) {
      const d = await c.db.dataset.findUnique({ where: { id: datasetId }, select: { status: true, percent: true } });
      if (d?.status !== "IMPORTING" || d.percent > 0) break;
    }
    await sleep(Math.floor(Math.random() * 1_500));
    const before = await c.db.dataset.findUnique({ where: { id: datasetId }, select: { status: true, percent: true } });
    const trial = await killTrial(l, "worker");
    if (before?.status === "IMPORTING" && before.percent > 0) midway++;
    if (!(trial.backMs < 10_000) || !Object.values(trial.othersServing).every(Boolean)) row.crashes++;
    const status = await waitFinal(c, datasetId, 120_000);
    const got = await counts(c, datasetId);
    if (status === "IMPORTING") row.crashes++;
    else if (status !== "READY") row.lost++;
    else if (JSON.stringify(got) !== JSON.stringify(o.want)) row.duplicated++;
    log(`${o.what} #${i + 1}: ${status}, ${JSON.stringify(got)}`);
  }
  row.note = `${midway} kill(s) landed mid-${o.what}`;
  return row;
}

/** Imports of a project; the worker is killed at a random point while each one writes. */
async function importRow(l: Launcher, c: Commenter, trials: number, big: BigDataset): Promise<Row> {
  const tmp = await mkdtemp(join(tmpdir(), "soak-imports-"));
  try {
    return await datasetJobRow(l, c, {
      target: "worker (imports, kill at a random point)",
      what: "import",
      trials,
      want: await counts(c, await big()),
      start: async (i) => {
        const upload = (await makeLstmVisProject(join(tmp, `u${i}`), { n: IMPORT_STEPS })).dir;
        return (await startImportFromUpload(c.db, { workspaceId: c.workspaceId, userId: c.userId, filePath: upload, name: `soak ${i}` })).datasetId;
      },
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

type BigDataset = () => Promise<string>;

/** The reference dataset of IMPORT_STEPS steps (imported once, on first use): imports compare with it, matches run on it. */
function bigDataset(c: Commenter): BigDataset {
  let id: Promise<string> | undefined;
  return () =>
    (id ??= (async () => {
      const tmp = await mkdtemp(join(tmpdir(), "soak-ref-"));
      try {
        return (await startAndWait(c, (await makeLstmVisProject(join(tmp, "ref"), { n: IMPORT_STEPS })).dir)).datasetId;
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    })());
}

async function allServing(l: Launcher): Promise<void> {
  while (!(await Promise.all(TARGETS.map((t) => serving(l, t, 5_000)))).every(Boolean)) await sleep(500);
}

/** One tRPC call over HTTP as the commenter's browser makes it; the parsed `json` answer, or throws with the server's message. */
async function trpc<T>(l: Launcher, c: Commenter, path: string, input: Record<string, unknown>, mutation: boolean): Promise<T> {
  const body = JSON.stringify({ json: input });
  const r = await fetch(mutation ? `${l.webUrl}/api/trpc/${path}` : `${l.webUrl}/api/trpc/${path}?input=${encodeURIComponent(body)}`, {
    method: mutation ? "POST" : "GET",
    headers: { "content-type": "application/json", cookie: c.cookie, origin: l.webUrl },
    ...(mutation ? { body } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const j = (await r.json()) as { result?: { data: { json: T } }; error?: { json: { message: string } } };
  if (!j.result) throw new Error(`${path}: HTTP ${r.status}: ${j.error?.json.message ?? "no answer"}`);
  return j.result.data.json;
}

type MatchAnswer = { status: "pending"; key: string } | { status: "done"; key: string; result: unknown };

/**
 * Match queries through the web and the worker (MATCH_INLINE_VALUES=0 here), the worker killed
 * once the query's job is running (plus 0–300 ms). The page's view: match.run, then match.result
 * long-polls, must end with the result (equal to the same query run without a kill) within 120 s
 * — an error counts as lost, still "pending" then as a crash (a spinner forever) — and the
 * store holds exactly one row for the query.
 */
async function matchRow(l: Launcher, c: Commenter, trials: number, big: BigDataset): Promise<Row> {
  const row: Row = { target: "worker (match jobs, killed while running)", trials, acknowledged: 0, lost: 0, duplicated: 0, crashes: 0, note: "" };
  const datasetId = await big();
  const pool = pgPool(c.db);
  const engine = new MatchEngine(256 * 2 ** 20);
  let midway = 0;
  let slowest = 0;
  for (let i = 0; i < trials; i++) {
    await allServing(l);
    const input = { datasetId, source: "states::states1", cells: [0, 1, 2, 3], threshold: Number((0.05 + 0.017 * i).toFixed(3)), mode: "precise" as const };
    const t0 = Date.now();
    const asked = trpc<MatchAnswer>(l, c, "match.run", { workspace: c.workspace, ...input }, true);
    asked.catch(() => undefined);
    // the kill lands while the worker runs the query's job
    const jobKey = `match:${matchKey(canonicalQuery(ZMatchInput.parse(input)))}`;
    const isRunning = async () => (await pool.query(`select 1 from graphile_worker.jobs where key = $1 and locked_at is not null`, [jobKey])).rowCount !== 0;
    let running = false;
    for (const end = Date.now() + 30_000; Date.now() < end && !running; await sleep(20)) running = await isRunning();
    await sleep(Math.floor(Math.random() * 300));
    if (running && (await isRunning())) midway++;
    const trial = await killTrial(l, "worker");
    if (!(trial.backMs < 10_000) || !Object.values(trial.othersServing).every(Boolean)) row.crashes++;
    let out: MatchAnswer | "error" = "error";
    let why = "";
    try {
      out = await asked;
      for (const end = t0 + 120_000; out.status === "pending" && Date.now() < end; ) {
        out = await trpc<MatchAnswer>(l, c, "match.result", { workspace: c.workspace, key: out.key }, false);
      }
    } catch (e) {
      why = e instanceof Error ? e.message : String(e);
    }
    slowest = Math.max(slowest, Date.now() - t0);
    if (out === "error") row.lost++;
    else if (out.status === "pending") row.crashes++;
    else {
      row.acknowledged++;
      const rows = await c.db.matchResult.count({ where: { key: out.key } });
      const want = (await engine.run(c.db, canonicalQuery(ZMatchInput.parse(input)))).result;
      if (rows !== 1 || JSON.stringify(out.result) !== JSON.stringify(want)) row.duplicated++;
    }
    log(`match #${i + 1}: ${out === "error" ? `error: ${why}` : out.status} after ${Date.now() - t0} ms`);
  }
  row.note = `${midway} kill(s) landed while the job ran; slowest answer ${slowest} ms`;
  return row;
}

/** Demo extractions (the parens model over its text); the worker is killed at a random point while each one runs. */
async function extractRow(l: Launcher, c: Commenter, trials: number): Promise<Row> {
  const extract = async (name: string) => (await startDemoExtraction(c.db, { workspaceId: c.workspaceId, userId: c.userId, corpus: "parens", name })).datasetId;
  const ref = await extract("soak extraction reference");
  if ((await waitFinal(c, ref, 300_000)) !== "READY") throw new Error("the reference extraction did not end READY");
  return datasetJobRow(l, c, { target: "worker (extractions, kill at a random point)", what: "extraction", trials, want: await counts(c, ref), start: (i) => extract(`soak extraction ${i}`) });
}

async function startAndWait(c: Commenter, dir: string): Promise<{ datasetId: string }> {
  const r = await startImportFromUpload(c.db, { workspaceId: c.workspaceId, userId: c.userId, filePath: dir, name: "soak reference" });
  const status = await waitFinal(c, r.datasetId, 120_000);
  if (status !== "READY") throw new Error(`the reference import ended ${status}`);
  return r;
}

async function waitFinal(c: Commenter, datasetId: string, ms: number): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const d = await c.db.dataset.findUnique({ where: { id: datasetId }, select: { status: true } }).catch(() => null);
    if (d && d.status !== "IMPORTING") return d.status;
    if (Date.now() > end) return d?.status ?? "MISSING";
    await sleep(200);
  }
}

type Counts = Awaited<ReturnType<typeof counts>>;

async function counts(c: Commenter, datasetId: string) {
  return {
    vocab: await c.db.vocabEntry.count({ where: { datasetId } }),
    sources: await c.db.datasetSource.count({ where: { datasetId } }),
    tracks: await c.db.metaTrack.count({ where: { datasetId } }),
    tokenChunks: await c.db.tokenChunk.count({ where: { datasetId } }),
  };
}

/** The window the realtime crash bound is checked with (SECURITY.md): SYNC_FLUSH_MS (20 ms) plus the write itself. */
const SYNC_WINDOW_MS = 100;

/** kill -9 of the sync process while a member writes 200 Yjs updates/s (tests/soak/sync-kill.ts). */
async function syncKillRow(l: Launcher, c: Commenter, trials: number): Promise<Row> {
  const row: Row = { target: `sync (killed under 200 updates/s, window ${SYNC_WINDOW_MS} ms)`, trials, acknowledged: 0, lost: 0, duplicated: 0, crashes: 0, note: "" };
  let inWindow = 0;
  let slowest = 0;
  for (let i = 0; i < trials; i++) {
    await allServing(l);
    const t = await syncKillTrial(l, {
      secret: LAUNCHER_AUTH_SECRET,
      who: { user: c.userId, workspace: c.workspaceId, role: "OWNER" },
      room: roomName(c.workspaceId, c.datasetId),
      array: `soak-${i}`,
      perSecond: 200,
      windowMs: SYNC_WINDOW_MS,
    });
    row.acknowledged += t.accepted;
    row.lost += t.lost;
    row.duplicated += t.duplicated;
    inWindow += t.lostInWindow;
    if (!(t.backMs < 10_000)) row.crashes++;
    slowest = Math.max(slowest, t.backMs);
    log(`sync kill #${i + 1}: sent ${t.sent}, accepted ${t.accepted}, lost ${t.lost} (+${t.lostInWindow} within the window), duplicated ${t.duplicated}, back in ${t.backMs} ms`);
  }
  row.note = `${inWindow} update(s) of the last ${SYNC_WINDOW_MS} ms lost (allowed); slowest return ${slowest} ms`;
  return row;
}

/** Malformed frames into one room of the launcher's sync process while another room is measured. */
async function floodRow(l: Launcher, c: Commenter, frames: number): Promise<Row> {
  const attacked = roomName(c.workspaceId, c.datasetId);
  const other = roomName(c.workspaceId, c.otherDatasetId);
  const r = await syncFlood({
    syncUrl: l.syncUrl,
    secret: LAUNCHER_AUTH_SECRET,
    frames,
    attacker: { user: c.userId, workspace: c.workspaceId, room: attacked, role: "OWNER" },
    observer: { user: c.userId, workspace: c.workspaceId, room: attacked, role: "OWNER" },
    writer: { user: c.userId, workspace: c.workspaceId, room: other, role: "OWNER" },
    reader: { user: c.userId, workspace: c.workspaceId, room: other, role: "OWNER" },
  });
  const stored = await c.db.syncUpdate.count({ where: { room: attacked } });
  const up = await serving(l, "sync");
  return {
    target: "sync (malformed frames into one room)",
    trials: r.framesSent,
    acknowledged: 0,
    lost: 0,
    duplicated: r.merged + stored,
    crashes: (up ? 0 : 1) + (r.p99 <= 100 ? 0 : 1),
    note: `${r.connections} connection(s); other room p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms (${r.samples} updates); merged ${r.merged + stored}`,
  };
}

async function fileRow(cases: number): Promise<Row> {
  const t0 = Date.now();
  const r = await fuzzFiles({ cases, seed: 20261203 });
  for (const w of r.wrongErrors) log(`hostile file: ${w}`);
  return {
    target: "hostile archives / HDF5 (parser process)",
    trials: r.cases,
    acknowledged: r.ok + r.rejected,
    lost: 0,
    duplicated: 0,
    crashes: r.crashes.length + r.timeouts.length + r.wrongErrors.length,
    note: `${r.rejected} clear errors, ${r.ok} read fine, ${r.wrongErrors.length} unclear errors, ${r.timeouts.length} hangs, ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  };
}

function table(rows: Row[]): string {
  const head = ["target", "trials", "acknowledged", "lost", "duplicated", "crashes", "note"];
  const cells = rows.map((r) => [r.target, r.trials, r.acknowledged, r.lost, r.duplicated, r.crashes, r.note].map(String));
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => (i >= 1 && i <= 5 ? x.padStart(w[i]!) : x.padEnd(w[i]!))).join(" | ")} |`;
  return [line(head), `|${w.map((n, i) => (i >= 1 && i <= 5 ? `${"-".repeat(n + 1)}:` : "-".repeat(n + 2))).join("|")}|`, ...cells.map(line)].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      trials: { type: "string", default: "20" },
      files: { type: "string", default: "1000" },
      frames: { type: "string", default: "30000" },
      only: { type: "string", default: "web,postgres,both,imports,match,extract,sync-kill,sync,files" },
    },
  });
  const only = new Set(values.only.split(","));
  const trials = Number(values.trials);
  const files = Number(values.files);
  const frames = Number(values.frames);
  const t0 = Date.now();
  const rows: Row[] = [];
  log(`starting npm start (production build; the first run builds it)`);
  // every match query goes through the queue and the worker (none answered inline by the web), long-polls of 2 s
  const l = await startLauncher({
    env: { AUTH_SECRET: LAUNCHER_AUTH_SECRET, WORKER_HEARTBEAT_MS: "500", WORKER_DEAD_AFTER_MS: "3000", MATCH_INLINE_VALUES: "0", MATCH_WAIT_MS: "2000" },
  });
  let c: Commenter | undefined;
  try {
    c = await seedCommenter(l, "soak");
    const big = bigDataset(c);
    if (only.has("web")) rows.push(await commentRow(l, c, ["web"], trials));
    if (only.has("postgres")) rows.push(await commentRow(l, c, ["postgres"], trials));
    if (only.has("both")) rows.push(await commentRow(l, c, ["web", "postgres"], trials));
    if (only.has("imports")) rows.push(await importRow(l, c, trials, big));
    if (only.has("match")) rows.push(await matchRow(l, c, trials, big));
    if (only.has("extract")) rows.push(await extractRow(l, c, trials));
    if (only.has("sync-kill")) rows.push(await syncKillRow(l, c, trials));
    if (only.has("sync")) rows.push(await floodRow(l, c, frames));
  } finally {
    await c?.close();
    await l.stop();
  }
  if (only.has("files")) rows.push(await fileRow(files));
  const bad = rows.some((r) => r.lost || r.duplicated || r.crashes);
  process.stdout.write(`\n${table(rows)}\n\n${bad ? "FAILED" : "all zero"} — ${((Date.now() - t0) / 60_000).toFixed(1)} min\n`);
  process.exitCode = bad ? 1 : 0;
}

// exit once the output is written: a client's keep-alive socket or timer must not hold the run open
main()
  .catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  })
  .finally(() => process.stdout.write("", () => process.exit()));
