"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { memo, startTransition, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type MouseEvent, type PointerEvent, type ReactNode } from "react";
import {
  countColor,
  DEFAULT_K,
  displayToken,
  encodeViewState,
  fitToken,
  HEATMAP_W,
  MATCH_DEFAULTS,
  MATCH_ROW_H,
  MATCH_TOKEN_COLUMNS,
  matchResultsCsv,
  rawCutoff,
  resultRows,
  scalarColor,
  scalarScale,
  textColorOn,
  tokenColumns,
  windowStartFor,
  type ExplorerViewState,
  type StateMatrix,
} from "@statescope/core";
import { useAfterFirstWindow } from "@/app/_lib/after-first-window";
import { errorMessage } from "@/app/_lib/trpc";
import { discreteColor, type DatasetInfo, type ExplorerData, type MatchInput, type MatchRow, type TrackInfo, type TrackWindow } from "./data-source";
import { scalarRange, trackLabel } from "./meta-tracks";
import { ScaleLegend } from "./scale-legend";
import type { ExplorerSlots, Update } from "./slots";
import { TokenGrid, warmTokenGrid, type TokenCell } from "./token-grid";
import { LengthHistogram } from "./length-histogram";
import { cancelIdle, useAfterPaint, whenIdle } from "./after-paint";
import { heatmapTracks, rowsQuery, startMatch, useMatch } from "./use-match";

// the Match view's geometry, shared with the figure renderer (packages/core/src/figures/layout.ts)
const ROW_H = MATCH_ROW_H;
const HM_W = HEATMAP_W;
const TOKEN_COLUMNS = MATCH_TOKEN_COLUMNS;
/** Length histogram bars shown (22 px each, within 900 px). */
const HIST_BARS = 40;

/** Results whose top is this far (px) above the viewport's bottom edge or higher are in view: a click's results are not scrolled to then. */
const REVEAL_MARGIN = 120;

interface RowData {
  start: number;
  tokens: string[] | undefined;
  states: StateMatrix | undefined;
  tracks: (TrackWindow | undefined)[];
}

/**
 * The Match view: runs the query (fast/precise) on the selection of one layer and shows the top
 * results aligned at their start (or end), the "match count" heatmap and one per discrete/scalar
 * track, the length histogram whose bars re-run with that exact length, and per-cell drill-down.
 */
