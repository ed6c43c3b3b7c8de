import { realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, sep } from "node:path";
import { AppError } from "@statescope/core";
import { tokenFor, type Dictionary } from "../dict/dict";
import { isFloatDtype } from "../npy/dtype";
import type { NumericArray } from "../npy/numeric-array";
import { checkStepRange, MISSING_ID, type DatasetPlan, type DatasetReader, type MetaKind, type MetaLabel, type MetaRows, type MetaTrackPlan } from "./dataset-reader";

const ID_CHUNK = 1 << 20;
export const MAX_DISCRETE_LABELS = 10_000;
export const MAX_LOOKUP_TABLE = 50_000_000;

/**
 * Resolves `rel` inside `root`, refusing absolute paths, `..` escapes and
 * symlinks that lead outside the folder. BAD_INPUT names `what` when the
 * file does not exist.
 */
export async function resolveInside(root: string, rel: string, what: string): Promise<string> {
  if (rel.length === 0 || rel.includes("\0") || isAbsolute(rel) || /^[a-zA-Z]:/.test(rel)) {
    throw new AppError("BAD_INPUT", `${what}: ${JSON.stringify(rel)} must be a path relative to the project folder`);
  }
  const joined = join(root, rel);
  const relToRoot = relative(root, joined);
  if (relToRoot.startsWith("..") || isAbsolute(relToRoot)) {
    throw new AppError("BAD_INPUT", `${what}: ${JSON.stringify(rel)} points outside the project folder`);
  }
  let real: string;
  let realRoot: string;
  try {
    real = await realpath(joined);
    realRoot = await realpath(root);
  } catch {
    throw new AppError("BAD_INPUT", `${what}: file ${JSON.stringify(rel)} not found`);
  }
  if (real !== realRoot && !real.startsWith(realRoot + sep)) {
    throw new AppError("BAD_INPUT", `${what}: ${JSON.stringify(rel)} links outside the project folder`);
  }
  if (!(await stat(real)).isFile()) throw new AppError("BAD_INPUT", `${what}: ${JSON.stringify(rel)} is not a regular file`);
  return real;
}

export interface IdScan {
  count: number;
  distinct: number;
  examples: number[];
}

/** Scans ids [0, steps) for ids missing from `dict` (count, distinct, first examples). */
export async function scanUnknownIds(ids: NumericArray, steps: number, dict: Dictionary, signal?: AbortSignal): Promise<IdScan> {
  const seen = new Set<number>();
  let count = 0;
  const examples: number[] = [];
  for (let from = 0; from < steps; from += ID_CHUNK) {
    signal?.throwIfAborted();
    const chunk = await ids.readInt32(from, Math.min(steps, from + ID_CHUNK));
    for (let i = 0; i < chunk.length; i++) {
      const id = chunk[i]!;
      if (dict.byId.has(id)) continue;
      count++;
      if (!seen.has(id)) {
        seen.add(id);
        if (examples.length < 10) examples.push(id);
      }
    }
  }
  return { count, distinct: seen.size, examples };
}

export function unknownIdWarning(label: string, scan: IdScan): string | null {
  if (scan.count === 0) return null;
  return `${label}: ${scan.count} word id${scan.count === 1 ? "" : "s"} (${scan.distinct} distinct) are not in the dictionary and are shown as <unk:ID>, e.g. ${scan.examples.join(", ")}`;
}

export function dictLabels(dict: Dictionary): MetaLabel[] {
  return dict.entries.map((e) => ({ id: e.id, label: e.token }));
}

/** A meta track ready to read. */
export interface MetaRuntime {
  plan: MetaTrackPlan;
  read(from: number, to: number): Promise<MetaRows>;
}

export interface MetaBuild {
  name: string;
  /** Names the track in messages (e.g. `lstm.yml: meta.pos`). */
  where: string;
  kind: MetaKind;
  file: string;
  dataset: string | null;
  values: NumericArray;
  weights: NumericArray | null;
  /** null for index self; else the section's ids (1-D, ≥ steps rows). */
  indexIds: { section: string; ids: NumericArray } | null;
  dict: Dictionary | null;
  range: [number, number] | "dict" | null;
  steps: number;
  warnings: string[];
  signal?: AbortSignal;
}

