"use client";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { categoricalColor, labelName } from "@statescope/core";
import type { MatchRun } from "@/app/_components/explorer/slots";
import { errorMessage, useTRPC, useTRPCClient } from "@/app/_lib/trpc";
import type { Evidence } from "@/server/services/analysis/schemas";
import { download, fmt, Help } from "./analysis-ui";

type Client = ReturnType<typeof useTRPCClient>;

/** The evidence of a run on a track, as a React Query query (the view and the CSV export share it). */
export function evidenceQuery(client: Client, workspace: string, datasetId: string, run: MatchRun, track: string) {
  const ranges = run.results.map((r) => ({ pos: r.pos, length: r.length }));
  return {
    queryKey: ["analysis", workspace, "evidence", datasetId, run.input.source, track, ranges],
    // a POST: up to K = 500 ranges do not fit a GET's URL
    queryFn: (): Promise<Evidence> => client.analysis.evidence.mutate({ workspace, datasetId, source: run.input.source, track, ranges }),
    staleTime: Infinity,
    retry: false,
  } as const;
}

/**
 * Evidence for a match (from cells to a track), beside the results' heatmaps: per label, the
 * share of the matched steps that carry it against its base rate over the source, and the lift;
 * for a scalar track, the mean inside the matches against the mean overall, with both
 * distributions. `onTrack` tells the CSV export which track is shown.
 */
export function MatchEvidence({ workspace, datasetId, run, onTrack }: { workspace: string; datasetId: string; run: MatchRun; onTrack: (track: string | null) => void }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const info = useQuery({ ...trpc.dataset.get.queryOptions({ workspace, datasetId }), staleTime: 60_000 });
  const tracks = (info.data?.metaTracks ?? []).filter((t) => t.kind !== "wordvec");
  const [chosen, setChosen] = useState<string | null>(null);
  const track = chosen !== null && tracks.some((t) => t.name === chosen) ? chosen : (tracks.find((t) => t.kind === "discrete")?.name ?? tracks[0]?.name ?? null);
  const shown = run.results.length > 0 ? track : null;
  // a block body: an effect's return value is its cleanup, and onTrack's is not one
  useEffect(() => {
    onTrack(shown);
  }, [shown, onTrack]);
  const q = useQuery({ ...evidenceQuery(client, workspace, datasetId, run, track ?? ""), enabled: track !== null && run.results.length > 0 });
  if (tracks.length === 0 || run.results.length === 0) return null;
  const e = q.data;
  const labelColor = (label: string) => {
    const l = tracks.find((t) => t.name === track)?.labels?.find((x) => labelName(x.label) === label);
    return l ? (l.color ?? categoricalColor(l.id)) : "#9aa3ad";
  };
  return (
    <div className="match-evidence" data-testid="match-evidence">
      <div className="hm-title">evidence</div>
      <div className="evidence-head">
        <label className="inline">
          on
          <select value={track ?? ""} onChange={(ev) => setChosen(ev.target.value)} aria-label="Track for the evidence">
            {tracks.map((t) => (
              <option key={t.name} value={t.name}>{t.name}</option>
            ))}
          </select>
        </label>
        <Help label="How the evidence is defined">
          <p>
            <b>Matched steps</b>: the union of the returned results’ ranges (the top K of this query, K = {run.input.k}), each step counted once.
          </p>
          <p>
            <b>Share</b>: matched steps carrying the label ÷ matched steps where the track has a value. <b>Base</b>: steps carrying the label ÷ steps of the source where the track has a value.
            <b> Lift</b> = share ÷ base: above 1 the label is over-represented in the matches.
          </p>
          <p>For a scalar track: the mean over the matched steps against the mean over the source, and both distributions (one bar per value for small integer tracks).</p>
        </Help>
        {e && (
          <button
            type="button"
            className="secondary small"
            data-testid="export-json"
            onClick={() => download(`${(info.data?.name ?? datasetId).replace(/[^\w.-]+/g, "_")}-matches.json`, "application/json", JSON.stringify({ query: run.input, results: run.results, evidence: e }, null, 2))}
          >
            JSON
          </button>
        )}
      </div>
      {e && <p className="muted evidence-note">{e.matchedSteps.toLocaleString()} matched steps (the union of the {run.results.length} results’ ranges)</p>}
      {q.isError && <div className="error" role="alert">Evidence failed: {errorMessage(q.error)}</div>}
      {q.isFetching && !e && <p className="muted evidence-note">Counting the matched steps on {track}…</p>}
      {e?.kind === "discrete" && <LabelTable e={e} colorOf={labelColor} />}
      {e?.kind === "scalar" && <ScalarView e={e} />}
    </div>
  );
}

