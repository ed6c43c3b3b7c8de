import { initialWindow } from "@statescope/core";
import type { createCaller } from "@/server/api/root";
import type { DatasetDetail, TokensOutput } from "@/server/services/datasets/schemas";
import type { MetaWindowOutput } from "@/server/services/datasets/schemas-meta";
import { plotWidth } from "./layout";

/**
 * The first window's reads, started by the explore page on the server so they run while the
 * browser loads and starts the scripts instead of after (npm run bench:explorer-open): the states
 * of every stacked source are preloaded from the page's <head> (statesUrl, raw bytes), the tokens
 * and the shown tracks stream in with the page. The range and what was read travel with the page.
 */
export interface FirstWindow {
  /** Steps [from, to) every read below covers. */
  from: number;
  to: number;
  /** Sources whose statesUrl(…, from, to) the page preloaded. */
  sources: string[];
  tracks: string[];
  /** null when a read failed: the explorer then reads those itself and shows its error. */
  data: Promise<FirstWindowData | null>;
}

export interface FirstWindowData {
  tokens: TokensOutput;
  tracks: MetaWindowOutput[];
}

/** Cookie with the explorer's last measured width, so the server reads as many steps as will show. */
export const CANVAS_WIDTH_COOKIE = "statescope-canvas-width";
/** The width assumed before the browser told us (a wide screen: a narrower one shows a part of it). */
export const DEFAULT_CANVAS_WIDTH = 1920;

/** The states route (app/api/w/[slug]/datasets/[datasetId]/states) for steps [from, to) of `source`, all cells. */
export function statesUrl(workspace: string, datasetId: string, source: string, from: number, to: number): string {
  const q = new URLSearchParams({ source, from: String(from), to: String(to) });
  return `/api/w/${encodeURIComponent(workspace)}/datasets/${encodeURIComponent(datasetId)}/states?${q}`;
}

/**
 * Starts the reads of the window the explorer will show first for this URL and canvas width
 * (core's `initialWindow`, which the explorer uses too): the tokens and shown tracks through the
 * tRPC procedures and their workspace checks. Nothing is awaited: the data streams to the
 * browser with the page, which also preloads the states.
 */
export function startFirstWindow(
  caller: ReturnType<typeof createCaller>,
  workspace: string,
  info: DatasetDetail,
  query: URLSearchParams,
  width: number,
): FirstWindow | null {
  const w = initialWindow(query, { steps: info.steps, sources: info.sources, tracks: info.metaTracks }, plotWidth(width));
  if (!w) return null;
  const ref = { workspace, datasetId: info.id, from: w.from, to: w.to };
  const data = Promise.all([caller.dataset.tokens(ref), Promise.all(w.tracks.map((track) => caller.dataset.meta({ ...ref, track })))]).then(
    ([tokens, metas]) => ({ tokens, tracks: metas }),
    () => null,
  );
  return { from: w.from, to: w.to, sources: w.sources, tracks: w.tracks, data };
}
