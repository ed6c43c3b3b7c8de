/**
 * Figures of a published finding, drawn as SVG from its snapshot with the views' geometry,
 * scales and colours (./layout.ts): the Select view (one line per cell over the pinned steps,
 * the brush with its padding, the threshold, the token strip shaded by selected cells on, the
 * meta tracks), the Match view (top results aligned at their start, the "match count" heatmap
 * and one per track, the tokens), or both stacked. Paper sizes are one column (3.3 in) or two
 * (7 in); "screen" is the app's pixel geometry over every pinned step (the finding page).
 *
 * Text stays text. The SVG names the bundled fonts ("DejaVu Sans", "DejaVu Sans Mono") and has a
 * slot in its style sheet where the server embeds them (subset to {@link Figure.glyphs}).
 * The output is a pure function of the snapshot and the options: same input, same bytes.
 */
import { rawCutoff, type StateMatrix } from "../matching/matrix";
import { countOnPerStep, valueDomain } from "../explorer/window";
import { textColorOn } from "../explorer/colors";
import { displayToken, fitToken, tokenColumns, type ColumnLayout } from "../explorer/match-layout";
import {
  faintOpacity,
  GUTTER,
  HEATMAP_W,
  MATCH_ROW_H,
  MATCH_TOKEN_COLUMNS,
  PLOT_H,
  plotTicks,
  plotY,
  RIGHT,
  selectedOpacity,
  tickLabel,
  TOKEN_H,
  tokenShade,
  TRACK_ROW_H,
  TRACK_WORD_H,
} from "./layout";
import type { FindingData, SnapshotLayer, SnapshotTrack } from "./snapshot";
import { approximateMeasure, el, fitText, GlyphSet, num, num1, text, title, type FontRole, type MeasureText } from "./svg";
import { figureCategoricalColor, themeOf, type FigureTheme, type ThemeName } from "./theme";

export type FigureView = "select" | "match" | "both";
export type FigureWidth = "one" | "two";

/** Paper widths: inches on the page and the user units the layout is drawn in (text ≈ 6–7 pt). */
export const PAPER: Record<FigureWidth, { inches: number; units: number }> = {
  one: { inches: 3.3, units: 400 },
  two: { inches: 7, units: 860 },
};
/** Pixels per step of paper figures: the app's default, down to this minimum to fit the brush. */
export const PAPER_ZOOM = { max: 30, min: 10 } as const;
/** Match rows in a paper figure unless asked otherwise. */
export const PAPER_ROWS = 10;
/** The screen figure's pixels per step (the app's default zoom) and its bounds. */
export const SCREEN_ZOOM = { default: 30, min: 5, max: 60 } as const;

export interface FigureOptions {
  view: FigureView;
  /** A paper column, or the app's geometry over every pinned step ("screen"). */
  width: FigureWidth | "screen";
  theme?: ThemeName;
  /** Screen figures: pixels per step. */
  zoom?: number;
  /** Paper figures: how many match rows (1–50, default 10). */
  rows?: number;
  /** Data attributes and <title> tooltips for the finding page's viewer. */
  interactive?: boolean;
  /** Text advances of the bundled fonts (the server passes the real ones). */
  measure?: MeasureText;
}

export interface Figure {
  svg: string;
  /** The drawing without the outer <svg> element and its style (to nest it in another). */
  inner: string;
  /** Size in user units (the viewBox). */
  width: number;
  height: number;
  /** Every character drawn, per font: what the embedded font subsets must hold. */
  glyphs: GlyphSet;
}

/** Where the server puts the embedded @font-face rules (inside the figure's <style>). */
export const FONT_FACE_SLOT = "/*statescope:font-face*/";
export const FONT_FAMILY: Record<FontRole, string> = { sans: "DejaVu Sans", mono: "DejaVu Sans Mono" };

const LABEL = 10;
const TOKEN_FONT = 11;
const MATCH_TOKEN_FONT = 10.5;
const HEAD_H = 18;
const LANE_H = 18;
const AXIS_H = 14;
const SECTION_GAP = 18;
const MATCH_LABEL_W = 78;
const HEATMAP_GAP = 12;
const HEATMAP_TITLE_H = 18;

interface Ctx {
  data: FindingData;
  theme: FigureTheme;
  measure: MeasureText;
  glyphs: GlyphSet;
  interactive: boolean;
  paper: boolean;
}

function label(ctx: Ctx, a: Record<string, string | number>, s: string, size = LABEL, role: FontRole = "sans", fill = ctx.theme.label): string {
  ctx.glyphs.add(s, role, a["font-weight"] === 700);
  return text({ ...a, "font-size": size, fill, ...(role === "mono" ? { "font-family": `${FONT_FAMILY.mono}, monospace` } : {}) }, s);
}

