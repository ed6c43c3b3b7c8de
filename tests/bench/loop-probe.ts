/**
 * Preloaded (`node --import …/loop-probe.ts`) into the processes `npm run bench:classroom` and `bench:sync` spawn:
 * once a second, the process's event-loop delay over that second (p99 and max, ms) on stdout as
 * `loop-delay <p99> <max>`. A delivery waits for every turn of the loop ahead of it, so these say
 * whether a latency tail was spent in the server's loop (GC, a long task) or elsewhere.
 */
import { readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";

/**
 * The main thread's time on a CPU and waiting for one (runnable, not running: the machine's cores
 * were busy), ms since it started (Linux /proc schedstat; NaN elsewhere).
 */
export function schedMs(): { run: number; wait: number } {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, "latin1").split(" ").map(Number);
    return { run: run! / 1e6, wait: wait! / 1e6 };
  } catch {
    return { run: NaN, wait: NaN };
  }
}

const h = monitorEventLoopDelay({ resolution: 1 });
h.enable();
// with LOOP_PROBE_WAIT=1, also the main thread's run-queue wait over that second (ms): `loop-delay <p99> <max> <wait>`
const withWait = process.env.LOOP_PROBE_WAIT === "1";
let lastSched = schedMs();
setInterval(() => {
  let wait = "";
  if (withWait) {
    const now = schedMs();
    wait = ` ${(now.wait - lastSched.wait).toFixed(2)}`;
    lastSched = now;
  }
  process.stdout.write(`loop-delay ${(h.percentile(99) / 1e6).toFixed(2)} ${(h.max / 1e6).toFixed(2)}${wait}\n`);
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

/**
 * With LOOP_PROBE_MARKS=1 (bench:classroom's attribution of a late update), also where each presenter
 * update k (its frame carries the marker `#@k@#`, see classroom-bench.ts) was in this process, on the
 * machine's shared clock (performance.timeOrigin + performance.now(), ms): when a socket's message
 * carrying it was emitted (read and unmasked) and when the first and last frames carrying it were
 * handed to sockets, and the main thread's time on a CPU and waiting for one from that first write to
 * the end of the callback that wrote it (the fan-out), as
 * `loop-mark <k> <read|-> <first write> <last write> <writes> <run ms> <wait ms>`, once the marker
 * has been quiet for 300 ms. Looks only at frames under 4 KiB (a view update is ~200 bytes). And each
 * garbage collection of 1 ms or more: `loop-gc <start> <duration ms> <kind>` (perf_hooks' NODE_PERFORMANCE_GC_*: 1 minor, 2 major, 4 incremental, 8 weak callbacks).
 */
if (process.env.LOOP_PROBE_MARKS === "1") {
  const { createRequire } = await import("node:module");
  const net = await import("node:net");
  const open = Buffer.from("#@");
  const close = Buffer.from("@#");
  const clock = () => performance.timeOrigin + performance.now();
  const marks = new Map<number, { read: number; first: number; last: number; writes: number; touched: number; run: number; wait: number }>();
  const markOf = (k: number) => {
    let m = marks.get(k);
    if (!m) marks.set(k, (m = { read: NaN, first: NaN, last: NaN, writes: 0, touched: 0, run: NaN, wait: NaN }));
    return m;
  };
  const scan = (b: Uint8Array | string, each: (k: number) => void) => {
    if (typeof b === "string" || b.length > 4096) return;
    const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    for (let i = buf.indexOf(open); i >= 0; ) {
      const j = buf.indexOf(close, i + 2);
      if (j < 0 || j - i > 14) break;
      const k = Number(buf.toString("latin1", i + 2, j));
      if (Number.isInteger(k)) each(k);
      i = buf.indexOf(open, j + 2);
    }
  };
  const write = net.Socket.prototype.write as (...a: unknown[]) => boolean;
  net.Socket.prototype.write = function (this: unknown, ...a: unknown[]) {
    const b = a[0];
    if (b instanceof Uint8Array) {
      scan(b, (k) => {
        const m = markOf(k);
        const now = clock();
        if (m.writes++ === 0) {
          m.first = now;
          // the fan-out's time on a CPU and waiting for one: from its first write to the end of the callback writing it
          const at = schedMs();
          process.nextTick(() => {
            const end = schedMs();
            m.run = end.run - at.run;
            m.wait = end.wait - at.wait;
          });
        }
        m.last = now;
        m.touched = performance.now();
      });
    }
    return write.apply(this, a);
  } as typeof net.Socket.prototype.write;
  // the process's own `ws` (its cwd's node_modules), whose messages arrive unmasked
  const ws = createRequire(`${process.cwd()}/`)("ws") as { prototype: { emit(this: unknown, event: string, ...a: unknown[]): boolean } };
  const emit = ws.prototype.emit;
  ws.prototype.emit = function (this: unknown, event: string, ...a: unknown[]) {
    if (event === "message") {
      const d = a[0];
      const b = d instanceof ArrayBuffer ? new Uint8Array(d) : Array.isArray(d) ? null : (d as Uint8Array);
      if (b) {
        scan(b, (k) => {
          const m = markOf(k);
          if (Number.isNaN(m.read)) m.read = clock();
          m.touched = performance.now();
        });
      }
    }
    return emit.call(this, event, ...a);
  };
  // garbage collections of 1 ms or more, when they started (shared clock) and how long they took
  const { PerformanceObserver } = await import("node:perf_hooks");
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as { detail?: { kind?: number } }).detail?.kind ?? 0;
      if (e.duration >= 1) process.stdout.write(`loop-gc ${(performance.timeOrigin + e.startTime).toFixed(3)} ${e.duration.toFixed(2)} ${kind}\n`);
    }
  }).observe({ entryTypes: ["gc"] });
  setInterval(() => {
    const now = performance.now();
    for (const [k, m] of marks) {
      if (now - m.touched < 300) continue;
      const x = (v: number) => (Number.isNaN(v) ? "-" : v.toFixed(3));
      process.stdout.write(`loop-mark ${k} ${x(m.read)} ${x(m.first)} ${x(m.last)} ${m.writes} ${x(m.run)} ${x(m.wait)}\n`);
      marks.delete(k);
    }
  }, 100).unref();
}
