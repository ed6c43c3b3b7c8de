/**
 * The one definition of a room's shared state. A room is one
 * (workspace, dataset). Two kinds of state travel through it:
 *
 * - the Yjs document: small shared, durable-in-the-room state whose roots are
 *   named here and nowhere else (`ROOT`), read through the zod readers below;
 * - awareness (presence): each member's live view — brush, padding,
 *   threshold, cells, position — shown faintly in the others' plots.
 *
 * Durable records (hypotheses, annotations, comments) do not live here: they
 * go through tRPC into Postgres and are only announced live.
 *
 * The schema is versioned. A client states its version when it connects
 * (`?v=` on the upgrade URL); the sync server refuses another version with
 * `CLOSE_SCHEMA_MISMATCH` and a reason the page shows ("reload").
 */
import * as Y from "yjs";
import { z } from "zod";

/** Bump when a root's shape changes incompatibly. */
export const COLLAB_SCHEMA_VERSION = 1;

/** Close code for a client speaking another schema version. */
export const CLOSE_SCHEMA_MISMATCH = 4426;

/**
 * A frame the sync server sends when it changed a client's role in a room without closing the
 * socket (a classroom participant made presenter, or handing it back): message type
 * MESSAGE_ROLE then the new role as a varString. y-websocket uses types 0–3.
 */
export const MESSAGE_ROLE = 5;

/**
 * A frame the sync server sends a classroom room's staff (never its students) when something they
 * read through tRPC changed: message type MESSAGE_SIGNAL then the signal as a varString — `tasks`:
 * answers were stored, read the tasks (and their aggregate) again.
 */
export const MESSAGE_SIGNAL = 6;

/** Root names of the shared document. */
export const ROOT = {
  /** Y.Map: { schemaVersion } */
  meta: "meta",
  /**
   * Y.Map: the presentation — the view one member shows to everyone, kept current by its presenter
   * while they present: a team's spotlight, a classroom's presenter mode (one mechanism).
   */
  view: "view",
  /** Y.Text: the team's shared notes for this dataset. */
  notes: "notes",
  /** Y.Map: a classroom session's controls, written by its staff: { recall, audience, tasks, roles } (see ZClassControls). */
  classroom: "classroom",
} as const;

/** Realtime room of a dataset. The sync server derives the same name from a token's claims. */
export function roomName(workspaceId: string, datasetId: string): string {
  return `ws:${workspaceId}:${datasetId}`;
}

/**
 * Realtime room of a classroom session: one writer (the presenter, and the staff) and many
 * read-only students, whose presence goes to the staff only (the sync server filters it).
 */
export function classRoomName(sessionId: string): string {
  return `class:${sessionId}`;
}

export function isClassRoom(room: string): boolean {
  return room.startsWith("class:");
}

const ZInt = z.number().int().nonnegative();

/** Longest explorer query a shared view carries (a longer one is left out; the fields remain). */
export const MAX_VIEW_QUERY = 8000;

/** The part of a Select view that others see and can jump to. */
export const ZSharedView = z.object({
  source: z.string().min(1).max(200),
  /** First step of the visible window and its width in steps. */
  position: ZInt,
  window: z.number().int().positive().max(100_000),
  /** Brushed token range [start, end), or null. */
  brush: z.tuple([ZInt, ZInt]).nullable(),
  padding: z.tuple([ZInt, ZInt]),
  threshold: z.number().finite(),
  /** Selected cells after manual edits, ascending. */
  cells: z.array(ZInt).max(4096),
  /**
   * The explorer's URL query (without "?") that reproduces this view exactly (zoom, stacked
   * layers, manual edits, match settings): "jump", "follow" and the spotlight navigate to it.
   * Optional so a view without it still reads; the fields above are the fallback.
   */
  query: z.string().max(MAX_VIEW_QUERY).optional(),
});
export type SharedView = z.infer<typeof ZSharedView>;

