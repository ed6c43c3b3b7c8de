"use client";
import { keepPreviousData, useQueries, useQuery } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import {
  decodeViewState,
  defaultLayer,
  encodeViewState,
  loadRange,
  MAX_LAYERS,
  MAX_ZOOM,
  MIN_ZOOM,
  type ExplorerViewState,
  windowStartFor,
} from "@statescope/core";
import { firstWindowShown } from "@/app/_lib/after-first-window";
import { errorMessage } from "@/app/_lib/trpc";
import { usePublishView } from "../collab/collab-room";
import type { DatasetInfo, ExplorerData, SearchHit } from "./data-source";
import { MAX_WINDOW } from "./data-source";
import { CANVAS_WIDTH_COOKIE } from "./first-window";
import { MatchView, type MatchAddonProps } from "./match-view";
import { visibleSteps } from "./layout";
import { SelectView, useSelections, type LoadedWindow, type Update } from "./select-view";
import { useElementWidth } from "./use-element-width";
import "./explorer.css";

const FIRST_WINDOW_MARK = "statescope:first-window";

/** What an add-on (the collaboration panel) sees of the current view, and may change through `update`. */
export interface ExplorerView {
  data: ExplorerData;
  info: DatasetInfo;
  state: ExplorerViewState;
  update: Update;
  /** Per layer: the selected cells (rule + manual edits), null while loading. */
  selections: readonly (number[] | null)[];
  /** Visible steps [from, to). */
  visible: [number, number];
}

/** Horizontal geometry of the token strip, for lanes drawn in step with it. */
export interface StripGeometry {
  origin: number;
  steps: number;
  zoom: number;
  width: number;
}

/** Optional add-ons rendered inside the explorer (kept out of the explorer's own files). */
export interface ExplorerSlots {
  /** A side panel beside the views. */
  panel?: (v: ExplorerView) => ReactNode;
  /** A lane right above the token strip, aligned with its steps. */
  stripLane?: (g: StripGeometry) => ReactNode;
  /** Tools between the Select view and the Match view (the analysis, issue 16). */
  tools?: (v: ExplorerView) => ReactNode;
  /** An add-on inside the Match view's results (the evidence for a match), contributing to its CSV export. */
  matchAddon?: (p: MatchAddonProps) => ReactNode;
}

function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA" || t.isContentEditable);
}

/** Keeps the view state in the URL (replaceState, debounced) so a pasted link reproduces the view. */
function useUrlState(): [ExplorerViewState, Update] {
  const params = useSearchParams();
  const [state, setState] = useState<ExplorerViewState>(() => decodeViewState(params.toString()));
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // The query string this hook wrote last: any other change of the URL is a navigation
  // (a result link, back/forward) and replaces the view state.
  const written = useRef<string>(params.toString());
  const current = params.toString();
  useEffect(() => {
    if (current === written.current) return;
    written.current = current;
    setState(decodeViewState(current));
  }, [current]);
  useEffect(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      const q = encodeViewState(state);
      written.current = q;
      if (window.location.search.slice(1) !== q) window.history.replaceState(window.history.state, "", `${window.location.pathname}?${q}`);
    }, 150);
    return () => {
      if (timer.current) clearTimeout(timer.current);
    };
  }, [state]);
  const update = useCallback<Update>((f) => setState(f), []);
  return [state, update];
}

export function Explorer({ data, selectLink, slots }: { data: ExplorerData; selectLink: (q: string) => string; slots?: ExplorerSlots }) {
  const [state, update] = useUrlState();
  const info = useQuery({ queryKey: ["explorer", data.key, "info"], queryFn: () => data.info(), staleTime: Infinity });
  const nothingToShow = info.isError || (info.data !== undefined && (info.data.sources.length === 0 || info.data.steps === 0));
  useEffect(() => {
    if (nothingToShow) firstWindowShown();
  }, [nothingToShow]);

  if (info.isPending) {
    return (
      <div className="explorer-status" data-testid="explorer-loading">
        Opening the dataset…
      </div>
    );
  }
  if (info.isError) {
    return (
      <div className="error" role="alert" data-testid="explorer-error">
        Could not open the dataset: {errorMessage(info.error)}
      </div>
    );
  }
  const d = info.data;
  if (d.sources.length === 0 || d.steps === 0) {
    return (
      <div className="empty" data-testid="explorer-empty">
        <h2>Nothing to explore yet</h2>
        <p>This dataset has no state sources or no steps. Import one with hidden states, e.g. an LSTMVis project with its states HDF5 file.</p>
      </div>
    );
  }
  return <ExplorerLoaded data={data} info={d} state={state} update={update} selectLink={selectLink} slots={slots} />;
}

