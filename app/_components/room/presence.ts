"use client";
import { MAX_VIEW_QUERY, type SharedView } from "@statescope/collab";
import { defaultLayer, defaultViewState, encodeViewState, type ExplorerViewState } from "@statescope/core";

/** The part of the explorer state others see: the active (match) layer, window, brush, cells. */
export function sharedViewOf(state: ExplorerViewState, steps: number, cells: readonly number[] | null): SharedView | null {
  const active = Math.max(0, Math.min(state.match.layer, state.layers.length - 1));
  const layer = state.layers[active];
  if (!layer || !Number.isFinite(layer.threshold)) return null;
  const query = encodeViewState(state);
  return {
    source: layer.source.slice(0, 200),
    position: state.pos,
    window: Math.max(1, Math.min(100_000, steps)),
    brush: state.brush,
    padding: state.pad,
    threshold: layer.threshold,
    cells: [...(cells ?? [])].sort((a, b) => a - b).slice(0, 4096),
    ...(query.length <= MAX_VIEW_QUERY ? { query } : {}),
  };
}

/** The explorer query that restores a shared view: its own query, or one rebuilt from the fields. */
export function queryOf(v: SharedView): string {
  if (v.query !== undefined) return v.query;
  const s = defaultViewState([v.source]);
  s.layers = [{ ...defaultLayer(v.source), threshold: v.threshold, pinned: v.brush ? null : v.cells }];
  s.pos = v.position;
  s.brush = v.brush;
  s.pad = v.padding;
  return encodeViewState(s);
}

/** Restore a view by navigating to its URL (the explorer reads its state from there). */
export function navigateToView(v: SharedView, mode: "push" | "replace"): void {
  const q = queryOf(v);
  if (window.location.search.slice(1) === q) return;
  // The explorer rewrites the URL behind the router's back (debounced replaceState), so the
  // router may still hold this very query from an earlier navigation and would see no change:
  // a one-off marker makes every navigation new (the explorer drops it on its next write).
  const url = `${window.location.pathname}?${q}${q ? "&" : ""}nav=${Date.now().toString(36)}`;
  // Next.js routes native history calls through its router (so useSearchParams sees them) only
  // when the state is not its own: pass null, never window.history.state.
  if (mode === "push") window.history.pushState(null, "", url);
  else window.history.replaceState(null, "", url);
}

/** Human "where": "viewing token 1,234 on states2 · brushed 1,240–1,244". */
export function describeView(v: SharedView | null): string {
  if (!v) return "not on the Select view";
  const at = `viewing token ${v.position.toLocaleString("en-US")} on ${v.source}`;
  return v.brush ? `${at} · brushed ${v.brush[0].toLocaleString("en-US")}–${(v.brush[1] - 1).toLocaleString("en-US")}` : at;
}

export function initials(name: string): string {
  const parts = name.replace(/@.*/, "").split(/[\s._-]+/).filter(Boolean);
  const s = parts.length >= 2 ? parts[0]![0]! + parts[1]![0]! : (parts[0] ?? "?").slice(0, 2);
  return s.toUpperCase();
}

/** Run once before the next frame (a hidden tab gets no frames: then soon, so follow mode keeps up). */
export function nextFrame(run: () => void): void {
  if (document.visibilityState === "visible") requestAnimationFrame(() => run());
  else setTimeout(run, 50);
}
