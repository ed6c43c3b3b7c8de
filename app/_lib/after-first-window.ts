"use client";
import { useEffect, useState, useSyncExternalStore } from "react";

/**
 * The explorer's first window before everything else on its page: the team's records, the
 * realtime room and the mention inbox wait until the explorer has drawn its first window (or
 * cannot: an error, an empty dataset), so they do not share the page's start with it
 * (npm run bench:explorer-open). One flag per page load.
 */
let shown = false;
const listeners = new Set<() => void>();

/** The explorer calls this once its first window is on screen, or when it cannot show one. */
export function firstWindowShown(): void {
  if (shown) return;
  shown = true;
  for (const l of listeners) l();
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** False until the first window is shown (or `maxWaitMs` passed); true at once when `wait` is false. */
export function useAfterFirstWindow(wait = true, maxWaitMs = 4000): boolean {
  const done = useSyncExternalStore(
    subscribe,
    () => shown,
    () => false,
  );
  const [timedOut, setTimedOut] = useState(false);
  useEffect(() => {
    if (!wait || done) return;
    const t = setTimeout(() => setTimedOut(true), maxWaitMs);
    return () => clearTimeout(t);
  }, [wait, done, maxWaitMs]);
  return !wait || done || timedOut;
}