/** Lane names in the gutter, as the app's small caps labels. */
function laneLabel(ctx: Ctx, y: number, s: string): string {
  const t = s.toUpperCase();
  return label(ctx, { x: GUTTER - 8, y, dy: "0.32em", "text-anchor": "end", "letter-spacing": 0.4 }, fitText(t, GUTTER - 12, 8.5, "sans", ctx.measure), 8.5);
}

function layerDomain(l: SnapshotLayer): [number, number] {
  return l.transform === "tanh" ? valueDomain(Math.tanh(l.min), Math.tanh(l.max)) : valueDomain(l.min, l.max);
}

/** One path per cell: absolute first point, then relative steps; NaN leaves a gap. */
function cellPath(m: StateMatrix, cell: number, tanh: boolean, x0: number, zoom: number, y: (v: number) => number): string {
  let d = "";
  let px = 0;
  let py = 0;
  let pen = false;
  for (let t = 0; t < m.steps; t++) {
    const raw = m.data[t * m.cells + cell]!;
    if (raw !== raw) {
      pen = false;
      continue;
    }
    const x = Math.round((x0 + (t + 0.5) * zoom) * 10) / 10;
    const yy = Math.round(y(tanh ? Math.tanh(raw) : raw) * 10) / 10;
    if (!d) d = `M${num1(x)} ${num1(yy)}`;
    else d += `${pen ? "l" : "m"}${num1(x - px)} ${num1(yy - py)}`;
    px = x;
    py = yy;
    pen = true;
  }
  return d;
}

interface SelectGeometry {
  /** First shown step and how many. */
  s0: number;
  n: number;
  zoom: number;
}

/** The steps a paper Select figure shows and its zoom: the brush, its padding and 3 tokens before, then as many as fit. */
export function paperSelectGeometry(data: FindingData, units: number): SelectGeometry {
  const s = data.snapshot;
  const s0 = Math.max(s.window.from, s.brush[0] - s.pad[0] - 3);
  const need = Math.min(s.window.to, s.brush[1] + s.pad[1] + 1) - s0;
  const avail = units - GUTTER - RIGHT;
  const zoom = Math.max(PAPER_ZOOM.min, Math.min(PAPER_ZOOM.max, Math.floor(avail / Math.max(1, need))));
  const n = Math.max(need, Math.min(s.window.to - s0, Math.floor(avail / zoom)));
  return { s0, n: Math.min(n, s.window.to - s0), zoom };
}

function windowOf(data: FindingData, li: number, s0: number, n: number): StateMatrix {
  const l = data.snapshot.layers[li]!;
  const off = (s0 - data.snapshot.window.from) * l.cells;
  return { data: data.states[li]!.subarray(off, off + n * l.cells), steps: n, cells: l.cells };
}