export function MatchView({
  data,
  info,
  state,
  update,
  selections,
  selectLink,
  aside,
  exportMore,
}: {
  data: ExplorerData;
  info: DatasetInfo;
  state: ExplorerViewState;
  update: Update;
  selections: readonly (number[] | null)[];
  selectLink: (q: string) => string;
  /** Drawn beside the results' heatmaps (the explorer's `matchAside` slot). */
  aside?: ExplorerSlots["matchAside"];
  exportMore?: ExplorerSlots["matchExport"];
}) {
  const li = Math.min(state.match.layer, state.layers.length - 1);
  const layer = state.layers[li]!;
  const source = info.sources.find((s) => s.name === layer.source);
  const sel = selections[li] ?? null;
  const m = state.match;
  const [input, setInput] = useState<MatchInput | null>(null);
  // a run's mode and length, until they are in the URL state (written after its results are drawn)
  const [ran, setRan] = useState<{ mode: "fast" | "precise"; length: number } | null>(null);
  const current: MatchInput | null =
    sel && sel.length > 0 && source
      ? {
          source: layer.source,
          cells: sel,
          threshold: layer.threshold,
          padLeft: state.pad[0],
          padRight: state.pad[1],
          mode: ran?.mode ?? m.mode,
          length: ran?.length ?? m.length,
          k: DEFAULT_K,
          // the counts context of each result, the heatmap's fallback until the result's states load
          before: MATCH_DEFAULTS.before,
          after: MATCH_DEFAULTS.after,
        }
      : null;
  const qc = useQueryClient();
  // the result grid's fonts are looked up, and the grid's and the heatmaps' drawing code first
  // run, while the page is idle after its first window (not in the page's start,
  // bench:explorer-open), not in a click's first draw
  const afterFirstWindow = useAfterFirstWindow();
  useEffect(() => {
    if (!afterFirstWindow) return;
    const idle = whenIdle(() => {
      warmTokenGrid();
      warmHeatmaps();
    });
    return () => cancelIdle(idle);
  }, [afterFirstWindow]);
  // the result rows as they will be laid out, so their windows can come with the answer
  const rowsView = { before: m.before, after: m.after, align: m.align, tracks: heatmapTracks(info).map((t) => t.name) };
  // set by a click that runs a query: its results are brought into view once drawn (see Results)
  const reveal = useRef(false);
  const run = (mode: "fast" | "precise", length = current?.length ?? m.length) => {
    if (!current) return;
    const next = { ...current, mode, length };
    startMatch(qc, data, next, rowsView);
    reveal.current = true;
    // The view shows the run in the next task: the request's way to fetch() is a few promise
    // turns, and React would render this click (the whole Match view, ~8 ms) before them. A
    // second click meanwhile starts the same query, which the query cache runs once.
    setTimeout(() => {
      setInput(next);
      setRan({ mode, length });
    }, 0);
  };
  const res = useMatch(data, input, rowsView);
  // The URL state's mode/length/run re-render the whole explorer (the Select view, the team
  // panel, Next's router once the URL is written): only after the run's results were painted.
  // Written when the browser is idle after that paint (the frames of the results go first; at
  // most IDLE_WAIT_MS later), so the re-render never delays the results' first frame.
  useEffect(() => {
    if (!ran || res.isFetching) return;
    let idle: number | undefined;
    const frame = requestAnimationFrame(() => {
      idle = whenIdle(() => {
        startTransition(() => update((s) => ({ ...s, match: { ...s.match, mode: ran.mode, length: ran.length, run: true } })));
        setRan(null);
      });
    });
    return () => {
      cancelAnimationFrame(frame);
      if (idle !== undefined) cancelIdle(idle);
    };
  }, [ran, res.isFetching, update]);
  // a link with run=1 re-runs the query once the selection is known
  const autoRan = useRef(false);
  useEffect(() => {
    if (!autoRan.current && m.run && current && !input) {
      autoRan.current = true;
      setInput(current);
    }
  }, [m.run, current, input]);
  const stale = input && current && JSON.stringify(input) !== JSON.stringify(current);

  return (
    <section className="match-view" data-testid="match-view" aria-labelledby="match-heading">
      <div className="match-head">
        <h2 id="match-heading">Match</h2>
        <span className="muted">
          {sel === null
            ? "waiting for the selection…"
            : sel.length === 0
              ? "select cells first (brush a range above), then find where else they behave like this"
              : `${sel.length} cell${sel.length === 1 ? "" : "s"} of ${layer.source} at ≥ ${layer.threshold.toFixed(3)}, padding ${state.pad[0]}/${state.pad[1]}`}
        </span>
        <span className="spacer" />
        <button type="button" className="secondary" disabled={!current || res.isFetching} onClick={() => run("fast")} data-testid="run-fast">
          Fast
        </button>
        <button type="button" disabled={!current || res.isFetching} onClick={() => run("precise")} data-testid="run-precise">
          Precise
        </button>
      </div>
      <div className="toolbar match-opts">
        <label className="inline">
          length
          <input
            type="number"
            className="w-small"
            min={0}
            value={m.length}
            aria-label="Exact match length (0 = any)"
            onChange={(e) => update((s) => ({ ...s, match: { ...s.match, length: Math.max(0, Math.floor(Number(e.target.value) || 0)) } }))}
          />
          <span className="muted">{m.length === 0 ? "any" : "steps"}</span>
        </label>
        <label className="inline">
          context
          <input type="number" className="w-small" min={0} max={100} value={m.before} aria-label="Context before" onChange={(e) => update((s) => ({ ...s, match: { ...s.match, before: Math.max(0, Math.min(100, Number(e.target.value) || 0)) } }))} />
          <input type="number" className="w-small" min={1} max={200} value={m.after} aria-label="Context after" onChange={(e) => update((s) => ({ ...s, match: { ...s.match, after: Math.max(1, Math.min(200, Number(e.target.value) || 1)) } }))} />
        </label>
        <label className="inline">
          align
          <select value={m.align} aria-label="Align results" onChange={(e) => update((s) => ({ ...s, match: { ...s.match, align: e.target.value === "end" ? "end" : "start" } }))}>
            <option value="start">start</option>
            <option value="end">end</option>
          </select>
        </label>
        <label className="inline">
          map
          <select value={m.map ?? ""} aria-label="Map a heatmap onto the tokens" onChange={(e) => update((s) => ({ ...s, match: { ...s.match, map: e.target.value || null } }))}>
            <option value="">none</option>
            <option value="count">match count</option>
            {info.tracks.filter((t) => t.kind !== "wordvec").map((t) => (
              <option key={t.name} value={t.name}>{t.name}</option>
            ))}
          </select>
        </label>
        <label className="inline check">
          <input type="checkbox" checked={state.mask} onChange={(e) => update((s) => ({ ...s, mask: e.target.checked }))} /> mask
        </label>
        {stale && (
          <span className="stale" data-testid="match-stale">
            the selection changed since this run —{" "}
            <button type="button" className="linkish" onClick={() => run(m.mode)}>re-run</button>
          </span>
        )}
      </div>
      {res.isError && <div className="error" role="alert" data-testid="match-error">{errorMessage(res.error)}</div>}
      {!input && !res.data && <p className="muted empty-line">Results appear here: up to {DEFAULT_K} ranges where the selected cells switch on together, best first (most selected cells on, fewest others).</p>}
      {res.isFetching && <p className="muted empty-line" data-testid="match-running">Running the {input?.mode} query over {info.steps.toLocaleString()} steps…</p>}
      {res.data && input && (
        <Results
          key={JSON.stringify(input)}
          reveal={reveal}
          data={data}
          info={info}
          state={state}
          update={update}
          input={input}
          results={res.data.results}
          histograms={res.data.histograms}
          onLength={(L) => run(input.mode, L)}
          selectLink={selectLink}
          layerIndex={li}
          aside={aside}
          exportMore={exportMore}
        />
      )}
    </section>
  );
}

