"use client";
import { memo, useCallback, useLayoutEffect, useMemo, useRef } from "react";
import { flushSync } from "react-dom";
import { faintOpacity, PLOT_PAD_BOTTOM, PLOT_PAD_TOP, plotTicks, plotY, rawCutoff, selectedOpacity, tickLabel, VIEW_COLORS, type StateMatrix, type Transform } from "@statescope/core";
import { GUTTER } from "./layout";

interface LinePlotProps {
  /** The visible steps only (row 0 = first visible token). */
  window: StateMatrix;
  transform: Transform;
  domain: [number, number];
  zoom: number;
  width: number;
  height: number;
  selected: readonly number[];
  hovered: number | null;
  onHover: (cell: number | null) => void;
  threshold: number;
  onThreshold: (x: number) => void;
  /** Brush and padding, local to the visible window (may extend past it). */
  brush: [number, number] | null;
  pad: [number, number];
  onBackgroundClick: () => void;
  label: string;
}

export const PAD_TOP = PLOT_PAD_TOP;
export const PAD_BOTTOM = PLOT_PAD_BOTTOM;

export function setupCanvas(c: HTMLCanvasElement, w: number, h: number): CanvasRenderingContext2D | null {
  const dpr = window.devicePixelRatio || 1;
  if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
    c.width = Math.round(w * dpr);
    c.height = Math.round(h * dpr);
    c.style.width = `${w}px`;
    c.style.height = `${h}px`;
  }
  const ctx = c.getContext("2d");
  if (!ctx) return null;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return ctx;
}

export function traceCell(ctx: CanvasRenderingContext2D, m: StateMatrix, c: number, tanh: boolean, x0: number, zoom: number, y: (v: number) => number) {
  const { data, cells, steps } = m;
  let pen = false;
  for (let t = 0; t < steps; t++) {
    const raw = data[t * cells + c]!;
    if (raw !== raw) {
      pen = false;
      continue;
    }
    const px = x0 + (t + 0.5) * zoom;
    const py = y(tanh ? Math.tanh(raw) : raw);
    if (pen) ctx.lineTo(px, py);
    else {
      ctx.moveTo(px, py);
      pen = true;
    }
  }
}

/**
 * One line per cell over the window (parallel-coordinates style). Two canvases: every cell
 * faint (redrawn only when the window, zoom or size changes) and the selected + hovered cells on
 * top (redrawn on every threshold or selection change, a few dozen lines). An SVG overlay holds
 * the zero line, the draggable threshold and the brush bands.
 */
