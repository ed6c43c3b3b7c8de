/**
 * Where a publish gets its match results: the worker (the web app: the result store, else a
 * queued job that is waited for) or this process (the CLI, which may run without a worker).
 */
import { AppError } from "@statescope/core";
import type { Db } from "@/server/db/client";
import type { MatchEngine } from "@/server/services/matching/engine";
import { matchResult, runMatch, type MatchServing } from "@/server/services/matching/matches";
import type { MatchRunner } from "./snapshot";

/** How long a publish waits for a match that has to be computed. */
export const PUBLISH_MATCH_WAIT_MS = 120_000;

/** `serving` is called only when a match is needed (it opens the process's LISTEN connection). */
export function workerMatchRunner(db: Db, workspaceId: string, serving: () => MatchServing, waitMs = PUBLISH_MATCH_WAIT_MS): MatchRunner {
  return async (q) => {
    const s = serving();
    let out = await runMatch(db, workspaceId, q, s);
    const deadline = Date.now() + waitMs;
    while (out.status === "pending") {
      if (Date.now() > deadline) {
        throw new AppError("CONFLICT", `the match results are still being computed after ${waitMs / 1000} s: publish again in a moment (the results will be ready)`, { retryable: true });
      }
      out = await matchResult(db, workspaceId, out.key, s);
    }
    return out.result;
  };
}

export function inProcessMatchRunner(db: Db, engine: MatchEngine): MatchRunner {
  // engine.run checks the query against the source's shape first
  return async (q) => (await engine.run(db, q)).result;
}
