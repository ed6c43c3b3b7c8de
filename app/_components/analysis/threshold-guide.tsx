"use client";
import { useEffect, useMemo, useState } from "react";
import { gridIndex, gridValue, type ThresholdGrid } from "@statescope/core";
import type { ExplorerView } from "@/app/_components/explorer/slots";
import { useTRPCClient } from "@/app/_lib/trpc";
import type { AnalysisStatus, GuideResult } from "@/server/services/analysis/schemas";
import { AnalysisProgress, fmt, Help, MiniHistogram } from "./analysis-ui";
import { useAnalysis } from "./use-analysis";

type GuideStatus = Extract<AnalysisStatus, { kind: "guide" }>;
interface Query {
  source: string;
  cells: number[];
  brush: [number, number];
  pad: [number, number];
}

/** A selection change waits this long before guidance is asked for (a drag changes it many times). */
const SETTLE_MS = 300;
const MAX_GUIDE_CELLS = 256;

/**
 * Threshold guidance for the current brush and selection: how many cells the selection rule
 * would pick and how many candidate ranges the selection would have at each threshold, how well
 * each threshold separates the brushed range from the rest (with a suggested threshold), and each
 * selected cell's values over the source and in the range. The curves come once per selection;
 * dragging the threshold only moves the marker (a lookup).
 */
export function ThresholdGuide({ workspace, datasetId, view }: { workspace: string; datasetId: string; view: ExplorerView }) {
  const { state, update, selections } = view;
  const client = useTRPCClient();
  const li = view.activeLayer;
  const layer = state.layers[li];
  const cells = selections[li] ?? null;
  const wanted: Query | null = layer && state.brush && cells && cells.length > 0 && cells.length <= MAX_GUIDE_CELLS ? { source: layer.source, cells: [...cells].sort((a, b) => a - b), brush: state.brush, pad: state.pad } : null;
  const wantedKey = JSON.stringify(wanted);
  const [query, setQuery] = useState<Query | null>(null);
  useEffect(() => {
    const t = setTimeout(() => setQuery(wanted), SETTLE_MS);
    return () => clearTimeout(t);
  }, [wantedKey]);
  const run = useAnalysis<GuideStatus>(workspace, ["guide", datasetId, query], query ? () => client.analysis.guide.mutate({ workspace, datasetId, ...query }) as Promise<GuideStatus> : null);
  const result = run.status?.status === "done" ? run.status.result : null;
  if (!layer) return null;
  if (!state.brush || !cells || cells.length === 0) {
    return <p className="muted empty-line" data-testid="guide-empty">Brush a range in the Select view and select cells: guidance then shows which threshold separates the range from the rest, and how many cells and candidate ranges each threshold gives.</p>;
  }
  if (cells.length > MAX_GUIDE_CELLS) return <p className="muted empty-line">Guidance works on at most {MAX_GUIDE_CELLS} selected cells; this selection has {cells.length}.</p>;
  const stale = query !== null && JSON.stringify(query) !== wantedKey;
  return (
    <div className="threshold-guide" data-testid="threshold-guide">
      <AnalysisProgress status={run.status} error={run.error} retry={run.retry} what="Threshold guidance" />
      {result && query && (
        <GuideView
          result={result}
          query={query}
          threshold={layer.threshold}
          stale={stale}
          onUse={(thr) => update((s) => ({ ...s, layers: s.layers.map((l, j) => (j === li ? { ...l, threshold: thr } : l)) }))}
        />
      )}
    </div>
  );
}

function GuideView({ result, query, threshold, stale, onUse }: { result: GuideResult; query: Query; threshold: number; stale: boolean; onUse: (thr: number) => void }) {
  const g = result.grid as ThresholdGrid;
  const j = gridIndex(g, threshold);
  const lo = gridValue(g, 0);
  const hi = gridValue(g, g.count - 1);
  return (
    <div data-testid="guide-result">
      <div className="results-head">
        <span>
          suggested threshold <b className="mono" data-testid="guide-suggested">{result.suggested.toFixed(3)}</b>
        </span>
        <button type="button" className="secondary small" onClick={() => onUse(result.suggested)} disabled={Math.abs(result.suggested - threshold) < 1e-9} data-testid="guide-use">
          Use it
        </button>
        <Help label="How the suggestion and the curves are defined">
          <p>
            <b>Suggested threshold</b>: the ℓ maximising the margin (share of the selected cells’ values inside the brushed range that are on, V ≥ ℓ) − (share of their values
            everywhere else in the source that are on), i.e. how well “the cell is on” tells the range from the rest; where several thresholds tie, the middle of the widest run of them.
          </p>
          <p>
            <b>Cells picked</b>: cells of the source the selection rule picks at ℓ for this brush (on throughout the range, off in the padding). <b>Candidate ranges</b>: runs of two or more steps
            where all {query.cells.length} selected cells are on at ℓ, over the whole source — the candidates a match query starts from.
          </p>
        </Help>
        <span className="spacer" />
        {stale && <span className="stale">the selection changed: updating…</span>}
      </div>
      <p className="guide-readout" data-testid="guide-readout">
        at ℓ = <b className="mono">{threshold.toFixed(3)}</b>: the rule picks <b>{result.picked[j]}</b> cell{result.picked[j] === 1 ? "" : "s"} · <b>{result.candidates[j]!.toLocaleString()}</b> candidate range
        {result.candidates[j] === 1 ? "" : "s"} for the {query.cells.length} selected · margin <b>{fmt(result.margin[j], 2)}</b>
      </p>
      <Curves result={result} lo={lo} hi={hi} threshold={threshold} onPick={onUse} />
      <div className="muted legend guide-legend">
        <span className="key picked" /> cells the rule picks (left axis) <span className="key cand" /> candidate ranges (right axis, log scale) <span className="key margin" /> margin (0–1)
        <span className="key now" /> threshold now <span className="key suggested" /> suggestion · click the curves to set ℓ
      </div>
      <p className="muted guide-cells-note">each selected cell’s values: over the source (grey) and inside the brushed range (blue); the line is ℓ</p>
      <div className="guide-cells">
        {result.cells.slice(0, 24).map((c) => (
          <div key={c.cell} className="guide-cell">
            <span className="mono">{c.cell}</span>
            <MiniHistogram
              counts={[c.overall, c.range]}
              colors={["#9aa3ad", "#2f6fde"]}
              width={110}
              height={26}
              domain={[result.edges[0]!, result.edges.at(-1)!]}
              marker={threshold}
              title={`cell ${c.cell}: values over the source (grey) and in the brushed range (blue), ${fmt(result.edges[0])} to ${fmt(result.edges.at(-1))}; the line is the threshold`}
            />
          </div>
        ))}
        {result.cells.length > 24 && <span className="muted">and {result.cells.length - 24} more cells</span>}
      </div>
    </div>
  );
}