export const ZPresenceUser = z.object({
  id: z.string().min(1).max(64),
  name: z.string().max(200),
  /** A palette colour (see colorFor): `#rrggbb` and nothing else, since pages put it in CSS. */
  color: z.string().regex(/^#[0-9a-f]{6}$/i, "not a #rrggbb colour"),
  role: z.enum(["OWNER", "EDITOR", "VIEWER"]),
});
export type PresenceUser = z.infer<typeof ZPresenceUser>;

/**
 * One member's awareness state. `user` is the sync server's (from the room token): whatever a
 * client puts there is replaced before anyone else sees it (see presence-wire.ts).
 */
export const ZPresence = z.object({
  schemaVersion: z.literal(COLLAB_SCHEMA_VERSION),
  user: ZPresenceUser,
  /** null while the member is not on the Select view (e.g. on the dataset page). */
  view: ZSharedView.nullable(),
  /** User id this member is following, if any. */
  following: z.string().max(64).nullable().default(null),
});
export type Presence = z.infer<typeof ZPresence>;

/** A presence state from the wire, or null when it is not one (old client, garbage). */
export function readPresence(state: unknown): Presence | null {
  const r = ZPresence.safeParse(state);
  return r.success ? r.data : null;
}

/** The spotlight root as a value, or null when nobody set one (or it is unreadable). */
export const ZSpotlight = ZSharedView.extend({
  by: ZPresenceUser.pick({ id: true, name: true }),
  /** ms since the epoch */
  at: z.number(),
});
export type Spotlight = z.infer<typeof ZSpotlight>;

export function readSpotlight(doc: Y.Doc): Spotlight | null {
  const m = doc.getMap(ROOT.view);
  if (m.size === 0) return null;
  const r = ZSpotlight.safeParse(m.toJSON());
  return r.success ? r.data : null;
}

/**
 * Replace the spotlight (the presentation) in one transaction, or clear it with null. Only the
 * fields that changed are written, so a presenter moving 10 times a second sends a few bytes each
 * time (a position), not the whole view.
 */
export function writeSpotlight(doc: Y.Doc, value: Spotlight | null): void {
  const m = doc.getMap(ROOT.view);
  doc.transact(() => {
    if (!value) return m.clear();
    const next = ZSpotlight.parse(value) as Record<string, unknown>;
    for (const k of [...m.keys()]) if (!(k in next)) m.delete(k);
    for (const [k, v] of Object.entries(next)) if (v !== undefined && JSON.stringify(m.get(k)) !== JSON.stringify(v)) m.set(k, v);
  });
}

/** A classroom's controls: when staff last brought everyone back, and how many students are here. */
export const ZClassControls = z.object({
  /** ms since the epoch of the last "bring everyone back": a detached student returns when it changes. */
  recall: z.number().default(0),
  /** Students connected, as the staff's page counts them from presence (students see no one else's). */
  audience: z.number().int().nonnegative().default(0),
  /** ms since the epoch of the staff's last change to the tasks (posed, revealed): students read them again. */
  tasks: z.number().default(0),
  /**
   * ms since the epoch of the staff's last change to who is who (a student promoted or made a
   * student again, the presenter role handed over): participants read the session again, so a
   * promoted student's screen becomes a presenter screen without a reload.
   */
  roles: z.number().default(0),
});
export type ClassControls = z.infer<typeof ZClassControls>;

export function readClassControls(doc: Y.Doc): ClassControls {
  const r = ZClassControls.safeParse(doc.getMap(ROOT.classroom).toJSON());
  return r.success ? r.data : { recall: 0, audience: 0, tasks: 0, roles: 0 };
}

export function writeClassControls(doc: Y.Doc, patch: Partial<ClassControls>): void {
  const m = doc.getMap(ROOT.classroom);
  doc.transact(() => {
    for (const [k, v] of Object.entries(patch)) if (v !== undefined && m.get(k) !== v) m.set(k, v);
  });
}

export function notesText(doc: Y.Doc): Y.Text {
  return doc.getText(ROOT.notes);
}

/** The document's schema version, or null for a document nobody wrote yet. */
export function readSchemaVersion(doc: Y.Doc): number | null {
  const v = doc.getMap(ROOT.meta).get("schemaVersion");
  return typeof v === "number" ? v : null;
}

/**
 * Check (and for a fresh document, stamp) the schema version. Returns an error message when the
 * document was written by another version, so the caller can refuse to edit it.
 */
export function checkSchema(doc: Y.Doc, stamp: boolean): string | null {
  const v = readSchemaVersion(doc);
  if (v === null) {
    if (stamp) doc.getMap(ROOT.meta).set("schemaVersion", COLLAB_SCHEMA_VERSION);
    return null;
  }
  if (v !== COLLAB_SCHEMA_VERSION) {
    return `this room was written by schema version ${v}; this page speaks version ${COLLAB_SCHEMA_VERSION}: reload the page`;
  }
  return null;
}

/** Twelve well-separated colours; a member keeps theirs across sessions. */
export const PALETTE = [
  "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
  "#e377c2", "#8c564b", "#bcbd22", "#393b79", "#637939", "#843c39",
] as const;

/**
 * Members' colours: the i-th member of a workspace (in the order they joined) gets palette colour
 * i, so up to twelve members never share one (a hash would: three members collide one time in
 * four). `colorFor` is the fallback for someone who is no longer a member.
 */
export function memberColors(memberIdsInJoinOrder: readonly string[]): Record<string, string> {
  return Object.fromEntries(memberIdsInJoinOrder.map((id, i) => [id, PALETTE[i % PALETTE.length]!]));
}

/** A stable colour for any user id (a hash onto the palette): for people who are not members. */
export function colorFor(userId: string): string {
  let h = 2166136261;
  for (let i = 0; i < userId.length; i++) h = Math.imul(h ^ userId.charCodeAt(i), 16777619);
  return PALETTE[(h >>> 0) % PALETTE.length]!;
}
