"use client";
import { keepPreviousData, useQueries, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { MAX_WINDOW, type ExplorerViewState } from "@statescope/core";
import type { DatasetInfo, ExplorerData, TrackInfo, TrackWindow } from "./data-source";
import type { LoadedWindow } from "./select-view";

export interface ExplorerWindows {
  /** Tokens of the visible steps, from state.pos (empty while loading). */
  visibleTokens: string[];
  /** Per layer: the loaded window once it covers state.pos (stable identity between reads). */
  windows: (LoadedWindow | undefined)[];
  /** Per layer: windows that cover the brush plus its padding (the loaded ones when they do). */
  brushWindows: (LoadedWindow | undefined)[];
  /** The shown tracks the dataset has, with their window (undefined while loading). */
  tracks: { info: TrackInfo; data: TrackWindow | undefined }[];
  /** The first failed read, if any. */
  error: unknown;
}

/**
 * The explorer's reads for the loaded range [lo, hi): tokens, each layer's states, the shown
 * tracks, and the brushed steps when the brush lies outside the range (after navigating away).
 * Nothing is read before the width is `measured`: the range depends on it.
 */
export function useExplorerWindows(data: ExplorerData, info: DatasetInfo, state: ExplorerViewState, lo: number, hi: number, visible: number, measured: boolean): ExplorerWindows {
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

  const windowsKey = windowQs.map((q) => q.dataUpdatedAt).join(",");
  const windows = useMemo(
    () => windowQs.map((q) => (q.data && q.data.origin <= state.pos ? q.data : undefined)),
    // the query results are new arrays on every render; their update times say when they changed
    [windowsKey, lo],
  );
  const brushKey = brushQs.map((q) => q.dataUpdatedAt).join(",");
  const brushWindows = useMemo(
    () => (brushInside ? windows : brushQs.map((q) => q.data)),
    [brushInside, windows, brushKey],
  );
  const visibleTokens = useMemo(() => {
    const t = tokens.data;
    if (!t) return [];
    const off = state.pos - lo;
    return off >= 0 ? t.slice(off, off + visible) : [];
  }, [tokens.data, state.pos, lo, visible]);
  const tracks = state.tracks
    .map((name, i) => ({ info: info.tracks.find((t) => t.name === name), data: trackQs[i]?.data }))
    .filter((t): t is { info: TrackInfo; data: TrackWindow | undefined } => !!t.info);
  const error = [tokens, ...windowQs, ...brushQs, ...trackQs].find((q) => q.isError)?.error;
  return { visibleTokens, windows, brushWindows, tracks, error };
}
