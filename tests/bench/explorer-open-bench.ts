/**
 * `npm run bench:explorer-open`: issue 5's "opening the explorer on a 1M-step dataset shows the
 * first window in ≤ 1.5 s", measured in Chromium against the production build.
 *
 *   tsx tests/bench/explorer-open-bench.ts [--steps 1000000] [--cold 5] [--warm 10] [--code DIR]
 *
 * 1. Starts (or reuses) the embedded PostgreSQL in .test-data/bench-open, migrates it, seeds the
 *    demo login and makes sure a READY dataset "bench-open-<T>x650" exists in the demo workspace:
 *    T tokens (a 10,000-word vocabulary, Zipf-distributed ids), one source of T × 650 float32 (the
 *    AR(1) generator of the matching benchmarks) and a discrete "pos" track, written through the
 *    dataset writer (StreamingSourceWriter / StreamingTrackWriter / token chunks), which is what
 *    an import writes, minus reading HDF5. It is reused by name on re-runs.
 * 2. Starts the web app like `npm run start:web` (production build, rebuilt when sources changed)
 *    from checkout DIR (default: this one: `--code` compares two versions on one database)
 *    on that database.
 * 3. Signs in once, then opens /w/demo/datasets/<id>/explore?pos=P at random positions P:
 *    - cold: a new browser context per open (empty HTTP cache: the JS bundles are fetched and
 *      compiled again, no React Query cache), P never opened before;
 *    - warm: one context, one open after another (bundles from the HTTP cache), new P each time.
 *    The explorer marks `statescope:first-window` (Performance API) after the frame that shows
 *    the first window's line plot and tokens; the figure is that mark's time since navigation
 *    start. Navigation timing and the resource timings (tRPC, the states route) give the breakdown.
 *    Chromium runs with CHROMIUM_ARGS (tests/chromium-args.ts), which turn off its own UI work.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import { chromium, type Browser, type BrowserContext } from "@playwright/test";
import { mulberry32 as rng } from "@statescope/core";
import { DEMO_LOGIN, DEMO_WORKSPACE } from "@/server/services/seed";
import { CHROMIUM_ARGS } from "../chromium-args";
import { ensureExplorerDataset, EXPLORER_BENCH } from "./generated-source";
import { benchDatabase, pct, row, runBench } from "./run";
import { startWeb, stopWeb } from "./web-server";

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const STEPS = opt("--steps", 1_000_000);
const COLD = opt("--cold", 5);
const WARM = opt("--warm", 10);
/** --profile: also record a CPU profile of one cold open and print the functions with the most self time. */
const PROFILE = args.includes("--profile");
const CODE = args.includes("--code") ? path.resolve(args[args.indexOf("--code") + 1]!) : undefined;
const { cells: CELLS, source: SOURCE } = EXPLORER_BENCH;
const DATA_DIR = ".test-data/bench-open";
const PORT = Number(process.env.BENCH_PORT ?? 3160);
const PG_PORT = Number(process.env.BENCH_PG_PORT ?? 54560);
const BUDGET_MS = 1500;
const MARK = "statescope:first-window";
const CHROMIUM = process.env.CHROMIUM_PATH ?? (fs.existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);
const log = (l: string) => process.stderr.write(`[bench] ${l}\n`);

interface Sample {
  firstWindow: number;
  ttfb: number;
  domContentLoaded: number;
  /** tRPC requests: procedure names → [start, end] since navigation start. */
  requests: { names: string; start: number; end: number }[];
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Self time per function (top 15) of a CPU profile. */
function topFunctions(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").pop() ?? ""}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, ms]) => `${ms.toFixed(0).padStart(6)} ms  ${k}`);
}

async function openOnce(ctx: BrowserContext, url: string, profile = false): Promise<Sample> {
  const page = await ctx.newPage();
  await page.setViewportSize({ width: 1600, height: 1000 });
  const cdp = profile ? await ctx.newCDPSession(page) : null;
  if (cdp) {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
    await cdp.send("Profiler.start");
  }
  try {
    await page.goto(url);
    await page.waitForFunction((m) => performance.getEntriesByName(m, "mark").length > 0, MARK, { timeout: 60_000, polling: 50 });
    if (cdp) {
      const { profile: p } = (await cdp.send("Profiler.stop")) as unknown as { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } };
      console.log("CPU profile of one cold open, self time by function (page main thread):");
      for (const l of topFunctions(p)) console.log(`  ${l}`);
    }
    return await page.evaluate((m) => {
      const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
      const requests = (performance.getEntriesByType("resource") as PerformanceResourceTiming[])
        .filter((e) => e.name.includes("/api/trpc/") || /\/datasets\/[^/]+\/states\?/.test(e.name))
        .map((e) => ({
          // tRPC procedures by name, and the states route (which the page preloads)
          names: e.name.includes("/api/trpc/") ? decodeURIComponent(new URL(e.name).pathname.split("/api/trpc/")[1] ?? "") : "states route",
          start: e.startTime,
          end: e.responseEnd,
        }));
      return { firstWindow: performance.getEntriesByName(m, "mark")[0]!.startTime, ttfb: nav.responseStart, domContentLoaded: nav.domContentLoadedEventEnd, requests };
    }, MARK);
  } finally {
    await page.close();
  }
}