function LabelTable({ e, colorOf }: { e: Extract<Evidence, { kind: "discrete" }>; colorOf: (label: string) => string }) {
  const max = Math.max(1e-9, ...e.labels.flatMap((l) => [l.share ?? 0, l.base ?? 0]));
  const bar = (v: number | null, cls: string) => <span className={`ev-bar ${cls}`} style={{ width: `${((v ?? 0) / max) * 48}px` }} />;
  return (
    <table className="analysis-table evidence-table" data-testid="evidence-table">
      <thead>
        <tr>
          <th>label</th>
          <th>share of matched</th>
          <th>base rate</th>
          <th>lift</th>
        </tr>
      </thead>
      <tbody>
        {e.labels.map((l) => (
          <tr key={l.label} data-testid={`evidence-${l.label}`}>
            <td>
              <span className="swatch" style={{ background: colorOf(l.label) }} /> {l.label}
            </td>
            <td>
              <span className="ev-cell">{bar(l.share, "share")}<span className="mono">{fmt(l.share)}</span></span>
            </td>
            <td>
              <span className="ev-cell">{bar(l.base, "base")}<span className="mono">{fmt(l.base)}</span></span>
            </td>
            <td className={`mono lift${(l.lift ?? 1) >= 1.5 ? " high" : (l.lift ?? 1) <= 0.67 ? " low" : ""}`}>{l.lift === null ? "–" : `${l.lift.toFixed(2)}×`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ScalarView({ e }: { e: Extract<Evidence, { kind: "scalar" }> }) {
  const h = e.histogram;
  const mTotal = h.matched.reduce((a, b) => a + b, 0) || 1;
  const oTotal = h.overall.reduce((a, b) => a + b, 0) || 1;
  const shares = h.matched.map((m, i) => ({ m: m / mTotal, o: h.overall[i]! / oTotal }));
  const max = Math.max(1e-9, ...shares.flatMap((s) => [s.m, s.o]));
  const integers = h.edges.length > 1 && h.edges[1]! - h.edges[0]! === 1;
  const W = 300;
  const bw = W / Math.max(1, shares.length);
  const tickEvery = Math.max(1, Math.ceil(shares.length / 12));
  return (
    <div className="scalar-evidence" data-testid="evidence-scalar">
      <p>
        mean <b className="mono">{fmt(e.mean)}</b> inside the matches vs <b className="mono">{fmt(e.baseMean)}</b> over the source
        {e.matchedDefined < e.matchedSteps && <span className="muted"> ({(e.matchedSteps - e.matchedDefined).toLocaleString()} matched steps without a value)</span>}
      </p>
      <svg width={W} height={86} role="img" aria-label={`Distribution of ${e.track}: matched steps vs the source`}>
        {shares.map((s, i) => {
          const lift = s.o > 0 ? s.m / s.o : null;
          const label = integers ? String(h.edges[i]! + 0.5) : `${fmt(h.edges[i], 2)}–${fmt(h.edges[i + 1], 2)}`;
          return (
            <g key={i} transform={`translate(${i * bw},0)`}>
              <rect x={1} y={62 - (s.o / max) * 56} width={bw / 2 - 1} height={(s.o / max) * 56} className="ev-base" />
              <rect x={bw / 2} y={62 - (s.m / max) * 56} width={bw / 2 - 1} height={(s.m / max) * 56} className="ev-share" />
              {integers && i % tickEvery === 0 && (
                <text x={bw / 2} y={76} textAnchor="middle" className="ev-tick">
                  {label}
                </text>
              )}
              <title>{`${e.track} ${label}: ${(s.m * 100).toFixed(1)} % of the matched steps, ${(s.o * 100).toFixed(1)} % of the source${lift !== null ? `, lift ${lift.toFixed(2)}×` : ""}`}</title>
            </g>
          );
        })}
        {/* a continuous track: its range at the ends and the middle, not a label per bin */}
        {!integers &&
          ([0, 0.5, 1] as const).map((f) => (
            <text key={f} x={f * W} y={76} textAnchor={f === 0 ? "start" : f === 1 ? "end" : "middle"} className="ev-tick">
              {fmt(h.edges[0]! + f * (h.edges.at(-1)! - h.edges[0]!), 2)}
            </text>
          ))}
      </svg>
      <div className="muted legend">
        <span>
          <span className="swatch ev-base-sw" /> source
        </span>
        <span>
          <span className="swatch ev-share-sw" /> matched steps
        </span>
        <span>· hover a bar for its lift</span>
      </div>
    </div>
  );
}
