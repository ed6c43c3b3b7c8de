/**
 * The Prisma client (driver adapter over node-postgres). One per process,
 * created on first use from the validated environment.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "@/prisma/generated/client";
import { env } from "@/server/env";

export type Db = PrismaClient;

// On globalThis like the client itself: Next's dev reloads re-evaluate this module but keep the client.
const poolHolder = globalThis as unknown as { __statescopePools?: WeakMap<Db, pg.Pool> };
const pools = (poolHolder.__statescopePools ??= new WeakMap<Db, pg.Pool>());

/**
 * The pool checked out `client`: if its connection dies while it is out (PostgreSQL killed or
 * restarted), it leaves the pool at once, and its holder's own release later is a no-op.
 */
function dropWhenDead(client: pg.PoolClient): pg.PoolClient {
  const release = client.release.bind(client);
  let released = false;
  const onEnd = () => {
    if (released) return;
    released = true;
    release(new Error("the connection ended while checked out"));
  };
  client.once("end", onEnd);
  client.release = (err?: Error | boolean) => {
    if (released) return;
    released = true;
    client.removeListener("end", onEnd);
    release(err);
  };
  return client;
}

/**
 * node-postgres' pool, where a checked-out connection that dies is dropped by the pool itself.
 * Prisma's transaction manager (6.19, engineType "client") ends a failed transaction by sending
 * ROLLBACK and only then releasing the connection: on a dead connection ROLLBACK throws and the
 * connection is never released. Each PostgreSQL kill under load leaked one connection per open
 * transaction until all were gone and every query waited forever (server/db/client.int.test.ts).
 */
class HealingPool extends pg.Pool {
  override connect(): Promise<pg.PoolClient>;
  override connect(callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): void;
  override connect(callback?: (err: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): Promise<pg.PoolClient> | void {
    if (!callback) return super.connect().then(dropWhenDead);
    super.connect((err, client) => {
      const c = client && !err ? dropWhenDead(client) : client;
      callback(err, c, (e) => c?.release(e as Error | boolean | undefined));
    });
  }
}

export function createDb(url: string): Db {
  const pool = new HealingPool({ connectionString: url, max: 10 });
  // An idle connection dropped by the server must not crash the process (the adapter adds its own listener once connected).
  pool.on("error", () => undefined);
  // …nor one that dies while checked out (pg's pool listens only to idle ones). Its holder's query still
  // rejects, and dropWhenDead takes it out of the pool. graphile-worker checks for this listener too.
  pool.on("connect", (client) => client.on("error", () => undefined));
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(client, pool);
  return client;
}

/**
 * The node-postgres pool under a client from {@link createDb}, for bulk binary
 * I/O (Prisma converts every `Bytes` value through its query engine, ~100x
 * slower than a parameterised pg query for megabyte chunks). Ended by `$disconnect`.
 */
export function pgPool(client: Db): pg.Pool {
  const pool = pools.get(client);
  if (!pool) throw new Error("pgPool: this Prisma client was not created by createDb");
  return pool;
}

const holder = globalThis as unknown as { __statescopeDb?: Db };

/** The process-wide client (kept on globalThis so Next's dev reloads reuse it). */
export function db(): Db {
  if (!holder.__statescopeDb) {
    const url = env().DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set: start the app with `npm start` (it starts the embedded PostgreSQL) or set DATABASE_URL");
    holder.__statescopeDb = createDb(url);
  }
  return holder.__statescopeDb;
}
