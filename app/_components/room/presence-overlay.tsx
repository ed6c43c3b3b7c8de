"use client";
import { memo, useLayoutEffect, useMemo, useRef } from "react";
import { GUTTER } from "../explorer/layout";
import { PAD_BOTTOM, PAD_TOP, setupCanvas, traceCell } from "../explorer/line-plot";
import type { PlotGeometry } from "../explorer/slots";
import { usePeers } from "./room-context";

/**
 * Other members' brush, padding, threshold and selected cells, faint and in their colour, over
 * one line plot (only members on the plot's source). A layer of its own (canvas for cells, SVG for bands and labels), so it redraws
 * only when someone's presence or the window changes — never on our own threshold drag.
 */
export const PresenceOverlay = memo(function PresenceOverlay(p: PlotGeometry) {
  const all = usePeers();
  const peers = useMemo(() => all.filter((x) => x.view !== null && x.view.source === p.source), [all, p.source]);
  const canvas = useRef<HTMLCanvasElement>(null);
  const { domain, height, width, zoom, window: m } = p;
  const innerH = height - PAD_TOP - PAD_BOTTOM;
  const y = useMemo(
    () => (v: number) => PAD_TOP + ((domain[1] - Math.max(domain[0], Math.min(domain[1], v))) / (domain[1] - domain[0])) * innerH,
    [domain, innerH],
  );

  // Rasterizing lines is the costly part (software canvas: tens of ms for a hundred lines), so
  // the cells are redrawn only when someone's cells or colour change — not when they move their
  // brush, threshold or window — and drawn plain (no dashes, no round joins).
  const cellsKey = peers.map((x) => `${x.user.id}:${x.user.color}:${x.view!.cells.join(",")}`).join("|");
  const cellPeers = useMemo(() => peers.map((x) => ({ color: x.user.color, cells: x.view!.cells })), [cellsKey]);
  useLayoutEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const ctx = setupCanvas(c, width, height);
    if (!ctx || !m) return;
    ctx.lineWidth = 1.2;
    const tanh = p.transform === "tanh";
    for (const peer of cellPeers) {
      if (peer.cells.length === 0) continue;
      ctx.strokeStyle = peer.color;
      ctx.globalAlpha = peer.cells.length > 40 ? 0.3 : 0.5;
      ctx.beginPath();
      for (const cell of peer.cells) if (cell < m.cells) traceCell(ctx, m, cell, tanh, GUTTER, zoom, y);
      ctx.stroke();
    }
  }, [cellPeers, m, width, height, zoom, y, p.transform]);

  if (peers.length === 0) return null;
  const x0 = GUTTER;
  const x1 = GUTTER + p.steps * zoom;
  const xOf = (step: number) => Math.max(x0, Math.min(x1, GUTTER + (step - p.from) * zoom));
  return (
    // a zero-height anchor placed just before the line plot: the layer sits exactly over it
    <div className="presence-anchor">
      <div className="presence-layer" style={{ width, height }} aria-hidden data-testid="presence-layer">
        <canvas ref={canvas} />
        <svg width={width} height={height}>
          {peers.map((peer, i) => {
            const v = peer.view!;
            const c = peer.user.color;
            const b = v.brush;
            const bx0 = b ? xOf(b[0]) : 0;
            const bx1 = b ? xOf(b[1]) : 0;
            const brushShown = b !== null && bx1 > bx0;
            const ty = y(v.threshold);
            // stagger labels so two members' names do not sit on each other
            const labelY = 3 + (i % 3) * 17;
            return (
              <g key={peer.user.id} data-testid={`presence-${peer.user.id}`} data-name={peer.user.name} data-cells={v.cells.join(",")}>
                {b && (
                  <>
                    <rect x={xOf(b[0] - v.padding[0])} y={0} width={Math.max(0, bx0 - xOf(b[0] - v.padding[0]))} height={height} fill={c} fillOpacity={0.05} />
                    <rect x={bx1} y={0} width={Math.max(0, xOf(b[1] + v.padding[1]) - bx1)} height={height} fill={c} fillOpacity={0.05} />
                  </>
                )}
                {brushShown && (
                  <g data-testid="presence-brush" data-from={b[0]} data-to={b[1]} data-color={c}>
                    <rect x={bx0} y={0} width={bx1 - bx0} height={height} fill={c} fillOpacity={0.09} />
                    <line x1={bx0} x2={bx0} y1={0} y2={height} stroke={c} strokeOpacity={0.55} strokeDasharray="3 3" />
                    <line x1={bx1} x2={bx1} y1={0} y2={height} stroke={c} strokeOpacity={0.55} strokeDasharray="3 3" />
                    <g transform={`translate(${bx0 + 3},${labelY})`} className="presence-tag">
                      <rect width={peer.user.name.length * 6.2 + 12} height={15} rx={7.5} fill={c} />
                      <text x={6} y={7.5} dy="0.34em">{peer.user.name}</text>
                    </g>
                  </g>
                )}
                <g data-testid="presence-threshold" data-value={v.threshold}>
                  <line x1={x0} x2={x1} y1={ty} y2={ty} stroke={c} strokeOpacity={0.75} strokeWidth={1.2} strokeDasharray="2 3" />
                  <text x={x0 + 4} y={ty - 4} className="presence-threshold-label" style={{ fill: c }}>
                    {peer.user.name} {v.threshold.toFixed(3)}
                  </text>
                </g>
              </g>
            );
          })}
        </svg>
      </div>
    </div>
  );
});
