/**
 * `npm run bench:finding`: issue 17's "first paint ≤ 1 s" of a finding page, and how long its
 * figures take to render.
 *
 *   tsx tests/bench/finding-bench.ts [--steps 20000] [--cells 650] [--opens 10] [--renders 5]
 *
 * 1. Starts (or reuses) the embedded PostgreSQL in .test-data/bench-finding, migrates it, seeds
 *    the demo login and writes a READY dataset "bench-finding-<T>x<D>" (T word tokens, one
 *    T × D float32 source from the AR(1) generator of the matching benchmarks, a discrete "pos"
 *    track), then publishes an unlisted finding on it (5 cells, precise match, 50 rows): the
 *    publish time is reported too.
 * 2. In this process: the figures as their URLs serve them, each rendered from scratch (caches
 *    cleared) --renders times — SVG (both views, two columns: fonts subset and embedded), PNG at
 *    2× and 4×, the 1200 × 630 preview card — and the page's HTML.
 * 3. Starts the web app (production build) and opens /f/<id> signed out in a new Chromium context
 *    each time (empty cache, no session), --opens times: first paint and first contentful paint
 *    (Paint Timing), TTFB and DOMContentLoaded. Budget: first contentful paint ≤ 1000 ms (p95).
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { chromium, type Browser } from "@playwright/test";
import { pgPool, type Db } from "@/server/db/client";
import { readStates } from "@/server/services/datasets/datasets";
import { DEMO_LOGIN, DEMO_WORKSPACE, seedDemo } from "@/server/services/seed";
import { createTrack, StreamingTrackWriter } from "@/server/services/datasets/writer";
import { fileParams, findingFile } from "@/server/services/findings/files";
import { publishFinding, readFinding, resetFindingCaches } from "@/server/services/findings/findings";
import { inProcessMatchRunner } from "@/server/services/findings/match-runners";
import { MatchEngine } from "@/server/services/matching/engine";
import { TOKEN_CHUNK_ROWS, writeTokenChunk, writeVocabulary } from "@/server/storage/dataset-store";
import { findingPage, resetPageCache } from "../../app/f/_lib/pages";
import { CHROMIUM_ARGS } from "../chromium-args";
import { writeGeneratedSource } from "./generated-source";
import { benchDatabase, pct, row, runBench } from "./run";
import { startWeb, stopWeb } from "./web-server";

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const STEPS = opt("--steps", 20_000);
const CELLS = opt("--cells", 650);
const OPENS = opt("--opens", 10);
const RENDERS = opt("--renders", 5);
const DATASET = `bench-finding-${STEPS}x${CELLS}`;
const DATA_DIR = ".test-data/bench-finding";
const PORT = Number(process.env.BENCH_PORT ?? 3165);
const PG_PORT = Number(process.env.BENCH_PG_PORT ?? 54565);
const BUDGET_MS = 1000;
const CHROMIUM = process.env.CHROMIUM_PATH ?? (fs.existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);
const WORDS = ["the", "cat", "sat", "on", "a", "mat", "and", "then", "it", "ran", "off", "to", "see", "dog", "(", ")", ",", "."];
const POS = ["DET", "NOUN", "VERB", "ADP", "CONJ", "ADV", "PRON", "PUNCT"];
const log = (l: string) => process.stderr.write(`[bench] ${l}\n`);

async function ensureDataset(db: Db): Promise<string> {
  await seedDemo(db, { datasets: false });
  const ws = await db.workspace.findUniqueOrThrow({ where: { slug: DEMO_WORKSPACE.slug }, select: { id: true } });
  const found = await db.dataset.findFirst({ where: { workspaceId: ws.id, name: DATASET, status: "READY" }, select: { id: true } });
  if (found) return found.id;
  const ds = await db.dataset.create({ data: { workspaceId: ws.id, name: DATASET, format: "numpy", steps: STEPS, vocabularySize: WORDS.length, separator: " " }, select: { id: true } });
  const conn = await pgPool(db).connect();
  const t0 = performance.now();
  try {
    await conn.query("set synchronous_commit = off");
    await writeVocabulary(conn, ds.id, WORDS.map((token, id) => ({ id, token })));
    const track = await createTrack(db, ds.id, { ordinal: 0, name: "pos", kind: "discrete", width: 1, labels: POS.map((label, id) => ({ id, label })), range: null, hasWeights: false });
    const tw = new StreamingTrackWriter(conn, track.id, "discrete", 1, track.chunkRows, false);
    for (let from = 0, index = 0; from < STEPS; from += TOKEN_CHUNK_ROWS, index++) {
      const ids = Int32Array.from({ length: Math.min(TOKEN_CHUNK_ROWS, STEPS - from) }, (_, t) => ((from + t) * 7919) % WORDS.length);
      await writeTokenChunk(conn, ds.id, index, ids);
      await tw.push(Int32Array.from(ids, (id) => id % POS.length));
    }
    await tw.end();
    await writeGeneratedSource(db, conn, ds.id, { name: "states", type: "states", steps: STEPS, cells: CELLS }, log, () => ((performance.now() - t0) / 1000).toFixed(0));
  } finally {
    conn.release();
  }
  await db.dataset.update({ where: { id: ds.id }, data: { status: "READY", readyAt: new Date(), phase: "done", percent: 100 } });
  return ds.id;
}

const f0 = (x: number) => x.toFixed(0);

async function time<T>(n: number, f: () => Promise<T>): Promise<{ ms: number[]; last: T }> {
  const ms: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < n; i++) {
    resetFindingCaches();
    const t0 = performance.now();
    last = await f();
    ms.push(performance.now() - t0);
  }
  return { ms, last: last! };
}

async function main() {
  const { handle, db } = await benchDatabase(DATA_DIR, PG_PORT, log);
  let web: ChildProcess | undefined;
  let browser: Browser | undefined;
  try {
    const datasetId = await ensureDataset(db);
    const ws = await db.workspace.findUniqueOrThrow({ where: { slug: DEMO_WORKSPACE.slug }, select: { id: true } });
    const user = await db.user.findUniqueOrThrow({ where: { email: DEMO_LOGIN.email }, select: { id: true } });
    // five cells that are high throughout a brushed range of the generated source
    const brush: [number, number] = [STEPS >> 1, (STEPS >> 1) + 4];
    const w = await readStates(db, ws.id, { datasetId, source: "states", from: brush[0], to: brush[1] });
    const byMin = Array.from({ length: CELLS }, (_, c) => ({ c, m: Math.min(...Array.from({ length: 4 }, (_, t) => w.values[t * CELLS + c]!)) })).sort((a, b) => b.m - a.m);
    const cells = byMin.slice(0, 5).map((x) => x.c).sort((a, b) => a - b);
    const threshold = Math.floor(byMin[4]!.m * 100) / 100;
    const t0 = performance.now();
    const pub = await publishFinding(
      db,
      { userId: user.id },
      { workspaceId: ws.id, role: "OWNER" },
      {
        datasetId,
        title: "Five cells that stay on through a phrase",
        abstract: "Generated data: an AR(1) source of the matching benchmarks, **650 cells**.",
        visibility: "UNLISTED",
        view: { layers: [{ source: "states", threshold, cells }], brush, pad: [1, 0], match: { layer: 0, mode: "precise", length: 0, k: 50 } },
      },
      inProcessMatchRunner(db, new MatchEngine(2 * 2 ** 30)),
      `http://127.0.0.1:${PORT}`,
    );
    const publishMs = performance.now() - t0;
    const read = await readFinding(db, null, pub.findingId);
    if (read.status !== "ok") throw new Error(`the finding reads as ${read.status}`);
    const s = read.data.snapshot;
    const ctx = { publicUrl: `http://127.0.0.1:${PORT}`, accessed: new Date() };
    const file = (name: "figure.svg" | "figure.png" | "preview.png", q: Record<string, string>) => () => findingFile(read, name, fileParams((k) => q[k]), ctx);
    const renders = [
      ["SVG, both views, two columns (fonts subset + embedded)", await time(RENDERS, file("figure.svg", { view: "both", width: "two" }))],
      ["SVG, Select view, one column", await time(RENDERS, file("figure.svg", { view: "select", width: "one" }))],
      ["PNG 2×, both views, two columns", await time(RENDERS, file("figure.png", { view: "both", width: "two", scale: "2" }))],
      ["PNG 4×, both views, two columns", await time(RENDERS, file("figure.png", { view: "both", width: "two", scale: "4" }))],
      ["preview card PNG 1200 × 630", await time(RENDERS, file("preview.png", {}))],
      ["page HTML (both views at screen size + fonts)", await time(RENDERS, async () => (resetPageCache(), { body: Buffer.from(await findingPage(read, { ...ctx, path: `/f/${pub.findingId}`, zoom: 30 })) }))],
      ["page HTML, figures cached (later requests)", await time(RENDERS, async () => ({ body: Buffer.from(await findingPage(read, { ...ctx, path: `/f/${pub.findingId}`, zoom: 30 })) }))],
    ] as const;

    log("starting the web app (production build)…");
    web = await startWeb({ url: handle.url, port: PORT, dataDir: DATA_DIR, log });
    browser = await chromium.launch({ ...(CHROMIUM ? { executablePath: CHROMIUM } : {}), args: CHROMIUM_ARGS });
    const url = `http://127.0.0.1:${PORT}/f/${pub.findingId}`;
    const open = async () => {
      const c = await browser!.newContext({ viewport: { width: 1440, height: 1000 } });
      const page = await c.newPage();
      try {
        const res = await page.goto(url, { waitUntil: "load" });
        if (res?.status() !== 200) throw new Error(`${url} answered ${res?.status()}`);
        await page.waitForFunction(() => performance.getEntriesByName("first-contentful-paint").length > 0, undefined, { polling: 20 });
        // (no functions inside: the callback runs in the page as written)
        return await page.evaluate(() => {
          const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
          return {
            fp: performance.getEntriesByName("first-paint")[0]?.startTime ?? NaN,
            fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
            ttfb: nav.responseStart,
            dcl: nav.domContentLoadedEventEnd,
            bytes: nav.transferSize,
          };
        });
      } finally {
        await c.close();
      }
    };
    const first = await open(); // Next's route and Prisma warm up: reported, not counted
    const opens = [];
    for (let i = 0; i < OPENS; i++) opens.push(await open());

    console.log(`Statescope finding benchmark — dataset ${STEPS.toLocaleString("en")} steps × ${CELLS} cells; snapshot: steps ${s.window.from}–${s.window.to - 1} (${s.window.to - s.window.from} × ${CELLS} float32), ${s.match?.rows.length ?? 0} match rows; Chromium ${browser.version()}, 1440 px, production build`);
    console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" / ")} (1 / 5 / 15 min) at the end of the run`);
    console.log(`publish (snapshot + precise match in-process + write): ${f0(publishMs)} ms`);
    console.log("");
    console.log(row(["render (from the snapshot, caches cleared)", "n", "p50 ms", "max ms", "bytes"]));
    console.log(row(["---", "---:", "---:", "---:", "---:"]));
    for (const [name, r] of renders) console.log(row([name, r.ms.length, f0(pct(r.ms, 0.5)), f0(Math.max(...r.ms)), r.last.body.length.toLocaleString("en")]));
    console.log("");
    console.log(`first open after the server started: first contentful paint ${f0(first.fcp)} ms (not counted)`);
    console.log(row(["signed-out open (new context)", "n", "FCP p50 ms", "FCP p95 ms", "FCP max ms", `≤ ${BUDGET_MS} ms (p95)`, "first paint p50", "TTFB p50", "DOMContentLoaded p50", "page bytes (transfer)"]));
    console.log(row(["---", "---:", "---:", "---:", "---:", "---", "---:", "---:", "---:", "---:"]));
    const fcp = opens.map((o) => o.fcp);
    console.log(
      row([
        "/f/<id>",
        opens.length,
        f0(pct(fcp, 0.5)),
        f0(pct(fcp, 0.95)),
        f0(Math.max(...fcp)),
        pct(fcp, 0.95) <= BUDGET_MS ? "yes" : "NO",
        f0(pct(opens.map((o) => o.fp), 0.5)),
        f0(pct(opens.map((o) => o.ttfb), 0.5)),
        f0(pct(opens.map((o) => o.dcl), 0.5)),
        opens[0]!.bytes.toLocaleString("en"),
      ]),
    );
  } finally {
    await browser?.close();
    await stopWeb(web);
    await db.$disconnect();
    await handle.stop();
  }
}

runBench(main);
