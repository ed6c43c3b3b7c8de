"use client";
import { useState } from "react";
import type { ExplorerView } from "@/app/_components/explorer/slots";
import { useTRPCClient } from "@/app/_lib/trpc";
import type { AnalysisStatus, CompareResult } from "@/server/services/analysis/schemas";
import { AnalysisProgress, fmt, Help } from "./analysis-ui";
import { addCells } from "./selection";
import { useAnalysis } from "./use-analysis";

type CompareStatus = Extract<AnalysisStatus, { kind: "compare" }>;
type PartnersStatus = Extract<AnalysisStatus, { kind: "partners" }>;

/**
 * Compare two sources (e.g. layer 1 vs layer 2): the most correlated cell pairs, and a chosen
 * cell's best partners in the other source, to see where a feature moves between layers.
 */
export function CompareLayers({ workspace, datasetId, view }: { workspace: string; datasetId: string; view: ExplorerView }) {
  const { info, update } = view;
  const client = useTRPCClient();
  const names = info.sources.map((s) => s.name);
  const [a, setA] = useState(names[0] ?? "");
  const [b, setB] = useState(names.find((n) => n !== names[0] && /states|^c/.test(n)) ?? names[1] ?? names[0] ?? "");
  const [query, setQuery] = useState<{ sourceA: string; sourceB: string } | null>(null);
  const [focus, setFocus] = useState<{ source: string; cell: number; other: string } | null>(null);
  const run = useAnalysis<CompareStatus>(workspace, ["compare", datasetId, query], query ? () => client.analysis.compare.mutate({ workspace, datasetId, ...query, top: 50 }) as Promise<CompareStatus> : null);
  const partners = useAnalysis<PartnersStatus>(workspace, ["partners", datasetId, focus], focus ? () => client.analysis.partners.mutate({ workspace, datasetId, ...focus }) as Promise<PartnersStatus> : null);
  const result = run.status?.status === "done" ? run.status.result : null;
  const select = (source: string, cell: number) => update((s) => addCells(s, source, [cell]));
  if (names.length === 0) return null;
  return (
    <div className="compare-layers" data-testid="compare-layers">
      <form
        className="analysis-form"
        onSubmit={(e) => {
          e.preventDefault();
          setFocus(null);
          setQuery({ sourceA: a, sourceB: b });
        }}
      >
        <label className="inline">
          compare
          <select value={a} onChange={(e) => setA(e.target.value)} aria-label="First source">
            {names.map((n) => (
              <option key={n} value={n}>{n}</option>
            ))}
          </select>
        </label>
        <label className="inline">
          with
          <select value={b} onChange={(e) => setB(e.target.value)} aria-label="Second source">
            {names.map((n) => (
              <option key={n} value={n}>{n}</option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={run.loading} data-testid="compare-run">
          Find correlated pairs
        </button>
        <Help label="How the comparison works">
          <p>
            Pearson r of the values the explorer shows, over all steps. All pairs over all steps would be D_A × D_B × T multiply-adds, so every pair is first ranked on a sample of steps (one
            random step from each of n equal stretches of the source), then the leading pairs are recomputed exactly until no pair left out could, within the sample’s error, enter the top list.
            The numbers shown are exact; the sample size and its observed error are stated with the results.
          </p>
          <p>Click a cell to see its best partners in the other source (exact r with every cell), and select it for matching.</p>
        </Help>
      </form>
      <AnalysisProgress status={run.status} error={run.error} retry={run.retry} what="The comparison" />
      {!query && <p className="muted empty-line">Pick two sources (the same one finds correlated cells within it) to list the most correlated cell pairs.</p>}
      {result && <Pairs result={result} onFocus={(source, cell, other) => setFocus({ source, cell, other })} focus={focus} />}
      {focus && (
        <div className="partners" data-testid="partners">
          <AnalysisProgress status={partners.status} error={partners.error} retry={partners.retry} what="Partners" />
          {partners.status?.status === "done" && partners.status.result && (
            <>
              <div className="results-head">
                <span>
                  best partners of <b>{focus.source}</b> cell <b className="mono">{focus.cell}</b> in <b>{focus.other}</b>
                </span>
                <button type="button" className="secondary small" onClick={() => select(focus.source, focus.cell)}>
                  select cell {focus.cell}
                </button>
              </div>
              <table className="analysis-table">
                <thead>
                  <tr>
                    <th>cell</th>
                    <th>r</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {partners.status.result.partners.slice(0, 10).map((p) => (
                    <tr key={p.cell}>
                      <td className="mono">{p.cell}</td>
                      <td className="mono">{fmt(p.r)}</td>
                      <td>
                        <button type="button" className="secondary small" onClick={() => select(focus.other, p.cell)} aria-label={`Select cell ${p.cell} of ${focus.other}`}>
                          + select
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </div>
      )}
    </div>
  );
}

function Pairs({ result, onFocus, focus }: { result: CompareResult; onFocus: (source: string, cell: number, other: string) => void; focus: { source: string; cell: number } | null }) {
  const cellButton = (source: string, cell: number, other: string) => (
    <button type="button" className={`chip-btn${focus?.source === source && focus.cell === cell ? " on" : ""}`} onClick={() => onFocus(source, cell, other)} title={`Best partners of ${source} cell ${cell} in ${other}`}>
      {cell}
    </button>
  );
  return (
    <div className="analysis-results" data-testid="compare-results">
      <p className="muted">
        ranked on a sample of {result.sampleSteps.toLocaleString()} steps (largest sample error seen {fmt(result.maxError, 4)}, mean {fmt(result.meanError, 4)}); {result.exactPairs.toLocaleString()} leading pairs
        recomputed exactly over all steps{result.truncated ? " — stopped at the recomputation limit: pairs near the bottom of the list may be missing" : ""}.
      </p>
      <table className="analysis-table">
        <thead>
          <tr>
            <th>#</th>
            <th>{result.sourceA}</th>
            <th>{result.sourceB}</th>
            <th>r (exact)</th>
            <th>r (sample)</th>
          </tr>
        </thead>
        <tbody>
          {result.pairs.slice(0, 25).map((p, i) => (
            <tr key={`${p.a}-${p.b}`}>
              <td className="muted">{i + 1}</td>
              <td>{cellButton(result.sourceA, p.a, result.sourceB)}</td>
              <td>{cellButton(result.sourceB, p.b, result.sourceA)}</td>
              <td className="mono">{fmt(p.r)}</td>
              <td className="mono muted">{fmt(p.sampleR)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