const f0 = (x: number) => x.toFixed(0);

/** Median end of the request that carried `proc` (relative to navigation start), or NaN. */
function reqAt(samples: Sample[], proc: string, which: "start" | "end"): number {
  const xs = samples.flatMap((s) => s.requests.filter((r) => r.names.split(",").includes(proc)).slice(0, 1).map((r) => r[which]));
  return xs.length ? pct(xs, 0.5) : NaN;
}

async function main() {
  const { handle, db } = await benchDatabase(DATA_DIR, PG_PORT, log);
  let web: ChildProcess | undefined;
  let browser: Browser | undefined;
  try {
    const { datasetId } = await ensureExplorerDataset(db, STEPS, log);
    log("starting the web app (production build)…");
    web = await startWeb({ url: handle.url, port: PORT, dataDir: DATA_DIR, log, code: CODE });
    browser = await chromium.launch({ ...(CHROMIUM ? { executablePath: CHROMIUM } : {}), args: CHROMIUM_ARGS });
    const base = `http://127.0.0.1:${PORT}`;
    const login = await browser.newContext({ baseURL: base });
    const p = await login.newPage();
    await p.goto("/signin");
    await p.getByLabel("Email").fill(DEMO_LOGIN.email);
    await p.getByLabel("Password").fill(DEMO_LOGIN.password);
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.waitForURL(/\/w$/);
    const auth = await login.storageState();
    await login.close();

    const r = rng(2026);
    const used = new Set<number>();
    const freshPos = () => {
      for (;;) {
        const pos = Math.floor(r() * (STEPS - 200));
        const chunk = Math.floor(pos / 1024);
        if (!used.has(chunk)) {
          used.add(chunk);
          return pos;
        }
      }
    };
    const urlAt = (pos: number) => `${base}/w/${DEMO_WORKSPACE.slug}/datasets/${datasetId}/explore?s0=${SOURCE}&pos=${pos}&tr=pos`;

    // the first open after the server started (Next's route and Prisma warm up): reported, not counted
    const firstCtx = await browser.newContext({ storageState: auth });
    const first = await openOnce(firstCtx, urlAt(freshPos()));
    if (PROFILE) {
      const pctx = await browser.newContext({ storageState: auth });
      await openOnce(pctx, urlAt(freshPos()), true);
      await pctx.close();
    }
    await firstCtx.close();

    const cold: Sample[] = [];
    for (let i = 0; i < COLD; i++) {
      const ctx = await browser.newContext({ storageState: auth });
      cold.push(await openOnce(ctx, urlAt(freshPos())));
      await ctx.close();
    }
    const warm: Sample[] = [];
    const ctx = await browser.newContext({ storageState: auth });
    await openOnce(ctx, urlAt(freshPos()));
    for (let i = 0; i < WARM; i++) warm.push(await openOnce(ctx, urlAt(freshPos())));
    await ctx.close();

    console.log(`Statescope explorer open benchmark — ${STEPS.toLocaleString("en")} steps × ${CELLS} cells (+ tokens, pos track), Chromium ${browser.version()}, 1600×1000, production build of ${CODE ?? "this checkout"}`);
    console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" / ")} (1 / 5 / 15 min) at the end of the run`);
    console.log(`figure: navigation start → "${MARK}" (the frame after the line plot and tokens of the first window are drawn); budget ${BUDGET_MS} ms`);
    console.log(`first open after the server started: ${f0(first.firstWindow)} ms (not counted)`);
    console.log("");
    console.log(row(["opens", "n", "first window p50 ms", "p95 ms", "max ms", `≤ ${BUDGET_MS} ms (p95)`, "TTFB p50", "DOMContentLoaded p50", "states read start p50", "states read done p50"]));
    console.log(row(["---", "---:", "---:", "---:", "---:", "---", "---:", "---:", "---:", "---:"]));
    for (const [name, s] of [["cold (new context)", cold], ["warm (same context)", warm]] as const) {
      const fw = s.map((x) => x.firstWindow);
      console.log(
        row([
          name,
          s.length,
          f0(pct(fw, 0.5)),
          f0(pct(fw, 0.95)),
          f0(Math.max(...fw)),
          pct(fw, 0.95) <= BUDGET_MS ? "yes" : "NO",
          f0(pct(s.map((x) => x.ttfb), 0.5)),
          f0(pct(s.map((x) => x.domContentLoaded), 0.5)),
          f0(reqAt(s, "states route", "start")),
          f0(reqAt(s, "states route", "end")),
        ]),
      );
    }
    console.log("");
    console.log("per open (ms since navigation start): first window | DOMContentLoaded | the first window's states read (preloaded from the page's <head>) start → end");
    for (const [name, list] of [["cold", cold], ["warm", warm]] as const) {
      for (const s of list) {
        const w = s.requests.find((q) => q.names === "states route");
        console.log(`  ${name}: ${f0(s.firstWindow)} | ${f0(s.domContentLoaded)} | ${w ? `${f0(w.start)} → ${f0(w.end)}` : "-"}${s.requests.length ? ` (all: ${s.requests.map((q) => q.names).join("; ")})` : ""}`);
      }
    }
  } finally {
    await browser?.close();
    await stopWeb(web);
    await db.$disconnect();
    await handle.stop();
  }
}

runBench(main);
