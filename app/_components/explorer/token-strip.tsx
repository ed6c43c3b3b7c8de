"use client";
import { useRef, useState } from "react";
import { displayToken, snapBrush } from "@statescope/core";
import { GUTTER, TOKEN_H } from "./layout";

interface TokenStripProps {
  tokens: readonly string[];
  /** Global step of tokens[0]. */
  origin: number;
  /** Selected cells on per visible step (active layer), and how many are selected. */
  counts: Uint16Array | null;
  k: number;
  zoom: number;
  width: number;
  brush: [number, number] | null;
  pad: [number, number];
  onBrush: (range: [number, number] | null) => void;
  onPad: (pad: [number, number]) => void;
  marks: readonly [number, number][];
}

const LANE = 18;
const AXIS = 14;

/** Fits a token into `px` pixels of 11px monospace text. */
function fit(tok: string, px: number): string {
  const shown = displayToken(tok);
  const n = Math.floor((px - 4) / 6.6);
  if (n <= 0) return "";
  return shown.length <= n ? shown : shown.slice(0, Math.max(1, n - 1)) + "…";
}

/**
 * The token strip: backgrounds shaded by how many selected cells are on, a brush snapped to
 * whole tokens (drag; a click clears it), and under it the padding lane whose two handles drag
 * the "must be off" padding left and right.
 */
