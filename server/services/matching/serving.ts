import type { Env } from "@/server/env";
import { MatchNotifier } from "./notifier";
import type { MatchServing } from "./matches";

const holder = globalThis as unknown as { __statescopeMatchNotifier?: MatchNotifier };

/** The web process's LISTEN connection for match completions (one per process, created on first use). */
export function matchServing(e: Env): MatchServing {
  if (!e.DATABASE_URL) throw new Error("DATABASE_URL is not set");
  holder.__statescopeMatchNotifier ??= new MatchNotifier(e.DATABASE_URL);
  return { notifier: holder.__statescopeMatchNotifier, waitMs: e.MATCH_WAIT_MS };
}
