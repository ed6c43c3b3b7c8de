/**
 * Short-lived tokens that admit a user to one realtime room. Issued through
 * tRPC (after the workspace authorization middleware), verified by the sync
 * process with the shared secret; HMAC-SHA256 over a compact JSON claim.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { AppError } from "@statescope/core";
import { z } from "zod";
import { ZRole } from "./schemas";

export const ZSyncClaims = z.object({
  /** user id */
  u: z.string().min(1).max(64),
  /** workspace id */
  w: z.string().min(1).max(64),
  /** room name */
  r: z.string().min(1).max(200),
  role: ZRole,
  /** expiry, seconds since the epoch */
  exp: z.number().int(),
});
export type SyncClaims = z.infer<typeof ZSyncClaims>;

export const SYNC_TOKEN_TTL_SECONDS = 60;

/** Rooms are per (workspace, subject): `ws:<workspaceId>:<subject>`. */
export function roomName(workspaceId: string, subject: string): string {
  return `ws:${workspaceId}:${subject}`;
}

function mac(secret: string, body: string): string {
  return createHmac("sha256", secret).update(body).digest("base64url");
}

export function signSyncToken(secret: string, claims: Omit<SyncClaims, "exp">, now = Date.now()): string {
  const full: SyncClaims = { ...claims, exp: Math.floor(now / 1000) + SYNC_TOKEN_TTL_SECONDS };
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
