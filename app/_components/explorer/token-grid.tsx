"use client";
import { useLayoutEffect, useRef, type KeyboardEvent, type PointerEvent } from "react";
import { MATCH_ROW_H, tokenTextRuns } from "@statescope/core";
import { useAfterPaint } from "./after-paint";
import { setupCanvas } from "./line-plot";

const ROW_H = MATCH_ROW_H;
const FONT = "ui-monospace, SFMono-Regular, Menlo, monospace";
const TEXT = "#3b4450";
const TEXT_IN = "#0f2f6b";
const BOX = "#e7effc";
const BOX_IN_STROKE = "#9db8e8";

const fontOf = (bold: boolean) => `${bold ? "600 " : ""}10.5px ${FONT}`;
/** A cell's opacity: faded by the mask, or not. */
const alphaOf = (t: TokenCell) => (t.faded ? 0.25 : 1);
/** A cell's text colour: its own (on a mapped fill), else the grid's for text in or out of the match. */
const textColorOf = (t: TokenCell) => t.textColor ?? (t.inMatch ? TEXT_IN : TEXT);

let warm = false;
/** The warm-up's grid: WARM_ROWS rows of WARM_COLUMNS parenthesis-like tokens with a match in each (see warmTokenGrid). */
const WARM_ROWS = 50;
const WARM_COLUMNS = 23;
const WARM_TOKENS = ["(", ")", "(", "(", ")", "a", ")", "the", "(", ")", "{", "}", ",", "(", ")", ")", "[", "]", "x", "(", "(", ")", ";"];
/**
 * Once per page, while it is idle: resolves the grid's two fonts, and draws a result-sized grid
 * of made-up tokens with the grid's own code (`drawTokens`) on a canvas that is never shown.
 * The first text a page measures or draws in a font waits for the system's font lookup (13–70 ms
 * in Chromium here: ui-monospace, SFMono-Regular and Menlo are tried before the fallback); and
 * the first run of the drawing code in a page is its slowest (compiled on that call, without the
 * type feedback that optimizes its loops): both were paid by a fresh page's first click.
 * The Match view calls this when the page is idle.
 */
export function warmTokenGrid(): void {
  if (warm) return;
  warm = true;
  const canvas = document.createElement("canvas");
  canvas.width = 1;
  canvas.height = 1;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  for (const bold of [false, true]) {
    ctx.font = fontOf(bold);
    ctx.measureText("0");
    ctx.fillText("()[]{}.,;: abc", 0, 10);
  }
  const w = new Float64Array(WARM_COLUMNS).fill(12);
  w[7] = 28;
  const x = new Float64Array(WARM_COLUMNS + 1);
  for (let c = 0; c < WARM_COLUMNS; c++) x[c + 1] = x[c]! + w[c]!;
  const cells: (TokenCell | null)[] = new Array(WARM_ROWS * WARM_COLUMNS);
  for (let i = 0; i < WARM_ROWS; i++) {
    for (let col = 0; col < WARM_COLUMNS; col++) {
      const inMatch = col >= 3 && col < 3 + (i % 6) + 2;
      cells[i * WARM_COLUMNS + col] = i === 0 && col < 2 ? null : { text: WARM_TOKENS[(col + i) % WARM_TOKENS.length]!, inMatch, fill: null, textColor: null, faded: false };
    }
  }
  drawTokens(ctx, cells, WARM_COLUMNS, x, w);
}

/** One token cell of the grid: its text as drawn, whether it lies in the match, its mapped fill and text colour, faded by the mask. */
export interface TokenCell {
  text: string;
  inMatch: boolean;
  fill: string | null;
  textColor: string | null;
  faded: boolean;
}

/**
 * Draws the grid's cells (row-major, `columns` a row; null: nothing) onto `ctx`: boxes, then the
 * texts. One function for the page's drawing and its warm-up (`warmTokenGrid`), so the click's
 * draw runs code the page has already compiled and run.
 */
