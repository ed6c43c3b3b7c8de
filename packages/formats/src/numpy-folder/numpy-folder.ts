import { readdir, readFile, stat } from "node:fs/promises";
import { basename } from "node:path";
import { AppError } from "@statescope/core";
import { type Dictionary, type DictEntry } from "../dict/dict";
import { isFloatDtype, type NumericDtype } from "../npy/dtype";
import { NpyFile } from "../npy/npy";
import { checkRowRange, type NumericArray } from "../npy/numeric-array";
import {
  type DatasetPlan,
  type DatasetReader,
  type SourcePlan,
  type Transform,
} from "../lstmvis/dataset-reader";
import { buildMetaTrack, planReader, resolveInside, scanUnknownIds, unknownIdWarning, type MetaRuntime } from "../lstmvis/shared";

const MAX_TEXT_BYTES = 1024 * 1024 * 1024;
const MAX_JSON_BYTES = 256 * 1024 * 1024;

/** True when `dir` looks like a NumPy folder (tokens.txt, or ids.npy + vocab.json). */
export async function isNumpyFolder(dir: string): Promise<boolean> {
  const names = new Set(await readdir(dir).catch(() => [] as string[]));
  return names.has("tokens.txt") || (names.has("ids.npy") && names.has("vocab.json"));
}

/** Word ids held in memory (from tokens.txt), exposed as a NumericArray. */
class MemoryIds implements NumericArray {
  readonly dtype: NumericDtype = "int32";
  readonly shape: readonly number[];
  constructor(
    readonly label: string,
    private readonly ids: Int32Array,
  ) {
    this.shape = [ids.length];
  }
  async readInt32(from: number, to: number): Promise<Int32Array> {
    checkRowRange(this.label, this.shape, from, to);
    return this.ids.slice(from, to);
  }
  async readFloat32(from: number, to: number): Promise<Float32Array> {
    return Float32Array.from(await this.readInt32(from, to));
  }
}