type ResultsProps = {
  data: ExplorerData;
  info: DatasetInfo;
  state: ExplorerViewState;
  update: Update;
  input: MatchInput;
  results: MatchRow[];
  histograms: { all: Record<string, number>; strict: Record<string, number> };
  onLength: (L: number) => void;
  selectLink: (q: string) => string;
  layerIndex: number;
  aside?: ExplorerSlots["matchAside"];
  exportMore?: ExplorerSlots["matchExport"];
  /** True when a click in this page ran the query: the results are brought into view once drawn (and it is reset). */
  reveal: { current: boolean };
};

/**
 * Re-rendering ~5,000 heatmap cells on every threshold drag or step would make the Select view
 * stutter, so results ignore view changes that do not affect them (the row links then keep the
 * window position and zoom of the run; they always carry the match range, cells, mode and length).
 */
const Results = memo(ResultsInner, (a, b) => {
  const keys: (keyof ResultsProps)[] = ["data", "info", "input", "results", "histograms", "layerIndex", "aside", "exportMore"];
  if (keys.some((k) => a[k] !== b[k])) return false;
  // mode, length and run come from `input` here: a click's URL update (mode, run) leaves the rows alone
  const [x, y] = [a.state.match, b.state.match];
  const sameView = x.before === y.before && x.after === y.after && x.align === y.align && x.map === y.map;
  return sameView && a.state.mask === b.state.mask && a.state.pad === b.state.pad;
});

