"use client";
import { useCallback, useState } from "react";

/** 128 random bits as hex; crypto.getRandomValues also works on plain-http origins (randomUUID does not). */
export function newIdempotencyKey(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * The idempotency key of one draft: the same key is sent on every attempt (a retry after a lost
 * response cannot post twice), and a new one is drawn only after the server acknowledged it.
 */
export function useIdempotencyKey(): [string, () => void] {
  const [key, setKey] = useState(newIdempotencyKey);
  const renew = useCallback(() => setKey(newIdempotencyKey()), []);
  return [key, renew];
}