function selectView(ctx: Ctx, geo: SelectGeometry, width: number): { body: string; height: number } {
  const { theme, interactive } = ctx;
  const s = ctx.data.snapshot;
  const { s0, n, zoom } = geo;
  const plotRight = GUTTER + n * zoom;
  const active = Math.min(s.match?.layer ?? 0, s.layers.length - 1);
  const clip = (a: number, b: number): [number, number] => [Math.max(0, Math.min(n, a - s0)), Math.max(0, Math.min(n, b - s0))];
  const parts: string[] = [];
  let y = 0;
  const counts: (Uint16Array | null)[] = [];

  s.layers.forEach((l, li) => {
    const m = windowOf(ctx.data, li, s0, n);
    const tanh = l.transform === "tanh";
    const domain = layerDomain(l);
    const yOf = plotY(domain, PLOT_H);
    const k = l.selected.length;
    counts.push(countOnPerStep(m, l.selected, l.threshold, l.transform));
    // heading: which source, how many cells selected, and the legend
    const head = `${l.source} · ${k} of ${l.cells} cells on ≥ ${l.threshold.toFixed(3)}${s.layers.length > 1 && li === active ? " · matched" : ""}`;
    // the legend goes beside the heading when both fit, else on a line of its own
    const legendW = 196;
    const headW = ctx.measure(head, LABEL + 0.5, "sans");
    const besides = headW + legendW + 16 <= width - GUTTER;
    parts.push(label(ctx, { x: GUTTER, y: y + 12 }, fitText(head, width - GUTTER, LABEL + 0.5, "sans", ctx.measure), LABEL + 0.5, "sans", theme.ink));
    if (!besides) y += 14;
    // right-aligned in a paper column; near the heading on a wide screen figure (it scrolls)
    parts.push(legend(ctx, besides ? Math.min(width - legendW, GUTTER + headW + 40) : GUTTER, y + (besides ? 8 : 10)));
    y += HEAD_H + (besides ? 0 : 4);
    const g: string[] = [];
    const [b0, b1] = clip(s.brush[0], s.brush[1]);
    const [pl0, pl1] = clip(s.brush[0] - s.pad[0], s.brush[0]);
    const [pr0, pr1] = clip(s.brush[1], s.brush[1] + s.pad[1]);
    if (pl1 > pl0) g.push(el("rect", { x: GUTTER + pl0 * zoom, y: 0, width: (pl1 - pl0) * zoom, height: PLOT_H, fill: theme.threshold, "fill-opacity": 0.06 }));
    if (pr1 > pr0) g.push(el("rect", { x: GUTTER + pr0 * zoom, y: 0, width: (pr1 - pr0) * zoom, height: PLOT_H, fill: theme.threshold, "fill-opacity": 0.06 }));
    if (b1 > b0) g.push(el("rect", { x: GUTTER + b0 * zoom, y: 0, width: (b1 - b0) * zoom, height: PLOT_H, fill: theme.selected, "fill-opacity": 0.08 }));
    for (const v of plotTicks(domain)) {
      g.push(el("line", { x1: GUTTER - 4, x2: GUTTER, y1: yOf(v), y2: yOf(v), stroke: theme.axis }));
      g.push(label(ctx, { x: GUTTER - 6, y: yOf(v), dy: "0.32em", "text-anchor": "end" }, tickLabel(v)));
    }
    g.push(el("line", { x1: GUTTER, x2: GUTTER, y1: yOf(domain[1]), y2: yOf(domain[0]), stroke: theme.axis }));
    if (domain[0] < 0) g.push(el("line", { x1: GUTTER, x2: plotRight, y1: yOf(0), y2: yOf(0), stroke: theme.zero, "stroke-dasharray": "3 3" }));
    const sel = new Set(l.selected);
    const faint: string[] = [];
    for (let c = 0; c < l.cells; c++) {
      if (sel.has(c) && !interactive) continue; // drawn on top; the page keeps every line hoverable
      const d = cellPath(m, c, tanh, GUTTER, zoom, yOf);
      if (d) faint.push(el("path", { d, ...(interactive ? { "data-c": c } : {}) }));
    }
    g.push(el("g", { fill: "none", stroke: theme.faint, "stroke-width": 1, "stroke-opacity": faintOpacity(l.cells), "stroke-linejoin": "round", class: interactive ? "faint" : null }, ...faint));
    const strong: string[] = [];
    for (const c of l.selected) {
      const d = cellPath(m, c, tanh, GUTTER, zoom, yOf);
      if (d) strong.push(el("path", { d, ...(interactive ? { "data-c": c } : {}) }));
    }
    g.push(el("g", { fill: "none", stroke: theme.selected, "stroke-width": 1.6, "stroke-opacity": selectedOpacity(k), "stroke-linejoin": "round", class: interactive ? "selected" : null }, ...strong));
    const ty = yOf(l.threshold);
    g.push(el("line", { x1: GUTTER, x2: plotRight, y1: ty, y2: ty, stroke: theme.threshold, "stroke-width": 1.5, "stroke-dasharray": "6 3" }));
    g.push(el("rect", { x: plotRight + 2, y: ty - 7, width: 44, height: 14, rx: 3, fill: theme.threshold }));
    g.push(label(ctx, { x: plotRight + 24, y: ty, dy: "0.32em", "text-anchor": "middle", "font-weight": 700 }, l.threshold.toFixed(3), 9.5, "sans", theme.onThreshold));
    parts.push(
      el(
        "g",
        {
          transform: `translate(0,${num(y)})`,
          ...(interactive ? { class: "plot", "data-layer": li, "data-domain": `${domain[0]} ${domain[1]}`, "data-transform": l.transform, "data-cells": l.cells } : {}),
        },
        ...g,
        interactive ? title(`${l.source}: ${l.cells} cells over steps ${s0}–${s0 + n - 1}, ${k} selected`) : "",
      ),
    );
    y += PLOT_H + 6;
  });

  // token strip, shaded by how many of the matched layer's selected cells are on
  const cnt = counts[active] ?? null;
  const k = s.layers[active]?.selected.length ?? 0;
  const tok: string[] = [laneLabel(ctx, TOKEN_H / 2, "tokens")];
  const [b0, b1] = clip(s.brush[0], s.brush[1]);
  for (let i = 0; i < n; i++) {
    const t = s0 + i;
    const raw = s.window.tokens[t - s.window.from] ?? "";
    const f = cnt && k > 0 ? cnt[i]! / k : 0;
    const shown = fitText(displayToken(raw), zoom - 4, TOKEN_FONT, "mono", ctx.measure);
    const cell = [el("rect", { width: zoom - 1, height: TOKEN_H, rx: 2, fill: theme.selected, "fill-opacity": tokenShade(f) })];
    if (i >= b0 && i < b1) cell.push(el("rect", { x: 0.75, y: 0.75, width: zoom - 2.5, height: TOKEN_H - 1.5, rx: 2, fill: "none", stroke: theme.brushOutline, "stroke-width": 1.5 }));
    if (shown) cell.push(label(ctx, { x: (zoom - 1) / 2, y: TOKEN_H / 2, dy: "0.34em", "text-anchor": "middle" }, shown, TOKEN_FONT, "mono", f > 0.55 ? "#ffffff" : theme.ink));
    if (interactive) cell.push(title(`step ${t}: ${JSON.stringify(raw)}${k ? ` — ${cnt?.[i] ?? 0}/${k} selected cells on` : ""}`));
    tok.push(el("g", { transform: `translate(${num(GUTTER + i * zoom)},0)`, ...(interactive ? { "data-t": t, class: "tok" } : {}) }, ...cell));
  }
  parts.push(el("g", { transform: `translate(0,${num(y)})` }, ...tok));
  y += TOKEN_H + 2;

  // the brush and its must-be-off padding, under the tokens
  const lane: string[] = [laneLabel(ctx, LANE_H / 2, "padding")];
  const [pl0, pl1] = clip(s.brush[0] - s.pad[0], s.brush[0]);
  const [pr0, pr1] = clip(s.brush[1], s.brush[1] + s.pad[1]);
  if (pl1 > pl0) lane.push(el("rect", { x: GUTTER + pl0 * zoom, y: 4, width: (pl1 - pl0) * zoom, height: LANE_H - 8, fill: theme.threshold, "fill-opacity": 0.3 }));
  if (pr1 > pr0) lane.push(el("rect", { x: GUTTER + pr0 * zoom, y: 4, width: (pr1 - pr0) * zoom, height: LANE_H - 8, fill: theme.threshold, "fill-opacity": 0.3 }));
  if (b1 > b0) lane.push(el("rect", { x: GUTTER + b0 * zoom, y: 3, width: (b1 - b0) * zoom - 1, height: LANE_H - 6, rx: 2, fill: theme.selected, "fill-opacity": 0.85 }));
  parts.push(el("g", { transform: `translate(0,${num(y)})` }, ...lane));
  y += LANE_H + 2;

  // step numbers
  const every = Math.max(1, Math.ceil(56 / zoom));
  const axis: string[] = [];
  for (let t = Math.ceil(s0 / every) * every; t < s0 + n; t += every) {
    axis.push(label(ctx, { x: GUTTER + (t - s0 + 0.5) * zoom, y: 9, "text-anchor": "middle" }, String(t), 9));
  }
  parts.push(el("g", { transform: `translate(0,${num(y)})` }, ...axis));
  y += AXIS_H;

  for (const tr of s.tracks) {
    const h = trackHeight(tr);
    parts.push(el("g", { transform: `translate(0,${num(y + 2)})` }, ...trackRow(ctx, tr, s0, n, zoom)));
    y += h + 2;
  }
  return { body: parts.join(""), height: y };
}

