/**
 * The web process's pub/sub: one LISTEN connection, opened on first use and handed to procedures
 * through the tRPC context. Kept on globalThis only because Next's dev server re-evaluates modules
 * on every change and would otherwise open a new connection each time (the sync process creates
 * its own in main.ts and passes it down).
 */
import { env } from "@/server/env";
import { createPgPubSub } from "./pg";
import type { PubSub } from "./pubsub";

const holder = globalThis as unknown as { __statescopePubSub?: PubSub };

export function processPubSub(): PubSub {
  if (!holder.__statescopePubSub) {
    const url = env().DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set: live events need the database (start the app with `npm start`)");
    holder.__statescopePubSub = createPgPubSub({ connectionString: url, log: (l) => console.error(`pubsub: ${l}`) });
  }
  return holder.__statescopePubSub;
}