/** Validates shapes, collects labels / unknown-value warnings and returns a reader for one track. */
export async function buildMetaTrack(b: MetaBuild): Promise<MetaRuntime> {
  const { values, steps, where } = b;
  const shape = values.shape;
  const label = values.label;
  if (b.kind === "wordvec") {
    if (b.indexIds) throw new AppError("BAD_INPUT", `${where}: wordvec tracks must use index: self`);
    if (shape.length !== 2) throw new AppError("BAD_INPUT", `${where}: ${label} must be 2-D (steps x k) for a wordvec track, got shape (${shape.join(", ")})`);
    if (shape[0]! < steps) throw new AppError("BAD_INPUT", `${where}: ${label} has ${shape[0]} rows, fewer than the ${steps} steps`);
    const width = shape[1]!;
    const w = b.weights;
    if (w && (w.shape.length !== 2 || w.shape[0]! < steps || w.shape[1] !== width)) {
      throw new AppError("BAD_INPUT", `${where}: weights ${w.label} has shape (${w.shape.join(", ")}), expected (${steps}+, ${width})`);
    }
    const plan: MetaTrackPlan = {
      name: b.name, kind: "wordvec", file: b.file, dataset: b.dataset, index: "self", width, dtype: values.dtype,
      labels: b.dict ? dictLabels(b.dict) : null, range: b.range, hasWeights: w !== null,
    };
    return {
      plan,
      read: async (from, to) => ({
        kind: "wordvec",
        width,
        ids: await values.readInt32(from, to),
        weights: w ? await w.readFloat32(from, to) : null,
      }),
    };
  }
  const oneCol = shape.length === 1 || (shape.length === 2 && shape[1] === 1);
  if (!oneCol) throw new AppError("BAD_INPUT", `${where}: ${label} must be 1-D for a ${b.kind} track, got shape (${shape.join(", ")})`);
  const discrete = b.kind === "discrete";
  let labels: MetaLabel[] | null = null;
  const plan: MetaTrackPlan = {
    name: b.name, kind: b.kind, file: b.file, dataset: b.dataset, index: b.indexIds ? b.indexIds.section : "self",
    width: 1, dtype: values.dtype, labels, range: b.range, hasWeights: false,
  };
  // distinct values (discrete, to list labels or find values missing from the dict)
  const distinct = new Set<number>();
  const noteValues = (arr: Int32Array) => {
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i]!;
      if (v === MISSING_ID) continue;
      if (!distinct.has(v)) {
        distinct.add(v);
        if (!b.dict && distinct.size > MAX_DISCRETE_LABELS) {
          throw new AppError("BAD_INPUT", `${where}: ${label} has more than ${MAX_DISCRETE_LABELS} distinct values; give it a dict or use vis: {type: scalar}`);
        }
      }
    }
  };
  if (b.indexIds) {
    const { ids, section } = b.indexIds;
    if (ids.shape.length !== 1 || ids.shape[0]! < steps) {
      throw new AppError("BAD_INPUT", `${where}: index ${section} (${ids.label}) must be 1-D with at least ${steps} rows, got shape (${ids.shape.join(", ")})`);
    }
    const n = shape[0]!;
    if (n > MAX_LOOKUP_TABLE) throw new AppError("TOO_LARGE", `${where}: lookup table ${label} has ${n} entries (limit ${MAX_LOOKUP_TABLE})`);
    const table = discrete ? await values.readInt32(0, n) : await values.readFloat32(0, n);
    let outside = 0;
    const outsideEx: number[] = [];
    for (let from = 0; from < steps; from += ID_CHUNK) {
      b.signal?.throwIfAborted();
      const chunk = await ids.readInt32(from, Math.min(steps, from + ID_CHUNK));
      for (let i = 0; i < chunk.length; i++) {
        const id = chunk[i]!;
        if (id < 0 || id >= n) {
          outside++;
          if (outsideEx.length < 5 && !outsideEx.includes(id)) outsideEx.push(id);
        }
      }
    }
    if (outside > 0) {
      b.warnings.push(`${where}: ${outside} step${outside === 1 ? "" : "s"} have ${section} ids outside the ${n}-entry table ${label} (shown as missing), e.g. ${outsideEx.join(", ")}`);
    }
    if (discrete) noteValues(table as Int32Array);
    const read = async (from: number, to: number): Promise<MetaRows> => {
      const idx = await ids.readInt32(from, to);
      if (discrete) {
        const t = table as Int32Array;
        const out = new Int32Array(idx.length);
        for (let i = 0; i < idx.length; i++) {
          const id = idx[i]!;
          out[i] = id >= 0 && id < n ? t[id]! : MISSING_ID;
        }
        return { kind: "discrete", values: out };
      }
      const t = table as Float32Array;
      const out = new Float32Array(idx.length);
      for (let i = 0; i < idx.length; i++) {
        const id = idx[i]!;
        out[i] = id >= 0 && id < n ? t[id]! : NaN;
      }
      return { kind: "scalar", values: out };
    };
    finishLabels();
    return { plan, read };
  }
  if (shape[0]! < steps) throw new AppError("BAD_INPUT", `${where}: ${label} has ${shape[0]} rows, fewer than the ${steps} steps`);
  if (discrete) {
    for (let from = 0; from < steps; from += ID_CHUNK) {
      b.signal?.throwIfAborted();
      noteValues(await values.readInt32(from, Math.min(steps, from + ID_CHUNK)));
    }
  }
  finishLabels();
  return {
    plan,
    read: async (from, to) =>
      discrete ? { kind: "discrete", values: await values.readInt32(from, to) } : { kind: "scalar", values: await values.readFloat32(from, to) },
  };

  function finishLabels() {
    if (!discrete) return;
    if (b.dict) {
      labels = dictLabels(b.dict);
      const missing = [...distinct].filter((v) => !b.dict!.byId.has(v)).sort((x, y) => x - y);
      if (missing.length > 0) {
        b.warnings.push(`${where}: ${missing.length} value${missing.length === 1 ? "" : "s"} of ${label} are not in ${b.dict.label}, e.g. ${missing.slice(0, 10).join(", ")}`);
      }
    } else {
      labels = [...distinct].sort((x, y) => x - y).map((v) => ({ id: v, label: String(v) }));
    }
    plan.labels = labels;
  }
}

