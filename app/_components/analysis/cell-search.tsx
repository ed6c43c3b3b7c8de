"use client";
import { useState } from "react";
import { categoricalColor, labelName } from "@statescope/core";
import type { ExplorerView } from "@/app/_components/explorer/slots";
import { useTRPCClient } from "@/app/_lib/trpc";
import type { AnalysisStatus, CellSearchResult } from "@/server/services/analysis/schemas";
import { AnalysisProgress, fmt, Help, MiniHistogram } from "./analysis-ui";
import { addCells } from "./selection";
import { useAnalysis } from "./use-analysis";

type CellsStatus = Extract<AnalysisStatus, { kind: "cells" }>;
interface Query {
  source: string;
  track: string;
  label: string | null;
}

const SHOWN = 20;

/**
 * Cell search (from a track to cells): rank every cell of a source by its association with a
 * track — one label against the rest (AUC, point-biserial r) or a scalar (Pearson r, Spearman ρ) —
 * and add the strongest cells to the selection in one click.
 */
export function CellSearch({ workspace, datasetId, view }: { workspace: string; datasetId: string; view: ExplorerView }) {
  const { info, state, update } = view;
  const client = useTRPCClient();
  const tracks = info.tracks.filter((t) => t.kind !== "wordvec");
  const active = state.layers[view.activeLayer];
  const [source, setSource] = useState(active?.source ?? info.sources[0]?.name ?? "");
  const [track, setTrack] = useState(tracks.find((t) => t.kind === "discrete")?.name ?? tracks[0]?.name ?? "");
  const tr = tracks.find((t) => t.name === track);
  const labels = tr?.kind === "discrete" && tr.labels ? [...tr.labels.values()].map(labelName) : [];
  const [label, setLabel] = useState<string | null>(null);
  const chosenLabel = tr?.kind === "discrete" ? (label !== null && labels.includes(label) ? label : (labels.find((l) => l !== "(none)") ?? null)) : null;
  const [query, setQuery] = useState<Query | null>(null);
  const [topK, setTopK] = useState(5);
  const [all, setAll] = useState(false);
  const run = useAnalysis<CellsStatus>(
    workspace,
    ["cells", datasetId, query],
    query ? () => client.analysis.cells.mutate({ workspace, datasetId, ...query }) as Promise<CellsStatus> : null,
  );
  const result = run.status?.status === "done" ? run.status.result : null;

  if (tracks.length === 0) {
    return <p className="muted empty-line">This dataset has no discrete or scalar track to search against. Import one with the states, or annotate ranges (the members’ “annotations” track).</p>;
  }
  const add = (cells: number[]) => result && update((s) => addCells(s, query!.source, cells));
  return (
    <div className="cell-search" data-testid="cell-search">
      <form
        className="analysis-form"
        onSubmit={(e) => {
          e.preventDefault();
          setAll(false);
          setQuery({ source, track, label: chosenLabel });
        }}
      >
        <label className="inline">
          source
          <select value={source} onChange={(e) => setSource(e.target.value)} aria-label="Source to search">
            {info.sources.map((s) => (
              <option key={s.name} value={s.name}>{s.name}</option>
            ))}
          </select>
        </label>
        <label className="inline">
          track
          <select value={track} onChange={(e) => setTrack(e.target.value)} aria-label="Track to search against">
            {tracks.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name} ({t.kind})
              </option>
            ))}
          </select>
        </label>
        {tr?.kind === "discrete" && (
          <label className="inline">
            label
            <select value={chosenLabel ?? ""} onChange={(e) => setLabel(e.target.value)} aria-label="Label against the rest">
              {labels.map((l) => (
                <option key={l} value={l}>{l}</option>
              ))}
            </select>
          </label>
        )}
        <button type="submit" disabled={run.loading} data-testid="cell-search-run">
          Search cells
        </button>
        <Help label="How cell search scores cells">
          <p>
            Every cell of the source is scored on the values the explorer shows (the source’s transform). Against a <b>label</b>: ROC AUC of the cell’s value for “label” vs “not label” (the
            Mann–Whitney statistic, ties counted ½; 0.5 = no association, 1 = the label always has higher values, 0 = lower) and the point-biserial correlation. Cells are ranked by |AUC − 0.5|.
          </p>
          <p>Against a <b>scalar</b>: Pearson r and Spearman ρ (rank correlation, ties averaged), ranked by |r|.</p>
          <p>Steps where the track has no value (NaN, or a value without a label) are left out and counted. Results are kept per source, track and label.</p>
        </Help>
      </form>
      <AnalysisProgress status={run.status} error={run.error} retry={run.retry} what="Cell search" />
      {!query && <p className="muted empty-line">Pick a track (and a label), then search: every cell is ranked by how strongly it goes with it.</p>}
      {result && <Results result={result} shown={all ? result.cells.length : SHOWN} topK={topK} setTopK={setTopK} add={add} selected={new Set(view.selections[state.layers.findIndex((l) => l.source === query!.source)] ?? [])} onAll={() => setAll(true)} />}
    </div>
  );
}