function legend(ctx: Ctx, x: number, y: number): string {
  const { theme } = ctx;
  const items: string[] = [];
  items.push(el("line", { x1: 0, x2: 14, y1: 0, y2: 0, stroke: theme.selected, "stroke-width": 1.6 }));
  items.push(label(ctx, { x: 18, y: 0, dy: "0.32em" }, "selected", 9));
  items.push(el("line", { x1: 62, x2: 76, y1: 0, y2: 0, stroke: theme.faint, "stroke-width": 1, "stroke-opacity": 0.45 }));
  items.push(label(ctx, { x: 80, y: 0, dy: "0.32em" }, "other cells", 9));
  items.push(el("line", { x1: 134, x2: 148, y1: 0, y2: 0, stroke: theme.threshold, "stroke-width": 1.5, "stroke-dasharray": "4 2" }));
  items.push(label(ctx, { x: 152, y: 0, dy: "0.32em" }, "threshold", 9));
  return el("g", { transform: `translate(${num(x)},${num(y)})` }, ...items);
}

export function trackHeight(t: SnapshotTrack): number {
  return t.kind === "wordvec" ? Math.min(5, t.width) * TRACK_WORD_H + 4 : TRACK_ROW_H + 4;
}

function discreteFill(t: SnapshotTrack, id: number): string {
  const own = t.colors?.find(([i]) => i === id)?.[1];
  return own && /^#[0-9a-f]{6}$/i.test(own) ? own : figureCategoricalColor(id);
}

