/**
 * Pub/sub over Postgres NOTIFY/LISTEN. Publishing inside a transaction (`publish(tx, …)`) is
 * delivered when that transaction commits and never after a rollback, so a subscriber never hears
 * of a row it cannot read yet. Each process keeps ONE listening connection for all its channels
 * (`createPgPubSub`): it LISTENs on a channel when the first subscriber arrives, reconnects with
 * backoff when the connection is lost, and then tells every subscriber to `resync`, since
 * messages sent meanwhile were not received.
 */
import pg from "pg";
import type { z } from "zod";
import { Subscriptions, type Channel, type Notification, type PubSub, type Subscriber } from "./pubsub";

/** A Prisma client or transaction (tagged-template raw SQL). */
interface PrismaLike {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<unknown>;
}
/** A node-postgres pool, pooled client or client. */
interface PgLike {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

/**
 * Send one message on `channel` through `q`: inside a transaction it goes out at commit, outside
 * at once. Works with a Prisma transaction or client and with node-postgres.
 */
export async function publish<S extends z.ZodType>(q: PrismaLike | PgLike, channel: Channel<S>, message: z.input<S>): Promise<void> {
  const n = channel.notification(message);
  if ("$executeRaw" in q) await q.$executeRaw`select pg_notify(${n.channel}, ${n.payload})`;
  else await q.query("select pg_notify($1, $2)", [n.channel, n.payload]);
}

/** Several notifications in one statement, so they are delivered together and in order. */
export async function publishAll(q: PgLike, notifications: readonly Notification[]): Promise<void> {
  if (notifications.length === 0) return;
  if (notifications.length === 1) {
    await q.query("select pg_notify($1, $2)", [notifications[0]!.channel, notifications[0]!.payload]);
    return;
  }
  await q.query("select pg_notify(c, p) from unnest($1::text[], $2::text[]) as t(c, p)", [notifications.map((n) => n.channel), notifications.map((n) => n.payload)]);
}

/** The listening connection's name in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = "statescope pubsub";

export interface PgPubSubOptions {
  connectionString: string;
  /** Publishes through this pool (else one of its own, opened on first use). */
  pool?: pg.Pool;
  log?: (line: string) => void;
  /** First reconnect delay; doubles up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export function createPgPubSub(opts: PgPubSubOptions): PubSub {
  const log = opts.log ?? (() => undefined);
  const firstBackoff = opts.backoffMs ?? 200;
  const subs = new Subscriptions(log);
  /** Subscribers that have been listening on some connection (they resync after a reconnect). */
  const active = new Set<Subscriber<unknown>>();
  let ownPool: pg.Pool | null = null;
  let client: pg.Client | null = null;
  /** Channels LISTENed on `client`, or being LISTENed. */
  let listening = new Map<string, Promise<unknown>>();
  let starting: Promise<pg.Client> | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let backoff = firstBackoff;
  let closed = false;

  const pool = () => {
    if (opts.pool) return opts.pool;
    if (!ownPool) {
      ownPool = new pg.Pool({ connectionString: opts.connectionString, max: 2 });
      ownPool.on("error", () => undefined); // an idle connection dropped by the server; the next query reconnects
    }
    return ownPool;
  };

  function ensure(): Promise<pg.Client> {
    if (closed) return Promise.reject(new Error("pub/sub is closed"));
    if (client) return Promise.resolve(client);
    starting ??= connect().finally(() => (starting = null));
    return starting;
  }

  async function connect(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: opts.connectionString, keepAlive: true, application_name: LISTENER_APPLICATION_NAME });
    c.on("notification", (n) => subs.dispatch(n.channel, n.payload ?? ""));
    c.on("error", (e) => lost(c, e));
    c.on("end", () => lost(c, new Error("connection ended")));
    const names = subs.names();
    try {
      await c.connect();
      // one statement per channel, in the order they were first LISTENed: the session looks the same as before the loss
      for (const n of names) await c.query(`LISTEN ${n}`);
    } catch (e) {
      c.removeAllListeners("end");
      await c.end().catch(() => undefined);
      throw e;
    }
    if (closed) {
      await c.end().catch(() => undefined);
      throw new Error("pub/sub is closed");
    }
    client = c;
    const done = Promise.resolve();
    listening = new Map(names.map((n) => [n, done]));
    backoff = firstBackoff;
    if (active.size > 0) {
      log(`listening again on ${names.join(", ")}: subscribers catch up`);
      subs.resync([...active]);
    }
    return c;
  }

  function lost(c: pg.Client, e: Error): void {
    if (client !== c) return;
    client = null;
    listening = new Map();
    c.removeAllListeners("notification");
    c.end().catch(() => undefined);
    if (closed) return;
    log(`listening connection lost (${e.message}): reconnecting`);
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (retryTimer || closed || subs.names().length === 0) return;
    const delay = backoff;
    backoff = Math.min(backoff * 2, opts.maxBackoffMs ?? 5000);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      ensure().catch((err: unknown) => {
        log(`reconnecting failed (${err instanceof Error ? err.message : String(err)}): retrying in ${backoff} ms`);
        scheduleReconnect();
      });
    }, delay);
    retryTimer.unref();
  }

  return {
    async publish(notifications) {
      await publishAll(pool(), notifications);
    },
    async subscribe(channel, subscriber) {
      if (closed) throw new Error("pub/sub is closed");
      const sub = subscriber as Subscriber<unknown>;
      const remove = subs.add(channel, sub);
      try {
        // the connection may be replaced while we wait: listen on the one we end up with
        for (;;) {
          const c = await ensure();
          let l = listening.get(channel.name);
          if (!l) {
            const q = c.query(`LISTEN ${channel.name}`);
            listening.set(channel.name, (l = q));
            q.catch(() => listening.get(channel.name) === q && listening.delete(channel.name));
          }
          await l;
          if (client === c) break;
        }
      } catch (e) {
        remove();
        throw e;
      }
      active.add(sub);
      return () => {
        remove();
        active.delete(sub);
      };
    },
    get connected() {
      return client !== null;
    },
    subscribers: (channel) => subs.count(channel),
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      subs.clear();
      active.clear();
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
      await ownPool?.end().catch(() => undefined);
    },
  };
}
