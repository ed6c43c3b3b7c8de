/**
 * `npm run bench:comments`: the durability target's rate (#14: clients post comments at 100/s
 * while parts are killed) without the kills — can the real stack acknowledge 100 comments/s?
 *
 *   tsx tests/bench/comments-bench.ts [--rate 100] [--clients 10] [--seconds 20] [--warmup 5] [--code DIR] [--cpu-prof DIR]
 *
 * Starts a real `npm start` (production build, embedded PostgreSQL, its own free ports and data
 * dir), seeds a member with a thread, then `clients` signed-in clients (a next-auth session cookie,
 * the real auth and tRPC path) post `comment.reply` paced to `rate` per second together, each
 * sending its next comment once the previous one is acknowledged (tests/setup/durability.ts, the
 * soak's load). After `warmup` seconds (route bundles and the Prisma client load on first use) it
 * measures for `seconds`: acknowledged/s, latency p50/p99 (first attempt → HTTP 200), and the CPU
 * the web process and PostgreSQL spent per acknowledged comment.
 * `--code DIR`: start the launcher of another checkout (e.g. main's, for a before/after pair).
 * `--cpu-prof DIR`: the web process writes a V8 CPU profile into DIR when it stops (cpu-profile-hook.mjs).
 */
import fs from "node:fs";
import path from "node:path";
import { commentLoad, LAUNCHER_AUTH_SECRET, seedCommenter } from "../setup/durability";
import type * as LauncherModule from "../setup/launcher";
import { cpuSecondsOf, pct, runBench } from "./run";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : dflt;
};
const RATE = Number(opt("--rate", "100"));
const CLIENTS = Number(opt("--clients", "10"));
const SECONDS = Number(opt("--seconds", "20"));
const WARMUP = Number(opt("--warmup", "5"));
const ROOT = path.resolve(import.meta.dirname, "..", "..");
const CODE = path.resolve(opt("--code", ROOT));
const PROFILE = args.includes("--cpu-prof") ? path.resolve(opt("--cpu-prof", "")) : null;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds of a process and its direct children (PostgreSQL's backends are children of the postmaster). */
function treeCpuSeconds(pid: number): number {
  let total = cpuSecondsOf(pid);
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const f = fs.readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1]!.split(" ");
      if (Number(f[1]) === pid) total += cpuSecondsOf(Number(d));
    } catch {
      /* exited meanwhile */
    }
  }
  return total;
}

async function main() {
  const { startLauncher } = (await import(path.join(CODE, "tests", "setup", "launcher.ts"))) as typeof LauncherModule;
  if (PROFILE) fs.mkdirSync(PROFILE, { recursive: true });
  const env: Record<string, string> = { AUTH_SECRET: LAUNCHER_AUTH_SECRET };
  if (PROFILE) {
    env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --import ${path.join(ROOT, "tests", "bench", "cpu-profile-hook.mjs")}`.trim();
    env.BENCH_CPU_PROF_DIR = PROFILE;
    env.BENCH_CPU_PROF_MATCH = "web-server.ts";
  }
  process.stderr.write(`[bench] starting npm start of ${CODE} (a production build first if its sources changed)…\n`);
  const l = await startLauncher({ env });
  try {
    const c = await seedCommenter(l, `bench-${Date.now().toString(36)}`);
    try {
      const load = commentLoad(l, c, `bench-${Date.now().toString(36)}`, RATE, CLIENTS);
      await sleep(WARMUP * 1000);
      const pids = l.pids();
      const from = Date.now();
      const web0 = cpuSecondsOf(pids.web);
      const pg0 = treeCpuSeconds(pids.postgres);
      await sleep(SECONDS * 1000);
      const to = Date.now();
      const web1 = cpuSecondsOf(pids.web);
      const pg1 = treeCpuSeconds(pids.postgres);
      const res = await load.stop(10_000);
      const inWindow = res.ackedAt.flatMap((t, i) => (t >= from && t < to ? [res.latencyMs[i]!] : []));
      const n = inWindow.length;
      const perSecond = n / ((to - from) / 1000);
      const stored = await c.db.comment.count({ where: { threadId: c.threadId, idempotencyKey: { in: res.acknowledged } } });
      console.log(`comment.reply against npm start (${CODE === ROOT ? "this checkout" : CODE}): ${CLIENTS} clients paced to ${RATE}/s, measured ${SECONDS} s after ${WARMUP} s of warm-up`);
      console.log(`| acknowledged/s | latency p50 | p99 | max | web CPU per reply | PostgreSQL CPU per reply | web CPU (cores) |`);
      console.log(`|--:|--:|--:|--:|--:|--:|--:|`);
      console.log(
        `| ${perSecond.toFixed(1)} | ${pct(inWindow, 0.5)} ms | ${pct(inWindow, 0.99)} ms | ${Math.max(...inWindow)} ms | ${(((web1 - web0) * 1000) / n).toFixed(1)} ms | ${(((pg1 - pg0) * 1000) / n).toFixed(1)} ms | ${((web1 - web0) / ((to - from) / 1000)).toFixed(2)} |`,
      );
      console.log(`whole run: sent ${res.sent}, acknowledged ${res.acknowledged.length}, stored ${stored}, never acknowledged ${res.abandoned}`);
      if (stored !== res.acknowledged.length) throw new Error(`${res.acknowledged.length} comments acknowledged but ${stored} stored`);
    } finally {
      await c.close();
    }
  } finally {
    await l.stop();
  }
  if (PROFILE) console.log(`CPU profiles: ${fs.readdirSync(PROFILE).filter((f) => f.endsWith(".cpuprofile")).length} in ${PROFILE}`);
}

runBench(main);