function trackLabelOf(t: SnapshotTrack, id: number): string {
  return t.labels?.find(([i]) => i === id)?.[1] ?? String(id);
}

function trackRow(ctx: Ctx, t: SnapshotTrack, s0: number, n: number, zoom: number): string[] {
  const { theme, interactive } = ctx;
  const s = ctx.data.snapshot;
  const out = [laneLabel(ctx, TRACK_ROW_H / 2, t.name)];
  for (let i = 0; i < n; i++) {
    const j = s0 + i - s.window.from;
    const x = GUTTER + i * zoom;
    if (t.kind === "discrete") {
      const id = t.values[j * t.width];
      if (id === undefined) continue;
      const lab = trackLabelOf(t, id);
      if (t.labels && lab === "") continue; // "no label" (e.g. between annotations)
      const fill = discreteFill(t, id);
      const shown = fitText(lab, zoom - 4, 9.5, "sans", ctx.measure);
      out.push(
        el(
          "g",
          { transform: `translate(${num(x)},1)` },
          el("rect", { width: zoom - 1, height: TRACK_ROW_H, rx: 2, fill }),
          shown ? label(ctx, { x: (zoom - 1) / 2, y: TRACK_ROW_H / 2, dy: "0.34em", "text-anchor": "middle", "font-weight": 700 }, shown, 9.5, "sans", textColorOn(fill)) : "",
          interactive ? title(`${t.name} @ ${s0 + i}: ${lab}`) : "",
        ),
      );
    } else if (t.kind === "scalar") {
      const v = t.values[j * t.width];
      if (v === undefined || v !== v) continue;
      out.push(el("rect", { x, y: 1, width: zoom - 1, height: TRACK_ROW_H, fill: theme.scalar(v, t.range ?? [0, 1]) }, interactive ? title(`${t.name} @ ${s0 + i}: ${v.toPrecision(3)}`) : ""));
    } else {
      const k = Math.min(5, t.width);
      for (let r = 0; r < k; r++) {
        const id = t.values[j * t.width + r];
        if (id === undefined) continue;
        const w = t.weights ? (t.weights[j * t.width + r] ?? 0) : 1 - r / k;
        const word = t.words?.find(([i2]) => i2 === id)?.[1] ?? trackLabelOf(t, id);
        const shown = fitText(displayToken(word), zoom - 3, 9, "mono", ctx.measure);
        out.push(
          el(
            "g",
            { transform: `translate(${num(x)},${num(1 + r * TRACK_WORD_H)})` },
            el("rect", { width: zoom - 1, height: TRACK_WORD_H - 1, fill: theme.wordvec, "fill-opacity": Math.max(0.05, Math.min(1, w)) * 0.55 }),
            shown ? label(ctx, { x: (zoom - 1) / 2, y: TRACK_WORD_H / 2, dy: "0.3em", "text-anchor": "middle" }, shown, 9, "mono", theme.ink) : "",
            interactive ? title(`${t.name} @ ${s0 + i} #${r + 1}: ${word} (${w.toFixed(3)})`) : "",
          ),
        );
      }
    }
  }
  return out;
}

interface MatchGeometry {
  rows: number;
  /** Context columns shown (the first `before` are before the match start). */
  cols: number;
  /** The result text's columns, each as wide as its longest token (the app's layout). */
  layout: ColumnLayout;
}

