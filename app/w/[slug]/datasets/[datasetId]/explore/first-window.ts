import { decodeViewState, defaultLayer, loadRange } from "@statescope/core";
import type { FirstWindow } from "@/app/_components/explorer/first-window";
import { visibleSteps } from "@/app/_components/explorer/layout";
import type { createCaller } from "@/server/api/root";
import type { DatasetDetail } from "@/server/services/datasets/schemas";

/**
 * Starts the reads of the window the explorer will show first for this URL (the same view-state
 * decoding, default layer and window range as the explorer): the tokens and shown tracks through
 * the tRPC procedures and their workspace checks. Nothing is awaited: the data streams to the
 * browser with the page, which also preloads the states (FirstWindowPreloads).
 */
export function startFirstWindow(
  caller: ReturnType<typeof createCaller>,
  workspace: string,
  info: DatasetDetail,
  query: URLSearchParams,
  width: number,
): FirstWindow | null {
  if (info.sources.length === 0 || info.steps === 0) return null;
  const state = decodeViewState(query);
  const layers = state.layers.length ? state.layers : [defaultLayer(info.sources[0]!.name)];
  const sources = [...new Set(layers.map((l) => l.source))].filter((s) => info.sources.some((x) => x.name === s));
  const tracks = state.tracks.filter((t) => info.metaTracks.some((x) => x.name === t));
  const pos = Math.max(0, Math.min(state.pos, info.steps - 1));
  const [from, to] = loadRange(pos, visibleSteps(width, state.zoom, pos, info.steps), info.steps);
  const ref = { workspace, datasetId: info.id, from, to };
  const data = Promise.all([caller.dataset.tokens(ref), Promise.all(tracks.map((track) => caller.dataset.meta({ ...ref, track })))]).then(
    ([tokens, metas]) => ({ tokens, tracks: metas }),
    () => null,
  );
  return { from, to, sources, tracks, data };
}