function ResultsInner(p: ResultsProps) {
  const { data, info, state, input, results } = p;
  const m = state.match;
  const source = info.sources.find((s) => s.name === input.source);
  const k = input.cells.length;
  const Lmax = Math.min(m.after, results.reduce((a, r) => Math.max(a, r.length), 0));
  const C = m.before + m.after;
  const hmTracks = heatmapTracks(info);
  // every row's tokens, states and track rows in one request (usually the match's own), drawn in one render when it arrives
  const layout = resultRows(results, m, info.steps);
  const ranges = layout.map((l) => l.range);
  const windows = useQuery({ ...rowsQuery(data, input, ranges, hmTracks), enabled: ranges.length > 0 && ranges.every(([a, b]) => b > a) });
  // the grid waits for its rows (one render with everything), unless reading them failed: then it shows the counts
  const rowsLoading = windows.isPending && windows.fetchStatus !== "idle";
  const rows: RowData[] = results.map((_, i) => ({
    start: layout[i]!.start,
    tokens: windows.data?.[i]?.tokens,
    states: windows.data?.[i]?.states,
    tracks: hmTracks.map((_, j) => windows.data?.[i]?.tracks[j]),
  }));
  const cut = source ? rawCutoff(input.threshold, source.transform) : null;
  const [drill, setDrill] = useState<number | null>(null);
  const [hover, setHover] = useState<{ row: number; col: number; x: number; y: number } | null>(null);
  // the aside (the evidence panel, which starts its own request) mounts once the rows have been
  // painted: it is not part of the click's first frame, and its request does not compete with it
  const asideShown = useAfterPaint();
  // A click on Fast or Precise brings its results into view when none of them is (at 1440 × 1000
  // they start below the fold, under the Match view's head): once the rows are drawn, before that
  // frame is painted, the page jumps to the Match view (focus stays where it is), so the frame that
  // paints the rows paints them in view. A smooth scroll (before) reached them 130–180 ms after
  // that frame and settled ~550 ms later, its animation frames' commits (10–17 ms each here) ahead of
  // everything else on the page. Results from a link, a re-render or a view already showing them
  // leave the scroll alone.
  const root = useRef<HTMLDivElement>(null);
  const revealNow = !rowsLoading && p.reveal.current;
  useLayoutEffect(() => {
    if (!revealNow) return;
    p.reveal.current = false;
    // (the layout this reads is the one the coming frame needs anyway: the rows are in the DOM)
    const el = root.current;
    if (!el || el.getBoundingClientRect().top < window.innerHeight - REVEAL_MARGIN) return;
    el.closest(".match-view")?.scrollIntoView({ block: "start", behavior: "instant" });
    // (p.reveal is a ref)
  }, [revealNow, p.reveal]);

  /** count (or the drilled cell's on/off) at column `col` of row `i`; null outside the data. */
  const countAt = (i: number, col: number): number | null => {
    const row = rows[i]!;
    const t = row.start + col;
    if (t < 0 || t >= info.steps) return null;
    const st = row.states;
    if (!st) {
      const r = results[i]!;
      const j = t - (r.pos - input.before);
      return drill === null && j >= 0 && j < r.counts.length ? (r.counts[j] ?? null) : null;
    }
    const local = t - Math.max(0, row.start);
    if (local < 0 || local >= st.steps || cut === null) return null;
    if (drill !== null) {
      const ci = input.cells.indexOf(drill);
      return ci >= 0 && st.data[local * st.cells + ci]! >= cut ? 1 : 0;
    }
    let on = 0;
    for (let c = 0; c < st.cells; c++) if (st.data[local * st.cells + c]! >= cut) on++;
    return on;
  };
  const trackAt = (i: number, j: number, col: number): number | null => {
    const w = rows[i]!.tracks[j];
    const t = rows[i]!.start + col;
    if (!w || t < w.from || t >= w.to) return null;
    return Number(w.values[(t - w.from) * w.width]);
  };
  const denom = drill !== null ? 1 : k;
  // one scale per heatmap and render (colorOf asks for one per token cell when a map is on)
  const scales = new Map<string, HeatScale>();
  const scaleOf = (name: string): HeatScale => {
    let s = scales.get(name);
    if (!s) scales.set(name, (s = makeScale(name)));
    return s;
  };
  const makeScale = (name: string): HeatScale => {
    if (name === "count") return { value: countAt, color: (v) => countColor(v / denom) };
    const j = hmTracks.findIndex((t) => t.name === name);
    const t = hmTracks[j];
    if (!t) return { value: () => null, color: () => null };
    const scalar = t.kind === "discrete" ? null : scalarScale(scalarRange(t));
    return {
      value: (i, col) => trackAt(i, j, col),
      // a discrete value labelled "" is "no label" (e.g. the annotations track between labels)
      color: scalar ?? ((v) => (t.labels?.get(v) === "" ? null : discreteColor(t, v))),
    };
  };
  const colorOf = (name: string, i: number, col: number): string | null => {
    const s = scaleOf(name);
    const v = s.value(i, col);
    return v === null ? null : s.color(v);
  };

  const allLengths = useMemo(() => [...new Set([...Object.keys(p.histograms.all), ...Object.keys(p.histograms.strict)].map(Number))].sort((a, b) => a - b), [p.histograms]);
  // the bars that fit the histogram's 900 px (a query over 1M steps can have hundreds of
  // lengths, which were drawn outside the clip, where no one could see or click them)
  const lengths = useMemo(() => allLengths.slice(0, HIST_BARS), [allLengths]);
  const maxAll = Math.max(0, ...allLengths.map((L) => p.histograms.all[L] ?? 0));

  const downloadCsv = async () => {
    const more = (await p.exportMore?.({ input, results }).catch(() => null)) ?? null;
    const csv = matchResultsCsv(
      results.map((r, i) => {
        const row = rows[i]!;
        const off = r.pos - Math.max(0, row.start);
        return { pos: r.pos, length: r.length, I: r.I, U: r.U, text: row.tokens ? row.tokens.slice(off, off + r.length).join(info.separator) : "" };
      }),
      { source: input.source, cells: input.cells, threshold: input.threshold },
    ) + (more ? "\r\n" + more : "");
    const url = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `${info.name.replace(/[^\w.-]+/g, "_")}-matches.csv`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const heatmaps: { name: string; title: string }[] = [{ name: "count", title: drill !== null ? `cell ${drill}` : "match count" }, ...hmTracks.map((t) => ({ name: t.name, title: t.name }))];
  const cols = useMemo(
    () => tokenColumns(results.length, C, (i, col) => rows[i]!.tokens?.[rows[i]!.start + col - Math.max(0, rows[i]!.start)], TOKEN_COLUMNS),
    // the rows' tokens arrive together: re-measure when they do
    [results.length, C, windows.data],
  );
  const alignX = cols.x[m.align === "start" ? m.before : Math.min(C, m.before + Lmax)]!;
  // what the canvases draw changes only with these: a render for anything else (the hover, the
  // aside mounting, the drill-down chips' pointer) leaves their pixels as they are
  const drawKey = useMemo(() => ({}), [info, input, results, windows.data, drill, cut, m.before, m.after, m.align, m.map, state.mask, cols]);
  const hoverInfo = hover ? describe(hover.row, hover.col) : null;
  function describe(i: number, col: number): string {
    const row = rows[i]!;
    const t = row.start + col;
    const tok = row.tokens?.[t - Math.max(0, row.start)];
    const parts = [`#${i + 1} · step ${t}${tok !== undefined ? ` “${displayToken(tok)}”` : ""}`];
    const c = countAt(i, col);
    if (c !== null) parts.push(drill !== null ? `cell ${drill} ${c ? "on" : "off"}` : `${c}/${k} cells on`);
    hmTracks.forEach((tr, j) => {
      const v = trackAt(i, j, col);
      if (v !== null) parts.push(`${tr.name}: ${tr.kind === "discrete" ? trackLabel(tr as TrackInfo, v) : v.toPrecision(3)}`);
    });
    return parts.join(" · ");
  }
  /** Token `col` of row `i` as the grid draws it (null outside the data). */
  const tokenCell = (i: number, col: number): TokenCell | null => {
    const row = rows[i]!;
    const r = results[i]!;
    const t = row.start + col;
    if (t < 0 || t >= info.steps) return null;
    const tok = row.tokens?.[t - Math.max(0, row.start)];
    const fill = m.map ? colorOf(m.map, i, col) : null;
    return {
      text: tok === undefined ? "·" : fitToken(tok, cols.chars[col]!),
      inMatch: t >= r.pos && t < r.pos + r.length,
      fill,
      textColor: fill ? textColorOn(fill) : null,
      faded: state.mask && countAt(i, col) === 0,
    };
  };
  /** A row's text for assistive technology: its tokens, the matched ones in brackets. */
  const rowLabel = (i: number) => {
    const row = rows[i]!;
    const r = results[i]!;
    const parts: string[] = [];
    let tokens = 0;
    for (let col = 0; col < C; col++) {
      const t = row.start + col;
      const tok = t >= 0 && t < info.steps ? row.tokens?.[t - Math.max(0, row.start)] : undefined;
      if (tok === undefined) continue;
      tokens++;
      const text = displayToken(tok);
      parts.push(t === r.pos ? `[${text}` : text);
      if (t === r.pos + r.length - 1) parts[parts.length - 1] += "]";
    }
    return { text: `#${i + 1}, step ${r.pos}, length ${r.length}: ${parts.join(" ")}`, tokens };
  };
  /** Result `i`'s link: the Select view at its match with the query's cells, mode and length (re-run there). */
  const resultHref = (i: number) => {
    const r = results[i]!;
    return p.selectLink(
      encodeViewState({
        ...state,
        pos: windowStartFor(r.pos),
        brush: [r.pos, r.pos + r.length],
        layers: state.layers.map((l, j) => (j === p.layerIndex ? { ...l, pinned: input.cells, add: [], exclude: [], threshold: input.threshold } : l)),
        pad: [input.padLeft, input.padRight],
        match: { ...state.match, run: true, mode: input.mode, length: input.length },
      }),
    );
  };
  const router = useRouter();
  /** A plain click on a result link navigates within the app (as a Next <Link> would, without prefetching); a modified or middle click, or "open in new tab", is the browser's. */
  const openResult = (e: MouseEvent<HTMLElement>) => {
    const a = (e.target as Element).closest("a");
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || (a.target && a.target !== "_self")) return;
    e.preventDefault();
    router.push(a.getAttribute("href")!);
  };
  const legendOf = (name: string) => {
    if (name === "count") return <ScaleLegend name={name} range={[0, denom]} color={(v) => countColor(v / denom)} unit={drill !== null ? "on" : `of ${k} on`} />;
    const t = hmTracks.find((x) => x.name === name);
    return t?.kind === "scalar" ? <ScaleLegend name={name} range={scalarRange(t)} color={(v) => scalarColor(v, scalarRange(t))} /> : null;
  };

  return (
    <div className="results" data-testid="match-results" ref={root}>
      <div className="results-head">
        <span>
          <strong data-testid="match-count">{results.length}</strong> result{results.length === 1 ? "" : "s"} · {input.mode}
          {input.length ? ` · length ${input.length}` : ""}
        </span>
        <div className="drill" aria-label="Per-cell drill-down">
          <span className="muted">drill down:</span>
          <button type="button" className={`chip-btn${drill === null ? " on" : ""}`} onClick={() => setDrill(null)}>all</button>
          {input.cells.slice(0, 40).map((c) => (
            <button key={c} type="button" className={`chip-btn${drill === c ? " on" : ""}`} onClick={() => setDrill(drill === c ? null : c)} onPointerEnter={() => setDrill(c)} data-testid={`drill-${c}`}>
              {c}
            </button>
          ))}
        </div>
        <span className="spacer" />
        <button type="button" className="secondary small" onClick={() => void downloadCsv()} data-testid="export-csv">Export CSV</button>
      </div>
      {lengths.length > 0 && (
        <div className="histogram" data-testid="length-histogram">
          <span className="muted">candidate lengths (all / strict) — click a bar to re-run with that exact length:</span>
          <LengthHistogram lengths={lengths} all={p.histograms.all} strict={p.histograms.strict} max={maxAll} current={input.length} onLength={p.onLength} />
          {allLengths.length > lengths.length && (
            <span className="muted" data-testid="hist-more">
              and {allLengths.length - lengths.length} longer length{allLengths.length - lengths.length === 1 ? "" : "s"} (set one in “length” above)
            </span>
          )}
          {input.length > 0 && (
            <button type="button" className="linkish" onClick={() => p.onLength(0)}>any length</button>
          )}
        </div>
      )}
      {windows.isError && (
        <div className="error" role="alert" data-testid="match-rows-error">
          Reading the results&rsquo; tokens and tracks failed: {errorMessage(windows.error)} (the heatmap shows the match counts)
        </div>
      )}
      {results.length === 0 ? (
        <p className="muted empty-line" data-testid="match-empty">No range has these cells on together for two or more steps. Lower the threshold, remove cells, or try another length.</p>
      ) : rowsLoading ? (
        <p className="muted empty-line" data-testid="match-rows-loading" style={{ minHeight: results.length * ROW_H }}>
          Reading the {results.length} results&rsquo; tokens and tracks…
        </p>
      ) : (
        <div className="results-with-aside">
        <ScrollFrame onPointerLeave={() => setHover(null)}>
          <div className="results-grid">
            {/* plain links (fifty Next <Link>s were a few ms of the click's render), opened in this page by one handler (openResult) */}
            <div className="results-labels" onClick={openResult}>
              <div className="hm-title">&nbsp;</div>
              <div className="hm-legend" />
              {results.map((r, i) => (
                <div key={i} className="res-label" style={{ height: ROW_H }}>
                  <a href={resultHref(i)} data-testid={`result-link-${i}`} title="Open the Select view at this match with the same cells">
                    {r.pos}
                  </a>
                  <span className="muted" title={`${r.I} of the ${k} selected cells on throughout, ${r.U} cells in the union`}>
                    {r.I}/{r.U}
                  </span>
                </div>
              ))}
            </div>
            <div className="res-tokens">
              <div className="hm-title">{m.align === "start" ? "aligned at the match start" : "aligned at the match end"}</div>
              <div className="hm-legend">{m.map ? legendOf(m.map) : null}</div>
              <TokenGrid
                rows={results.length}
                columns={C}
                x={cols.x}
                w={cols.w}
                cell={tokenCell}
                label={rowLabel}
                alignX={alignX}
                drawKey={drawKey}
                hover={hover}
                onHover={(row, col, x, y) => setHover({ row, col, x, y })}
              />
            </div>
            {heatmaps.map((h) => (
              <div key={h.name} className="hm" data-testid={`heatmap-${h.name}`}>
                <div className="hm-title" title={h.title}>{h.title}</div>
                <div className="hm-legend">{legendOf(h.name)}</div>
                <HeatmapCanvas
                  rows={results.length}
                  columns={C}
                  {...scaleOf(h.name)}
                  alignCol={m.before}
                  drawKey={drawKey}
                  hover={hover}
                  onHover={(row, col, e) => setHover({ row, col, x: e.clientX, y: e.clientY })}
                />
              </div>
            ))}
          </div>
          {hover && hoverInfo && (
            <div className="tooltip" role="status" style={{ left: hover.x + 12, top: hover.y + 12 }} data-testid="match-tooltip">
              {hoverInfo}
            </div>
          )}
        </ScrollFrame>
        {/* outside the horizontal scroll: in view at any width */}
        {asideShown && p.aside?.({ input, results })}
        </div>
      )}
    </div>
  );
}

