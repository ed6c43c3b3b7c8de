/**
 * Joins to one class session are admitted at a bounded rate, so that a whole lecture hall joining at
 * once cannot starve the presentation the students already in are following.
 *
 * A join's cost is a burst of CPU in every process (the web's request and statement, PostgreSQL's
 * insert, the sync's socket handshake and first document, and each new browser's own traffic). On
 * two cores, 1,000 students joining in 1.8 s took more CPU than the machine had: each process's main
 * thread waited 250–300 ms per second for a CPU, and the presenter's updates reached the students
 * already in with a p99 of 53–58 ms instead of the steady 20–22 ms (issue 18: "all 1,000 joined
 * within 5 s without the p99 doubling"). Let in by this pacer at 300 per second, the same burst kept
 * the p99 at 29 ms against a steady 22 ms, and all had joined in 3.3 s (tests/bench/classroom-bench.ts).
 *
 * A token bucket per session (keyed by its join code): the first `burst` joins pass at once (a class
 * of a few dozen never waits), the rest are let through `ratePerSecond`, in arrival order, a tick's
 * worth at a time — the joins of one tick share one statement (GroupCommitter). A join that would wait
 * longer than `maxWaitMs` is refused with a retry time instead of held. Per web process: with several,
 * a session's joins are admitted up to that many times as fast, each process paying its own share.
 */
import { AppError } from "@statescope/core";

export interface JoinPacing {
  /** Joins per second per session after the burst; 0 admits every join at once. */
  ratePerSecond: number;
  /** Joins of one session admitted at once before the rate applies. */
  burst: number;
  /** Longest a join is held; one that would wait longer is refused (TOO_MANY_REQUESTS). */
  maxWaitMs: number;
  /** How often held joins are let through (default 50 ms). */
  tickMs?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
  queue: (() => void)[];
}

export class JoinPacer {
  private readonly buckets = new Map<string, Bucket>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly now: () => number;
  private readonly tickMs: number;

  constructor(private readonly pacing: JoinPacing) {
    this.now = pacing.now ?? (() => performance.now());
    this.tickMs = pacing.tickMs ?? 50;
  }

  /** Joins held right now, over all sessions. */
  get held(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.queue.length;
    return n;
  }

  /** Sessions with a bucket in memory (one with joins held, or one refilling after a burst). */
  get sessions(): number {
    return this.buckets.size;
  }

  /** Resolves when a join to the session `key` may proceed. */
  admit(key: string): Promise<void> {
    const { ratePerSecond: rate, burst, maxWaitMs } = this.pacing;
    if (rate <= 0) return Promise.resolve();
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = { tokens: burst, at: now, queue: [] }));
    this.refill(b, now);
    this.start();
    if (b.queue.length === 0 && b.tokens >= 1) {
      b.tokens -= 1;
      return Promise.resolve();
    }
    const waitMs = ((b.queue.length + 1 - b.tokens) / rate) * 1000;
    if (waitMs > maxWaitMs) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      return Promise.reject(
        new AppError("TOO_MANY_REQUESTS", `many people are joining this class right now: try again in ${seconds} s`, { retryAfterSeconds: seconds }),
      );
    }
    return new Promise<void>((go) => b.queue.push(go));
  }

  private refill(b: Bucket, now: number): void {
    b.tokens = Math.min(this.pacing.burst, b.tokens + ((now - b.at) / 1000) * this.pacing.ratePerSecond);
    b.at = now;
  }

  private start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref?.();
  }

  private tick(): void {
    const now = this.now();
    for (const [key, b] of this.buckets) {
      this.refill(b, now);
      while (b.queue.length > 0 && b.tokens >= 1) {
        b.tokens -= 1;
        b.queue.shift()!();
      }
      // a full bucket with nobody waiting is what a new one would be
      if (b.queue.length === 0 && b.tokens >= this.pacing.burst) this.buckets.delete(key);
    }
    if (this.buckets.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
