import type { Env } from "@/server/env";
import type { PubSub } from "@/server/pubsub/pubsub";
import { matchNotifier } from "./notifier";
import type { MatchServing } from "./matches";

/** How a web request waits for match jobs: on the process's pub/sub, for up to MATCH_WAIT_MS. */
export function matchServing(pubsub: PubSub, e: Env): MatchServing {
  return { notifier: matchNotifier(pubsub), waitMs: e.MATCH_WAIT_MS };
}
