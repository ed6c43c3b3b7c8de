/** Personal API tokens: input and output schemas shared by the tRPC router, the CLI and the HTTP API. */
import { z } from "zod";
import { ZSlug } from "@/server/services/schemas";

export const ZTokenScope = z.enum(["read", "write"]);
export type TokenScope = z.infer<typeof ZTokenScope>;

/** Longest a token may live; a token without expiry is allowed (scripts on a lab server) but must be asked for. */
export const MAX_TOKEN_DAYS = 3650;

export const ZTokenCreate = z.object({
  name: z.string().trim().min(1, "a token needs a name (what uses it: \"training server\")").max(100, "token name is longer than 100 characters"),
  scope: ZTokenScope,
  /** One workspace, or (absent) every workspace the user is a member of. */
  workspace: ZSlug.optional(),
  /** Days until it stops working; absent: never expires. */
  expiresInDays: z.number().int().min(1).max(MAX_TOKEN_DAYS).optional(),
});
export type TokenCreate = z.infer<typeof ZTokenCreate>;

export const ZTokenSummary = z.object({
  id: z.string(),
  name: z.string(),
  /** `ssc_` and the first characters: enough to recognise it, useless to use it. */
  hint: z.string(),
  scope: ZTokenScope,
  workspace: z.string().nullable(),
  createdAt: z.date(),
  expiresAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
  lastUsedAt: z.date().nullable(),
  lastUsedFrom: z.string().nullable(),
});
export type TokenSummary = z.infer<typeof ZTokenSummary>;

export const ZTokenCreated = z.object({
  tokenId: z.string(),
  /** The secret itself: shown this once, stored only as a hash. */
  token: z.string(),
  scope: ZTokenScope,
  workspace: z.string().nullable(),
  expiresAt: z.date().nullable(),
});
export type TokenCreated = z.infer<typeof ZTokenCreated>;

export const ZTokenId = z.string().min(1).max(64);
