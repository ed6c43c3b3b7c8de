/**
 * Pub/sub inside one process, with Postgres's semantics: the same encoded payloads (and the same
 * size limit and decoding), delivered asynchronously, in order, to every connected end including
 * the sender's, and lost while an end is cut off (which then resyncs). For tests of what is built
 * on pub/sub (the sync relay's contract suite) and for rooms in one process.
 */
import { Subscriptions, type Notification, type PubSub, type Subscriber } from "./pubsub";

export interface MemoryPubSub extends PubSub {
  /** Lose the connection for a moment, as a dropped LISTEN connection would: subscribers resync. */
  interrupt(): void;
}

export interface MemoryHub {
  /** One process's end. */
  connect(opts?: { log?: (line: string) => void }): MemoryPubSub;
  /** Deliver notifications to every connected end (what a COMMIT with NOTIFYs does). */
  deliver(notifications: readonly Notification[]): void;
}

export function createMemoryHub(): MemoryHub {
  const ends = new Set<{ subs: Subscriptions; up: boolean }>();

  function deliver(notifications: readonly Notification[]): void {
    if (notifications.length === 0) return;
    const to = [...ends].filter((e) => e.up);
    const batch = [...notifications];
    setImmediate(() => {
      for (const end of to) {
        if (!end.up) continue;
        for (const n of batch) end.subs.dispatch(n.channel, n.payload);
      }
    });
  }

  return {
    deliver,
    connect(opts = {}) {
      const subs = new Subscriptions(opts.log ?? (() => undefined));
      const end = { subs, up: true };
      ends.add(end);
      let closed = false;
      return {
        async publish(notifications) {
          if (closed) throw new Error("pub/sub is closed");
          deliver(notifications);
        },
        async subscribe(channel, subscriber) {
          if (closed) throw new Error("pub/sub is closed");
          return subs.add(channel, subscriber as Subscriber<unknown>);
        },
        get connected() {
          return end.up && !closed;
        },
        subscribers: (channel) => subs.count(channel),
        interrupt() {
          end.up = false;
          setImmediate(() => {
            if (closed) return;
            end.up = true;
            subs.resync(subs.all());
          });
        },
        async close() {
          closed = true;
          end.up = false;
          ends.delete(end);
          subs.clear();
        },
      };
    },
  };
}
