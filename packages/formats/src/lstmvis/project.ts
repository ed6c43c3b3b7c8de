import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { AppError } from "@statescope/core";
import { readDictFile, type Dictionary } from "../dict/dict";
import { Hdf5File, type Hdf5Dataset } from "../hdf5/h5";
import { isFloatDtype } from "../npy/dtype";
import {
  type DatasetPlan,
  type DatasetReader,
  type MetaKind,
  type SourcePlan,
  type Transform,
} from "./dataset-reader";
import { buildMetaTrack, inferKind, planReader, resolveInside, scanUnknownIds, unknownIdWarning, type MetaRuntime } from "./shared";

const YML = "lstm.yml";
const MAX_YML_BYTES = 1024 * 1024;

type Obj = Record<string, unknown>;

/** Parsed and checked `lstm.yml` (references not yet opened). */
export interface LstmVisConfig {
  name: string;
  description: string;
  files: Record<string, string>;
  wordSequence: { file: string; path: string; dictFile: string };
  states: Array<{ where: string; file: string; path: string; type: string | null; layer: number | null; unsigned: boolean; transform: Transform }>;
  meta: Array<{
    name: string;
    file: string;
    path: string;
    dict: string | null;
    index: string;
    type: "general" | "wordvec";
    weightsPath: string | null;
    vis: { type: MetaKind | null; range: [number, number] | "dict" | null };
  }>;
  /** Other top-level sections with {file, path}, usable as a meta `index`. */
  sections: Record<string, { file: string; path: string }>;
  regexSearch: boolean;
}

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Parses and validates the text of `lstm.yml`. Every problem is a BAD_INPUT
 * naming the key, e.g. `lstm.yml: states.types[2].file refers to "other",
 * which is not declared under files:`.
 */