function matchView(ctx: Ctx, geo: MatchGeometry, width: number): { body: string; height: number } {
  const { theme, interactive } = ctx;
  const s = ctx.data.snapshot;
  const m = s.match!;
  const k = m.cells.length;
  const parts: string[] = [];
  const shownRows = m.rows.slice(0, geo.rows);
  const C = geo.cols;
  const { x: colX, w: colW, chars } = geo.layout;
  const total = m.rows.length;
  const head = total === 0
    ? `No match: no other range has these ${k} cells on together (${m.mode})`
    : `${shownRows.length < total ? `Top ${shownRows.length} of ${total}` : `${total}`} match${total === 1 ? "" : "es"} · ${m.mode}${m.length ? ` · length ${m.length}` : ""} · ${k} cell${k === 1 ? "" : "s"} of ${s.layers[m.layer]?.source ?? ""} ≥ ${m.threshold.toFixed(3)}`;
  parts.push(label(ctx, { x: 0, y: 12 }, fitText(head, width, LABEL + 0.5, "sans", ctx.measure), LABEL + 0.5, "sans", theme.ink));
  const y = HEAD_H;
  if (total === 0) return { body: parts.join(""), height: y };
  const top = y + HEATMAP_TITLE_H;
  const bodyH = shownRows.length * MATCH_ROW_H;

  // row labels: rank, position, I/U
  parts.push(label(ctx, { x: 0, y: y + 12 }, "POS  I/U", 8.5));
  shownRows.forEach((r, i) => {
    const yy = top + i * MATCH_ROW_H + MATCH_ROW_H / 2;
    parts.push(label(ctx, { x: 0, y: yy, dy: "0.32em" }, `${i + 1}.`, 9));
    parts.push(label(ctx, { x: 16, y: yy, dy: "0.32em", "font-weight": 700 }, String(r.pos), 9.5, "sans", theme.ink));
    parts.push(label(ctx, { x: MATCH_LABEL_W - 6, y: yy, dy: "0.32em", "text-anchor": "end" }, `${r.I}/${r.U}`, 9));
  });
  let x = MATCH_LABEL_W;

  // the results' text first, aligned at the match start (as the app shows it)
  const g: string[] = [label(ctx, { x: 0, y: 12 }, "ALIGNED AT THE MATCH START", 8.5)];
  shownRows.forEach((r, ri) => {
    const row: string[] = [];
    for (let col = 0; col < C; col++) {
      const tok = r.tokens[col];
      if (tok === null || tok === undefined) continue;
      const t = r.from + col;
      const inMatch = t >= r.pos && t < r.pos + r.length;
      const w = colW[col]!;
      const shown = fitToken(tok, chars[col]!);
      ctx.glyphs.add(shown, "mono", inMatch);
      row.push(
        el(
          "g",
          { transform: `translate(${num(colX[col]!)},0)`, ...(interactive ? { "data-r": ri, "data-k": col, class: "rtok" } : {}) },
          inMatch ? el("rect", { x: 0.5, y: 2, width: w - 1, height: MATCH_ROW_H - 4, rx: 2, fill: theme.matchFill, stroke: theme.matchStroke, "stroke-width": 0.8 }) : "",
          label(ctx, { x: w / 2, y: MATCH_ROW_H / 2, dy: "0.34em", "text-anchor": "middle", ...(inMatch ? { "font-weight": 700 } : {}) }, shown, MATCH_TOKEN_FONT, "mono", inMatch ? theme.matchText : theme.label),
          interactive ? title(`#${ri + 1} · step ${t} ${JSON.stringify(tok)} · ${r.counts[col] ?? "–"}/${k} cells on`) : "",
        ),
      );
    }
    g.push(el("g", { transform: `translate(0,${num(HEATMAP_TITLE_H + ri * MATCH_ROW_H)})` }, ...row));
  });
  const alignX = colX[Math.min(m.before, C)]!;
  g.push(el("line", { x1: alignX, x2: alignX, y1: HEATMAP_TITLE_H, y2: HEATMAP_TITLE_H + bodyH, stroke: theme.ink, "stroke-dasharray": "2 2" }));
  parts.push(el("g", { transform: `translate(${num(x)},${num(y)})`, ...(interactive ? { class: "results" } : {}) }, ...g));
  x += colX[C]! + HEATMAP_GAP;

  // then the "match count" heatmap and one per discrete/scalar track, rows aligned with the text
  const heatmaps: { name: string; title: string; color: (row: number, col: number) => string | null; tip: (row: number, col: number) => string }[] = [
    {
      name: "count",
      title: "match count",
      color: (ri, col) => {
        const v = shownRows[ri]!.counts[col];
        return v === null || v === undefined ? null : theme.heat(k > 0 ? v / k : 0);
      },
      tip: (ri, col) => `${shownRows[ri]!.counts[col] ?? "–"}/${k} cells on`,
    },
    ...m.tracks.flatMap((name, ti) => {
      const t = s.tracks.find((tt) => tt.name === name);
      if (!t) return [];
      return [
        {
          name,
          title: name,
          color: (ri: number, col: number) => {
            const v = shownRows[ri]!.tracks[ti]?.[col];
            if (v === null || v === undefined || v !== v) return null;
            if (t.kind === "discrete") return t.labels && trackLabelOf(t, v) === "" ? null : discreteFill(t, v);
            return theme.scalar(v, t.range ?? [0, 1]);
          },
          tip: (ri: number, col: number) => {
            const v = shownRows[ri]!.tracks[ti]?.[col];
            return v === null || v === undefined ? `${name}: –` : `${name}: ${t.kind === "discrete" ? trackLabelOf(t, v) : v.toPrecision(3)}`;
          },
        },
      ];
    }),
  ];
  for (const h of heatmaps) {
    // (a title may run into the gap after its heatmap)
    const hg: string[] = [label(ctx, { x: 0, y: 12 }, fitText(h.title.toUpperCase(), C * HEATMAP_W + HEATMAP_GAP - 2, 8.5, "sans", ctx.measure), 8.5)];
    shownRows.forEach((_, ri) => {
      for (let col = 0; col < C; col++) {
        const c = h.color(ri, col);
        if (!c) continue;
        hg.push(
          el("rect", {
            x: col * HEATMAP_W,
            y: HEATMAP_TITLE_H + ri * MATCH_ROW_H + 2,
            width: HEATMAP_W - 0.5,
            height: MATCH_ROW_H - 4,
            fill: c,
            ...(interactive ? { "data-r": ri, "data-k": col, "data-tip": h.tip(ri, col) } : {}),
          }),
        );
      }
    });
    hg.push(el("line", { x1: m.before * HEATMAP_W - 0.5, x2: m.before * HEATMAP_W - 0.5, y1: HEATMAP_TITLE_H, y2: HEATMAP_TITLE_H + bodyH, stroke: theme.ink, "stroke-dasharray": "2 2" }));
    parts.push(el("g", { transform: `translate(${num(x)},${num(y)})`, ...(interactive ? { class: "heatmap", "data-name": h.name } : {}) }, ...hg));
    x += C * HEATMAP_W + HEATMAP_GAP;
  }
  return { body: parts.join(""), height: top + bodyH + 4 };
}

