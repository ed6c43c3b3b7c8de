/**
 * The explorer's whole view state and its URL form: pasting a link reproduces the view. Every
 * field has a default that is left out of the URL, so links stay short; decoding never throws
 * (a hand-edited link falls back to defaults field by field).
 */

export type MatchModeName = "fast" | "precise";

/** One stacked source (LSTMVis request #22): its own threshold and selection. */
export interface LayerState {
  /** Source name as the dataset lists it. */
  source: string;
  threshold: number;
  /** Cells added / excluded by hand on top of the brushed selection. */
  add: number[];
  exclude: number[];
  /**
   * Cells pinned by a link (e.g. "open this match in the Select view"): used as the selection as
   * is until the brush changes. null = derive from the brush.
   */
  pinned: number[] | null;
}

export interface MatchSettings {
  mode: MatchModeName;
  /** 0 = any length ≥ 2, else exactly this many steps. */
  length: number;
  before: number;
  after: number;
  align: "start" | "end";
  /** A heatmap ("count" or a track name) mapped onto the result tokens, or null. */
  map: string | null;
  /** Whether the query was run (a link with run=1 re-runs it on open). */
  run: boolean;
  /** Which layer the query runs on. */
  layer: number;
}

export interface ExplorerViewState {
  layers: LayerState[];
  /** Global step of the window's first token. */
  pos: number;
  /** Brushed global range [from, to), or null. */
  brush: [number, number] | null;
  /** Must-be-off padding before / after the brush. */
  pad: [number, number];
  /** Pixels per step. */
  zoom: number;
  /** Meta tracks shown under the tokens. */
  tracks: string[];
  mask: boolean;
  match: MatchSettings;
}

export const DEFAULT_THRESHOLD = 0.3;
export const MIN_ZOOM = 5;
export const MAX_ZOOM = 120;
export const DEFAULT_ZOOM = 30;
export const MAX_LAYERS = 4;

export function defaultLayer(source: string): LayerState {
  return { source, threshold: DEFAULT_THRESHOLD, add: [], exclude: [], pinned: null };
}

export function defaultViewState(sources: readonly string[] = []): ExplorerViewState {
  return {
    layers: sources.length > 0 ? [defaultLayer(sources[0]!)] : [],
    pos: 0,
    brush: null,
    pad: [1, 0],
    zoom: DEFAULT_ZOOM,
    tracks: [],
    mask: false,
    match: { mode: "precise", length: 0, before: 3, after: 20, align: "start", map: null, run: false, layer: 0 },
  };
}

/** Tokens shown before the position a link or a jump asks for (LSTMVis: the window starts 3 before it). */
export const CONTEXT_BEFORE = 3;

/**
 * The window start for a requested step: {@link CONTEXT_BEFORE} tokens before it (not before 0).
 * A link with a brush but no `pos` opens here, at the brush.
 */
export function windowStartFor(step: number): number {
  return Math.max(0, step - CONTEXT_BEFORE);
}

/** Threshold as written in the URL and the numeric field: 3 decimals. */
export function formatThreshold(x: number): string {
  return x.toFixed(3);
}

const intList = (xs: readonly number[]) => xs.join(",");

function parseInt0(s: string | null, min: number, max: number, fallback: number): number {
  if (s === null || !/^-?\d+$/.test(s)) return fallback;
  const v = Number(s);
  return v >= min && v <= max ? v : fallback;
}

function parseIntList(s: string | null, max = 1_000_000): number[] {
  if (!s) return [];
  const out: number[] = [];
  for (const part of s.split(",")) {
    if (!/^\d+$/.test(part)) continue;
    const v = Number(part);
    if (v <= max && !out.includes(v)) out.push(v);
    if (out.length >= 4096) break;
  }
  return out;
}