function drawTokens(ctx: CanvasRenderingContext2D, cells: readonly (TokenCell | null)[], columns: number, x: ArrayLike<number>, w: ArrayLike<number>): void {
  let style = "";
  const fillStyle = (s: string) => {
    if (s !== style) ctx.fillStyle = style = s;
  };
  // (canvas state setters are not free: each is set only when it changes)
  let alpha = 1;
  const setAlpha = (a: number) => {
    if (a !== alpha) ctx.globalAlpha = alpha = a;
  };
  const paintText = (t: TokenCell) => {
    setAlpha(alphaOf(t));
    fillStyle(textColorOf(t));
  };
  // the boxes: one path per fill and alpha, then one outline path per alpha for the matched ones
  // (boxes never overlap: drawing them together gives the same pixels as one by one)
  const boxes = new Map<string, { fill: string; alpha: number; at: number[] }>();
  const outlines = new Map<number, number[]>();
  cells.forEach((t, n) => {
    if (!t || !(t.fill || t.inMatch)) return;
    const fill = t.fill ?? BOX;
    const a = alphaOf(t);
    const key = `${a} ${fill}`;
    const group = boxes.get(key);
    if (group) group.at.push(n);
    else boxes.set(key, { fill, alpha: a, at: [n] });
    if (t.inMatch) {
      const o = outlines.get(a);
      if (o) o.push(n);
      else outlines.set(a, [n]);
    }
  });
  const box = (n: number) => {
    const col = n % columns;
    ctx.roundRect(x[col]! + 0.5, Math.floor(n / columns) * ROW_H + 2, w[col]! - 1, ROW_H - 4, 2);
  };
  for (const g of boxes.values()) {
    setAlpha(g.alpha);
    fillStyle(g.fill);
    ctx.beginPath();
    g.at.forEach(box);
    ctx.fill();
  }
  ctx.lineWidth = 0.8;
  ctx.strokeStyle = BOX_IN_STROKE;
  for (const [a, at] of outlines) {
    setAlpha(a);
    ctx.beginPath();
    at.forEach(box);
    ctx.stroke();
  }
  // the texts, in two passes (normal, bold) so the canvas parses its font twice, not once per
  // token; runs of single characters in equal columns with one fillText each (tokenTextRuns)
  ctx.textBaseline = "middle";
  const spacing = "letterSpacing" in ctx;
  for (const bold of [false, true]) {
    ctx.font = fontOf(bold);
    const widths = new Map<string, number>();
    const advanceOf = (ch: string) => {
      let v = widths.get(ch);
      if (v === undefined) widths.set(ch, (v = ctx.measureText(ch).width));
      return v;
    };
    const text = cells.map((t) => (t && t.inMatch === bold ? t.text : null));
    const style = cells.map((t) => (t && t.inMatch === bold ? `${alphaOf(t)} ${textColorOf(t)}` : null));
    const advance = advanceOf("0");
    const runs = tokenTextRuns(text, style, columns, w, spacing ? advanceOf : () => NaN, advance);
    // single tokens centred in their columns, then the runs from their left edge with the letter spacing that puts each character where a centred one would be
    ctx.textAlign = "center";
    for (const r of runs) {
      if (r.cells > 1) continue;
      paintText(cells[r.first]!);
      ctx.fillText(r.text, x[r.col]! + w[r.col]! / 2, r.row * ROW_H + ROW_H / 2);
    }
    ctx.textAlign = "left";
    // (no kerning between a run's characters: each sits in its own column)
    if ("fontKerning" in ctx) ctx.fontKerning = "none";
    let gap = "";
    for (const r of runs) {
      if (r.cells === 1) continue;
      paintText(cells[r.first]!);
      const g = `${r.width - advance}px`;
      if (g !== gap) ctx.letterSpacing = gap = g;
      ctx.fillText(r.text, x[r.col]! + (r.width - advance) / 2, r.row * ROW_H + ROW_H / 2);
    }
    if (gap) ctx.letterSpacing = "0px";
    if ("fontKerning" in ctx) ctx.fontKerning = "auto";
  }
  ctx.globalAlpha = 1;
}

/**
 * The Match view's result tokens: `rows` × `columns` cells drawn on one canvas (as ~1,150 SVG
 * texts with their boxes and groups, React, style, layout and paint of the nodes took most of a
 * click → drawn). Each row is also a focusable list item carrying its text for assistive
 * technology (`label`), there from the frame after the canvas's first; focus and the arrow keys
 * move the highlighted token (with the tooltip), as the pointer does. The alignment line and the
 * highlight are an SVG over the canvas.
 */
