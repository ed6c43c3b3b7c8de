/**
 * A channel as an async iterator, for streaming subscriptions (tRPC over SSE): messages arriving
 * while the consumer is busy are queued, bounded — past `maxQueue` the queue is replaced by one
 * `resync`, as after a lost connection, and the consumer refetches what it shows.
 */
import type { Channel, MessageOf, PubSub } from "./pubsub";

export type StreamItem<T> = { message: T } | { resync: true };

export async function* channelMessages<C extends Channel>(pubsub: PubSub, channel: C, signal: AbortSignal | undefined, maxQueue = 1000): AsyncGenerator<StreamItem<MessageOf<C>>> {
  const queue: StreamItem<MessageOf<C>>[] = [];
  let wake: (() => void) | null = null;
  const push = (item: StreamItem<MessageOf<C>>) => {
    if (queue.length >= maxQueue) {
      queue.length = 0;
      queue.push({ resync: true });
    }
    queue.push(item);
    wake?.();
  };
  const unsubscribe = await pubsub.subscribe(channel, { message: (m) => push({ message: m }), resync: () => push({ resync: true }) });
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort);
  try {
    while (!signal?.aborted) {
      if (queue.length === 0) {
        await new Promise<void>((r) => {
          if (signal?.aborted) r();
          else wake = r;
        });
        wake = null;
        continue;
      }
      yield queue.shift()!;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    unsubscribe();
  }
}
