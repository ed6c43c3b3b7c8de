"use client";
import { memo } from "react";
import { scalarColor, textColorOn } from "@statescope/core";
import { discreteColor, type TrackInfo, type TrackWindow } from "./data-source";
import { GUTTER } from "./layout";
import { ScaleLegend } from "./scale-legend";

const ROW = 18;
const WORD = 12;

export function trackHeight(t: TrackInfo): number {
  return t.kind === "wordvec" ? Math.min(5, t.width) * WORD + 4 : ROW + 4;
}

/** The colour scale of a scalar track: its range (declared, else its real min/max); [0, 1] when it has none. */
export function scalarRange(t: TrackInfo): [number, number] {
  return t.range ?? [0, 1];
}

export function trackLabel(t: TrackInfo, id: number): string {
  return t.labels?.get(id) ?? String(id);
}

/** Gutter room for a track's name, and the width of one character of its label. */
const NAME_PX = GUTTER - 8;
const NAME_CHAR_PX = 6.2;
/** Names up to this long are squeezed into the gutter whole; longer ones are cut (the tooltip has them). */
const NAME_MAX = 15;

/** A track's name in the gutter: whole (squeezed when long), cut only past NAME_MAX characters. */
function TrackName({ info }: { info: TrackInfo }) {
  const shown = info.name.length <= NAME_MAX ? info.name : info.name.slice(0, NAME_MAX - 1) + "…";
  const squeeze = shown.length * NAME_CHAR_PX > NAME_PX;
  return (
    <text x={GUTTER - 6} y={9} dy="0.32em" textAnchor="end" className="lane-label track-name" {...(squeeze ? { textLength: NAME_PX, lengthAdjust: "spacingAndGlyphs" } : {})}>
      {shown}
      <title>{`${info.name} (${info.kind})`}</title>
    </text>
  );
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
  const scalars = p.tracks.filter((t) => t.info.kind === "scalar");
  return (
    <>
      <svg width={p.width} height={yAt} className="meta-tracks" data-testid="meta-tracks">
        {rows.map(({ info, data, y }) => (
          <g key={info.name} transform={`translate(0,${y})`} data-testid={`track-${info.name}`}>
            <TrackName info={info} />
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
                  const bg = discreteColor(info, id);
                  return (
                    <g key={i} opacity={opacity(i)} transform={`translate(${x},1)`}>
                      <rect width={p.zoom - 1} height={ROW} rx={2} fill={bg} />
                      {chars > 0 && (
                        <text x={(p.zoom - 1) / 2} y={ROW / 2} dy="0.34em" textAnchor="middle" className="track-text" style={{ fill: textColorOn(bg) }}>
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
                    <rect key={i} opacity={opacity(i)} x={x} y={1} width={p.zoom - 1} height={ROW} fill={scalarColor(v, scalarRange(info))}>
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
      {scalars.length > 0 && (
        <div className="track-legends" data-testid="track-legends">
          {scalars.map(({ info }) => (
            <ScaleLegend key={info.name} name={info.name} range={scalarRange(info)} color={(v) => scalarColor(v, scalarRange(info))} />
          ))}
        </div>
      )}
    </>
  );
});
