"use client";
import { useEffect } from "react";
import { MAX_ZOOM, MIN_ZOOM } from "@statescope/core";
import type { Update } from "./slots";

function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA" || t.isContentEditable);
}

/** ←/→ move (shift: half of the `visible` steps), +/- zoom, Esc clears the brush; not while typing. */
export function useExplorerKeys(update: Update, visible: number, total: number): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e) || e.metaKey || e.ctrlKey || e.altKey) return;
      const step = e.shiftKey ? Math.max(1, Math.floor(visible / 2)) : 1;
      if (e.key === "ArrowLeft") update((s) => ({ ...s, pos: Math.max(0, s.pos - step) }));
      else if (e.key === "ArrowRight") update((s) => ({ ...s, pos: Math.min(total - 1, s.pos + step) }));
      else if (e.key === "+" || e.key === "=") update((s) => ({ ...s, zoom: Math.min(MAX_ZOOM, s.zoom + 5) }));
      else if (e.key === "-" || e.key === "_") update((s) => ({ ...s, zoom: Math.max(MIN_ZOOM, s.zoom - 5) }));
      else if (e.key === "Escape") update((s) => ({ ...s, brush: null }));
      else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [visible, total, update]);
}