/** The result text's columns over the first `rows` rows and `cols` context steps. */
function matchColumns(ctx: Ctx, rows: number, cols: number): ColumnLayout {
  const shown = ctx.data.snapshot.match?.rows.slice(0, rows) ?? [];
  return tokenColumns(shown.length, cols, (r, c) => shown[r]!.tokens[c] ?? undefined, MATCH_TOKEN_COLUMNS);
}

/** Width the Match view needs for a column layout of `cols` columns. */
function matchWidth(ctx: Ctx, cols: number, layout: ColumnLayout): number {
  const hms = 1 + (ctx.data.snapshot.match?.tracks.length ?? 0);
  return MATCH_LABEL_W + layout.x[cols]! + HEATMAP_GAP + hms * (cols * HEATMAP_W + HEATMAP_GAP);
}

/** Renders a figure. Throws RangeError for a Match figure of a snapshot without match results. */
export function renderFigure(data: FindingData, opts: FigureOptions): Figure {
  const s = data.snapshot;
  const ctx: Ctx = {
    data,
    theme: themeOf(opts.theme ?? "light"),
    measure: opts.measure ?? approximateMeasure,
    glyphs: new GlyphSet(),
    interactive: opts.interactive === true,
    paper: opts.width !== "screen",
  };
  const wantSelect = opts.view !== "match";
  const wantMatch = opts.view !== "select";
  if (wantMatch && !s.match) throw new RangeError("this finding has no match results: ask for view=select");
  const m = s.match;

  let units: number;
  let selectGeo: SelectGeometry | null = null;
  let matchGeo: MatchGeometry | null = null;
  if (opts.width === "screen") {
    const zoom = Math.max(SCREEN_ZOOM.min, Math.min(SCREEN_ZOOM.max, Math.round(opts.zoom ?? SCREEN_ZOOM.default)));
    if (wantSelect) selectGeo = { s0: s.window.from, n: s.window.to - s.window.from, zoom };
    if (wantMatch && m) {
      const cols = m.before + m.after;
      matchGeo = { rows: m.rows.length, cols, layout: matchColumns(ctx, m.rows.length, cols) };
    }
    units = Math.max(selectGeo ? GUTTER + selectGeo.n * zoom + RIGHT : 0, matchGeo ? matchWidth(ctx, matchGeo.cols, matchGeo.layout) : 0, 320);
  } else {
    units = PAPER[opts.width].units;
    if (wantSelect) {
      selectGeo = paperSelectGeometry(data, units);
      units = Math.max(units, GUTTER + selectGeo.n * selectGeo.zoom + RIGHT);
    }
    if (wantMatch && m) {
      const rows = Math.max(1, Math.min(m.rows.length || 1, Math.round(opts.rows ?? PAPER_ROWS)));
      // 3 steps before the match start, then as many as the column holds
      const layout = matchColumns(ctx, rows, m.before + m.after);
      let cols = m.before + m.after;
      while (cols > m.before + 1 && matchWidth(ctx, cols, layout) > units) cols--;
      matchGeo = { rows, cols, layout };
      units = Math.max(units, matchWidth(ctx, cols, layout));
    }
  }

  const sections: string[] = [];
  let height = 0;
  if (selectGeo) {
    const v = selectView(ctx, selectGeo, units);
    // the page's viewer maps the pointer to steps and cells with these
    const geo = ctx.interactive ? { class: "select-view", "data-zoom": selectGeo.zoom, "data-s0": selectGeo.s0, "data-n": selectGeo.n, "data-gutter": GUTTER, "data-plot-h": PLOT_H } : {};
    sections.push(el("g", geo, v.body));
    height += v.height;
  }
  if (matchGeo) {
    if (height > 0) height += SECTION_GAP;
    const v = matchView(ctx, matchGeo, units);
    const geo = ctx.interactive ? { class: "match-view", "data-row-h": MATCH_ROW_H, "data-title-h": HEATMAP_TITLE_H, "data-hm-w": HEATMAP_W } : {};
    sections.push(el("g", { transform: `translate(0,${num(height)})`, ...geo }, v.body));
    height += v.height;
  }
  const pad = 8;
  const W = units + 2 * pad;
  const H = Math.ceil(height + 2 * pad);
  const size = opts.width === "screen" ? { width: W, height: H } : { width: `${PAPER[opts.width].inches}in`, height: `${num((PAPER[opts.width].inches * H) / W)}in` };
  const inner = el("rect", { width: W, height: H, fill: ctx.theme.background }) + el("g", { transform: `translate(${pad},${pad})` }, ...sections);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${typeof size.width === "number" ? num(size.width) : size.width}" height="${typeof size.height === "number" ? num(size.height) : size.height}" viewBox="0 0 ${num(W)} ${num(H)}"${ctx.interactive ? ' class="finding-figure"' : ""}>` +
    `<style>${STYLE}</style>` +
    inner +
    `</svg>`;
  return { svg, inner, width: W, height: H, glyphs: ctx.glyphs };
}