export function TokenGrid({
  rows,
  columns,
  x,
  w,
  cell,
  label,
  alignX,
  drawKey,
  hover,
  onHover,
}: {
  rows: number;
  columns: number;
  /** Left edge of each column (columns + 1 entries: the last is the width). */
  x: ArrayLike<number>;
  w: ArrayLike<number>;
  cell: (row: number, col: number) => TokenCell | null;
  /** The row's text for assistive technology and tests (its tokens, the match marked). */
  label: (row: number) => { text: string; tokens: number };
  alignX: number;
  /** A new value whenever `cell`, `x` or `w` would draw other pixels: the canvas is redrawn then only. */
  drawKey: unknown;
  hover: { row: number; col: number } | null;
  onHover: (row: number, col: number, clientX: number, clientY: number) => void;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const width = x[columns]!;
  const height = rows * ROW_H;
  // The rows' list (their text for assistive technology, focus and the arrow keys) is rendered
  // once the canvas's first frame is painted: in that frame it was ~50 items of a few hundred
  // characters each to build, lay out and shape, none of them seen (bench:click, issue 15).
  const listed = useAfterPaint();
  // drawn when what it shows changed (drawKey), like the heatmaps: boxes, then the texts
  useLayoutEffect(() => {
    const c = ref.current;
    const ctx = c && setupCanvas(c, width, height);
    if (!c || !ctx) return;
    const cells: (TokenCell | null)[] = new Array(rows * columns);
    for (let i = 0; i < rows; i++) for (let col = 0; col < columns; col++) cells[i * columns + col] = cell(i, col);
    drawTokens(ctx, cells, columns, x, w);
    c.dataset.drawn = String(rows);
    // cell is a new function on every render; drawKey says when it draws differently
  }, [drawKey, width, height, rows, columns]);
  const colAt = (px: number) => {
    let col = 0;
    while (col < columns - 1 && x[col + 1]! <= px) col++;
    return col;
  };
  const move = (e: PointerEvent<HTMLDivElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const row = Math.floor((e.clientY - box.top) / ROW_H);
    const col = colAt(e.clientX - box.left);
    if (row < 0 || row >= rows || !cell(row, col)) return;
    if (hover?.row !== row || hover.col !== col) onHover(row, col, e.clientX, e.clientY);
  };
  /** Highlights a token of a focused row (the tooltip sits below it, as for the pointer). */
  const highlight = (el: HTMLElement, row: number, col: number) => {
    if (!cell(row, col)) return;
    const box = el.getBoundingClientRect();
    onHover(row, col, box.left + x[col]! + w[col]! / 2, box.top + ROW_H / 2);
  };
  const key = (e: KeyboardEvent<HTMLDivElement>, row: number) => {
    const col = hover?.row === row ? hover.col : 0;
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (step) {
      e.preventDefault();
      for (let c = col + step; c >= 0 && c < columns; c += step) {
        if (cell(row, c)) return highlight(e.currentTarget, row, c);
      }
      return;
    }
    const next = e.key === "ArrowDown" ? row + 1 : e.key === "ArrowUp" ? row - 1 : -1;
    if (next >= 0 && next < rows) {
      e.preventDefault();
      (e.currentTarget.parentElement?.children[next] as HTMLElement | undefined)?.focus();
    }
  };
  const firstCell = (row: number) => {
    for (let c = 0; c < columns; c++) if (cell(row, c)) return c;
    return 0;
  };
  return (
    <div className="token-grid" style={{ width, height }} onPointerMove={move} data-testid="result-tokens">
      {/* sized (for the device's pixel ratio) by setupCanvas */}
      <canvas ref={ref} aria-hidden="true" data-row-h={ROW_H} data-col-x={Array.from(x).join(",")} />
      <svg width={width} height={height} aria-hidden="true">
        {hover && <rect x={x[hover.col]} y={hover.row * ROW_H + 1} width={w[hover.col]} height={ROW_H - 2} className="hm-hover" />}
        <line x1={alignX} x2={alignX} y1={0} y2={height} className="align-line" />
      </svg>
      <div role="list" aria-label="Result tokens" className="token-rows">
        {listed && Array.from({ length: rows }, (_, i) => {
          const l = label(i);
          return (
            <div
              key={i}
              role="listitem"
              tabIndex={0}
              className="token-row"
              style={{ top: i * ROW_H, height: ROW_H }}
              data-testid={`result-row-${i}`}
              data-tokens={l.tokens}
              onFocus={(e) => hover?.row !== i && highlight(e.currentTarget, i, firstCell(i))}
              onKeyDown={(e) => key(e, i)}
            >
              <span className="sr-only">{l.text}</span>
            </div>
          );
        })}
      </div>
    </div>
  );
}
