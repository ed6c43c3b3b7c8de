import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";

/**
 * giveWayForCpu on a thread of its own (Linux: niceness is per thread, and a lowered priority
 * cannot be raised back without privilege): what it returned and the thread's niceness after.
 */
function onThread(start: number, niceness: number): Promise<{ before: number; returned: number | null; now: number }> {
  const w = new Worker(
    `const os = require("node:os");
     const { parentPort, workerData } = require("node:worker_threads");
     require("tsx/cjs");
     const { giveWayForCpu } = require(workerData.module);
     if (workerData.start > os.getPriority()) os.setPriority(workerData.start);
     const before = os.getPriority();
     const returned = giveWayForCpu(workerData.niceness);
     parentPort.postMessage({ before, returned, now: os.getPriority() });`,
    { eval: true, workerData: { start, niceness, module: new URL("./niceness.ts", import.meta.url).pathname } },
  );
  return new Promise((ok, fail) => {
    w.once("message", (m: { before: number; returned: number | null; now: number }) => void w.terminate().then(() => ok(m)));
    w.once("error", fail);
  });
}

describe.runIf(process.platform === "linux")("giveWayForCpu (the web process's main thread)", () => {
  it("runs the calling thread at the niceness asked for", async () => {
    const r = await onThread(0, 5);
    expect(r.before).toBeLessThan(5); // (unless this runner itself runs niced)
    expect(r).toMatchObject({ returned: 5, now: 5 });
  });
  it("never raises a priority already lower, and 0 leaves the thread alone", async () => {
    expect(await onThread(10, 5)).toEqual({ before: 10, returned: 10, now: 10 });
    const r = await onThread(0, 0);
    expect(r).toEqual({ before: r.before, returned: null, now: r.before });
  });
});