/**
 * A horizontally scrolling frame that shows when more is to the right: a fade and a "more"
 * button at its edge (the row labels stay in place, see .results-labels).
 */
function ScrollFrame({ children, onPointerLeave }: { children: ReactNode; onPointerLeave: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const [more, setMore] = useState(false);
  const measure = useCallback(() => {
    const el = ref.current;
    if (el) setMore(el.scrollLeft + el.clientWidth < el.scrollWidth - 1);
  }, []);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    // measured when the observer reports (after layout), not here: reading scrollWidth in this
    // effect forced the whole results grid's style and layout before its first paint
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    if (el.firstElementChild) ro.observe(el.firstElementChild);
    return () => ro.disconnect();
  }, [measure]);
  const scroll = () => ref.current?.scrollBy({ left: Math.max(200, ref.current.clientWidth * 0.7), behavior: "smooth" });
  return (
    <div className="results-frame">
      <div className="results-scroll" ref={ref} onScroll={measure} onPointerLeave={onPointerLeave} data-testid="results-scroll">
        {children}
      </div>
      {more && (
        <button type="button" className="scroll-cue right" onClick={scroll} aria-label="Scroll right: more heatmaps" data-testid="results-more">
          more ›
        </button>
      )}
    </div>
  );
}

/** A heatmap's value at column `col` of row `i` (null: no cell) and a value's colour (null: none drawn). */
interface HeatScale {
  value: (i: number, col: number) => number | null;
  color: (v: number) => string | null;
}

