/**
 * Pub/sub between processes, declared like jobs: a channel is a name and a zod schema
 * (`defineChannel`), every message is checked against it on the way out and on the way in, and a
 * message that does not parse is logged and dropped, never handed to a subscriber. Postgres
 * carries it (`pg.ts`: NOTIFY, one LISTEN connection per process); `memory.ts` carries the same
 * encoded messages inside one process, for tests of what is built on top.
 */
import type { z } from "zod";
import { parseBoundedJson } from "@statescope/collab";

/** Postgres refuses a NOTIFY payload of 8000 bytes or more. */
export const MAX_PAYLOAD_BYTES = 7999;
/** Our messages are flat records; anything nested deeper is not one of ours. */
const MAX_MESSAGE_DEPTH = 16;

/** One encoded message, ready to send. */
export interface Notification {
  channel: string;
  payload: string;
}

export type Decoded<T> = { ok: true; message: T } | { ok: false; problem: string };

export interface Channel<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly schema: S;
  /** The message checked and encoded; throws when it does not fit one NOTIFY payload (split it first). */
  notification(message: z.input<S>): Notification;
  /** A received payload: the message, or why it was refused. */
  decode(payload: string): Decoded<z.output<S>>;
}

export type MessageOf<C extends Channel> = z.output<C["schema"]>;

/** A channel name is used as a bare SQL identifier (LISTEN name): keep it one. */
const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function defineChannel<S extends z.ZodType>(name: string, schema: S): Channel<S> {
  if (!CHANNEL_NAME.test(name)) throw new Error(`channel name "${name}" must be a lowercase SQL identifier`);
  return {
    name,
    schema,
    notification(message) {
      const payload = JSON.stringify(schema.parse(message));
      if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
        throw new Error(`a ${name} message of ${Buffer.byteLength(payload)} bytes does not fit one notification (at most ${MAX_PAYLOAD_BYTES})`);
      }
      return { channel: name, payload };
    },
    decode(payload) {
      const json = parseBoundedJson(payload, { maxBytes: MAX_PAYLOAD_BYTES, maxDepth: MAX_MESSAGE_DEPTH });
      if (!json.ok) return json;
      const r = schema.safeParse(json.value);
      if (r.success) return { ok: true, message: r.data };
      const issue = r.error.issues[0]!;
      return { ok: false, problem: `${issue.path.join(".") || "message"}: ${issue.message}` };
    },
  };
}

export interface Subscriber<T> {
  /** A message that passed the channel's schema. An exception here is logged, not propagated. */
  message(m: T): void;
  /**
   * The connection was lost and is back: messages published meanwhile were not received, so
   * catch up from the source of truth. Not called for the first connection.
   */
  resync?(): void;
}

/** One process's end of the pub/sub: everything it publishes outside a transaction and everything it hears. */
export interface PubSub {
  /** Publish now; the notifications of one call are delivered together and in order. */
  publish(notifications: readonly Notification[]): Promise<void>;
  /** Resolves once messages on `channel` reach `subscriber`; the function it returns unsubscribes. */
  subscribe<C extends Channel>(channel: C, subscriber: Subscriber<MessageOf<C>>): Promise<() => void>;
  /** Whether messages are being received right now. */
  readonly connected: boolean;
  /** Subscribers of a channel in this process. */
  subscribers(channel: Channel): number;
  close(): Promise<void>;
}

/**
 * The subscribers of one process, by channel: dispatches each payload once it decoded, and keeps
 * one subscriber's exception from reaching the others or the transport.
 */
export class Subscriptions {
  private readonly byName = new Map<string, { channel: Channel; subs: Set<Subscriber<unknown>> }>();

  constructor(private readonly log: (line: string) => void) {}

  add(channel: Channel, sub: Subscriber<unknown>): () => void {
    let entry = this.byName.get(channel.name);
    if (!entry) this.byName.set(channel.name, (entry = { channel, subs: new Set() }));
    // the newest definition decodes (Next's dev server re-evaluates modules, the connection stays)
    else entry.channel = channel;
    entry.subs.add(sub);
    const e = entry;
    return () => void e.subs.delete(sub);
  }

  /** Channel names that have subscribers. */
  names(): string[] {
    return [...this.byName].filter(([, e]) => e.subs.size > 0).map(([n]) => n);
  }

  count(channel: Channel): number {
    return this.byName.get(channel.name)?.subs.size ?? 0;
  }

  dispatch(name: string, payload: string): void {
    const entry = this.byName.get(name);
    if (!entry || entry.subs.size === 0) return;
    const d = entry.channel.decode(payload);
    if (!d.ok) {
      this.log(`dropped a malformed ${name} message (${d.problem}): ${payload.slice(0, 120)}`);
      return;
    }
    for (const s of [...entry.subs]) {
      try {
        s.message(d.message);
      } catch (e) {
        this.log(`a ${name} subscriber failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  resync(subs: Iterable<Subscriber<unknown>>): void {
    for (const s of subs) {
      try {
        s.resync?.();
      } catch (e) {
        this.log(`a resync failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  all(): Subscriber<unknown>[] {
    return [...this.byName.values()].flatMap((e) => [...e.subs]);
  }

  clear(): void {
    this.byName.clear();
  }
}
