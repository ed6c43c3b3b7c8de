import type { inferRouterInputs } from "@trpc/server";
import { categoricalColor, type MatchHit, type MatchResult, type StateMatrix, type Transform } from "@statescope/core";
import type { AppRouter } from "@/server/api/root";

/**
 * What the explorer reads. One interface, two implementations: the server (tRPC, `use-server-data.ts`)
 * and generated data (`synthetic-data.ts`, for the benchmark page and for tests of the views).
 */

export interface SourceInfo {
  name: string;
  type: string | null;
  layer: number | null;
  transform: Transform;
  steps: number;
  cells: number;
  /** Raw value statistics (before the transform). */
  min: number;
  max: number;
}

export type TrackKind = "discrete" | "scalar" | "wordvec";

export interface TrackInfo {
  name: string;
  kind: TrackKind;
  /** Values per step (k for wordvec). */
  width: number;
  /** Label of each id for discrete/wordvec tracks with a dictionary. */
  labels: Map<number, string> | null;
  /** Scalar range for colouring, when known. */
  range: [number, number] | null;
  /** Colours of discrete ids that have their own (the members' annotation categories). */
  colors?: Map<number, string> | null;
}

/** The colour of discrete value `id` of a track: its own, else the categorical palette's. */
export function discreteColor(t: TrackInfo, id: number): string {
  return t.colors?.get(id) ?? categoricalColor(id);
}

export interface DatasetInfo {
  id: string;
  name: string;
  steps: number;
  regexSearch: boolean;
  separator: string;
  sources: SourceInfo[];
  tracks: TrackInfo[];
}

/** Steps [from, to) of a track: `width` values per step (int ids or floats), wordvec scores beside. */
export interface TrackWindow {
  from: number;
  to: number;
  width: number;
  values: ArrayLike<number>;
  weights: ArrayLike<number> | null;
  /** Words of a wordvec track's ids when the track has no dictionary (its ids are token ids). */
  words: Map<number, string> | null;
}

export interface SearchHit {
  pos: number;
  length: number;
}

/**
 * A match query as the explorer sends it: the `match.run` input without the dataset (the data
 * source knows it), every field given so the view never relies on the server's defaults.
 */
export type MatchInput = Required<Omit<inferRouterInputs<AppRouter>["match"]["run"], "workspace" | "datasetId" | "rows">>;
export type MatchRow = MatchHit;
export type MatchOutput = MatchResult;

/** The result rows a match should bring along (their layout and heatmap tracks): see {@link ExplorerData.match}. */
export type MatchRowsRequest = NonNullable<inferRouterInputs<AppRouter>["match"]["run"]["rows"]>;

/** The windows of a match's result rows, read with it: the ranges (`resultRows` in packages/core) and their windows. */
export interface MatchRows {
  ranges: [number, number][];
  windows: RangeWindow[];
}

/** One step range of {@link ExplorerData.windows}: its tokens, the selected cells' raw values, the tracks' rows. */
export interface RangeWindow {
  tokens: string[];
  states: StateMatrix;
  tracks: TrackWindow[];
}

export interface ExplorerData {
  /** Stable key for caches (dataset id + provider kind). */
  readonly key: string;
  info(): Promise<DatasetInfo>;
  tokens(from: number, to: number): Promise<string[]>;
  /** Raw values of steps [from, to) (≤ 2000) of a source; `cells` restricts and reorders columns. */
  states(source: string, from: number, to: number, cells?: number[]): Promise<StateMatrix>;
  track(name: string, from: number, to: number): Promise<TrackWindow>;
  /**
   * Several step ranges [from, to) of a source at once (the Match view's result rows, ≤ 400 steps
   * each): one request for all of them instead of one per range and kind.
   */
  windows(source: string, cells: number[], ranges: readonly (readonly [number, number])[], tracks: string[]): Promise<RangeWindow[]>;
  search(query: string, regex: boolean, limit: number): Promise<SearchHit[]>;
  /**
   * Runs a match. With `rows`, a source may also return the result rows' windows (what
   * {@link windows} would answer for them), saving the view a second round trip.
   */
  match(input: MatchInput, rows?: MatchRowsRequest): Promise<MatchOutput & { rows?: MatchRows }>;
}

/** {@link ExplorerData.windows} from a source's single-range reads (for data held in memory). */
export function windowsFromParts(
  d: Pick<ExplorerData, "tokens" | "states" | "track">,
  source: string,
  cells: number[],
  ranges: readonly (readonly [number, number])[],
  tracks: string[],
): Promise<RangeWindow[]> {
  return Promise.all(
    ranges.map(async ([from, to]) => ({
      tokens: await d.tokens(from, to),
      states: await d.states(source, from, to, cells),
      tracks: await Promise.all(tracks.map((t) => d.track(t, from, to))),
    })),
  );
}

export { MAX_WINDOW } from "@statescope/core";