function ExplorerLoaded({
  data,
  info,
  state: raw,
  update,
  selectLink,
  slots,
}: {
  data: ExplorerData;
  info: DatasetInfo;
  state: ExplorerViewState;
  update: Update;
  selectLink: (q: string) => string;
  slots?: ExplorerSlots;
}) {
  const state = useMemo<ExplorerViewState>(() => {
    const layers = raw.layers.length ? raw.layers : [defaultLayer(info.sources[0]!.name)];
    return { ...raw, layers, pos: Math.max(0, Math.min(raw.pos, info.steps - 1)) };
  }, [raw, info]);
  // write the default source into the URL too, so a link names what it shows
  useEffect(() => {
    if (raw.layers.length === 0) update((s) => (s.layers.length ? s : { ...s, layers: [defaultLayer(info.sources[0]!.name)] }));
  }, [raw.layers.length, info, update]);
  // the loaded range depends on the width: reading before it is measured would read a window twice
  const [wrapRef, width, measured] = useElementWidth<HTMLDivElement>(1100);
  // the page reads the first window on the server next time for this width (first-window.ts)
  useEffect(() => {
    if (measured) document.cookie = `${CANVAS_WIDTH_COOKIE}=${width}; path=/; max-age=31536000; samesite=lax`;
  }, [measured, width]);
  const [hovered, setHovered] = useState<{ layer: number; cell: number } | null>(null);
  const n = visibleSteps(width, state.zoom, state.pos, info.steps);
  const [lo, hi] = loadRange(state.pos, n, info.steps);

  // keyboard: ←/→ move (shift: half a window), +/- zoom, Esc clears the brush
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e) || e.metaKey || e.ctrlKey || e.altKey) return;
      const step = e.shiftKey ? Math.max(1, Math.floor(n / 2)) : 1;
      if (e.key === "ArrowLeft") update((s) => ({ ...s, pos: Math.max(0, s.pos - step) }));
      else if (e.key === "ArrowRight") update((s) => ({ ...s, pos: Math.min(info.steps - 1, s.pos + step) }));
      else if (e.key === "+" || e.key === "=") update((s) => ({ ...s, zoom: Math.min(MAX_ZOOM, s.zoom + 5) }));
      else if (e.key === "-" || e.key === "_") update((s) => ({ ...s, zoom: Math.max(MIN_ZOOM, s.zoom - 5) }));
      else if (e.key === "Escape") update((s) => ({ ...s, brush: null }));
      else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [n, info.steps, update]);

  const tokens = useQuery({
    queryKey: ["explorer", data.key, "tokens", lo, hi],
    queryFn: () => data.tokens(lo, hi),
    placeholderData: keepPreviousData,
    staleTime: Infinity,
    enabled: measured,
  });
  const windowQs = useQueries({
    queries: state.layers.map((l) => ({
      queryKey: ["explorer", data.key, "states", l.source, lo, hi],
      queryFn: async (): Promise<LoadedWindow> => ({ matrix: await data.states(l.source, lo, hi), origin: lo }),
      staleTime: Infinity,
      enabled: measured && info.sources.some((s) => s.name === l.source),
    })),
  });
  // the brushed steps plus padding, when the brush is outside the loaded window (after navigating away)
  const b = state.brush;
  const bLo = b ? Math.max(0, b[0] - state.pad[0]) : 0;
  const bHi = b ? Math.min(info.steps, b[1] + state.pad[1]) : 0;
  const brushInside = !b || (bLo >= lo && bHi <= hi);
  const brushQs = useQueries({
    queries: state.layers.map((l) => ({
      queryKey: ["explorer", data.key, "states", l.source, bLo, bHi],
      queryFn: async (): Promise<LoadedWindow> => ({ matrix: await data.states(l.source, bLo, bHi), origin: bLo }),
      staleTime: Infinity,
      enabled: !brushInside && bHi > bLo && bHi - bLo <= MAX_WINDOW && !l.pinned && info.sources.some((s) => s.name === l.source),
    })),
  });
  const trackQs = useQueries({
    queries: state.tracks.map((name) => ({
      queryKey: ["explorer", data.key, "track", name, lo, hi],
      queryFn: () => data.track(name, lo, hi),
      staleTime: Infinity,
      placeholderData: keepPreviousData,
      enabled: measured && info.tracks.some((t) => t.name === name),
    })),
  });

  const windows = windowQs.map((q) => (q.data && q.data.origin <= state.pos ? q.data : undefined));
  const windowsKey = windowQs.map((q) => q.dataUpdatedAt).join(",");
  const stableWindows = useMemo(() => windows, [windowsKey, lo]);
  const brushWindows = useMemo(
    () => (brushInside ? stableWindows : brushQs.map((q) => q.data)),
    [brushInside, stableWindows, brushQs.map((q) => q.dataUpdatedAt).join(",")],
  );
  const selections = useSelections(info, state, brushWindows);
  // others in the room see this view (throttled; a no-op without a room)
  usePublishView(state, n, selections[Math.min(state.match.layer, state.layers.length - 1)] ?? null);
  const visibleTokens = useMemo(() => {
    const t = tokens.data;
    if (!t) return [];
    const off = state.pos - lo;
    return off >= 0 ? t.slice(off, off + n) : [];
  }, [tokens.data, state.pos, lo, n]);
  // npm run bench:explorer-open: navigation start → the frame after the first window (lines and tokens) is drawn
  const firstWindowReady = windows[Math.min(state.match.layer, state.layers.length - 1)] !== undefined && visibleTokens.length > 0;
  useEffect(() => {
    if (!firstWindowReady || performance.getEntriesByName(FIRST_WINDOW_MARK, "mark").length > 0) return;
    // rAF runs before the frame is painted; the task queued from it runs after
    requestAnimationFrame(() =>
      setTimeout(() => {
        if (performance.getEntriesByName(FIRST_WINDOW_MARK, "mark").length === 0) performance.mark(FIRST_WINDOW_MARK);
        firstWindowShown();
      }, 0),
    );
  }, [firstWindowReady]);
  const tracks = state.tracks
    .map((name, i) => ({ info: info.tracks.find((t) => t.name === name), data: trackQs[i]?.data }))
    .filter((t): t is { info: NonNullable<typeof t.info>; data: typeof t.data } => !!t.info);

  const [search, setSearch] = useState("");
  const [searchHits, setSearchHits] = useState<{ query: string; hits: SearchHit[] } | null>(null);
  const [searchErr, setSearchErr] = useState<string | null>(null);
  const [regex, setRegex] = useState(false);
  const runSearch = async () => {
    setSearchErr(null);
    try {
      const hits = await data.search(search, regex && info.regexSearch, 100);
      setSearchHits({ query: search, hits });
    } catch (e) {
      setSearchErr(errorMessage(e));
    }
  };
  // the step a jump asked for stays marked until the next jump
  const [target, setTarget] = useState<number | null>(null);
  const marks = [...(searchHits?.hits ?? []), ...(target !== null ? [{ pos: target, length: 1 }] : [])]
    .filter((h) => h.pos + h.length > state.pos && h.pos < state.pos + n)
    .map((h) => [h.pos - state.pos, h.pos - state.pos + h.length] as [number, number]);
  const [jump, setJump] = useState("");
  const err = [tokens, ...windowQs, ...brushQs, ...trackQs].find((q) => q.isError)?.error;
  // no first window to wait for: let the rest of the page start
  useEffect(() => {
    if (err) firstWindowShown();
  }, [err]);

  const go = (pos: number) => update((s) => ({ ...s, pos: Math.max(0, Math.min(info.steps - 1, pos)) }));
  return (
    <div className={slots?.panel ? "explorer with-panel" : "explorer"} data-testid="explorer">
      {slots?.panel?.({ data, info, state, update, selections, visible: [state.pos, state.pos + n] })}
      <div className="toolbar" role="toolbar" aria-label="Navigation">
        <div className="group">
          <button type="button" className="secondary small" onClick={() => go(state.pos - Math.max(1, n - 3))} aria-label="Back one window">«</button>
          <button type="button" className="secondary small" onClick={() => go(state.pos - 1)} aria-label="Back one step">‹</button>
          <button type="button" className="secondary small" onClick={() => go(state.pos + 1)} aria-label="Forward one step">›</button>
          <button type="button" className="secondary small" onClick={() => go(state.pos + Math.max(1, n - 3))} aria-label="Forward one window">»</button>
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              const v = Number(jump);
              if (jump.trim() === "" || !Number.isInteger(v)) return;
              const t = Math.max(0, Math.min(info.steps - 1, v));
              setTarget(t);
              go(windowStartFor(t));
            }}
          >
            <input aria-label="Jump to position" placeholder={`step (0–${info.steps - 1})`} value={jump} onChange={(e) => setJump(e.target.value)} className="w-num" />
            <button type="submit" className="secondary small">Go</button>
          </form>
          <span className="muted pos-label" data-testid="window-label">
            steps {state.pos}–{state.pos + n - 1} of {info.steps.toLocaleString()}
          </span>
        </div>
        <div className="group">
          <label className="inline">
            zoom
            <input
              type="range"
              min={MIN_ZOOM}
              max={MAX_ZOOM}
              value={state.zoom}
              aria-label="Zoom (pixels per step)"
              onChange={(e) => update((s) => ({ ...s, zoom: Number(e.target.value) }))}
            />
            <span className="mono">{state.zoom}px</span>
          </label>
          <label className="inline">
            pad
            <input
              type="number"
              min={0}
              max={20}
              className="w-small"
              aria-label="Padding left"
              value={state.pad[0]}
              onChange={(e) => update((s) => ({ ...s, pad: [Math.max(0, Math.min(20, Number(e.target.value) || 0)), s.pad[1]] }))}
            />
            <input
              type="number"
              min={0}
              max={20}
              className="w-small"
              aria-label="Padding right"
              value={state.pad[1]}
              onChange={(e) => update((s) => ({ ...s, pad: [s.pad[0], Math.max(0, Math.min(20, Number(e.target.value) || 0))] }))}
            />
          </label>
        </div>
        <form
          className="group search"
          onSubmit={(e) => {
            e.preventDefault();
            if (search.trim()) void runSearch();
          }}
        >
          <input aria-label="Search tokens" placeholder={info.regexSearch && regex ? "regex, e.g. \\(\\w+\\)" : "find a phrase"} value={search} onChange={(e) => setSearch(e.target.value)} />
          {info.regexSearch && (
            <label className="inline">
              <input type="checkbox" checked={regex} onChange={(e) => setRegex(e.target.checked)} /> regex
            </label>
          )}
          <button type="submit" className="secondary small">Find</button>
        </form>
      </div>
      {searchErr && <div className="error" role="alert">{searchErr}</div>}
      {searchHits && (
        <div className="search-hits" data-testid="search-hits">
          <span className="muted">
            {searchHits.hits.length === 0 ? `“${searchHits.query}” does not occur` : `${searchHits.hits.length}${searchHits.hits.length >= 100 ? "+" : ""} × “${searchHits.query}”:`}
          </span>
          {searchHits.hits.map((h) => (
            <button
              key={h.pos}
              type="button"
              className="hit"
              onClick={() => update((s) => ({ ...s, pos: windowStartFor(h.pos), brush: [h.pos, h.pos + h.length], layers: s.layers.map((l) => ({ ...l, pinned: null })) }))}
            >
              {h.pos}
            </button>
          ))}
          <button type="button" className="ghost small" onClick={() => setSearchHits(null)} aria-label="Close search results">×</button>
        </div>
      )}
      <div className="toolbar secondary-bar">
        <div className="group">
          <span className="muted">tracks</span>
          {info.tracks.length === 0 && <span className="muted">none in this dataset</span>}
          {info.tracks.map((t) => (
            <label key={t.name} className="inline check">
              <input
                type="checkbox"
                checked={state.tracks.includes(t.name)}
                onChange={(e) => update((s) => ({ ...s, tracks: e.target.checked ? [...s.tracks, t.name] : s.tracks.filter((x) => x !== t.name) }))}
              />
              {t.name} <span className="muted">({t.kind})</span>
            </label>
          ))}
          {info.tracks.length > 0 && (
            <label className="inline check">
              <input type="checkbox" checked={state.mask} onChange={(e) => update((s) => ({ ...s, mask: e.target.checked }))} /> mask
            </label>
          )}
        </div>
        <div className="group">
          {state.layers.length < Math.min(MAX_LAYERS, info.sources.length + 1) && (
            <button
              type="button"
              className="secondary small"
              onClick={() =>
                update((s) => {
                  const used = new Set(s.layers.map((l) => l.source));
                  const next = info.sources.find((x) => !used.has(x.name)) ?? info.sources[0]!;
                  return { ...s, layers: [...(s.layers.length ? s.layers : state.layers), defaultLayer(next.name)] };
                })
              }
            >
              + stack another layer
            </button>
          )}
          <span className="muted kbd-help">← → move · + − zoom · Esc clears brush</span>
        </div>
      </div>
      {err && <div className="error" role="alert" data-testid="explorer-error">{errorMessage(err)}</div>}
      <div ref={wrapRef} className="explorer-canvas">
        <SelectView
          info={info}
          state={state}
          update={update}
          width={width}
          tokens={visibleTokens}
          windows={stableWindows}
          selections={selections}
          tracks={tracks}
          hovered={hovered}
          onHover={setHovered}
          marks={marks}
          stripLane={slots?.stripLane}
        />
      </div>
      {slots?.tools?.({ data, info, state, update, selections, visible: [state.pos, state.pos + n] })}
      <MatchView data={data} info={info} state={state} update={update} selections={selections} selectLink={selectLink} addon={slots?.matchAddon} />
    </div>
  );
}
