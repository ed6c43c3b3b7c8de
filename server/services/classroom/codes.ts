/**
 * Join codes and archive secrets. A join code is what a student types from a projector: 7
 * characters of an alphabet without look-alikes (no 0/O, 1/I/L, 5/S, 2/Z, 8/B), 25^7 ≈ 6·10^9 codes,
 * so guessing one of a few live sessions takes billions of tries (and wrong codes are rate-limited).
 */
import { randomBytes, randomInt } from "node:crypto";

export const JOIN_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679";
export const JOIN_CODE_LENGTH = 7;

/** A fresh random join code. */
export function newJoinCode(): string {
  let s = "";
  for (let i = 0; i < JOIN_CODE_LENGTH; i++) s += JOIN_ALPHABET[randomInt(JOIN_ALPHABET.length)];
  return s;
}

/** What a student typed, as a code: upper case, spaces and dashes dropped; null when it cannot be one. */
export function normalizeJoinCode(typed: string): string | null {
  const c = typed.toUpperCase().replace(/[\s-]/g, "");
  if (c.length < 6 || c.length > 8) return null;
  for (const ch of c) if (!JOIN_ALPHABET.includes(ch)) return null;
  return c;
}

/** The archive link's secret: 128 random bits. */
export function newArchiveToken(): string {
  return randomBytes(16).toString("base64url");
}
