/**
 * Presence as it crosses the wire. A client's awareness state is data from a stranger that every
 * other member's page renders: the sync server reads it with a size and depth bound, checks it
 * against the schema and replaces `user` with the identity from the room token. Clients keep
 * their own state within the same bound (`fitPresence`), so an honest page is never refused.
 */
import { z } from "zod";
import { parseBoundedJson, utf8Length } from "./bounded-json";
import { ZPresence, type Presence, type PresenceUser } from "./schema";

/** Largest awareness state a client may send, in UTF-8 bytes of its JSON. */
export const MAX_PRESENCE_BYTES = 8192;
/** Deepest nesting a presence state may have (the schema needs 3: state → view → cells). */
export const MAX_PRESENCE_DEPTH = 8;

/** What a client decides in its own state: everything but `user`, which the server supplies. */
export const ZClientPresence = ZPresence.omit({ user: true });
export type ClientPresence = z.infer<typeof ZClientPresence>;

export type PresenceReading =
  | { ok: true; presence: Presence }
  /** `hostile`: over the size or depth bound, or not JSON at all (no page of ours sends that). */
  | { ok: false; problem: string; hostile: boolean };

/**
 * A client's awareness state (the JSON text from the awareness update) as the presence others
 * will see: bounded, schema-checked, with `user` replaced by `user` (the server's identity of
 * the socket that sent it).
 */
export function presenceFromClient(json: string, user: PresenceUser): PresenceReading {
  const parsed = parseBoundedJson(json, { maxBytes: MAX_PRESENCE_BYTES, maxDepth: MAX_PRESENCE_DEPTH });
  if (!parsed.ok) return { ok: false, problem: `presence state refused: ${parsed.problem}`, hostile: true };
  const r = ZClientPresence.safeParse(parsed.value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const at = issue.path.length > 0 ? issue.path.join(".") : "the state";
    return { ok: false, problem: `presence state refused: ${at}: ${issue.message}`, hostile: false };
  }
  return { ok: true, presence: { ...r.data, user } };
}

/**
 * A presence state within MAX_PRESENCE_BYTES: when it is over, the view's `query` is left out
 * (the view's fields still say where the member is) and then trailing cells are dropped.
 */
export function fitPresence(p: Presence): Presence {
  let size = utf8Length(JSON.stringify(p));
  if (size <= MAX_PRESENCE_BYTES || !p.view) return p;
  const { query: _query, ...view } = p.view;
  let fitted: Presence = { ...p, view };
  size = utf8Length(JSON.stringify(fitted));
  while (size > MAX_PRESENCE_BYTES && view.cells.length > 0) {
    // cells ascend, so the last one is the longest: dropping excess / its length never drops too many
    const longest = String(view.cells[view.cells.length - 1]).length + 1;
    const drop = Math.min(view.cells.length, Math.ceil((size - MAX_PRESENCE_BYTES) / longest));
    view.cells = view.cells.slice(0, view.cells.length - drop);
    fitted = { ...p, view };
    size = utf8Length(JSON.stringify(fitted));
  }
  return fitted;
}
