/**
 * `npm run bench:restart`: how long a killed part of `npm start` takes to serve again (SECURITY.md
 * promises 10 s). A real launcher (production build, embedded PostgreSQL, tests/setup/launcher.ts);
 * web, worker, sync and PostgreSQL are each killed with SIGKILL `--trials` times, in turn, and timed
 * from the kill until the part does its job again (web: a tRPC query that reads the database;
 * worker: runs a job; sync: answers; PostgreSQL: a query), with the others checked to keep serving.
 *
 *   npm run bench:restart                                  # 10 kills per part, the processes bundled (npm start's default)
 *   npm run bench:restart -- --modes bundled,tsx --trials 5 --targets web,sync
 *
 * `--modes tsx` runs the processes through the TypeScript loader instead (STATESCOPE_BUNDLE=0, how
 * `npm start` ran them before): one launcher per mode, one after the other, for a side-by-side.
 * Besides the wall time (which grows with the machine's load), the CPU time the restarted process
 * had used once it served again (web, worker, sync; read from /proc right after): what a loaded
 * machine must find for a restart.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { killTrial, serving, startLauncher, TARGETS, type Launcher, type Target } from "../setup/launcher";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (m: string) => process.stderr.write(`[restart] ${m}\n`);

async function allServing(l: Launcher): Promise<void> {
  for (const end = Date.now() + 120_000; Date.now() < end; await sleep(500)) {
    if ((await Promise.all(TARGETS.map((t) => serving(l, t, 5_000)))).every(Boolean)) return;
  }
  throw new Error("not every part served again within 120 s");
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // fields 14 and 15 of stat (utime, stime), counted after the command's closing parenthesis; in clock ticks (100 Hz)
  return (Number(f[11]) + Number(f[12])) / 100;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      trials: { type: "string", default: "10" },
      modes: { type: "string", default: "bundled" },
      targets: { type: "string", default: TARGETS.join(",") },
    },
  });
  const trials = Number(values.trials);
  const targets = values.targets.split(",") as Target[];
  const modes = values.modes.split(",");
  for (const t of targets) if (!TARGETS.includes(t)) throw new Error(`--targets: unknown part ${t} (parts: ${TARGETS.join(", ")})`);
  for (const m of modes) if (m !== "bundled" && m !== "tsx") throw new Error(`--modes: unknown mode ${m} (bundled, tsx)`);
  const rows: string[] = [];
  for (const mode of modes) {
    log(`${mode}: starting npm start`);
    const l = await startLauncher({ env: { STATESCOPE_BUNDLE: mode === "bundled" ? "1" : "0", WORKER_HEARTBEAT_MS: "500", WORKER_DEAD_AFTER_MS: "3000" } });
    const times: Record<string, number[]> = Object.fromEntries(targets.map((t) => [t, []]));
    const othersDown: Record<string, number> = Object.fromEntries(targets.map((t) => [t, 0]));
    const cpu: Record<string, number[]> = Object.fromEntries(targets.map((t) => [t, []]));
    try {
      if (mode === "bundled" && !/bundled in \d+ ms/.test(l.output())) throw new Error(`the launcher did not bundle its processes:\n${l.output().slice(-2000)}`);
      for (let i = 0; i < trials; i++) {
        for (const t of targets) {
          await allServing(l);
          const r = await killTrial(l, t);
          times[t]!.push(r.backMs);
          if (t !== "postgres") cpu[t]!.push(cpuSeconds(l.pids()[t]));
          if (!Object.values(r.othersServing).every(Boolean)) othersDown[t]!++;
          log(`${mode} ${t} #${i + 1}: back in ${r.backMs} ms${t !== "postgres" ? `, ${cpu[t]!.at(-1)!.toFixed(2)} s of CPU` : ""}; others serving: ${JSON.stringify(r.othersServing)}`);
        }
      }
    } finally {
      await l.stop();
    }
    for (const t of targets) {
      const xs = times[t]!;
      const c = cpu[t]!;
      const cpuCell = c.length ? `${quantile(c, 0.5).toFixed(2)} / ${Math.max(...c).toFixed(2)}` : "–";
      rows.push(`| ${mode} | ${t} | ${xs.length} | ${quantile(xs, 0.5)} | ${Math.max(...xs)} | ${cpuCell} | ${xs.filter((x) => !(x < 10_000)).length} | ${othersDown[t]} |`);
    }
  }
  process.stdout.write(`\n| mode | killed | kills | p50 ms | max ms | CPU s at serving, p50 / max | over 10 s | others stopped serving |\n|---|---|--:|--:|--:|--:|--:|--:|\n${rows.join("\n")}\n`);
}

main()
  .catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  })
  .finally(() => process.stdout.write("", () => process.exit()));