/**
 * Canvas pixels of a heatmap per result row: a row is ROW_H px, its cell ROW_H − 4 of them with
 * 2 px free above and below, so a canvas pixel of ROW_H / HM_ROW_PX = 2 px draws the gaps exactly.
 */
const HM_ROW_PX = 10;
const HM_PX_H = ROW_H / HM_ROW_PX;

/**
 * Draws a heatmap's `rows` × `columns` cells onto `ctx` (HM_ROW_PX canvas pixels a row, one a
 * column): the cells grouped by colour, one path per colour. One function for the page's heatmaps
 * and their warm-up (`warmHeatmaps`), so a click's draw runs code the page has already run.
 */
function drawHeatmap(ctx: CanvasRenderingContext2D, rows: number, columns: number, value: HeatScale["value"], color: HeatScale["color"]): void {
  const colorOfValue = new Map<number, string | null>();
  // per colour, its runs: a row's neighbouring cells of one colour are one rect (start cell, cells), so
  // a row of equal counts or labels is one call, not one per cell (the same pixels: the rects' edges
  // are whole canvas pixels, so adjacent ones fill exactly what their union does)
  const runs = new Map<string, number[]>();
  for (let i = 0; i < rows; i++) {
    let open: string | null = null;
    let openAt: number[] | null = null;
    for (let col = 0; col < columns; col++) {
      const v = value(i, col);
      let c: string | null = null;
      if (v !== null && Number.isInteger(v)) {
        const known = colorOfValue.get(v);
        if (known === undefined) colorOfValue.set(v, (c = color(v) || null));
        else c = known;
      } else if (v !== null) c = color(v) || null;
      if (c !== null && c === open && openAt) {
        openAt[openAt.length - 1] = openAt[openAt.length - 1]! + 1;
        continue;
      }
      open = c;
      if (c === null) continue;
      openAt = runs.get(c) ?? null;
      if (!openAt) runs.set(c, (openAt = []));
      openAt.push(i * columns + col, 1);
    }
  }
  for (const [c, at] of runs) {
    ctx.fillStyle = c;
    ctx.beginPath();
    // (the cell's 2 px gaps above and below are one canvas pixel each)
    for (let r = 0; r < at.length; r += 2) {
      const n = at[r]!;
      ctx.rect(n % columns, Math.floor(n / columns) * HM_ROW_PX + 2 / HM_PX_H, at[r + 1]!, HM_ROW_PX - 4 / HM_PX_H);
    }
    ctx.fill();
  }
}