/** URL query string (without "?") of a view state; defaults are omitted. */
export function encodeViewState(s: ExplorerViewState): string {
  const p = new URLSearchParams();
  const d = defaultViewState();
  s.layers.forEach((l, i) => {
    p.set(`s${i}`, l.source);
    if (l.threshold !== DEFAULT_THRESHOLD) p.set(`t${i}`, formatThreshold(l.threshold));
    if (l.add.length) p.set(`add${i}`, intList(l.add));
    if (l.exclude.length) p.set(`ex${i}`, intList(l.exclude));
    if (l.pinned) p.set(`c${i}`, intList(l.pinned));
  });
  if (s.pos !== (s.brush ? windowStartFor(s.brush[0]) : 0)) p.set("pos", String(s.pos));
  if (s.brush) p.set("b", `${s.brush[0]}-${s.brush[1]}`);
  if (s.pad[0] !== d.pad[0] || s.pad[1] !== d.pad[1]) p.set("pad", `${s.pad[0]},${s.pad[1]}`);
  if (s.zoom !== d.zoom) p.set("z", String(s.zoom));
  for (const t of s.tracks) p.append("tr", t);
  if (s.mask) p.set("mask", "1");
  const m = s.match;
  if (m.mode !== d.match.mode) p.set("mm", m.mode);
  if (m.length !== 0) p.set("len", String(m.length));
  if (m.before !== d.match.before || m.after !== d.match.after) p.set("ctx", `${m.before},${m.after}`);
  if (m.align !== "start") p.set("al", m.align);
  if (m.map) p.set("map", m.map);
  if (m.run) p.set("run", "1");
  if (m.layer !== 0) p.set("ml", String(m.layer));
  return p.toString();
}

/** Parses a query string (with or without "?") or URLSearchParams; unknown or invalid fields fall back to defaults. */
export function decodeViewState(q: string | URLSearchParams): ExplorerViewState {
  const p = typeof q === "string" ? new URLSearchParams(q.startsWith("?") ? q.slice(1) : q) : q;
  const s = defaultViewState();
  for (let i = 0; i < MAX_LAYERS; i++) {
    const source = p.get(`s${i}`);
    if (!source) break;
    const t = Number(p.get(`t${i}`));
    const threshold = p.has(`t${i}`) && Number.isFinite(t) ? t : DEFAULT_THRESHOLD;
    s.layers.push({
      source: source.slice(0, 200),
      threshold,
      add: parseIntList(p.get(`add${i}`)),
      exclude: parseIntList(p.get(`ex${i}`)),
      pinned: p.has(`c${i}`) ? parseIntList(p.get(`c${i}`)) : null,
    });
  }
  const b = /^(\d+)-(\d+)$/.exec(p.get("b") ?? "");
  if (b) {
    const from = Number(b[1]);
    const to = Number(b[2]);
    if (to > from) s.brush = [from, to];
  }
  s.pos = parseInt0(p.get("pos"), 0, Number.MAX_SAFE_INTEGER, s.brush ? windowStartFor(s.brush[0]) : 0);
  const pad = /^(\d+),(\d+)$/.exec(p.get("pad") ?? "");
  if (pad) s.pad = [Math.min(50, Number(pad[1])), Math.min(50, Number(pad[2]))];
  s.zoom = parseInt0(p.get("z"), MIN_ZOOM, MAX_ZOOM, DEFAULT_ZOOM);
  s.tracks = p.getAll("tr").filter((t) => t.length > 0 && t.length <= 200).slice(0, 32);
  s.mask = p.get("mask") === "1";
  const mm = p.get("mm");
  if (mm === "fast" || mm === "precise") s.match.mode = mm;
  const len = parseInt0(p.get("len"), 0, 1_000_000, 0);
  s.match.length = len === 1 ? 0 : len;
  const ctx = /^(\d+),(\d+)$/.exec(p.get("ctx") ?? "");
  if (ctx) {
    s.match.before = Math.min(100, Number(ctx[1]));
    s.match.after = Math.min(200, Math.max(1, Number(ctx[2])));
  }
  if (p.get("al") === "end") s.match.align = "end";
  const map = p.get("map");
  s.match.map = map && map.length <= 200 ? map : null;
  s.match.run = p.get("run") === "1";
  s.match.layer = parseInt0(p.get("ml"), 0, Math.max(0, s.layers.length - 1), 0);
  return s;
}
