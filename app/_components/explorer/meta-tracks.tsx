"use client";
import { memo } from "react";
import { scalarColor } from "@statescope/core";
import { discreteColor, type TrackInfo, type TrackWindow } from "./data-source";
import { GUTTER } from "./layout";

const ROW = 18;
const WORD = 12;

export function trackHeight(t: TrackInfo): number {
  return t.kind === "wordvec" ? Math.min(5, t.width) * WORD + 4 : ROW + 4;
}

/** Sequential colour for scalars (light → dark teal), shared with the figures. */
export { scalarColor } from "@statescope/core";

export function trackLabel(t: TrackInfo, id: number): string {
  return t.labels?.get(id) ?? String(id);
}

/**
 * Meta tracks under the tokens: discrete (coloured labelled boxes, the shared categorical
 * palette), wordvec (up to 5 stacked words shaded by score), scalar (a heat strip). With `mask`,
 * steps where the selected cells are off fade out.
 */
export const MetaTracks = memo(function MetaTracks(p: {
  tracks: readonly { info: TrackInfo; data: TrackWindow | undefined }[];
  origin: number;
  steps: number;
  zoom: number;
  width: number;
  counts: Uint16Array | null;
  k: number;
  mask: boolean;
}) {
  if (p.tracks.length === 0) return null;
  let yAt = 0;
  const rows = p.tracks.map((t) => {
    const y = yAt;
    yAt += trackHeight(t.info);
    return { ...t, y };
  });
  const opacity = (i: number) => (p.mask && p.counts && p.k > 0 ? 0.12 + 0.88 * (p.counts[i]! / p.k) : 1);
  return (
    <svg width={p.width} height={yAt} className="meta-tracks" data-testid="meta-tracks">
      {rows.map(({ info, data, y }) => (
        <g key={info.name} transform={`translate(0,${y})`} data-testid={`track-${info.name}`}>
          <text x={GUTTER - 8} y={9} dy="0.32em" textAnchor="end" className="lane-label">
            {info.name.length > 9 ? info.name.slice(0, 8) + "…" : info.name}
            <title>{`${info.name} (${info.kind})`}</title>
          </text>
          {!data && <text x={GUTTER + 4} y={9} dy="0.32em" className="lane-label">loading…</text>}
          {data &&
            Array.from({ length: p.steps }, (_, i) => {
              const t = p.origin + i;
              const j = t - data.from;
              if (j < 0 || t >= data.to) return null;
              const x = GUTTER + i * p.zoom;
              if (info.kind === "discrete") {
                const id = Number(data.values[j * data.width]);
                // a value labelled "" is "no label" (e.g. the annotations track between labels)
                if (info.labels?.get(id) === "") return null;
                const label = trackLabel(info, id);
                const chars = Math.floor((p.zoom - 4) / 6);
                return (
                  <g key={i} opacity={opacity(i)} transform={`translate(${x},1)`}>
                    <rect width={p.zoom - 1} height={ROW} rx={2} fill={discreteColor(info, id)} />
                    {chars > 0 && (
                      <text x={(p.zoom - 1) / 2} y={ROW / 2} dy="0.34em" textAnchor="middle" className="track-text">
                        {label.length <= chars ? label : label.slice(0, Math.max(1, chars - 1)) + "…"}
                      </text>
                    )}
                    <title>{`${info.name} @ ${t}: ${label}`}</title>
                  </g>
                );
              }
              if (info.kind === "scalar") {
                const v = Number(data.values[j * data.width]);
                return (
                  <rect key={i} opacity={opacity(i)} x={x} y={1} width={p.zoom - 1} height={ROW} fill={scalarColor(v, info.range ?? [0, 1])}>
                    <title>{`${info.name} @ ${t}: ${v.toPrecision(3)}`}</title>
                  </rect>
                );
              }
              const k = Math.min(5, data.width);
              const chars = Math.floor((p.zoom - 2) / 5.6);
              return (
                <g key={i} opacity={opacity(i)} transform={`translate(${x},1)`}>
                  {Array.from({ length: k }, (_, r) => {
                    const id = Number(data.values[j * data.width + r]);
                    const w = data.weights ? Number(data.weights[j * data.width + r]) : 1 - r / k;
                    const label = data.words?.get(id) ?? trackLabel(info, id);
                    return (
                      <g key={r} transform={`translate(0,${r * WORD})`}>
                        <rect width={p.zoom - 1} height={WORD - 1} fill="#6d4bb3" fillOpacity={Math.max(0.05, Math.min(1, w)) * 0.55} />
                        {chars > 0 && (
                          <text x={(p.zoom - 1) / 2} y={WORD / 2} dy="0.3em" textAnchor="middle" className="wordvec-text">
                            {label.length <= chars ? label : label.slice(0, Math.max(1, chars - 1)) + "…"}
                          </text>
                        )}
                        <title>{`${info.name} @ ${t} #${r + 1}: ${label} (${w.toFixed(3)})`}</title>
                      </g>
                    );
                  })}
                </g>
              );
            })}
        </g>
      ))}
    </svg>
  );
});