function Results({ result, shown, topK, setTopK, add, selected, onAll }: {
  result: CellSearchResult;
  shown: number;
  topK: number;
  setTopK: (k: number) => void;
  add: (cells: number[]) => void;
  selected: Set<number>;
  onAll: () => void;
}) {
  const discrete = result.kind === "discrete";
  const hist = new Map(result.histograms.map((h) => [h.cell, h]));
  // a match wants cells that are on (V ≥ ℓ) with the feature: the strongest of those that rise with it
  const rising = result.cells.filter((c) => (discrete ? (c.auc ?? 0.5) > 0.5 : (c.r ?? 0) > 0));
  const what = discrete ? `${result.label}` : `${result.track}`;
  const labelColors = (result.labels ?? []).map((l) => (l === result.label ? "#2f6fde" : "#9aa3ad"));
  // the searched label drawn last, over the others
  const order = (result.labels ?? []).map((_, i) => i).sort((a, b) => Number(result.labels![a] === result.label) - Number(result.labels![b] === result.label));
  return (
    <div className="analysis-results" data-testid="cell-search-results">
      <div className="results-head">
        <span>
          {discrete ? (
            <>
              cells by association with <b>{result.track}</b> = <b>{result.label}</b> vs the rest · {result.positives?.toLocaleString()} vs {result.negatives?.toLocaleString()} steps
            </>
          ) : (
            <>
              cells by correlation with <b>{result.track}</b> · {result.steps.toLocaleString()} steps
            </>
          )}
          {result.excluded > 0 && <span className="muted"> · {result.excluded.toLocaleString()} steps without a value left out</span>}
        </span>
        <span className="spacer" />
        <label className="inline">
          the strongest
          <input type="number" className="w-small" min={1} max={50} value={topK} onChange={(e) => setTopK(Math.max(1, Math.min(50, Math.floor(Number(e.target.value) || 1))))} aria-label="How many top cells to add" />
          <span title={`cells whose values are higher with ${what} (${discrete ? "AUC > 0.5" : "r > 0"}): a match looks for cells that are on together`}>rising with {what}</span>
        </label>
        <button type="button" className="secondary small" disabled={rising.length === 0} onClick={() => add(rising.slice(0, topK).map((c) => c.cell))} data-testid="cell-search-add-top">
          Add to selection
        </button>
      </div>
      <table className="analysis-table">
        <thead>
          <tr>
            <th>#</th>
            <th>cell</th>
            <th>{discrete ? "AUC" : "Pearson r"}</th>
            <th>{discrete ? "point-biserial r" : "Spearman ρ"}</th>
            <th>{discrete ? `values: ${result.label} (blue) vs each other label` : `values, with the mean ${result.track} per bin`}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {result.cells.slice(0, shown).map((c, i) => {
            const h = hist.get(c.cell);
            const main = discrete ? c.auc : c.r;
            return (
              <tr key={c.cell} data-testid={`cell-search-row-${c.cell}`}>
                <td className="muted">{i + 1}</td>
                <td className="mono">{c.cell}</td>
                <td>
                  <Strength value={main ?? null} center={discrete ? 0.5 : 0} />
                </td>
                <td className="mono">{fmt(discrete ? c.pointBiserial : c.rho)}</td>
                <td>
                  {h && discrete && (
                    <MiniHistogram counts={order.map((j) => h.counts[j]!)} colors={order.map((j) => labelColors[j]!)} title={`cell ${c.cell}: value distribution per label (${(result.labels ?? []).join(", ")}), ${fmt(h.edges[0])} to ${fmt(h.edges.at(-1))}`} />
                  )}
                  {h && !discrete && <ResponseCurve counts={h.counts[0]!} means={h.trackMean ?? []} title={`cell ${c.cell}: values ${fmt(h.edges[0])} to ${fmt(h.edges.at(-1))}; line: mean ${result.track} per bin`} />}
                </td>
                <td>
                  <button type="button" className="secondary small" disabled={selected.has(c.cell)} onClick={() => add([c.cell])} aria-label={`Add cell ${c.cell} to the selection`}>
                    {selected.has(c.cell) ? "selected" : "+ add"}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {shown < result.cells.length && (
        <button type="button" className="linkish" onClick={onAll}>
          show all {result.cells.length} cells
        </button>
      )}
    </div>
  );
}

/** The statistic with a bar from its neutral value (0.5 for AUC, 0 for r). */
function Strength({ value, center }: { value: number | null; center: number }) {
  if (value === null) return <span className="muted">–</span>;
  const d = value - center;
  const w = Math.min(1, Math.abs(d) / (center === 0.5 ? 0.5 : 1)) * 40;
  return (
    <span className="strength">
      <svg width={84} height={10} aria-hidden>
        <line x1={42} x2={42} y1={0} y2={10} className="strength-axis" />
        <rect x={d >= 0 ? 42 : 42 - w} y={2} width={w} height={6} fill={d >= 0 ? categoricalColor(1) : categoricalColor(2)} />
      </svg>
      <span className="mono">{fmt(value)}</span>
    </span>
  );
}

/** A cell's value histogram (bars) with the track's mean per bin (line). */
function ResponseCurve({ counts, means, title }: { counts: number[]; means: (number | null)[]; title: string }) {
  const W = 120;
  const H = 28;
  const w = W / counts.length;
  const defined = means.filter((m): m is number => m !== null);
  const lo = Math.min(...defined);
  const hi = Math.max(...defined);
  const y = (m: number) => H - 2 - ((m - lo) / (hi - lo || 1)) * (H - 4);
  const path = means.map((m, b) => (m === null ? "" : `${b === 0 || means[b - 1] === null ? "M" : "L"}${(b + 0.5) * w},${y(m)}`)).join("");
  return (
    <span className="response" title={title}>
      <MiniHistogram counts={[counts]} colors={["#c9d3e0"]} width={W} height={H} />
      <svg width={W} height={H} className="response-line" aria-hidden>
        <path d={path} />
      </svg>
    </span>
  );
}