export function parseLstmYml(text: string): LstmVisConfig {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const at = e.linePos?.[0] ? ` line ${e.linePos[0].line}` : "";
    throw new AppError("BAD_INPUT", `${YML}${at}: invalid YAML (${e.message.split("\n")[0]})`);
  }
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new AppError("BAD_INPUT", `${YML}: invalid YAML (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`);
  }
  const bad = (key: string, why: string): never => {
    throw new AppError("BAD_INPUT", `${YML}: ${key} ${why}`);
  };
  if (!isObj(root)) return bad("(top level)", "must be a mapping of keys");
  const str = (o: Obj, k: string, key: string, required = true): string | null => {
    const v = o[k];
    if (v === undefined || v === null) return required ? bad(key, "is required") : null;
    if (typeof v === "number") return String(v);
    if (typeof v !== "string" || v.length === 0) return bad(key, `must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  };
  const obj = (v: unknown, key: string): Obj => (isObj(v) ? v : bad(key, "must be a mapping"));

  const name = str(root, "name", "name")!;
  const description = str(root, "description", "description", false) ?? name;
  if (root.files === undefined) bad("files", "is required");
  const filesObj = obj(root.files, "files");
  const files: Record<string, string> = {};
  for (const [k, v] of Object.entries(filesObj)) {
    if (typeof v !== "string" || v.length === 0) bad(`files.${k}`, "must be a file name");
    files[k] = v as string;
  }
  const ref = (o: Obj, k: string, key: string, required = true): string | null => {
    const r = str(o, k, key, required);
    if (r !== null && !(r in files)) bad(key, `refers to ${JSON.stringify(r)}, which is not declared under files:`);
    return r;
  };

  if (root.word_sequence === undefined) bad("word_sequence", "is required");
  const ws = obj(root.word_sequence, "word_sequence");
  const wordSequence = {
    file: ref(ws, "file", "word_sequence.file")!,
    path: str(ws, "path", "word_sequence.path")!,
    dictFile: ref(ws, "dict_file", "word_sequence.dict_file")!,
  };

  if (root.states === undefined) bad("states", "is required");
  const st = obj(root.states, "states");
  const defFile = ref(st, "file", "states.file", false);
  if (!Array.isArray(st.types) || st.types.length === 0) bad("states.types", "must be a non-empty list");
  const states = (st.types as unknown[]).map((t, i) => {
    const key = `states.types[${i}]`;
    const o = obj(t, key);
    const file = ref(o, "file", `${key}.file`, false) ?? defFile;
    if (file === null) bad(`${key}.file`, "is required (no default states.file)");
    const layerV = o.layer;
    let layer: number | null = null;
    if (layerV !== undefined && layerV !== null) {
      const n = typeof layerV === "string" ? Number(layerV) : layerV;
      if (typeof n !== "number" || !Number.isInteger(n)) bad(`${key}.layer`, `must be an integer, got ${JSON.stringify(layerV)}`);
      layer = n as number;
    }
    const transform = o.transform ?? "tanh";
    if (transform !== "tanh" && transform !== "none") bad(`${key}.transform`, `must be tanh or none, got ${JSON.stringify(transform)}`);
    const unsigned = o.unsigned ?? false;
    if (typeof unsigned !== "boolean") bad(`${key}.unsigned`, `must be true or false, got ${JSON.stringify(unsigned)}`);
    return {
      where: key,
      file: file!,
      path: str(o, "path", `${key}.path`)!,
      type: str(o, "type", `${key}.type`, false),
      layer,
      unsigned: unsigned as boolean,
      transform: transform as Transform,
    };
  });
  const seen = new Map<string, string>();
  for (const s of states) {
    const id = `${s.file}::${s.path}`;
    if (seen.has(id)) bad(s.where, `names the same source ${id} as ${seen.get(id)}`);
    seen.set(id, s.where);
  }

  if (root.word_embedding !== undefined && root.word_embedding !== null) {
    const we = obj(root.word_embedding, "word_embedding");
    ref(we, "file", "word_embedding.file", false);
  }

  const sections: Record<string, { file: string; path: string }> = {};
  for (const [k, v] of Object.entries(root)) {
    if (!isObj(v)) continue;
    const f = v.file;
    const p = v.path;
    if (typeof f === "string" && typeof p === "string" && f in files) sections[k] = { file: f, path: p };
  }

  const meta: LstmVisConfig["meta"] = [];
  if (root.meta !== undefined && root.meta !== null) {
    for (const [mname, mv] of Object.entries(obj(root.meta, "meta"))) {
      const key = `meta.${mname}`;
      const o = obj(mv, key);
      const type = o.type ?? "general";
      if (type !== "general" && type !== "wordvec") bad(`${key}.type`, `must be general or wordvec, got ${JSON.stringify(type)}`);
      const indexV = o.index ?? "self";
      const index = typeof indexV === "string" ? indexV : bad(`${key}.index`, "must be self or a section name");
      if (index !== "self" && !(index in sections)) {
        bad(`${key}.index`, `refers to ${JSON.stringify(index)}, which is not a top-level section with file and path`);
      }
      let vis: { type: MetaKind | null; range: [number, number] | "dict" | null } = { type: null, range: null };
      if (o.vis !== undefined && o.vis !== null) {
        const v = obj(o.vis, `${key}.vis`);
        const vt = v.type ?? null;
        if (vt !== null && vt !== "discrete" && vt !== "scalar" && vt !== "wordvec") {
          bad(`${key}.vis.type`, `must be discrete, scalar or wordvec, got ${JSON.stringify(vt)}`);
        }
        if ((vt === "wordvec") !== (type === "wordvec") && vt !== null) bad(`${key}.vis.type`, `${vt} does not fit type: ${String(type)}`);
        vis = { type: vt as MetaKind | null, range: parseRange(v.range, `${key}.vis.range`) };
      }
      meta.push({
        name: mname,
        file: ref(o, "file", `${key}.file`)!,
        path: str(o, "path", `${key}.path`)!,
        dict: ref(o, "dict", `${key}.dict`, false),
        index: index as string,
        type: type as "general" | "wordvec",
        weightsPath: str(o, "weights_path", `${key}.weights_path`, false),
        vis,
      });
    }
  }
  let regexSearch = false;
  if (root.etc !== undefined && root.etc !== null) {
    const etc = obj(root.etc, "etc");
    if (etc.regex_search !== undefined && etc.regex_search !== null) {
      if (typeof etc.regex_search !== "boolean") bad("etc.regex_search", "must be true or false");
      regexSearch = etc.regex_search as boolean;
    }
  }
  return { name, description, files, wordSequence, states, meta, sections, regexSearch };

  function parseRange(v: unknown, key: string): [number, number] | "dict" | null {
    if (v === undefined || v === null) return null;
    if (v === "dict") return "dict";
    let pair: unknown[] | null = null;
    if (Array.isArray(v)) pair = v;
    else if (typeof v === "string") {
      const m = /^\s*(-?[\d.eE+-]+)\s*\.\.\.\s*(-?[\d.eE+-]+)\s*$/.exec(v);
      if (m) pair = [Number(m[1]), Number(m[2])];
    }
    if (!pair || pair.length !== 2 || pair.some((x) => typeof x !== "number" || !Number.isFinite(x))) {
      return bad(key, `must be dict, [min, max] or "min...max", got ${JSON.stringify(v)}`);
    }
    return [pair[0] as number, pair[1] as number];
  }
}

export interface OpenOptions {
  signal?: AbortSignal;
}

/**
 * Opens an LSTMVis project folder (the one holding `lstm.yml`): parses the
 * YAML, opens every referenced file and dataset, checks shapes and types,
 * scans the word ids for unknown ids, and returns a reader. Nothing but
 * ids and meta tracks is read at open.
 */
export async function openLstmVisProject(root: string, opts: OpenOptions = {}): Promise<DatasetReader> {
  const ymlPath = join(root, YML);
  let size: number;
  try {
    size = (await stat(ymlPath)).size;
  } catch {
    throw new AppError("BAD_INPUT", `${YML} not found in the project folder`);
  }
  if (size > MAX_YML_BYTES) throw new AppError("BAD_INPUT", `${YML}: ${size} bytes is too large for a project file`);
  const cfg = parseLstmYml(await readFile(ymlPath, "utf8"));
  const h5: Map<string, Hdf5File> = new Map();
  const closeAll = async () => {
    for (const f of h5.values()) await f.close();
    h5.clear();
  };
  try {
    return await build(root, cfg, h5, closeAll, opts);
  } catch (e) {
    await closeAll();
    throw e;
  }
}

async function build(
  root: string,
  cfg: LstmVisConfig,
  h5: Map<string, Hdf5File>,
  closeAll: () => Promise<void>,
  opts: OpenOptions,
): Promise<DatasetReader> {
  const warnings: string[] = [];
  const fileOf = async (ref: string, key: string): Promise<Hdf5File> => {
    const cached = h5.get(ref);
    if (cached) return cached;
    const rel = cfg.files[ref]!;
    const abs = await resolveInside(root, rel, `${YML}: ${key} (files.${ref})`);
    const f = await Hdf5File.open(abs, rel);
    h5.set(ref, f);
    return f;
  };
  const dataset = async (ref: string, path: string, key: string): Promise<Hdf5Dataset> => {
    const f = await fileOf(ref, key);
    try {
      return await f.dataset(path);
    } catch (e) {
      if (e instanceof AppError) throw new AppError(e.code, `${YML}: ${key}: ${e.message}`);
      throw e;
    }
  };
  const dicts = new Map<string, Dictionary>();
  const dictOf = async (ref: string, key: string): Promise<Dictionary> => {
    const cached = dicts.get(ref);
    if (cached) return cached;
    const rel = cfg.files[ref]!;
    const abs = await resolveInside(root, rel, `${YML}: ${key} (files.${ref})`);
    const d = await readDictFile(abs, rel);
    dicts.set(ref, d);
    return d;
  };

  // word sequence
  const ws = cfg.wordSequence;
  const ids = await dataset(ws.file, ws.path, "word_sequence");
  if (!(ids.shape.length === 1 || (ids.shape.length === 2 && ids.shape[1] === 1))) {
    throw new AppError("BAD_INPUT", `${YML}: word_sequence: ${ids.label} must be 1-D (N word ids), got shape (${ids.shape.join(", ")})`);
  }
  if (isFloatDtype(ids.dtype)) {
    throw new AppError("BAD_INPUT", `${YML}: word_sequence: ${ids.label} must hold integer ids, got ${ids.dtype}`);
  }
  const vocabulary = await dictOf(ws.dictFile, "word_sequence.dict_file");
  const wordSequenceLength = ids.shape[0]!;

  // sources
  const sources: SourcePlan[] = [];
  const sourceData = new Map<string, Hdf5Dataset>();
  let steps = wordSequenceLength;
  for (const s of cfg.states) {
    const name = `${s.file}::${s.path}`;
    const d = await dataset(s.file, s.path, `${s.where} (${name})`);
    if (d.shape.length !== 2 || !isFloatDtype(d.dtype)) {
      throw new AppError(
        "BAD_INPUT",
        `${YML}: ${s.where} (${name}): states must be 2-D float (steps x cells), ${d.label} is ${d.dtype} with shape (${d.shape.join(", ")})`,
      );
    }
    const [rows, cells] = d.shape as [number, number];
    if (cells === 0) throw new AppError("BAD_INPUT", `${YML}: ${s.where} (${name}): ${d.label} has 0 cells`);
    if (rows > wordSequenceLength) {
      throw new AppError(
        "BAD_INPUT",
        `${YML}: ${s.where} (${name}): ${d.label} has ${rows} rows, more than the ${wordSequenceLength} word ids of word_sequence`,
      );
    }
    if (rows < wordSequenceLength) {
      warnings.push(`source ${name} has ${rows} rows, fewer than the ${wordSequenceLength} word ids: the dataset is truncated to ${rows} steps`);
    }
    steps = Math.min(steps, rows);
    sources.push({
      name, file: cfg.files[s.file]!, dataset: s.path, type: s.type, layer: s.layer,
      transform: s.transform, unsigned: s.unsigned, rows, cells, dtype: d.dtype,
    });
    sourceData.set(name, d);
  }
  if (steps === 0) throw new AppError("BAD_INPUT", `${YML}: the dataset has 0 steps`);

  const scan = await scanUnknownIds(ids, steps, vocabulary, opts.signal);
  const warn = unknownIdWarning(`${cfg.files[ws.file]}::${ws.path}`, scan);
  if (warn) warnings.push(warn);

  // meta tracks
  const meta = new Map<string, MetaRuntime>();
  for (const m of cfg.meta) {
    const key = `meta.${m.name}`;
    const values = await dataset(m.file, m.path, key);
    const weights = m.weightsPath ? await dataset(m.file, m.weightsPath, `${key}.weights_path`) : null;
    const dict = m.dict ? await dictOf(m.dict, `${key}.dict`) : null;
    let indexIds: { section: string; ids: Hdf5Dataset } | null = null;
    if (m.index !== "self") {
      const sec = cfg.sections[m.index]!;
      indexIds = { section: m.index, ids: await dataset(sec.file, sec.path, `${key}.index (${m.index})`) };
    }
    const kind: MetaKind = m.type === "wordvec" ? "wordvec" : m.vis.type ?? inferKind(values, dict !== null);
    const rt = await buildMetaTrack({
      name: m.name, where: `${YML}: ${key}`, kind, file: cfg.files[m.file]!, dataset: m.path, values, weights, indexIds,
      dict, range: m.vis.range, steps, warnings, signal: opts.signal,
    });
    meta.set(m.name, rt);
  }

  const plan: DatasetPlan = {
    format: "lstmvis",
    name: cfg.name,
    description: cfg.description,
    steps,
    wordSequenceLength,
    sources,
    metaTracks: [...meta.values()].map((m) => m.plan),
    vocabulary,
    unknownIds: scan,
    regexSearch: cfg.regexSearch,
    warnings,
  };
  return planReader({ plan, ids, vocabulary, sources: sourceData, meta, close: closeAll });
}
