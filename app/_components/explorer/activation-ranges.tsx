"use client";
import { memo, useMemo } from "react";
import { onRuns, type StateMatrix, type Transform } from "@statescope/core";
import { GUTTER } from "./layout";

const ROW = 9;
export const MAX_RANGE_ROWS = 20;

/** One row per selected cell (up to 20), a bar for each contiguous on-run in the window. */
export const ActivationRanges = memo(function ActivationRanges(p: {
  window: StateMatrix;
  transform: Transform;
  threshold: number;
  cells: readonly number[];
  zoom: number;
  width: number;
  hovered: number | null;
  onHover: (c: number | null) => void;
}) {
  const shown = p.cells.slice(0, MAX_RANGE_ROWS);
  const runs = useMemo(() => shown.map((c) => onRuns(p.window, c, p.threshold, p.transform)), [shown.join(","), p.window, p.threshold, p.transform]);
  if (shown.length === 0) return null;
  return (
    <svg width={p.width} height={shown.length * ROW + 4} className="ranges" data-testid="activation-ranges">
      <text x={GUTTER - 8} y={6} dy="0.32em" textAnchor="end" className="lane-label">ranges</text>
      {shown.map((c, r) => (
        <g key={c} transform={`translate(0,${2 + r * ROW})`} onPointerEnter={() => p.onHover(c)} onPointerLeave={() => p.onHover(null)}>
          <rect x={GUTTER} width={Math.max(0, p.width - GUTTER)} height={ROW} fill={p.hovered === c ? "#fff1e6" : "transparent"} />
          {r > 0 && (
            <text x={GUTTER - 8} y={ROW / 2} dy="0.32em" textAnchor="end" className="lane-label small">{c}</text>
          )}
          {runs[r]!.map(([a, b]) => (
            <rect key={a} x={GUTTER + a * p.zoom + 1} y={1.5} width={(b - a) * p.zoom - 3} height={ROW - 3} rx={2} fill={p.hovered === c ? "#e8590c" : "#2f6fde"} fillOpacity={0.8} />
          ))}
          <title>{`cell ${c}: ${runs[r]!.length} on-run(s) in the window`}</title>
        </g>
      ))}
      {p.cells.length > MAX_RANGE_ROWS && (
        <text x={p.width - 4} y={8} textAnchor="end" className="lane-label small">{`first ${MAX_RANGE_ROWS} of ${p.cells.length}`}</text>
      )}
    </svg>
  );
});
