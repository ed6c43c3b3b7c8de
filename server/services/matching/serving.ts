import type { Env } from "@/server/env";
import { MatchEngine } from "./engine";
import { MatchNotifier } from "./notifier";
import type { MatchServing } from "./matches";

const holder = globalThis as unknown as { __statescopeMatchNotifier?: MatchNotifier; __statescopeInlineEngine?: MatchEngine };

/**
 * The web process's match serving: its LISTEN connection for match completions and the engine
 * that answers small queries in-process (one of each per process, created on first use). The
 * inline engine's cache holds at most a few decoded small sources (4 × MATCH_INLINE_VALUES floats).
 */
export function matchServing(e: Env): MatchServing {
  if (!e.DATABASE_URL) throw new Error("DATABASE_URL is not set");
  holder.__statescopeMatchNotifier ??= new MatchNotifier(e.DATABASE_URL);
  const inline = e.MATCH_INLINE_VALUES > 0 ? { maxValues: e.MATCH_INLINE_VALUES, engine: (holder.__statescopeInlineEngine ??= new MatchEngine(4 * 4 * 2 * e.MATCH_INLINE_VALUES)) } : null;
  return { notifier: holder.__statescopeMatchNotifier, waitMs: e.MATCH_WAIT_MS, inline };
}
