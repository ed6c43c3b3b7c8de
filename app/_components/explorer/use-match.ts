"use client";
import { useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import type { DatasetInfo, ExplorerData, MatchInput, MatchRowsRequest } from "./data-source";

/** The tracks the Match view draws as heatmaps (all but word vectors). */
export const heatmapTracks = (info: DatasetInfo) => info.tracks.filter((t) => t.kind !== "wordvec");

/** The result rows' windows: tokens, the query's cells' states and the heatmap tracks over `ranges`. */
export function rowsQuery(data: ExplorerData, input: MatchInput, ranges: [number, number][], tracks: readonly { name: string }[]) {
  const names = tracks.map((t) => t.name);
  return {
    queryKey: ["explorer", data.key, "windows", input.source, input.cells, ranges, names] as const,
    queryFn: () => data.windows(input.source, input.cells, ranges, names),
    staleTime: Infinity,
  };
}

function matchQuery(qc: QueryClient, data: ExplorerData, input: MatchInput | null, rows: MatchRowsRequest) {
  return {
    queryKey: ["explorer", data.key, "match", input] as const,
    queryFn: async () => {
      const { rows: read, ...out } = await data.match(input!, rows);
      // the rows came with the match: the results find them in the cache, no second request
      if (read) qc.setQueryData(rowsQuery(data, input!, read.ranges, rows.tracks.map((name) => ({ name }))).queryKey, read.windows);
      return out;
    },
    staleTime: Infinity,
    retry: false,
  };
}

/**
 * The match query of the Match view: one place that talks to the matcher, so its transport can
 * change in one spot. `input` is the query of the last explicit run (null: not run yet); results
 * are cached per input, so returning to an earlier query is instant. `rows`: the view's row
 * layout, so the result rows' windows can come with the answer.
 */
export function useMatch(data: ExplorerData, input: MatchInput | null, rows: MatchRowsRequest) {
  const qc = useQueryClient();
  return useQuery({ ...matchQuery(qc, data, input, rows), enabled: input !== null });
}

/**
 * Sends the query now, from the click handler, instead of from the effect after React has
 * rendered the run (the render of a whole explorer took 20–40 ms before the request left).
 */
export function startMatch(qc: QueryClient, data: ExplorerData, input: MatchInput, rows: MatchRowsRequest): void {
  void qc.prefetchQuery(matchQuery(qc, data, input, rows));
}