const W = 560;
const H = 110;
const PAD = { l: 34, r: 40, t: 6, b: 18 };

/** Cells picked (blue, left axis), candidate ranges (orange, log scale, right) and the margin (grey) over ℓ. */
function Curves({ result, lo, hi, threshold, onPick }: { result: GuideResult; lo: number; hi: number; threshold: number; onPick: (thr: number) => void }) {
  const n = result.picked.length;
  const x = (i: number) => PAD.l + (i / Math.max(1, n - 1)) * (W - PAD.l - PAD.r);
  const xv = (v: number) => PAD.l + ((v - lo) / (hi - lo || 1)) * (W - PAD.l - PAD.r);
  const maxPicked = Math.max(1, ...result.picked);
  const maxCand = Math.log1p(Math.max(1, ...result.candidates));
  const yPicked = (v: number) => H - PAD.b - (v / maxPicked) * (H - PAD.t - PAD.b);
  const yCand = (v: number) => H - PAD.b - (Math.log1p(v) / maxCand) * (H - PAD.t - PAD.b);
  const yMargin = (v: number) => H - PAD.b - Math.max(0, v) * (H - PAD.t - PAD.b);
  const paths = useMemo(() => {
    const step = (ys: (i: number) => number) => Array.from({ length: n }, (_, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${ys(i).toFixed(1)}`).join("");
    return {
      picked: step((i) => yPicked(result.picked[i]!)),
      cand: step((i) => yCand(result.candidates[i]!)),
      margin: `${step((i) => yMargin(result.margin[i]!))}L${x(n - 1)},${H - PAD.b}L${x(0)},${H - PAD.b}Z`,
    };
  }, [result]);
  const ticks = [lo, (lo + hi) / 2, hi];
  return (
    <svg
      width={W}
      height={H}
      className="guide-curves"
      role="img"
      aria-label="Cells picked, candidate ranges and margin over the threshold"
      data-testid="guide-curves"
      onClick={(e) => {
        // a click sets the threshold under the pointer (to the grid's 3 decimals)
        const f = (e.clientX - e.currentTarget.getBoundingClientRect().left - PAD.l) / (W - PAD.l - PAD.r);
        if (f >= 0 && f <= 1) onPick(Math.round((lo + f * (hi - lo)) * 1000) / 1000);
      }}
    >
      <path d={paths.margin} className="curve-margin" />
      <path d={paths.cand} className="curve-cand" />
      <path d={paths.picked} className="curve-picked" />
      <line x1={xv(result.suggested)} x2={xv(result.suggested)} y1={PAD.t} y2={H - PAD.b} className="curve-suggested" />
      <line x1={xv(threshold)} x2={xv(threshold)} y1={PAD.t} y2={H - PAD.b} className="curve-now" data-testid="guide-marker" />
      <text x={PAD.l - 4} y={PAD.t + 8} textAnchor="end" className="curve-axis picked">{maxPicked}</text>
      <text x={PAD.l - 4} y={H - PAD.b} textAnchor="end" className="curve-axis picked">0</text>
      <text x={W - PAD.r + 4} y={PAD.t + 8} className="curve-axis cand">{Math.max(...result.candidates).toLocaleString()}</text>
      <text x={W - PAD.r + 4} y={H - PAD.b} className="curve-axis cand">0</text>
      {ticks.map((v) => (
        <text key={v} x={xv(v)} y={H - 4} textAnchor="middle" className="curve-axis">{v.toFixed(2)}</text>
      ))}
      <title>blue: cells the rule picks; orange (log scale): candidate ranges; grey: margin (0–1); solid line: the threshold now; dashed: the suggestion</title>
    </svg>
  );
}
