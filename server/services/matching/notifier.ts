/**
 * Completion signals for match jobs: the worker stores the result, then publishes its key on
 * MATCH_DONE (with the reason when the query cannot succeed); waiting requests in any web
 * process wake at once instead of polling.
 */
import { z } from "zod";
import { AppError } from "@statescope/core";
import { publish } from "@/server/pubsub/pg";
import { defineChannel, type PubSub } from "@/server/pubsub/pubsub";
import { ZMatchKey } from "./schemas";

/** Longest failure reason sent to the waiters (a message, not a log). */
const MAX_ERROR_CHARS = 1000;

export const MATCH_DONE = defineChannel("statescope_match", z.object({ key: ZMatchKey, error: z.string().max(MAX_ERROR_CHARS).optional() }));

export interface MatchWait {
  /** Resolves true when the job signalled, false on timeout; rejects with the job's error. */
  wait(timeoutMs: number): Promise<boolean>;
  cancel(): void;
}

export interface MatchNotifier {
  /** Subscribe to `key` before checking for its result, so a signal between the check and the wait is not lost. */
  subscribe(key: string): Promise<MatchWait>;
}

/**
 * Waits for match signals on the process's pub/sub. After a lost connection a waiter does not
 * hear a signal sent meanwhile: it falls back to its timeout ("pending"), and the client's
 * long-poll finds the stored result.
 */
export function matchNotifier(pubsub: PubSub): MatchNotifier {
  return {
    async subscribe(key) {
      let settle!: { resolve: () => void; reject: (e: AppError) => void };
      const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      done.catch(() => undefined); // a failure nobody waits for any more is not unhandled
      const unsubscribe = await pubsub.subscribe(MATCH_DONE, {
        message: (m) => {
          if (m.key !== key) return;
          if (m.error === undefined) settle.resolve();
          else settle.reject(new AppError("INTERNAL", `the match job failed: ${m.error}`));
        },
      });
      return {
        cancel: unsubscribe,
        async wait(timeoutMs) {
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
          try {
            return await Promise.race([done.then(() => true as const), timeout]);
          } finally {
            clearTimeout(timer);
            unsubscribe();
          }
        },
      };
    },
  };
}

/** Send the completion signal (worker side; inside a transaction it goes out at commit). */
export async function notifyMatch(q: Parameters<typeof publish>[0], key: string, error?: string): Promise<void> {
  await publish(q, MATCH_DONE, error === undefined ? { key } : { key, error: error.slice(0, MAX_ERROR_CHARS) });
}
