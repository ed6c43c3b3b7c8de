"use client";
import { memo, useMemo } from "react";
import { onRuns, type StateMatrix, type Transform } from "@statescope/core";
import { GUTTER } from "./layout";

const ROW = 10;
const HEAD = 14;
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
    <svg width={p.width} height={HEAD + shown.length * ROW + 4} className="ranges" data-testid="activation-ranges">
      <text x={GUTTER - 8} y={HEAD / 2} dy="0.32em" textAnchor="end" className="lane-label">ranges</text>
      <text x={GUTTER} y={HEAD / 2} dy="0.32em" className="lane-label small">
        {`where each selected cell is on (≥ threshold) in the window${p.cells.length > MAX_RANGE_ROWS ? `: first ${MAX_RANGE_ROWS} of ${p.cells.length} cells` : ""}`}
      </text>
      {shown.map((c, r) => (
        <g key={c} transform={`translate(0,${HEAD + 2 + r * ROW})`} onPointerEnter={() => p.onHover(c)} onPointerLeave={() => p.onHover(null)}>
          <rect x={0} width={p.width} height={ROW} fill={p.hovered === c ? "#fff1e6" : "transparent"} />
          <text x={GUTTER - 8} y={ROW / 2} dy="0.32em" textAnchor="end" className="lane-label small">{c}</text>
          {runs[r]!.map(([a, b]) => (
            <rect key={a} x={GUTTER + a * p.zoom + 1} y={1.5} width={Math.max(1, (b - a) * p.zoom - 3)} height={ROW - 3} rx={2} fill={p.hovered === c ? "#e8590c" : "#2f6fde"} fillOpacity={0.8} />
          ))}
          <title>{`cell ${c}: ${runs[r]!.length} on-run(s) in the window`}</title>
        </g>
      ))}
    </svg>
  );
});