export function TokenStrip(p: TokenStripProps) {
  const { zoom, tokens } = p;
  const drag = useRef<{ x0: number; moved: boolean } | null>(null);
  const padDrag = useRef<{ side: 0 | 1; x0: number; v0: number } | null>(null);
  const [draft, setDraft] = useState<[number, number] | null>(null);
  const n = tokens.length;
  const shown = draft ?? p.brush;
  const height = TOKEN_H + LANE + AXIS;
  // relative to the first token's left edge; measured on the <svg> (a <g>'s box starts at its first child)
  const localX = (e: React.PointerEvent<SVGGElement>) => e.clientX - (e.currentTarget.ownerSVGElement ?? e.currentTarget).getBoundingClientRect().left - GUTTER;
  const labelEvery = Math.max(1, Math.ceil(56 / zoom));
  const firstLabel = Math.ceil(p.origin / labelEvery) * labelEvery;

  return (
    <svg width={p.width} height={height} className="token-strip" data-testid="token-strip">
      <text x={GUTTER - 8} y={TOKEN_H / 2} dy="0.32em" textAnchor="end" className="lane-label">tokens</text>
      <g
        onPointerDown={(e) => {
          e.currentTarget.setPointerCapture(e.pointerId);
          drag.current = { x0: localX(e), moved: false };
        }}
        onPointerMove={(e) => {
          const d = drag.current;
          if (!d) return;
          const x = localX(e);
          if (!d.moved && Math.abs(x - d.x0) < 3) return;
          d.moved = true;
          setDraft(snapBrush(d.x0, x, zoom, n));
        }}
        onPointerUp={(e) => {
          const d = drag.current;
          drag.current = null;
          e.currentTarget.releasePointerCapture(e.pointerId);
          if (!d) return;
          if (d.moved) p.onBrush(snapBrush(d.x0, localX(e), zoom, n));
          else p.onBrush(null);
          setDraft(null);
        }}
        style={{ cursor: "crosshair" }}
      >
        <rect x={GUTTER} y={0} width={Math.max(0, p.width - GUTTER)} height={TOKEN_H} fill="transparent" />
        {tokens.map((tok, i) => {
          const c = p.counts && p.k > 0 ? p.counts[i]! / p.k : 0;
          const inBrush = shown !== null && i >= shown[0] && i < shown[1];
          return (
            <g key={i} transform={`translate(${GUTTER + i * zoom},0)`} data-testid="token" data-step={p.origin + i}>
              <rect width={zoom - 1} height={TOKEN_H} rx={2} className="token-bg" style={{ fillOpacity: 0.07 + 0.75 * c }} />
              {inBrush && <rect width={zoom - 1} height={TOKEN_H} rx={2} className="token-brushed" />}
              <text x={(zoom - 1) / 2} y={TOKEN_H / 2} dy="0.34em" textAnchor="middle" className={c > 0.55 ? "token-text on" : "token-text"}>
                {fit(tok, zoom)}
              </text>
              <title>{`${p.origin + i}: ${JSON.stringify(tok)}${p.k ? ` — ${p.counts?.[i] ?? 0}/${p.k} selected cells on` : ""}`}</title>
            </g>
          );
        })}
        {p.marks.map(([a, b]) => (
          <rect key={`m${a}`} x={GUTTER + a * zoom} y={TOKEN_H - 3} width={(b - a) * zoom - 1} height={3} className="search-mark" pointerEvents="none" />
        ))}
      </g>
      <g transform={`translate(0,${TOKEN_H + 2})`}>
        <text x={GUTTER - 8} y={LANE / 2} dy="0.32em" textAnchor="end" className="lane-label">padding</text>
        {shown && (
          <g data-testid="brush" data-from={p.origin + shown[0]} data-to={p.origin + shown[1]}>
            <rect x={GUTTER + (shown[0] - p.pad[0]) * zoom} y={4} width={p.pad[0] * zoom} height={LANE - 8} className="pad-lane" />
            <rect x={GUTTER + shown[1] * zoom} y={4} width={p.pad[1] * zoom} height={LANE - 8} className="pad-lane" />
            <rect x={GUTTER + shown[0] * zoom} y={3} width={(shown[1] - shown[0]) * zoom - 1} height={LANE - 6} rx={2} className="brush-lane" />
            {([0, 1] as const).map((side) => {
              const x = side === 0 ? GUTTER + (shown[0] - p.pad[0]) * zoom : GUTTER + (shown[1] + p.pad[1]) * zoom;
              return (
                <g
                  key={side}
                  className="pad-handle"
                  data-testid={side === 0 ? "pad-left" : "pad-right"}
                  transform={`translate(${x},0)`}
                  onPointerDown={(e) => {
                    e.stopPropagation();
                    e.currentTarget.setPointerCapture(e.pointerId);
                    padDrag.current = { side, x0: e.clientX, v0: p.pad[side] };
                  }}
                  onPointerMove={(e) => {
                    const d = padDrag.current;
                    if (!d) return;
                    const delta = Math.round((e.clientX - d.x0) / zoom) * (d.side === 0 ? -1 : 1);
                    const v = Math.max(0, Math.min(20, d.v0 + delta));
                    if (v !== p.pad[d.side]) p.onPad(d.side === 0 ? [v, p.pad[1]] : [p.pad[0], v]);
                  }}
                  onPointerUp={(e) => {
                    padDrag.current = null;
                    e.currentTarget.releasePointerCapture(e.pointerId);
                  }}
                >
                  <rect x={-5} y={0} width={10} height={LANE} rx={3} />
                  <line x1={-1.5} x2={-1.5} y1={5} y2={LANE - 5} />
                  <line x1={1.5} x2={1.5} y1={5} y2={LANE - 5} />
                  <title>{side === 0 ? `must be off before: ${p.pad[0]} (drag)` : `must be off after: ${p.pad[1]} (drag)`}</title>
                </g>
              );
            })}
          </g>
        )}
      </g>
      <g transform={`translate(0,${TOKEN_H + LANE + 2})`} className="axis">
        {Array.from({ length: Math.max(0, Math.ceil((p.origin + n - firstLabel) / labelEvery)) }, (_, j) => firstLabel + j * labelEvery).map((s) => (
          <text key={s} x={GUTTER + (s - p.origin + 0.5) * zoom} y={9} textAnchor="middle">{s}</text>
        ))}
      </g>
    </svg>
  );
}
