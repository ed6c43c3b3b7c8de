import { hypothesisViewState, rangeViewState, type HypothesisView } from "@statescope/collab";
import type { ExplorerViewState } from "@statescope/core";

/** Where a comment thread is anchored. */
export interface ThreadAnchor {
  hypothesisId: string | null;
  source: string | null;
  start: number | null;
  end: number | null;
  cells: readonly number[];
}

/**
 * The view a thread opens: its hypothesis' saved view (cells pinned as saved), else its range on
 * its source with its cells pinned; display preferences (zoom, tracks, padding of a range) come
 * from `base`. Null when the thread has no place (a hypothesis not given, a thread on nothing).
 */
export function threadViewState(t: ThreadAnchor, base: ExplorerViewState, hypothesis?: HypothesisView): ExplorerViewState | null {
  if (t.hypothesisId) return hypothesis ? hypothesisViewState(hypothesis, base) : null;
  if (t.start === null || t.end === null) return null;
  return rangeViewState({ source: t.source, start: t.start, end: t.end, cells: t.cells }, base);
}
