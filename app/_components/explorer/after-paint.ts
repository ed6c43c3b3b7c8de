"use client";
import { useEffect, useState } from "react";

/** Longest wait for an idle moment (ms) before work deferred by `whenIdle` runs anyway. */
export const IDLE_WAIT_MS = 300;

/** Runs `f` when the browser is idle (at most IDLE_WAIT_MS later); the id cancels it (`cancelIdle`). */
export const whenIdle = (f: () => void): number =>
  typeof requestIdleCallback === "function" ? requestIdleCallback(f, { timeout: IDLE_WAIT_MS }) : (setTimeout(f, 0) as unknown as number);
export const cancelIdle = (id: number) => (typeof cancelIdleCallback === "function" ? cancelIdleCallback(id) : clearTimeout(id));

/**
 * False in the render that mounts the component and until its first frame has been painted
 * and the browser is idle after it, then true: what a component shows with it is not part of
 * that first frame (a click's results draw their rows first, the rest after).
 */
export function useAfterPaint(): boolean {
  const [painted, setPainted] = useState(false);
  useEffect(() => {
    if (painted) return;
    let idle: number | undefined;
    const frame = requestAnimationFrame(() => {
      idle = whenIdle(() => setPainted(true));
    });
    return () => {
      cancelAnimationFrame(frame);
      if (idle !== undefined) cancelIdle(idle);
    };
  }, [painted]);
  return painted;
}
