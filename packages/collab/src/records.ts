/**
 * Views of durable records (saved hypotheses, comment anchors, annotations): the explorer view a
 * record opens, and the record fields a view saves. Pure, so the page and the tests agree on what
 * "restores the exact view" means.
 */
import { defaultLayer, type ExplorerViewState, type LayerState } from "@statescope/core";

/** The fields of a saved hypothesis that describe its view. */
export interface HypothesisView {
  source: string;
  start: number;
  end: number;
  padLeft: number;
  padRight: number;
  threshold: number;
  /** Final selected cells (rule + manual edits), ascending. */
  cells: readonly number[];
  addedCells: readonly number[];
  excludedCells: readonly number[];
  mode: string;
  /** Exact match length, or null for any. */
  length: number | null;
}

/** Steps shown left of a restored range, so its first token is not glued to the edge. */
export const LEAD_IN = 3;

const asc = (xs: Iterable<number>) => [...new Set(xs)].sort((a, b) => a - b);

/**
 * The explorer view of a hypothesis: its source as the only layer, the range as the brush, its
 * padding, threshold and match settings. The cells are pinned as saved (minus the hand-added
 * ones, plus the excluded ones, which the layer keeps as manual edits): the view then shows
 * exactly the saved cells with their edits marked, even when the saving view had pinned cells
 * that the brush rule alone would not give. With `pin: false` the cells come from the brush rule
 * plus the edits (the caller checked that this gives the saved cells). Display preferences (zoom,
 * tracks, mask, context) are kept from `base`.
 */
export function hypothesisViewState(h: HypothesisView, base: ExplorerViewState, opts: { pin?: boolean } = {}): ExplorerViewState {
  const added = new Set(h.addedCells);
  const pinned = opts.pin === false ? null : asc([...h.cells.filter((c) => !added.has(c)), ...h.excludedCells]);
  const layer: LayerState = { source: h.source, threshold: h.threshold, add: asc(h.addedCells), exclude: asc(h.excludedCells), pinned };
  return {
    ...base,
    layers: [layer],
    pos: Math.max(0, h.start - LEAD_IN),
    brush: [h.start, h.end],
    pad: [h.padLeft, h.padRight],
    match: { ...base.match, mode: h.mode === "fast" ? "fast" : "precise", length: h.length ?? 0, layer: 0, run: false },
  };
}

/** What a hypothesis saves of the current view (the match layer), or why it cannot be saved. */
export function hypothesisFromView(
  state: ExplorerViewState,
  selections: readonly (number[] | null)[],
): { ok: true; view: HypothesisView } | { ok: false; reason: string } {
  if (!state.brush) return { ok: false, reason: "brush a token range first: a hypothesis is a range plus its selected cells" };
  const li = Math.min(state.match.layer, state.layers.length - 1);
  const layer = state.layers[li];
  if (!layer) return { ok: false, reason: "pick a source first" };
  const cells = selections[li];
  if (!cells) return { ok: false, reason: "the selected cells are still loading" };
  if (cells.length === 0) return { ok: false, reason: "no cells are selected here: lower the threshold, brush another range or add cells by hand" };
  return {
    ok: true,
    view: {
      source: layer.source,
      start: state.brush[0],
      end: state.brush[1],
      padLeft: state.pad[0],
      padRight: state.pad[1],
      threshold: layer.threshold,
      cells: asc(cells),
      addedCells: asc(layer.add),
      excludedCells: asc(layer.exclude),
      mode: state.match.mode,
      length: state.match.length > 0 ? state.match.length : null,
    },
  };
}

/** An anchored range (a comment thread, an annotation): brushed on `source` with `cells` pinned when given. */
export function rangeViewState(a: { source?: string | null; start: number; end: number; cells?: readonly number[] }, base: ExplorerViewState): ExplorerViewState {
  const cells = a.cells && a.cells.length > 0 ? asc(a.cells) : null;
  const layers = base.layers.length > 0 ? base.layers : a.source ? [defaultLayer(a.source)] : [];
  const next = layers.map((l, i): LayerState => {
    if (i !== 0) return l;
    const source = a.source ?? l.source;
    const same = source === l.source;
    return { ...l, source, add: same && !cells ? l.add : [], exclude: same && !cells ? l.exclude : [], pinned: cells };
  });
  return { ...base, layers: next, pos: Math.max(0, a.start - LEAD_IN), brush: [a.start, a.end] };
}

/** Steps [from, to) of `ranges` that intersect the visible steps, clipped, in visible coordinates. */
export function visibleSpans<T extends { start: number; end: number }>(ranges: readonly T[], from: number, to: number): { item: T; a: number; b: number }[] {
  const out: { item: T; a: number; b: number }[] = [];
  for (const r of ranges) {
    if (r.end <= from || r.start >= to) continue;
    out.push({ item: r, a: Math.max(r.start, from) - from, b: Math.min(r.end, to) - from });
  }
  return out;
}

/**
 * Lanes for overlapping spans: each span gets the lowest lane whose previous span ended at or
 * before its start (spans sorted by start), so overlapping ranges stack instead of hiding.
 */
export function assignLanes(spans: readonly { a: number; b: number }[]): number[] {
  const order = spans.map((_, i) => i).sort((i, j) => spans[i]!.a - spans[j]!.a || spans[j]!.b - spans[i]!.b);
  const ends: number[] = [];
  const lanes = new Array<number>(spans.length).fill(0);
  for (const i of order) {
    const s = spans[i]!;
    let lane = ends.findIndex((e) => e <= s.a);
    if (lane < 0) lane = ends.push(0) - 1;
    ends[lane] = s.b;
    lanes[i] = lane;
  }
  return lanes;
}

/** The `@handle` a member is mentioned by: the part of the email before its last "@", lowercased (as the server parses it). */
export function mentionHandle(m: { email: string }): string {
  const at = m.email.lastIndexOf("@");
  return (at < 0 ? m.email : m.email.slice(0, at)).toLowerCase();
}

/** The partial `@handle` being typed at `caret` in `text`, or null (the start of a word only). */
export function mentionQueryAt(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const m = /(^|[\s(])@([\w.+-]{0,40})$/.exec(before);
  if (!m) return null;
  return { start: caret - m[2]!.length - 1, query: m[2]!.toLowerCase() };
}
