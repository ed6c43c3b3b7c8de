/**
 * Personal API tokens. A token is `ssc_` + 43 base64url characters (256 random bits); the prefix
 * lets secret scanners recognise one. Only its SHA-256 is stored (a slow hash buys nothing for
 * 256 random bits, and the lookup must be one indexed read per request). A token acts with its
 * user's current role in the workspace, never more: the scope only narrows what it may do.
 *
 * Nothing here writes a token into a log line or an error message.
 */
import { createHash, randomBytes } from "node:crypto";
import { AppError } from "@statescope/core";
import type { Db } from "@/server/db/client";
import type { TokenCreate, TokenCreated, TokenScope, TokenSummary } from "./schemas";

export const TOKEN_PREFIX = "ssc_";
const TOKEN_RE = /^ssc_[A-Za-z0-9_-]{43}$/;
/** How often last-used time/address are written for a busy token (one write per request would double the load). */
const LAST_USED_EVERY_MS = 30_000;

export interface TokenActor {
  userId: string;
  tokenId: string;
  scope: TokenScope;
  /** The one workspace the token is for, or null for all of the user's. */
  workspaceId: string | null;
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

const SCOPE_OUT = { READ: "read", WRITE: "write" } as const;
const SCOPE_IN = { read: "READ", write: "WRITE" } as const;

export async function createToken(db: Db, userId: string, input: TokenCreate, now = new Date()): Promise<TokenCreated> {
  let workspaceId: string | null = null;
  if (input.workspace) {
    const ws = await db.workspace.findUnique({ where: { slug: input.workspace }, select: { id: true, memberships: { where: { userId }, select: { role: true } } } });
    if (!ws || ws.memberships.length === 0) throw new AppError("NOT_FOUND", `workspace "${input.workspace}" does not exist or you are not a member of it`);
    workspaceId = ws.id;
  }
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const expiresAt = input.expiresInDays === undefined ? null : new Date(now.getTime() + input.expiresInDays * 86_400_000);
  const row = await db.apiToken.create({
    data: { userId, name: input.name, hash: hashToken(token), hint: token.slice(0, TOKEN_PREFIX.length + 6), scope: SCOPE_IN[input.scope], workspaceId, expiresAt },
    select: { id: true },
  });
  return { tokenId: row.id, token, scope: input.scope, workspace: input.workspace ?? null, expiresAt };
}

const SUMMARY = {
  id: true,
  name: true,
  hint: true,
  scope: true,
  createdAt: true,
  expiresAt: true,
  revokedAt: true,
  lastUsedAt: true,
  lastUsedFrom: true,
  workspace: { select: { slug: true } },
} as const;

export async function listTokens(db: Db, userId: string): Promise<TokenSummary[]> {
  const rows = await db.apiToken.findMany({ where: { userId }, select: SUMMARY, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: 500 });
  return rows.map(({ workspace, scope, ...r }) => ({ ...r, scope: SCOPE_OUT[scope], workspace: workspace?.slug ?? null }));
}

/**
 * Revoke a token: refused from the next request on (every request reads the row). `userId`
 * null: an administrator with database access (the CLI) may revoke any token.
 */
export async function revokeToken(db: Db, userId: string | null, tokenId: string, now = new Date()): Promise<{ tokenId: string; revokedAt: Date }> {
  const row = await db.apiToken.findUnique({ where: { id: tokenId }, select: { userId: true, revokedAt: true } });
  if (!row || (userId !== null && row.userId !== userId)) throw new AppError("NOT_FOUND", `no API token with id ${tokenId}`);
  if (row.revokedAt) return { tokenId, revokedAt: row.revokedAt };
  await db.apiToken.update({ where: { id: tokenId }, data: { revokedAt: now } });
  return { tokenId, revokedAt: now };
}

/** The token of an `Authorization: Bearer …` header, or null when the request carries none. */
export function bearerToken(headers: Headers): string | null {
  const h = headers.get("authorization");
  if (h === null) return null;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(h);
  return m ? m[1]! : "";
}

const REFUSED = "the API token is missing, malformed, expired or revoked: send `Authorization: Bearer ssc_…` with a valid token (create one under Settings → API tokens)";

/**
 * Who a bearer token acts for, or UNAUTHENTICATED. Records the last use (time and the client's
 * address) at most every LAST_USED_EVERY_MS per token.
 */
export async function authenticateToken(db: Db, token: string | null, clientAddress: string | undefined, now = new Date()): Promise<TokenActor> {
  if (!token || !TOKEN_RE.test(token)) throw new AppError("UNAUTHENTICATED", REFUSED);
  const row = await db.apiToken.findUnique({
    where: { hash: hashToken(token) },
    select: { id: true, userId: true, scope: true, workspaceId: true, expiresAt: true, revokedAt: true, lastUsedAt: true, lastUsedFrom: true },
  });
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) throw new AppError("UNAUTHENTICATED", REFUSED);
  const from = clientAddress?.slice(0, 100) ?? null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_EVERY_MS || row.lastUsedFrom !== from) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: now, lastUsedFrom: from } });
  }
  return { userId: row.userId, tokenId: row.id, scope: SCOPE_OUT[row.scope], workspaceId: row.workspaceId };
}