/** Default kind for a track: dict or integer values -> discrete, else scalar. */
export function inferKind(values: NumericArray, hasDict: boolean): MetaKind {
  return hasDict || !isFloatDtype(values.dtype) ? "discrete" : "scalar";
}

/**
 * The reader both folder layouts return once their plan is built: step ranges are checked
 * against the plan, unknown source/track names are refused by name.
 */
export function planReader(parts: {
  plan: DatasetPlan;
  ids: NumericArray;
  vocabulary: Dictionary;
  sources: ReadonlyMap<string, NumericArray>;
  meta: ReadonlyMap<string, MetaRuntime>;
  close: () => Promise<void>;
}): DatasetReader {
  const { plan, ids, vocabulary, sources, meta } = parts;
  return {
    plan,
    async readTokenIds(from, to) {
      checkStepRange(plan, from, to);
      return ids.readInt32(from, to);
    },
    tokenText: (id) => tokenFor(vocabulary, id),
    async readSourceRows(source, from, to) {
      const d = sources.get(source);
      if (!d) throw new AppError("BAD_INPUT", `dataset ${plan.name}: no source named ${JSON.stringify(source)}`);
      checkStepRange(plan, from, to);
      return d.readFloat32(from, to);
    },
    async readMetaRows(track, from, to): Promise<MetaRows> {
      const m = meta.get(track);
      if (!m) throw new AppError("BAD_INPUT", `dataset ${plan.name}: no meta track named ${JSON.stringify(track)}`);
      checkStepRange(plan, from, to);
      return m.read(from, to);
    },
    close: parts.close,
  };
}
