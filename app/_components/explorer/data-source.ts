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
export type MatchInput = Required<Omit<inferRouterInputs<AppRouter>["match"]["run"], "workspace" | "datasetId">>;
export type MatchRow = MatchHit;
export type MatchOutput = MatchResult;

export interface ExplorerData {
  /** Stable key for caches (dataset id + provider kind). */
  readonly key: string;
  info(): Promise<DatasetInfo>;
  tokens(from: number, to: number): Promise<string[]>;
  /** Raw values of steps [from, to) (≤ 2000) of a source; `cells` restricts and reorders columns. */
  states(source: string, from: number, to: number, cells?: number[]): Promise<StateMatrix>;
  track(name: string, from: number, to: number): Promise<TrackWindow>;
  search(query: string, regex: boolean, limit: number): Promise<SearchHit[]>;
  match(input: MatchInput): Promise<MatchOutput>;
}

export { MAX_WINDOW } from "@statescope/core";
