/**
 * Short-lived tokens that admit a user to one realtime room. Issued through
 * tRPC (after the workspace authorization middleware), verified by the sync
 * process with the shared secret; HMAC-SHA256 over a compact JSON claim.
 */
import { timingSafeEqual } from "node:crypto";
import { AppError } from "@statescope/core";
import { colorFor, isClassRoom, roomName, ZPresenceUser } from "@statescope/collab";
import { z } from "zod";
import type { Db } from "@/server/db/client";
import type { Actor, WorkspaceAccess } from "./authz";
import { ZRole } from "./schemas";
import { hmacBase64url } from "./hmac";
import { workspaceMemberColors } from "./workspaces";

export const ZSyncClaims = z.object({
  /** user id */
  u: z.string().min(1).max(64),
  /** workspace id */
  w: z.string().min(1).max(64),
  /** room name */
  r: z.string().min(1).max(200),
  role: ZRole,
  /** display name others see in presence (the sync server never takes it from the client) */
  n: ZPresenceUser.shape.name,
  /** the member's colour, #rrggbb */
  c: ZPresenceUser.shape.color,
  /** expiry, seconds since the epoch */
  exp: z.number().int(),
});
export type SyncClaims = z.infer<typeof ZSyncClaims>;
/** What a token is signed from; the name and colour default to the user id and its colour (tests, tools). */
export type SyncClaimsInput = Omit<SyncClaims, "exp" | "n" | "c"> & Partial<Pick<SyncClaims, "n" | "c">>;

export const SYNC_TOKEN_TTL_SECONDS = 60;

const mac = (secret: string, body: string) => hmacBase64url(secret, body);

export function signSyncToken(secret: string, claims: SyncClaimsInput, now = Date.now()): string {
  const full: SyncClaims = ZSyncClaims.parse({ n: claims.u, c: colorFor(claims.u), ...claims, exp: Math.floor(now / 1000) + SYNC_TOKEN_TTL_SECONDS });
  const body = Buffer.from(JSON.stringify(full)).toString("base64url");
  return `${body}.${mac(secret, body)}`;
}

export function verifySyncToken(secret: string, token: string, now = Date.now()): SyncClaims {
  const [body, sig, extra] = token.split(".");
  if (!body || !sig || extra !== undefined) throw new AppError("UNAUTHENTICATED", "malformed realtime token");
  const expected = Buffer.from(mac(secret, body));
  const given = Buffer.from(sig);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new AppError("UNAUTHENTICATED", "realtime token signature is invalid");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    throw new AppError("UNAUTHENTICATED", "malformed realtime token");
  }
  const claims = ZSyncClaims.safeParse(parsed);
  if (!claims.success) throw new AppError("UNAUTHENTICATED", "malformed realtime token");
  if (claims.data.exp * 1000 < now) throw new AppError("UNAUTHENTICATED", "realtime token expired: reconnect to get a new one");
  return claims.data;
}

export const ZRoomTicket = z.object({
  room: z.string(),
  token: z.string(),
  /** Browser-facing WebSocket URL of the sync server (without the room). */
  url: z.string(),
  expiresInSeconds: z.number(),
  role: ZRole,
  user: z.object({ id: z.string(), name: z.string(), color: z.string() }),
});
export type RoomTicket = z.infer<typeof ZRoomTicket>;

export interface TicketSettings {
  secret: string;
  /** SYNC_PUBLIC_URL, when set. */
  publicUrl?: string;
  /** The page's origin (e.g. http://host:3000): the sync URL is then ws(s)://host:syncPort. */
  requestOrigin: string;
  syncPort: number;
}

/** Where browsers reach the sync server: SYNC_PUBLIC_URL, else the page's host name on SYNC_PORT. */
export function syncUrlFor(settings: Pick<TicketSettings, "publicUrl" | "requestOrigin" | "syncPort">): string {
  if (settings.publicUrl) return settings.publicUrl.replace(/\/$/, "");
  const page = new URL(settings.requestOrigin);
  return `${page.protocol === "https:" ? "wss" : "ws"}://${page.hostname}:${settings.syncPort}`;
}

/**
 * A ticket to the realtime room of one dataset: the caller's role there (a VIEWER is read-only
 * on the sync server) and who they are, for presence. The dataset must belong to the workspace.
 */
export async function issueRoomTicket(
  db: Db,
  actor: Actor,
  access: WorkspaceAccess,
  datasetId: string,
  settings: TicketSettings,
  now = Date.now(),
): Promise<RoomTicket> {
  const dataset = await db.dataset.findFirst({ where: { id: datasetId, workspaceId: access.workspace.id }, select: { id: true } });
  if (!dataset) throw new AppError("NOT_FOUND", `dataset ${datasetId} does not exist in workspace "${access.workspace.slug}"`);
  const user = await db.user.findUnique({ where: { id: actor.userId }, select: { id: true, name: true, email: true } });
  if (!user) throw new AppError("UNAUTHENTICATED", "your account no longer exists: sign in again");
  const room = roomName(access.workspace.id, dataset.id);
  // the identity others see in presence: signed into the token, so the sync server takes it from there
  const me = { id: user.id, name: (user.name?.trim() || user.email.split("@")[0]!).slice(0, 200), color: (await workspaceMemberColors(db, access.workspace.id))[user.id] ?? colorFor(user.id) };
  const token = signSyncToken(settings.secret, { u: me.id, w: access.workspace.id, r: room, role: access.role, n: me.name, c: me.color }, now);
  return { room, token, url: syncUrlFor(settings), expiresInSeconds: SYNC_TOKEN_TTL_SECONDS, role: access.role, user: me };
}

/**
 * The sync server's admission rule: a present, valid, unexpired token for exactly this room.
 * Used by the sync process and by every sync-server test, so tests exercise the real rule.
 */
export function verifyRoomToken(secret: string, token: string | null, room: string, now = Date.now()): SyncClaims {
  if (!token) throw new AppError("UNAUTHENTICATED", "no realtime token: reload the page to get one");
  const claims = verifySyncToken(secret, token, now);
  if (claims.r !== room) throw new AppError("FORBIDDEN", "this token is for another room");
  // the membership checked at admission is the token's workspace: it must be the room's (a class
  // room's token names the class room itself as its workspace: membership = its participants)
  const inScope = isClassRoom(claims.w) ? room === claims.w : room.startsWith(roomName(claims.w, ""));
  if (!inScope) throw new AppError("FORBIDDEN", "this token is for another workspace's room");
  return claims;
}
