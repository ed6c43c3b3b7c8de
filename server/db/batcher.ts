/**
 * Group commit: callers that arrive within the same turn of the event loop (or while earlier
 * batches run) share one statement — one round trip, one transaction, one commit — instead of
 * each waiting for its own. Each caller is answered only once that statement has returned, so
 * what it wrote is committed (durable as any other statement: synchronous_commit is the
 * session's) before it is acknowledged.
 *
 * A lone caller goes at the next turn of the event loop (no timer: nothing waits for a batch to
 * fill). At most `maxBatch` items go in one statement and `inFlight` statements run at once; the
 * rest queue for the next. A statement that fails runs each of its items again on its own, so one
 * bad item fails only its own caller, and the others still get their own answers.
 *
 * `run(items)` must answer one result per item, in order (or throw: nothing of it was written —
 * one statement is one transaction). Items with the same `key` (when given) never share a
 * statement, nor run in two statements at once: the later waits until the earlier's statement has
 * returned (PostgreSQL refuses to upsert one row twice in one command, e.g. a participant's answer
 * sent twice; and of two statements in flight the later could commit first, the older answer
 * then overwriting the newer).
 */
export class GroupCommitter<P, R> {
  private queue: { item: P; key: string | undefined; done: (e: unknown, r?: R) => void }[] = [];
  private running = 0;
  private scheduled = false;
  /** Keys of the items in statements now running (none of them goes in another until it returns). */
  private readonly busyKeys = new Set<string | undefined>();
  /** Statements run so far, and items in them (for tests and benches: how well callers were grouped). */
  readonly stats = { statements: 0, items: 0 };

  constructor(
    private readonly run: (items: P[]) => Promise<R[]>,
    private readonly options: { maxBatch: number; inFlight: number; key?: (item: P) => string },
  ) {}

  submit(item: P): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, key: this.options.key?.(item), done: (e, r) => (e ? reject(e) : resolve(r as R)) });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.options.inFlight || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.running >= this.options.inFlight || this.queue.length === 0) return;
    const batch = this.take();
    if (batch.length === 0) return; // every queued key is in flight: the next goes when its statement returns
    this.running++;
    try {
      const rows = await this.runChecked(batch.map((b) => b.item));
      batch.forEach((b, i) => b.done(null, rows[i]));
    } catch (e) {
      if (batch.length === 1) batch[0]!.done(e);
      else
        await Promise.all(
          batch.map((b) =>
            this.runChecked([b.item]).then(
              (r) => b.done(null, r[0]),
              (err: unknown) => b.done(err),
            ),
          ),
        );
    } finally {
      this.running--;
      if (this.options.key) for (const b of batch) this.busyKeys.delete(b.key);
      this.schedule();
    }
  }

  /** The next statement's items: the first `maxBatch` queued, each key's first only, none whose key is in flight. */
  private take(): typeof this.queue {
    if (!this.options.key) return this.queue.splice(0, this.options.maxBatch);
    const batch: typeof this.queue = [];
    const rest: typeof this.queue = [];
    const keys = this.busyKeys;
    for (const q of this.queue) {
      if (batch.length >= this.options.maxBatch || keys.has(q.key)) rest.push(q);
      else {
        keys.add(q.key);
        batch.push(q);
      }
    }
    this.queue = rest;
    return batch;
  }

  private async runChecked(items: P[]): Promise<R[]> {
    this.stats.statements++;
    this.stats.items += items.length;
    const rows = await this.run(items);
    if (rows.length !== items.length) throw new Error(`a grouped statement answered ${rows.length} rows for ${items.length} items`);
    return rows;
  }
}
