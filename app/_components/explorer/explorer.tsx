"use client";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { defaultLayer, resolveView, viewWindow, type ExplorerViewState } from "@statescope/core";
import { firstWindowShown } from "@/app/_lib/after-first-window";
import { errorMessage } from "@/app/_lib/trpc";
import type { DatasetInfo, ExplorerData } from "./data-source";
import { plotWidth } from "./layout";
import { MatchView } from "./match-view";
import { NavigationBar } from "./navigation-bar";
import { SelectView, useSelections } from "./select-view";
import type { ExplorerSlots, ExplorerView, Update } from "./slots";
import { SearchForm, SearchHits, useTokenSearch, visibleMarks } from "./token-search";
import { TracksBar } from "./tracks-bar";
import { useCanvasWidth } from "./use-canvas-width";
import { useExplorerKeys } from "./use-explorer-keys";
import { useExplorerWindows } from "./use-explorer-windows";
import { useFirstWindowMark } from "./use-first-window-mark";
import { useUrlState } from "./use-url-state";
import "./explorer.css";

/** The explorer of one dataset: reads its details, then shows the Select and Match views (or why it cannot). */
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
  const state = useMemo(() => resolveView(raw, info), [raw, info]);
  // write the default source into the URL too, so a link names what it shows
  useEffect(() => {
    if (raw.layers.length === 0) update((s) => (s.layers.length ? s : { ...s, layers: [defaultLayer(info.sources[0]!.name)] }));
  }, [raw.layers.length, info, update]);
  // the loaded range depends on the width: reading before it is measured would read a window twice
  const [wrapRef, width, measured] = useCanvasWidth();
  const { visible: n, from: lo, to: hi } = viewWindow(state, info.steps, plotWidth(width));
  useExplorerKeys(update, n, info.steps);

  const w = useExplorerWindows(data, info, state, lo, hi, n, measured);
  const selections = useSelections(info, state, w.brushWindows);
  const active = Math.min(state.match.layer, state.layers.length - 1);
  useFirstWindowMark(w.windows[active] !== undefined && w.visibleTokens.length > 0, !!w.error);

  const search = useTokenSearch(data, info);
  // the step a jump asked for stays marked until the next jump
  const [target, setTarget] = useState<number | null>(null);
  const marks = visibleMarks(search.hits?.hits ?? [], target, state.pos, n);

  const view: ExplorerView = { data, info, state, update, selections, activeLayer: active, visible: [state.pos, state.pos + n] };
  return (
    <div className={slots?.panel ? "explorer with-panel" : "explorer"} data-testid="explorer">
      {slots?.publish?.(view)}
      {slots?.panel?.(view)}
      <NavigationBar info={info} state={state} update={update} visible={n} onTarget={setTarget}>
        <SearchForm search={search} info={info} />
      </NavigationBar>
      <SearchHits search={search} update={update} />
      <TracksBar info={info} state={state} update={update} />
      {!!w.error && <div className="error" role="alert" data-testid="explorer-error">{errorMessage(w.error)}</div>}
      <div ref={wrapRef} className="explorer-canvas">
        <SelectView
          info={info}
          state={state}
          update={update}
          width={width}
          tokens={w.visibleTokens}
          windows={w.windows}
          selections={selections}
          tracks={w.tracks}
          marks={marks}
          stripLane={slots?.stripLane}
          plotOverlay={slots?.plotOverlay}
        />
      </div>
      <MatchView data={data} info={info} state={state} update={update} selections={selections} selectLink={selectLink} aside={slots?.matchAside} />
    </div>
  );
}