const STYLE = `${FONT_FACE_SLOT}text{font-family:"${FONT_FAMILY.sans}",sans-serif}`;

/** Open Graph / Twitter card size (the preview image a link unfurls with). */
export const CARD = { width: 1200, height: 630 } as const;

/** Splits `s` into at most `lines` lines of `width` (the last one shortened with "…"). */
function wrap(s: string, width: number, size: number, lines: number, measure: MeasureText): string[] {
  const words = s.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < words.length; i++) {
    const next = cur ? `${cur} ${words[i]}` : words[i]!;
    if (measure(next, size, "sans") <= width || !cur) cur = next;
    else {
      out.push(cur);
      cur = words[i]!;
      if (out.length === lines - 1) {
        cur = words.slice(i).join(" ");
        break;
      }
    }
  }
  if (cur) out.push(cur);
  return out.map((l) => fitText(l, width, size, "sans", measure));
}

/**
 * The preview image of a finding for link unfurls (1200 × 630): its title, authors and dataset,
 * and its Select view (the Match view when it has no selection to show).
 */
export function renderCard(data: FindingData, opts: { measure?: MeasureText; subtitle: string }): Figure {
  const measure = opts.measure ?? approximateMeasure;
  const fig = renderFigure(data, { view: "select", width: "two", measure });
  const glyphs = fig.glyphs;
  const s = data.snapshot;
  const titleLines = wrap(s.title, CARD.width - 96, 38, 2, measure);
  const parts: string[] = [el("rect", { width: CARD.width, height: CARD.height, fill: LIGHT_BG })];
  titleLines.forEach((line, i) => {
    glyphs.add(line, "sans", true);
    parts.push(text({ x: 48, y: 74 + i * 46, "font-size": 38, "font-weight": 700, fill: "#111827" }, line));
  });
  const sub = fitText(opts.subtitle, CARD.width - 96, 20, "sans", measure);
  glyphs.add(sub, "sans");
  const subY = 74 + titleLines.length * 46 - 6;
  parts.push(text({ x: 48, y: subY, "font-size": 20, fill: "#4b5563" }, sub));
  const top = subY + 22;
  parts.push(
    `<svg x="40" y="${num(top)}" width="${CARD.width - 80}" height="${num(CARD.height - top - 16)}" viewBox="0 0 ${num(fig.width)} ${num(fig.height)}" preserveAspectRatio="xMidYMin meet">${fig.inner}</svg>`,
  );
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${CARD.width}" height="${CARD.height}" viewBox="0 0 ${CARD.width} ${CARD.height}"><style>${STYLE}</style>${parts.join("")}</svg>`;
  return { svg, inner: parts.join(""), width: CARD.width, height: CARD.height, glyphs };
}

const LIGHT_BG = "#ffffff";

/** Makes a matrix a snapshot layer's window (for callers that hold a FindingData). */
export function layerWindow(data: FindingData, layer: number): StateMatrix {
  const s = data.snapshot;
  return windowOf(data, layer, s.window.from, s.window.to - s.window.from);
}

/** The raw cutoff of a layer's threshold (matching.md on-test), re-exported for the page's viewer. */
export function layerCutoff(l: SnapshotLayer): number | null {
  return rawCutoff(l.threshold, l.transform);
}
