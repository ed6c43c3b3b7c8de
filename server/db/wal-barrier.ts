/**
 * Durable writes whose commit does not wait for the disk, made durable by a shared "WAL barrier".
 *
 * Postgres runs the commits of all transactions that NOTIFY one at a time, through a cluster-wide
 * lock held until the commit is done, WAL flush included: a durable transaction that NOTIFYs makes
 * every other announcement of every process wait for its fsync. So a hot write that NOTIFYs commits
 * with `synchronous_commit` off for itself (`commitSetting`, for `set_config('synchronous_commit',
 * …, true)`), and is acknowledged only after `durable()`: a durable commit that started later
 * (WAL is flushed in order, so it covers every commit before it). The lock is then held for the
 * commit without the flush, and one flush at a time covers all the writes committed before it.
 * If the database crashes before the barrier, `durable()` rejects and the caller's write is
 * unacknowledged: its client retries (the writes that use this are idempotent).
 */
import type pg from "pg";

/**
 * A durable commit of a transaction that wrote WAL: Postgres flushes the WAL up to it, and so every
 * commit before it. (A transaction that only takes an id writes no WAL and is not flushed; this one
 * writes a transactional logical-decoding message, which anyone may, and which no table keeps.)
 */
export const WAL_BARRIER = "SELECT pg_logical_emit_message(true, 'statescope_barrier', '')";

/** Errors of a database where the barrier cannot run (EXECUTE revoked, no such function). */
const BARRIER_UNAVAILABLE = new Set(["42501", "42883"]);

export interface WalBarrier {
  /**
   * The `synchronous_commit` a write should commit with: "off" while the barrier works, null (the
   * session's setting: durable) on a database that refuses it — then `durable()` has nothing to wait for.
   */
  readonly commitSetting: "off" | null;
  /** Resolves once everything committed before this call is on disk. */
  durable(): Promise<void>;
}

/**
 * A barrier over `pool`. `onRefused(why)` is called once when the database refuses the barrier
 * (from then on `commitSetting` is null and writes commit durably).
 */
export function createWalBarrier(pool: Pick<pg.Pool, "query">, onRefused: (why: string) => void = () => undefined): WalBarrier {
  let flushLater = true;
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  function durable(): Promise<void> {
    if (!flushLater) return Promise.resolve();
    if (!running) {
      running = pool.query(WAL_BARRIER).then(
        () => void (running = null),
        (e: unknown) => {
          running = null;
          const code = (e as { code?: unknown }).code;
          if (flushLater && typeof code === "string" && BARRIER_UNAVAILABLE.has(code)) {
            flushLater = false;
            onRefused(`this database refuses ${WAL_BARRIER} (${e instanceof Error ? e.message : String(e)})`);
          }
          throw e;
        },
      );
      return running;
    }
    // the running barrier may have started before our commit: the next one covers it
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = null;
        return durable();
      });
    return next;
  }
  return {
    get commitSetting() {
      return flushLater ? "off" : null;
    },
    durable,
  };
}

const shared = new WeakMap<object, WalBarrier>();

/** The one barrier of a pool for the services' writes (they share its flushes). */
export function walBarrierOf(pool: pg.Pool): WalBarrier {
  let b = shared.get(pool);
  if (!b) shared.set(pool, (b = createWalBarrier(pool, (why) => console.warn(`[db] ${why}: record writes commit durably from now on (each waits for the disk while it holds the notify lock)`))));
  return b;
}