let heatmapsWarm = false;
/**
 * Once per page, while it is idle: draws two result-sized heatmaps of made-up values (counts, and a
 * scalar track's fractions) with `drawHeatmap` on a canvas that is never shown, so the first
 * click's heatmaps are not the first run of that code in the page (see warmTokenGrid).
 */
function warmHeatmaps(): void {
  if (heatmapsWarm) return;
  heatmapsWarm = true;
  const ctx = document.createElement("canvas").getContext("2d");
  if (!ctx) return;
  const [rows, columns] = [50, 23];
  drawHeatmap(ctx, rows, columns, (i, col) => (col < 3 ? null : (i + col) % 6), (v) => countColor(v / 6));
  const scale = scalarScale([0, 1]);
  drawHeatmap(ctx, rows, columns, (i, col) => ((i * 7 + col * 3) % 13) / 13, scale);
}

/**
 * One heatmap of the results: `rows` × `columns` cells of HM_W × ROW_H px drawn on a canvas (a
 * run draws ~1,000 cells per heatmap: as SVG rects, their style, layout and paint took most of
 * a click), the hovered cell and the alignment line in an SVG on top. A cell's `value` (null: no
 * cell) is drawn in its `color` (null: not drawn), asked once per distinct value.
 *
 * The canvas holds one pixel per cell across and HM_ROW_PX per row (2 px each: the cell and the
 * gaps between rows), scaled up without smoothing (image-rendering: pixelated): a cell is one
 * colour, so its 7 × 16 px drew nothing a 1 × 8 pixel block does not. At 50 rows × 60 columns
 * that is 60 × 500 pixels instead of 420 × 1,000 (× the device's pixel ratio²): a click's three
 * heatmaps were ~5 MB of canvas to allocate, clear, fill and hand to the compositor.
 */