async function readJson(path: string, label: string): Promise<unknown> {
  const size = (await stat(path)).size;
  if (size > MAX_JSON_BYTES) throw new AppError("TOO_LARGE", `${label}: ${size} bytes is too large`);
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (e) {
    throw new AppError("BAD_INPUT", `${label}: invalid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** vocab.json / labels.json: ["tok", …] (index = id), {"tok": id}, or {"id": "tok"}. */
function entriesFromJson(v: unknown, label: string): DictEntry[] {
  const out: DictEntry[] = [];
  if (Array.isArray(v)) {
    v.forEach((t, i) => {
      if (typeof t !== "string") throw new AppError("BAD_INPUT", `${label}: entry ${i} must be a string, got ${JSON.stringify(t)}`);
      out.push({ id: i, token: t });
    });
    return out;
  }
  if (typeof v === "object" && v !== null) {
    const entries = Object.entries(v as Record<string, unknown>);
    const numericValues = entries.every(([, x]) => typeof x === "number");
    for (const [k, x] of entries) {
      if (numericValues) {
        if (!Number.isSafeInteger(x)) throw new AppError("BAD_INPUT", `${label}: id of ${JSON.stringify(k)} must be an integer`);
        out.push({ id: x as number, token: k });
      } else {
        if (typeof x !== "string" || !/^-?\d+$/.test(k)) {
          throw new AppError("BAD_INPUT", `${label}: expected {"token": id} or {"id": "token"}, got ${JSON.stringify(k)}: ${JSON.stringify(x)}`);
        }
        out.push({ id: Number(k), token: x });
      }
    }
    return out;
  }
  throw new AppError("BAD_INPUT", `${label}: must be a list of tokens or an object`);
}

function makeDict(entries: DictEntry[], label: string): Dictionary {
  const byId = new Map<number, string>();
  for (const e of entries) {
    if (byId.has(e.id)) throw new AppError("BAD_INPUT", `${label}: id ${e.id} is used twice`);
    byId.set(e.id, e.token);
  }
  return { label, entries, byId };
}

/**
 * Opens a NumPy folder: `tokens.txt` (one token per line) or `ids.npy` +
 * `vocab.json`; every other `<stem>.npy` is a source (T x D float16/32/64,
 * transform `none` unless `sources.json` says otherwise); `<track>.meta.npy`
 * are meta tracks (1-D: discrete with `<track>.labels.json`, else scalar;
 * 2-D: wordvec, optional `<track>.meta.weights.npy`).
 */
export async function openNumpyFolder(root: string, opts: { signal?: AbortSignal; name?: string } = {}): Promise<DatasetReader> {
  const names = (await readdir(root)).sort();
  const has = new Set(names);
  const npys: NpyFile[] = [];
  const closeAll = async () => {
    for (const f of npys) await f.close();
    npys.length = 0;
  };
  const openNpy = async (name: string) => {
    const f = await NpyFile.open(await resolveInside(root, name, name), name);
    npys.push(f);
    return f;
  };
  try {
    const warnings: string[] = [];
    let ids: NumericArray;
    let vocabulary: Dictionary;
    if (has.has("ids.npy")) {
      if (!has.has("vocab.json")) throw new AppError("BAD_INPUT", "ids.npy needs a vocab.json beside it");
      const f = await openNpy("ids.npy");
      if (f.shape.length !== 1 || isFloatDtype(f.dtype)) {
        throw new AppError("BAD_INPUT", `ids.npy must be a 1-D integer array, got ${f.dtype} with shape (${f.shape.join(", ")})`);
      }
      ids = f;
      vocabulary = makeDict(entriesFromJson(await readJson(await resolveInside(root, "vocab.json", "vocab.json"), "vocab.json"), "vocab.json"), "vocab.json");
    } else if (has.has("tokens.txt")) {
      const p = await resolveInside(root, "tokens.txt", "tokens.txt");
      const size = (await stat(p)).size;
      if (size > MAX_TEXT_BYTES) throw new AppError("TOO_LARGE", `tokens.txt: ${size} bytes is too large`);
      let text = await readFile(p, "utf8");
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      const lines = text.split("\n");
      if (lines[lines.length - 1] === "") lines.pop();
      const index = new Map<string, number>();
      const entries: DictEntry[] = [];
      const arr = new Int32Array(lines.length);
      lines.forEach((l, i) => {
        const tok = l.endsWith("\r") ? l.slice(0, -1) : l;
        let id = index.get(tok);
        if (id === undefined) {
          id = entries.length;
          index.set(tok, id);
          entries.push({ id, token: tok });
        }
        arr[i] = id;
      });
      ids = new MemoryIds("tokens.txt", arr);
      vocabulary = makeDict(entries, "tokens.txt");
    } else {
      throw new AppError("BAD_INPUT", "not a NumPy folder: expected tokens.txt, or ids.npy with vocab.json");
    }
    const wordSequenceLength = ids.shape[0]!;

    // sources.json
    const settings = new Map<string, { transform: Transform; unsigned: boolean; type: string | null; layer: number | null }>();
    let raw: Record<string, unknown> = {};
    if (has.has("sources.json")) {
      const v = await readJson(await resolveInside(root, "sources.json", "sources.json"), "sources.json");
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw new AppError("BAD_INPUT", 'sources.json: must be an object {"<stem>": {"transform": "tanh"}}');
      raw = v as Record<string, unknown>;
    }
    const sourceFiles = names.filter(
      (n) => n.endsWith(".npy") && n !== "ids.npy" && !n.endsWith(".meta.npy") && !n.endsWith(".meta.weights.npy"),
    );
    for (const [stem, s] of Object.entries(raw)) {
      const key = `sources.json: ${JSON.stringify(stem)}`;
      if (!sourceFiles.includes(`${stem}.npy`)) throw new AppError("BAD_INPUT", `${key} is not a source (no ${stem}.npy)`);
      if (typeof s !== "object" || s === null) throw new AppError("BAD_INPUT", `${key} must be an object`);
      const o = s as Record<string, unknown>;
      const transform = o.transform ?? "none";
      if (transform !== "none" && transform !== "tanh") throw new AppError("BAD_INPUT", `${key}.transform must be tanh or none, got ${JSON.stringify(transform)}`);
      const unsigned = o.unsigned ?? false;
      if (typeof unsigned !== "boolean") throw new AppError("BAD_INPUT", `${key}.unsigned must be true or false`);
      const type = o.type ?? null;
      if (type !== null && typeof type !== "string") throw new AppError("BAD_INPUT", `${key}.type must be a string`);
      const layer = o.layer ?? null;
      if (layer !== null && !Number.isInteger(layer)) throw new AppError("BAD_INPUT", `${key}.layer must be an integer`);
      settings.set(stem, { transform, unsigned, type: type as string | null, layer: layer as number | null });
    }
    if (sourceFiles.length === 0) throw new AppError("BAD_INPUT", "NumPy folder has no source .npy files (one <source>.npy per source)");

    const sources: SourcePlan[] = [];
    const data = new Map<string, NpyFile>();
    let steps = wordSequenceLength;
    for (const file of sourceFiles) {
      const stem = file.slice(0, -4);
      const f = await openNpy(file);
      if (f.shape.length !== 2 || !isFloatDtype(f.dtype)) {
        throw new AppError("BAD_INPUT", `${file}: states must be 2-D float (steps x cells), got ${f.dtype} with shape (${f.shape.join(", ")})`);
      }
      const [rows, cells] = f.shape as [number, number];
      if (cells === 0) throw new AppError("BAD_INPUT", `${file}: has 0 cells`);
      if (rows > wordSequenceLength) {
        throw new AppError("BAD_INPUT", `${file}: has ${rows} rows, more than the ${wordSequenceLength} tokens`);
      }
      if (rows < wordSequenceLength) warnings.push(`source ${stem} has ${rows} rows, fewer than the ${wordSequenceLength} tokens: the dataset is truncated to ${rows} steps`);
      steps = Math.min(steps, rows);
      const s = settings.get(stem) ?? { transform: "none" as Transform, unsigned: false, type: null, layer: null };
      sources.push({ name: stem, file, dataset: null, type: s.type, layer: s.layer, transform: s.transform, unsigned: s.unsigned, rows, cells, dtype: f.dtype });
      data.set(stem, f);
    }
    if (steps === 0) throw new AppError("BAD_INPUT", "the dataset has 0 steps");

    const scan = await scanUnknownIds(ids, steps, vocabulary, opts.signal);
    const warn = unknownIdWarning(ids.label, scan);
    if (warn) warnings.push(warn);

    const meta = new Map<string, MetaRuntime>();
    for (const file of names.filter((n) => n.endsWith(".meta.npy"))) {
      const track = file.slice(0, -".meta.npy".length);
      const values = await openNpy(file);
      const labelsFile = `${track}.labels.json`;
      const dict = has.has(labelsFile)
        ? makeDict(entriesFromJson(await readJson(await resolveInside(root, labelsFile, labelsFile), labelsFile), labelsFile), labelsFile)
        : null;
      const weightsFile = `${track}.meta.weights.npy`;
      const weights = has.has(weightsFile) ? await openNpy(weightsFile) : null;
      const kind = values.shape.length === 2 && values.shape[1] !== 1 ? "wordvec" : dict ? "discrete" : "scalar";
      meta.set(
        track,
        await buildMetaTrack({
          name: track, where: file, kind, file, dataset: null, values, weights, indexIds: null, dict,
          range: null, steps, warnings, signal: opts.signal,
        }),
      );
    }

    const name = opts.name ?? basename(root);
    const plan: DatasetPlan = {
      format: "numpy", name, description: name, steps, wordSequenceLength, sources,
      metaTracks: [...meta.values()].map((m) => m.plan), vocabulary, unknownIds: scan, regexSearch: false, warnings,
    };
    return planReader({ plan, ids, vocabulary, sources: data, meta, close: closeAll });
  } catch (e) {
    await closeAll();
    throw e;
  }
}

