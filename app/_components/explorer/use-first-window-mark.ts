"use client";
import { useEffect } from "react";
import { firstWindowShown } from "@/app/_lib/after-first-window";

/** Performance mark of the frame that shows the first window (npm run bench:explorer-open). */
export const FIRST_WINDOW_MARK = "statescope:first-window";

/**
 * Marks the frame after the first window (lines and tokens) is drawn and lets the rest of the
 * page start (after-first-window.ts); with `failed` there is no window to wait for.
 */
export function useFirstWindowMark(ready: boolean, failed: boolean): void {
  useEffect(() => {
    if (!ready || performance.getEntriesByName(FIRST_WINDOW_MARK, "mark").length > 0) return;
    // rAF runs before the frame is painted; the task queued from it runs after
    requestAnimationFrame(() =>
      setTimeout(() => {
        if (performance.getEntriesByName(FIRST_WINDOW_MARK, "mark").length === 0) performance.mark(FIRST_WINDOW_MARK);
        firstWindowShown();
      }, 0),
    );
  }, [ready]);
  useEffect(() => {
    if (failed) firstWindowShown();
  }, [failed]);
}