function HeatmapCanvas({
  rows,
  columns,
  value,
  color,
  alignCol,
  drawKey,
  hover,
  onHover,
}: HeatScale & {
  rows: number;
  columns: number;
  alignCol: number;
  /** A new value whenever `value` or `color` would draw other pixels: the canvas is redrawn then only. */
  drawKey: unknown;
  hover: { row: number; col: number } | null;
  onHover: (row: number, col: number, e: PointerEvent<HTMLCanvasElement>) => void;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const w = columns * HM_W;
  const h = rows * ROW_H;
  // drawn when what it shows changed (drawKey): the cells grouped by colour, one path per colour
  // (a value's colour is made once and a colour parsed once, not once per cell: ~1,150 cells of a
  // run in a few dozen colours). Whole values (counts, labels) are remembered here; a scalar
  // track's are nearly all distinct and its scale keeps its own colours per level (scalarScale),
  // so a map of ~1,150 fractional keys made nothing faster.
  useLayoutEffect(() => {
    const c = ref.current;
    if (!c) return;
    if (c.width !== columns || c.height !== rows * HM_ROW_PX) {
      c.width = columns;
      c.height = rows * HM_ROW_PX;
    }
    const ctx = c.getContext("2d");
    if (!ctx) return;
    ctx.clearRect(0, 0, c.width, c.height);
    drawHeatmap(ctx, rows, columns, value, color);
    // value and color are new functions on every render; drawKey says when they draw differently
  }, [drawKey, w, h, rows, columns]);
  const move = (e: PointerEvent<HTMLCanvasElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const row = Math.floor((e.clientY - box.top) / ROW_H);
    const col = Math.floor((e.clientX - box.left) / HM_W);
    const v = row < 0 || row >= rows || col < 0 || col >= columns ? null : value(row, col);
    if (v === null || color(v) === null) return;
    if (hover?.row !== row || hover.col !== col) onHover(row, col, e);
  };
  return (
    <div className="hm-canvas" style={{ width: w, height: h }}>
      {/* one pixel per cell across, HM_ROW_PX per row, shown at the cells' size */}
      <canvas ref={ref} onPointerMove={move} data-cell-w={HM_W} data-row-h={ROW_H} style={{ width: w, height: h, imageRendering: "pixelated" }} />
      <svg width={w} height={h}>
        {hover && <rect x={hover.col * HM_W - 0.5} y={hover.row * ROW_H + 1} width={HM_W + 0.5} height={ROW_H - 2} className="hm-hover" />}
        <line x1={alignCol * HM_W - 0.5} x2={alignCol * HM_W - 0.5} y1={0} y2={h} className="align-line" />
      </svg>
    </div>
  );
}