export const LinePlot = memo(function LinePlot(p: LinePlotProps) {
  const base = useRef<HTMLCanvasElement>(null);
  const top = useRef<HTMLCanvasElement>(null);
  const dragging = useRef(false);
  const dragEnded = useRef(false);
  const { window: m, transform, domain, zoom, width, height } = p;
  const tanh = transform === "tanh";
  const innerH = height - PAD_TOP - PAD_BOTTOM;
  // the same scale as the published figures (packages/core/src/figures/layout.ts)
  const y = useMemo(() => plotY(domain, height), [domain, height]);
  const invY = useCallback((py: number) => domain[1] - ((py - PAD_TOP) / innerH) * (domain[1] - domain[0]), [domain, innerH]);

  useLayoutEffect(() => {
    const c = base.current;
    if (!c) return;
    const ctx = setupCanvas(c, width, height);
    if (!ctx) return;
    ctx.lineWidth = 1;
    ctx.strokeStyle = VIEW_COLORS.faint;
    ctx.globalAlpha = faintOpacity(m.cells);
    for (let cell = 0; cell < m.cells; cell++) {
      ctx.beginPath();
      traceCell(ctx, m, cell, tanh, GUTTER, zoom, y);
      ctx.stroke();
    }
  }, [m, tanh, zoom, width, height, y]);

  useLayoutEffect(() => {
    const c = top.current;
    if (!c) return;
    const ctx = setupCanvas(c, width, height);
    if (!ctx) return;
    ctx.lineJoin = "round";
    ctx.lineWidth = 1.6;
    ctx.strokeStyle = VIEW_COLORS.selected;
    ctx.globalAlpha = selectedOpacity(p.selected.length);
    ctx.beginPath();
    for (const cell of p.selected) if (cell !== p.hovered) traceCell(ctx, m, cell, tanh, GUTTER, zoom, y);
    ctx.stroke();
    if (p.hovered !== null && p.hovered < m.cells) {
      ctx.globalAlpha = 1;
      ctx.lineWidth = 2.6;
      ctx.strokeStyle = VIEW_COLORS.hover;
      ctx.beginPath();
      traceCell(ctx, m, p.hovered, tanh, GUTTER, zoom, y);
      ctx.stroke();
    }
    // the threshold benchmark measures from the input event to here (npm run bench:ui)
    if (performance.getEntriesByName("statescope:threshold-input", "mark").length > 0) {
      performance.measure("statescope:threshold-render", "statescope:threshold-input");
      performance.clearMarks("statescope:threshold-input");
    }
  }, [m, tanh, zoom, width, height, y, p.selected, p.hovered]);

  const cut = useMemo(() => rawCutoff(p.threshold, transform), [p.threshold, transform]);
  const onMove = (e: React.PointerEvent<SVGSVGElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const px = e.clientX - rect.left;
    const py = e.clientY - rect.top;
    if (dragging.current) {
      performance.mark("statescope:threshold-input");
      const v = Math.round(invY(py) * 1000) / 1000;
      // commit within the event: a dragged line must not lag a frame behind the pointer
      flushSync(() => p.onThreshold(Math.max(domain[0], Math.min(domain[1], v))));
      return;
    }
    const t = Math.floor((px - GUTTER) / zoom);
    if (t < 0 || t >= m.steps) {
      if (p.hovered !== null) p.onHover(null);
      return;
    }
    let best = -1;
    let bestD = 7;
    for (let c = 0; c < m.cells; c++) {
      const raw = m.data[t * m.cells + c]!;
      const d = Math.abs(y(tanh ? Math.tanh(raw) : raw) - py);
      if (d < bestD) {
        bestD = d;
        best = c;
      }
    }
    const next = best >= 0 ? best : null;
    if (next !== p.hovered) p.onHover(next);
  };

  const ty = y(p.threshold);
  const plotW = GUTTER + m.steps * zoom;
  const ticks = plotTicks(domain);
  const b = p.brush;
  return (
    <div className="lineplot" style={{ height: p.height, width: p.width }} data-testid="line-plot" data-cut={cut ?? "none"}>
      <canvas ref={base} aria-hidden />
      <canvas ref={top} aria-hidden />
      <svg
        width={p.width}
        height={p.height}
        onPointerMove={onMove}
        onPointerLeave={() => !dragging.current && p.hovered !== null && p.onHover(null)}
        onPointerUp={(e) => {
          if (dragging.current) {
            dragging.current = false;
            // With the pointer captured, the click that ends a threshold drag targets the SVG
            // itself; it must not count as a click on empty space (which clears the brush).
            dragEnded.current = true;
            e.currentTarget.releasePointerCapture(e.pointerId);
          }
        }}
        onClick={(e) => {
          if (dragEnded.current) {
            dragEnded.current = false;
            return;
          }
          if (e.target === e.currentTarget) p.onBackgroundClick();
        }}
        role="img"
        aria-label={`${p.label}: ${m.cells} cells over ${m.steps} steps, ${p.selected.length} selected`}
      >
        {b && (
          <g pointerEvents="none">
            <rect x={GUTTER + (b[0] - p.pad[0]) * zoom} y={0} width={p.pad[0] * zoom} height={p.height} className="pad-band" />
            <rect x={GUTTER + b[1] * zoom} y={0} width={p.pad[1] * zoom} height={p.height} className="pad-band" />
            <rect x={GUTTER + b[0] * zoom} y={0} width={(b[1] - b[0]) * zoom} height={p.height} className="brush-band" />
          </g>
        )}
        <g className="axis" pointerEvents="none">
          {ticks.map((v) => (
            <g key={v}>
              <line x1={GUTTER - 4} x2={GUTTER} y1={y(v)} y2={y(v)} />
              <text x={GUTTER - 6} y={y(v)} dy="0.32em" textAnchor="end">
                {tickLabel(v)}
              </text>
            </g>
          ))}
          <line x1={GUTTER} x2={GUTTER} y1={PAD_TOP} y2={PAD_TOP + innerH} />
          {domain[0] < 0 && <line className="zero" x1={GUTTER} x2={plotW} y1={y(0)} y2={y(0)} />}
        </g>
        <g
          className="threshold"
          data-testid="threshold-line"
          onPointerDown={(e) => {
            e.stopPropagation();
            dragging.current = true;
            (e.currentTarget.ownerSVGElement ?? e.currentTarget).setPointerCapture?.(e.pointerId);
          }}
        >
          <line x1={GUTTER} x2={plotW} y1={ty} y2={ty} className="threshold-hit" />
          <line x1={GUTTER} x2={plotW} y1={ty} y2={ty} className="threshold-line" />
          <rect x={plotW - 2} y={ty - 7} width={46} height={14} rx={3} className="threshold-tag" />
          <text x={plotW + 21} y={ty} dy="0.32em" textAnchor="middle" className="threshold-text">
            {p.threshold.toFixed(3)}
          </text>
        </g>
      </svg>
    </div>
  );
});
