import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commentKillTrial, LAUNCHER_AUTH_SECRET, seedCommenter, type Commenter } from "../../tests/setup/durability";
import { killTrial, startLauncher, TARGETS, type Launcher } from "../../tests/setup/launcher";
import { middlewareBypassDifferences } from "../../tests/setup/middleware-bypass";
import { routeMatrixFailures } from "../../tests/setup/route-matrix";

// `npm start` under kill -9: one trial per part here; a soak run repeats killTrial many times.
describe("npm start supervision", () => {
  let l: Launcher;
  let commenter: Commenter | undefined;
  beforeAll(async () => {
    l = await startLauncher({ env: { AUTH_SECRET: LAUNCHER_AUTH_SECRET } });
  }, 900_000);
  afterAll(async () => {
    await commenter?.close();
    await l?.stop();
  }, 60_000);

  for (const target of TARGETS) {
    it(`kill -9 ${target}: the others keep serving, ${target} is back within 10 s, nothing else restarts`, { timeout: 60_000 }, async () => {
      const trial = await killTrial(l, target);
      expect(trial.backMs, l.output().slice(-4000)).toBeLessThan(10_000);
      expect(Object.values(trial.othersServing).every(Boolean), JSON.stringify(trial.othersServing)).toBe(true);
      expect(Object.keys(trial.othersServing).sort()).toEqual(TARGETS.filter((t) => t !== target).sort());
      // postgres coming back must not have needed a restart of web, worker or sync: they reconnected
      expect(trial.restarted).toEqual([target]);
      expect(trial.listeners.before.length).toBeGreaterThan(0);
      expect(trial.listeners.after).toEqual(trial.listeners.before);
    });
  }

  it("runs web, worker and sync from their bundles (server/cli/bundle.ts), without the TypeScript loader, restarts included", () => {
    expect(l.output()).toMatch(/\[start\]\s+web, worker and sync bundled in \d+ ms/);
    const pids = l.pids();
    for (const t of ["web", "worker", "sync"] as const) {
      const argv = readFileSync(`/proc/${pids[t]}/cmdline`, "utf8").split("\0");
      expect(argv.join(" ")).not.toMatch(/tsx/);
      expect(argv.some((a) => a.endsWith(`statescope-processes/${t}.mjs`)), argv.join(" ")).toBe(true);
    }
  });

  it("logs each crash and restart", () => {
    for (const t of ["web", "worker", "sync"]) expect(l.output()).toMatch(new RegExp(`\\[start\\]\\s+${t} killed by SIGKILL; restarting in \\d+ ms`));
    expect(l.output()).toMatch(/postgres killed by SIGKILL; restarting in \d+ ms/);
    expect(l.output()).toMatch(/postgres restarted \(pid \d+\)/);
  });

  // the fast variant of `npm run test:soak`'s durability trials: one kill per target
  for (const target of ["web", "postgres"] as const) {
    it(`kill -9 ${target} while a member posts comments at 100/s: every acknowledged comment is stored exactly once`, { timeout: 120_000 }, async () => {
      commenter ??= await seedCommenter(l, "durable");
      const trial = await commentKillTrial(l, commenter, [target], `fast-${target}`);
      expect(trial.backMs, l.output().slice(-4000)).toBeLessThan(10_000);
      expect(trial.abandoned).toBe(0);
      expect({ acknowledged: trial.acknowledged, lost: trial.lost, duplicated: trial.duplicated }).toEqual({ acknowledged: trial.sent, lost: 0, duplicated: 0 });
      // the trial spanned the kill: comments were acknowledged before it and after the return
      expect(trial.ackedBefore).toBeGreaterThan(0);
      expect(trial.ackedAfter).toBeGreaterThan(0);
    });
  }

  // not supervision, but this is the one production server the integration tests start: the authorization matrix's route handlers over HTTP
  it("every route handler refuses each role below its minimum (403), another workspace's owner and ids (403/404), a signed-out caller (401)", { timeout: 120_000 }, async () => {
    expect(await routeMatrixFailures(l)).toEqual([]);
  });

  // not supervision, but this is the one production server (`next start`) the integration tests start
  it("the known Next.js middleware-bypass request shapes (x-middleware-subrequest and friends) change no answer", { timeout: 120_000 }, async () => {
    expect(await middlewareBypassDifferences(l.webUrl)).toEqual([]);
  });
});
