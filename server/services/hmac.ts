/**
 * The MAC of the signed tokens this server hands out (sync-tokens.ts, classroom/credential.ts):
 * HMAC-SHA256, base64url. The key object of the secret last used is made once, not for each MAC:
 * a class of 1,000 joins at once signs and verifies a credential and a sync token per student.
 */
import { createHmac, createSecretKey, type KeyObject } from "node:crypto";

let lastKey: { secret: string; key: KeyObject } | null = null;

export function hmacBase64url(secret: string, data: string): string {
  if (lastKey?.secret !== secret) lastKey = { secret, key: createSecretKey(Buffer.from(secret, "utf8")) };
  return createHmac("sha256", lastKey.key).update(data).digest("base64url");
}
