/**
 * Preloaded (`node --import …/loop-probe.ts`) into the processes `npm run bench:classroom` and `bench:sync` spawn:
 * once a second, the process's event-loop delay over that second (p99 and max, ms) on stdout as
 * `loop-delay <p99> <max>`. A delivery waits for every turn of the loop ahead of it, so these say
 * whether a latency tail was spent in the server's loop (GC, a long task) or elsewhere.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";

const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
setInterval(() => {
  process.stdout.write(`loop-delay ${(h.percentile(99) / 1e6).toFixed(2)} ${(h.max / 1e6).toFixed(2)}\n`);
  h.reset();
}, 1000).unref();

/**
 * With LOOP_PROBE_FINE_MS set (bench:classroom's join timeline), also the longest delay in each such
 * interval as `loop-fine <ms since the epoch> <max ms>`: which process stalled when a delivery was late.
 */
const fineMs = Number(process.env.LOOP_PROBE_FINE_MS ?? 0);
if (fineMs > 0) {
  const fine = monitorEventLoopDelay({ resolution: 1 });
  fine.enable();
  setInterval(() => {
    process.stdout.write(`loop-fine ${Date.now()} ${(fine.max / 1e6).toFixed(2)}\n`);
    fine.reset();
  }, fineMs).unref();
}
