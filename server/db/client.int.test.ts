import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { pgPool } from "./client";

let t: TestDatabase;
let admin: pg.Client;
beforeAll(async () => {
  t = await freshDatabase();
  admin = new pg.Client({ connectionString: t.url });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await t?.drop();
});

/** Rejects after `ms` instead of waiting forever (a pool with every connection leaked never answers). */
function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms).unref())]);
}

// PostgreSQL killed (or restarted) under load: each open transaction's connection dies. Prisma's
// transaction manager sends ROLLBACK on it and, when that fails, never hands the connection back
// to the pool — after as many such deaths as the pool has connections, every query waited forever
// (the web process stopped serving after the 2nd–6th kill of `npm run test:soak`).
describe("the Prisma client's pool after its connections die inside transactions", () => {
  it("every dead transaction connection leaves the pool: queries keep being answered", { timeout: 60_000 }, async () => {
    const pool = pgPool(t.db);
    const deaths = 2 * pool.options.max!;
    for (let i = 0; i < deaths; i++) {
      const failed = await within(
        10_000,
        t.db
          .$transaction(async (tx) => {
            const [{ pid }] = await tx.$queryRaw<[{ pid: number }]>`select pg_backend_pid() as pid`;
            await admin.query("select pg_terminate_backend($1)", [pid]);
            await tx.$queryRaw`select 1`;
          })
          .then(
            () => false,
            () => true,
          ),
        `transaction ${i + 1}`,
      );
      expect(failed).toBe(true);
    }
    const [{ one }] = await within(10_000, t.db.$queryRaw<[{ one: number }]>`select 1 as one`, `a query after ${deaths} dead transactions`);
    expect(one).toBe(1);
    // nothing is held: every connection the pool counts is idle again
    expect(pool.totalCount).toBe(pool.idleCount);
    expect(pool.waitingCount).toBe(0);
  });
});

describe("a checked-out connection's errors", () => {
  it("an error event on a connection that is out of the pool does not throw (and graphile-worker finds the handlers)", async () => {
    const pool = pgPool(t.db);
    const client = await pool.connect();
    try {
      // With no listener an EventEmitter throws its 'error': in a server, an uncaught exception.
      expect(() => client.emit("error", new Error("connection reset"))).not.toThrow();
    } finally {
      client.release();
    }
    expect(pool.listeners("connect").length).toBeGreaterThan(0);
  });
});
