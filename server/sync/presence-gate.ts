/**
 * The sync server's rules for presence (awareness) a socket sends, before the room applies it:
 *
 * - a socket speaks for one awareness client id: the first it announces, or one that was its
 *   member's before (a page that reconnected); entries for anyone else's client are refused,
 *   and echoes (y-websocket clients send back every update they receive) are ignored;
 * - each state is read with a size and depth bound, checked against the presence schema, and
 *   given the identity from the room token (presence-wire.ts in @statescope/collab);
 * - at most PRESENCE_RATE updates per second with bursts of PRESENCE_BURST: faster updates are
 *   coalesced (the newest is applied when the rate allows), and a socket that keeps sending
 *   far faster than that is closed.
 *
 * Relayed presence (from other sync processes, which applied these rules) is checked again
 * against the schema, so nothing that could break a broadcast enters a room from anywhere.
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { MAX_PRESENCE_BYTES, MAX_PRESENCE_DEPTH, parseBoundedJson, PRESENCE_INTERVAL_MS, ZPresence } from "@statescope/collab";

/** Presence updates a socket may send per second (the pages send at most one per PRESENCE_INTERVAL_MS). */
export const PRESENCE_RATE = 1000 / PRESENCE_INTERVAL_MS;
/** Updates a socket may send at once before the rate applies. */
export const PRESENCE_BURST = 20;
/** Updates over the rate a socket may send (refilled at PRESENCE_RATE per second) before it is closed. */
export const PRESENCE_FLOOD_ALLOWANCE = 100;
/** Awareness client ids one socket may speak for (a page has one). */
export const MAX_CLIENTS_PER_SOCKET = 1;
/** A relayed state carries the server's identity instead of the client's: a little room for it. */
const MAX_RELAYED_STATE_BYTES = MAX_PRESENCE_BYTES + 1024;

/** One client's entry in an awareness update: its id, clock and state as JSON text ("null": gone). */
export interface AwarenessEntry {
  clientId: number;
  clock: number;
  json: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** One client's entry as it came: its id, clock and the bytes of its state's JSON text, not decoded. */
export interface RawAwarenessEntry {
  clientId: number;
  clock: number;
  state: Uint8Array;
}

/**
 * The entries of an awareness update (y-protocols' encoding) without decoding any state: what is
 * read of an entry the room skips (an echo of what it sent, same clock) costs two varuints. Throws
 * on a malformed structure.
 */
export function readRawAwarenessEntries(update: Uint8Array): RawAwarenessEntry[] {
  const d = decoding.createDecoder(update);
  const n = decoding.readVarUint(d);
  const out: RawAwarenessEntry[] = [];
  for (let i = 0; i < n; i++) {
    const clientId = decoding.readVarUint(d);
    const clock = decoding.readVarUint(d);
    out.push({ clientId, clock, state: decoding.readVarUint8Array(d) });
  }
  if (decoding.hasContent(d)) throw new Error("trailing bytes in the awareness update");
  return out;
}

/** A state's JSON text; throws when its bytes are not UTF-8. */
export function stateText(state: Uint8Array): string {
  return utf8.decode(state);
}

/**
 * The entries of an awareness update (y-protocols' encoding). A state longer than `maxStateBytes`
 * is not decoded: its text becomes null and the caller refuses it by its length.
 */
export function readAwarenessEntries(update: Uint8Array, maxStateBytes = Infinity): (AwarenessEntry & { bytes: number; oversize: boolean })[] {
  return readRawAwarenessEntries(update).map(({ clientId, clock, state }) => {
    const oversize = state.length > maxStateBytes;
    return { clientId, clock, json: oversize ? "" : stateText(state), bytes: state.length, oversize };
  });
}

export function encodeAwarenessEntries(entries: readonly AwarenessEntry[]): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, entries.length);
  for (const x of entries) {
    encoding.writeVarUint(e, x.clientId);
    encoding.writeVarUint(e, x.clock);
    encoding.writeVarString(e, x.json);
  }
  return encoding.toUint8Array(e);
}

/**
 * A relayed awareness update with every entry that is not a presence state (or null) left out,
 * or null when nothing is left. What another sync process sends was checked there; this makes
 * sure an older or broken one cannot put anything else into the room.
 */
export function checkRelayedPresence(update: Uint8Array): Uint8Array | null {
  const kept = readAwarenessEntries(update, MAX_RELAYED_STATE_BYTES).filter((e) => {
    if (e.json === "null") return true;
    if (e.oversize) return false;
    const parsed = parseBoundedJson(e.json, { maxBytes: MAX_RELAYED_STATE_BYTES, maxDepth: MAX_PRESENCE_DEPTH });
    return parsed.ok && ZPresence.safeParse(parsed.value).success;
  });
  return kept.length > 0 ? encodeAwarenessEntries(kept) : null;
}

/** A token bucket: `capacity` tokens, refilled at `perSecond`. */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    now = Date.now(),
  ) {
    this.tokens = capacity;
    this.at = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
  }

  /** Take a token if there is one. */
  take(now = Date.now()): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is available. */
  waitMs(now = Date.now()): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }
}
