import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { STABLE_AFTER_MS, Supervisor, type Run } from "./supervise";

/** A real child process that exits with `code` after `ms`. */
function child(code: number, ms: number): Run {
  const c = spawn(process.execPath, ["-e", `setTimeout(() => process.exit(${code}), ${ms})`], { stdio: "ignore" });
  return { pid: c.pid, exited: new Promise((r) => c.once("exit", (x, s) => r(s ? `killed by ${s}` : `exited with code ${x}`))) };
}

const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("Supervisor", () => {
  it("restarts a process that exits, logging why, with growing delays", { timeout: 20_000 }, async () => {
    const lines: string[] = [];
    let starts = 0;
    const s = new Supervisor("crashy", () => (starts++, child(3, 10)), { log: (l) => lines.push(l), delaysMs: [10, 40, 80] });
    await s.start();
    await until(() => s.restarts >= 3);
    s.stop();
    expect(lines.filter((l) => l.includes("restarting"))[0]).toBe("crashy exited with code 3; restarting in 10 ms");
    expect(lines.filter((l) => l.includes("restarting")).slice(0, 3).map((l) => /in (\d+) ms/.exec(l)![1])).toEqual(["10", "40", "80"]);
    expect(lines.some((l) => /^crashy restarted \(pid \d+\)$/.test(l))).toBe(true);
    const after = starts;
    await new Promise((r) => setTimeout(r, 300));
    expect(starts).toBe(after); // stopped: no more restarts
  });

  it("restarts at once a process that had been running for a while, however often that happens", { timeout: 30_000 }, async () => {
    const lines: string[] = [];
    const s = new Supervisor("steady", () => child(0, 60_000), { log: (l) => lines.push(l) });
    await s.start();
    for (let i = 1; i <= 2; i++) {
      await new Promise((r) => setTimeout(r, STABLE_AFTER_MS + 200));
      process.kill(s.current!.pid!, "SIGKILL");
      await until(() => s.restarts === i);
    }
    s.stop();
    process.kill(s.current!.pid!, "SIGKILL");
    expect(lines.filter((l) => l.includes("restarting"))).toEqual(["steady killed by SIGKILL; restarting in 0 ms", "steady killed by SIGKILL; restarting in 0 ms"]);
  });

  it("keeps trying when a restart itself fails", { timeout: 20_000 }, async () => {
    const lines: string[] = [];
    let n = 0;
    const s = new Supervisor(
      "flaky",
      () => {
        n++;
        if (n === 2) throw new Error("port busy");
        return child(n === 1 ? 1 : 0, n === 1 ? 10 : 60_000);
      },
      { log: (l) => lines.push(l), delaysMs: [10, 20] },
    );
    await s.start();
    await until(() => s.restarts === 1);
    expect(lines.some((l) => l.startsWith("flaky could not start (port busy); restarting in 20 ms"))).toBe(true);
    s.stop();
    process.kill(s.current!.pid!, "SIGKILL");
  });
});
