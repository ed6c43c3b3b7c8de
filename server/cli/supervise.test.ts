import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Supervisor, type Run } from "./supervise";

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
