/**
 * Completion signals for match jobs over Postgres LISTEN/NOTIFY: the worker
 * stores the result, then notifies its key on channel `statescope_match`
 * (payload `<key>` or `<key> error <message>`); waiting requests in any web
 * process wake at once instead of polling.
 */
import pg from "pg";
import { AppError } from "@statescope/core";

export const MATCH_CHANNEL = "statescope_match";

type Waiter = { resolve: () => void; reject: (e: AppError) => void };

export class MatchNotifier {
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(private readonly connectionString: string) {}

  private async connect(): Promise<void> {
    if (this.client) return;
    this.connecting ??= (async () => {
      const c = new pg.Client({ connectionString: this.connectionString });
      c.on("notification", (n) => this.dispatch(n.payload ?? ""));
      c.on("error", () => {
        // Lost connection: the next wait reconnects; current waiters fall back to their timeout.
        this.client = null;
        this.connecting = null;
      });
      await c.connect();
      await c.query(`listen ${MATCH_CHANNEL}`);
      this.client = c;
    })();
    try {
      await this.connecting;
    } finally {
      this.connecting = null;
    }
  }

  private dispatch(payload: string): void {
    const sp = payload.indexOf(" ");
    const key = sp < 0 ? payload : payload.slice(0, sp);
    const set = this.waiters.get(key);
    if (!set) return;
    this.waiters.delete(key);
    const failed = sp >= 0 && payload.slice(sp + 1).startsWith("error ");
    for (const w of set) {
      if (failed) w.reject(new AppError("INTERNAL", `the match job failed: ${payload.slice(sp + 7)}`));
      else w.resolve();
    }
  }

  /**
   * Subscribe to `key` before checking for its result (so a notify between the
   * check and the wait is not lost); `wait` resolves true when notified, false on timeout.
   */
  async subscribe(key: string): Promise<{ wait(timeoutMs: number): Promise<boolean>; cancel(): void }> {
    await this.connect();
    let waiter!: Waiter;
    const done = new Promise<void>((resolve, reject) => (waiter = { resolve, reject }));
    const set = this.waiters.get(key) ?? new Set<Waiter>();
    set.add(waiter);
    this.waiters.set(key, set);
    const cancel = () => {
      const s = this.waiters.get(key);
      s?.delete(waiter);
      if (s && s.size === 0) this.waiters.delete(key);
    };
    return {
      cancel,
      async wait(timeoutMs: number) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
        try {
          return await Promise.race([done.then(() => true as const), timeout]);
        } finally {
          clearTimeout(timer);
          cancel();
        }
      },
    };
  }

  async close(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = null;
  }
}

/** Send the completion signal (worker side). */
export async function notifyMatch(q: Pick<pg.Pool, "query">, key: string, error?: string): Promise<void> {
  const payload = error ? `${key} error ${error.slice(0, 7000)}` : key;
  await q.query("select pg_notify($1, $2)", [MATCH_CHANNEL, payload]);
}
