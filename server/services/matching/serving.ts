import type { Env } from "@/server/env";
import type { PubSub } from "@/server/pubsub/pubsub";
import { MatchEngine } from "./engine";
import { matchNotifier } from "./notifier";
import type { MatchServing } from "./matches";

const holder = globalThis as unknown as { __statescopeInlineEngine?: MatchEngine };

/**
 * How the web process serves match queries: it waits for match jobs on the process's pub/sub for
 * up to MATCH_WAIT_MS, and answers small queries (≤ MATCH_INLINE_VALUES values) in-process with
 * one engine per process, created on first use, whose cache holds at most a few decoded small
 * sources (4 × MATCH_INLINE_VALUES floats) and builds their indices without run tables (a click at
 * a new threshold waits for the build).
 */
export function matchServing(pubsub: PubSub, e: Env): MatchServing {
  const inline = e.MATCH_INLINE_VALUES > 0 ? { maxValues: e.MATCH_INLINE_VALUES, engine: (holder.__statescopeInlineEngine ??= new MatchEngine(4 * 4 * 2 * e.MATCH_INLINE_VALUES, { runTables: false })) } : null;
  return { notifier: matchNotifier(pubsub), waitMs: e.MATCH_WAIT_MS, inline };
}
