/**
 * Finding ids: 12 letters of a 32-letter alphabet (digits and lowercase letters without i, l, o,
 * u), 60 random bits. Short enough to read aloud or print in a paper, unguessable enough for an
 * unlisted link, and stable: the id never changes, versions are /v2, /v3, ….
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
export const FINDING_ID_LENGTH = 12;

export function newFindingId(): string {
  const bytes = randomBytes(FINDING_ID_LENGTH);
  let id = "";
  // 32 divides 256: every letter is equally likely
  for (const b of bytes) id += ALPHABET[b & 31];
  return id;
}

export const ZFindingId = z.string().regex(new RegExp(`^[${ALPHABET}]{${FINDING_ID_LENGTH}}$`), "not a finding id (12 letters and digits)");
