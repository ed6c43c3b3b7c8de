/**
 * Live record events for one process: a single dedicated Postgres connection LISTENs on
 * `statescope_events` and fans each committed event out to in-memory subscribers (the tRPC
 * subscriptions of this web process). On a lost connection it reconnects with backoff; events
 * committed while disconnected are not replayed, so subscribers get a `{ reconnected: true }`
 * signal and should refetch what they show.
 */
import pg from "pg";
import { EVENTS_CHANNEL, ZRecordEvent, type RecordEvent } from "@/server/services/records/schemas";

export type HubMessage = { event: RecordEvent } | { reconnected: true };
export type Listener = (m: HubMessage) => void;

export interface EventHubOptions {
  connectionString: string;
  /** First reconnect delay; doubles up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  onError?: (e: Error) => void;
}

export class EventHub {
  private client: pg.Client | null = null;
  private starting: Promise<void> | null = null;
  private readonly listeners = new Set<Listener>();
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private backoff: number;
  private everConnected = false;

  constructor(private readonly opts: EventHubOptions) {
    this.backoff = opts.backoffMs ?? 200;
  }

  /** Subscribe; resolves once the LISTEN is active (so events committed afterwards arrive). */
  async subscribe(listener: Listener): Promise<() => void> {
    this.listeners.add(listener);
    try {
      await this.ensure();
    } catch (e) {
      this.listeners.delete(listener);
      throw e;
    }
    return () => {
      this.listeners.delete(listener);
    };
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  get connected(): boolean {
    return this.client !== null;
  }

  private ensure(): Promise<void> {
    if (this.closed) return Promise.reject(new Error("event hub is closed"));
    if (this.client) return Promise.resolve();
    this.starting ??= this.connect().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async connect(): Promise<void> {
    const c = new pg.Client({ connectionString: this.opts.connectionString, keepAlive: true });
    c.on("notification", (n) => {
      if (n.channel !== EVENTS_CHANNEL || !n.payload) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(n.payload);
      } catch {
        return;
      }
      const r = ZRecordEvent.safeParse(parsed);
      if (r.success) this.emit({ event: r.data });
    });
    c.on("error", (e) => this.lost(c, e));
    c.on("end", () => this.lost(c, new Error("connection ended")));
    await c.connect();
    await c.query(`listen ${EVENTS_CHANNEL}`);
    if (this.closed) {
      await c.end().catch(() => undefined);
      return;
    }
    this.client = c;
    this.backoff = this.opts.backoffMs ?? 200;
    if (this.everConnected) this.emit({ reconnected: true });
    this.everConnected = true;
  }

  private emit(m: HubMessage): void {
    for (const l of [...this.listeners]) {
      try {
        l(m);
      } catch (e) {
        this.opts.onError?.(e as Error);
      }
    }
  }

  private lost(c: pg.Client, e: Error): void {
    if (this.client !== c) return;
    this.client = null;
    c.removeAllListeners("notification");
    c.end().catch(() => undefined);
    if (this.closed) return;
    this.opts.onError?.(e);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.retryTimer || this.closed || this.listeners.size === 0) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.opts.maxBackoffMs ?? 5000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.ensure().catch((err: unknown) => {
        this.opts.onError?.(err as Error);
        this.scheduleReconnect();
      });
    }, delay);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.listeners.clear();
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }
}

/**
 * Subscribe and iterate messages until `signal` aborts. Messages arriving while the consumer is
 * busy are queued (bounded: beyond `maxQueue` the oldest are dropped and a `reconnected` signal
 * tells the consumer to refetch).
 */
export async function* hubMessages(hub: EventHub, signal: AbortSignal | undefined, maxQueue = 1000): AsyncGenerator<HubMessage> {
  const queue: HubMessage[] = [];
  let wake: (() => void) | null = null;
  const unsubscribe = await hub.subscribe((m) => {
    if (queue.length >= maxQueue) {
      queue.length = 0;
      queue.push({ reconnected: true });
    }
    queue.push(m);
    wake?.();
  });
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

const holder = globalThis as unknown as { __statescopeEventHub?: EventHub };

/** The process's event hub (one LISTEN connection, created on first use; kept across Next dev reloads). */
export function processEventHub(connectionString: string): EventHub {
  holder.__statescopeEventHub ??= new EventHub({
    connectionString,
    onError: (e) => console.error(`live events: ${e.message} (reconnecting)`),
  });
  return holder.__statescopeEventHub;
}
