/**
 * Extraction (issue 6): runs a PyTorch LSTM/GRU (safetensors + vocab.json)
 * over a text with our runtime and stores the result as a normal dataset
 * through the importer's writer. States stream from `runRnnChunks` into
 * storage chunks, so a long text never holds all states in memory; the
 * model files and the text are kept with the dataset (DatasetModel).
 */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import {
  AppError,
  describeRnnSources,
  loadRnnModel,
  parseVocab,
  runRnnChunks,
  tokenize,
  type RnnModel,
  type TokenizerLevel,
  type Vocab,
} from "@statescope/core";
import { readSafetensors } from "@statescope/formats";
import type { Db } from "@/server/db/client";
import { TOKEN_CHUNK_ROWS, writeTokenChunk, writeVocabulary, type Queryable } from "@/server/storage/dataset-store";
import type { ImportReport, ImportResult } from "../datasets/schemas";
import { createSource, createTrack, finishSource, StreamingSourceWriter, StreamingTrackWriter, writeDataset } from "../datasets/writer";
import type { Prefixes, UnknownRule } from "./schemas";

/** An annotation track computed outside the model (e.g. the demo's depth), one value per token. */
export type ExtraTrack =
  | { name: string; kind: "scalar"; values: Float32Array }
  | { name: string; kind: "discrete"; values: Int32Array; labels: Array<{ id: number; label: string }> };

export interface ExtractInput {
  workspaceId: string;
  userId: string | null;
  name: string;
  /** The safetensors file: its bytes, or a path to read. */
  weights: Uint8Array | { path: string };
  /** File name kept with the dataset (default: the path's base name, else "model.safetensors"). */
  weightsName?: string;
  /** vocab.json: its text, or the parsed JSON (a list of tokens in id order, or {token: id}). */
  vocab: string | unknown[] | Record<string, unknown>;
  text: string;
  tokenizer: TokenizerLevel;
  arch?: "lstm" | "gru";
  prefixes?: Prefixes;
  unknown?: UnknownRule;
  /** Also store the gate activations as sources. */
  gates?: boolean;
  /** Tracks computed from the tokens (e.g. a demo's depth), added after the model's own. */
  tracks?: (tokens: readonly string[]) => ExtraTrack[];
  /** Demo corpus key, kept with the model (seeding finds its datasets by it). */
  demo?: string;
  /** Fill this IMPORTING row (created by `createPendingDataset`); a new row otherwise. */
  datasetId?: string;
}

export type ExtractPhase = "loading" | "tokens" | "model" | "meta" | "finishing";

export interface ExtractOptions {
  /** Called often (every block of steps); cheap callers only. */
  onProgress?: (phase: ExtractPhase, percent: number, etaSeconds: number | null) => void;
  signal?: AbortSignal;
  /** How often progress is written to the dataset row and the cancel flag read (ms). */
  progressIntervalMs?: number;
  /** Steps per block of the runtime (default 512). */
  chunkSteps?: number;
}

/** What the row shows (the datasets list prints it next to the bar). */
const PHASE_LABEL: Record<ExtractPhase, string> = {
  loading: "loading the model",
  tokens: "tokenizing",
  model: "running the model",
  meta: "writing tracks",
  finishing: "finishing",
};

/** "1m20s", "45s", "2h05m". */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

function parseVocabInput(vocab: ExtractInput["vocab"]): Vocab {
  let json: unknown = vocab;
  if (typeof vocab === "string") {
    try {
      json = JSON.parse(vocab.replace(/^\uFEFF/, ""));
    } catch (e) {
      throw new AppError("BAD_INPUT", `vocab: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  return parseVocab(json);
}

/** Everything checked before a byte is written: the model, the vocabulary against it, the tokens. */
export interface PreparedExtraction {
  model: RnnModel;
  vocab: Vocab;
  vocabJson: unknown;
  weightBytes: Uint8Array;
  weightsName: string;
  ids: Int32Array;
  tokens: string[];
  unknownCount: number;
}

/** Loads and checks the inputs; throws AppError BAD_INPUT naming the file and the problem. */
export async function prepareExtraction(input: Pick<ExtractInput, "weights" | "weightsName" | "vocab" | "text" | "tokenizer" | "arch" | "prefixes" | "unknown">): Promise<PreparedExtraction> {
  let weightBytes: Uint8Array;
  let weightsName = input.weightsName;
  if (input.weights instanceof Uint8Array) weightBytes = input.weights;
  else {
    const path = input.weights.path;
    weightsName ??= basename(path);
    try {
      weightBytes = await readFile(path);
    } catch (e) {
      throw new AppError("BAD_INPUT", `weights: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  weightsName ??= "model.safetensors";
  const at = (file: string, e: unknown): never => {
    if (e instanceof AppError) throw new AppError(e.code, `${file}: ${e.message}`);
    throw e;
  };
  let model: RnnModel;
  try {
    const { tensors } = readSafetensors(weightBytes);
    model = loadRnnModel(tensors, { ...(input.prefixes ? { prefixes: input.prefixes } : {}), ...(input.arch ? { arch: input.arch } : {}) });
  } catch (e) {
    return at(weightsName, e);
  }
  const vocabJson = typeof input.vocab === "string" ? undefined : input.vocab;
  const vocab = parseVocabInput(input.vocab);
  if (vocab.tokens.length > model.vocabSize) {
    throw new AppError(
      "BAD_INPUT",
      `vocab: ${vocab.tokens.length} tokens, but ${weightsName} accepts ids 0..${model.vocabSize - 1} (${model.embedding ? "embedding rows" : "one-hot input size"} ${model.vocabSize}): is this the model's vocabulary?`,
    );
  }
  if (model.head && model.head.outFeatures !== model.vocabSize) {
    // Not fatal (a classifier head), but surprisal over a different vocabulary means nothing.
    model = { ...model, head: null };
  }
  if (input.text.length === 0 || input.text.trim().length === 0) throw new AppError("BAD_INPUT", "text: the text is empty");
  const nul = input.text.indexOf("\u0000");
  if (nul >= 0) throw new AppError("BAD_INPUT", `text: contains a NUL character at offset ${nul}; is it a binary file?`);
  const tok = tokenize(input.text, vocab, { level: input.tokenizer, unknown: input.unknown ?? "auto" });
  if (tok.ids.length === 0) throw new AppError("BAD_INPUT", `text: no ${input.tokenizer} tokens`);
  return {
    model,
    vocab,
    vocabJson: vocabJson ?? JSON.parse((input.vocab as string).replace(/^\uFEFF/, "")),
    weightBytes,
    weightsName,
    ids: tok.ids,
    tokens: tok.tokens,
    unknownCount: tok.unknownCount,
  };
}

/** Records the model and text with the dataset; a row stored when the job was queued only gets the detected arch and prefixes. */
async function storeModel(q: Queryable, datasetId: string, p: PreparedExtraction, input: ExtractInput): Promise<void> {
  const updated = await q.query('update "DatasetModel" set "arch" = $2, "prefixes" = $3 where "datasetId" = $1', [datasetId, p.model.arch, JSON.stringify(p.model.prefixes)]);
  if (updated.rowCount === 1) return;
  await insertDatasetModel(q, datasetId, {
    arch: p.model.arch,
    tokenizer: input.tokenizer,
    unknown: input.unknown ?? "auto",
    prefixes: p.model.prefixes,
    vocab: p.vocabJson,
    weightsName: p.weightsName,
    weights: p.weightBytes,
    text: input.text,
    demo: input.demo ?? null,
  });
}

export interface StoredModel {
  arch: string;
  tokenizer: string;
  unknown: unknown;
  prefixes: unknown;
  vocab: unknown;
  weightsName: string;
  weights: Uint8Array;
  text: string;
  demo: string | null;
}

/** Inserts the DatasetModel row through node-postgres (Prisma is slow with megabyte Bytes). */
export async function insertDatasetModel(q: Queryable, datasetId: string, m: StoredModel): Promise<void> {
  await q.query(
    'insert into "DatasetModel" ("datasetId", "arch", "tokenizer", "unknown", "prefixes", "vocab", "weightsName", "weights", "text", "demo") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
    [
      datasetId,
      m.arch,
      m.tokenizer,
      JSON.stringify(m.unknown),
      JSON.stringify(m.prefixes),
      JSON.stringify(m.vocab),
      m.weightsName,
      Buffer.from(m.weights.buffer, m.weights.byteOffset, m.weights.byteLength),
      m.text,
      m.demo,
    ],
  );
}

/** The stored model and text of a dataset, or null. */
export async function readDatasetModel(q: Queryable, datasetId: string): Promise<StoredModel | null> {
  const r = await q.query<StoredModel>(
    'select "arch", "tokenizer", "unknown", "prefixes", "vocab", "weightsName", "weights", "text", "demo" from "DatasetModel" where "datasetId" = $1',
    [datasetId],
  );
  return r.rows[0] ?? null;
}

function describeUnknown(rule: UnknownRule | undefined, vocab: Vocab): string {
  if (rule === undefined || rule === "auto") return vocab.index.has("<unk>") ? "<unk>" : "<UNK>";
  if (rule === "error") return "nothing";
  if ("id" in rule) return `id ${rule.id} (${JSON.stringify(vocab.tokens[rule.id] ?? "")})`;
  return JSON.stringify(rule.token);
}

/**
 * Runs the model over the text and writes a READY dataset (sources
 * `states1`/`output1`/…, tokens, vocabulary, `surprisal` + `top5` when the
 * model has a head, then `input.tracks`). Returns the `import --json` shape.
 * Bad input → AppError BAD_INPUT; cancel → CONFLICT; either way nothing is
 * left behind (a pending row stays FAILED with the message).
 */
export async function extractDataset(db: Db, input: ExtractInput, opts: ExtractOptions = {}): Promise<ImportResult> {
  const target = { workspaceId: input.workspaceId, userId: input.userId, name: input.name, what: "extraction", ...(input.datasetId ? { datasetId: input.datasetId } : {}) };
  let eta: number | null = null;
  const report = (phase: ExtractPhase, percent: number): void => opts.onProgress?.(phase, percent, phase === "model" ? eta : null);
  const wopts = {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.progressIntervalMs !== undefined ? { progressIntervalMs: opts.progressIntervalMs } : {}),
    onProgress: (phase: string, percent: number) => {
      if (phase === "finishing") report("finishing", percent);
    },
  };
  return writeDataset(db, target, wopts, async ({ datasetId: id, signal, connection, progress }) => {
    const step = (phase: ExtractPhase, percent: number): void => {
      report(phase, percent);
      const label = phase === "model" && eta !== null ? `${PHASE_LABEL.model} · ${formatEta(eta)} left` : PHASE_LABEL[phase];
      progress(phase, percent, label);
    };
    step("loading", 0);
    const p = await prepareExtraction(input);
    signal.throwIfAborted();
    const { model, ids, tokens } = p;
    const T = ids.length;
    const extra = input.tracks ? input.tracks(tokens) : [];
    for (const tr of extra) {
      if (tr.values.length !== T) throw new AppError("INTERNAL", `track ${tr.name} has ${tr.values.length} values for ${T} tokens`);
    }
    const char = input.tokenizer === "char";
    const dirs = model.bidirectional ? " bidirectional" : "";
    await db.dataset.update({
      where: { id },
      data: {
        name: input.name,
        description: `${model.arch.toUpperCase()}${dirs}, ${model.numLayers} layer(s) × ${model.hiddenSize} cells, from ${p.weightsName}`,
        format: "model",
        steps: T,
        vocabularySize: p.vocab.tokens.length,
        regexSearch: char,
        separator: char ? "" : " ",
      },
    });

    const conn = await connection();
    await storeModel(conn, id, p, input);
    step("tokens", 1);
    const entries: Array<{ id: number; token: string }> = [];
    p.vocab.tokens.forEach((token, tokenId) => {
      if (p.vocab.index.get(token) === tokenId) entries.push({ id: tokenId, token });
    });
    await writeVocabulary(conn, id, entries);
    for (let from = 0, index = 0; from < T; from += TOKEN_CHUNK_ROWS, index++) {
      await writeTokenChunk(conn, id, index, ids.subarray(from, Math.min(T, from + TOKEN_CHUNK_ROWS)));
    }
    signal.throwIfAborted();

    const specs = describeRnnSources(model, { gates: input.gates ?? false });
    const writers: StreamingSourceWriter[] = [];
    for (const [ordinal, s] of specs.entries()) {
      const src = await createSource(db, id, { ordinal, name: s.name, type: s.kind, layer: s.layer + 1, transform: s.transform, unsigned: false, steps: T, cells: s.cells });
      writers.push(new StreamingSourceWriter(conn, src.id, s.name, s.cells, src.chunkRows, { steps: T, transform: s.transform }));
    }
    const metaTracks: ImportResult["metaTracks"] = [];
    let ordinal = 0;
    let surprisal: StreamingTrackWriter | null = null;
    let topK: StreamingTrackWriter | null = null;
    if (model.head) {
      const s = await createTrack(db, id, { ordinal: ordinal++, name: "surprisal", kind: "scalar", width: 1, hasWeights: false });
      surprisal = new StreamingTrackWriter(conn, s.id, "scalar", 1, s.chunkRows, false);
      const k = Math.min(5, model.head.outFeatures);
      const t = await createTrack(db, id, { ordinal: ordinal++, name: `top${k}`, kind: "wordvec", width: k, hasWeights: true });
      topK = new StreamingTrackWriter(conn, t.id, "wordvec", k, t.chunkRows, true);
      metaTracks.push({ name: "surprisal", kind: "scalar" }, { name: `top${k}`, kind: "wordvec" });
    }

    // The model pass dominates: 2..97%; the ETA extrapolates the rate so far.
    const started = Date.now();
    step("model", 2);
    for (const chunk of runRnnChunks(model, ids, { gates: input.gates ?? false, topK: 5, chunkSteps: opts.chunkSteps ?? 512 })) {
      signal.throwIfAborted();
      for (let i = 0; i < writers.length; i++) await writers[i]!.push(chunk.sources[i]!.data, chunk.start);
      for (const tr of chunk.tracks) {
        if (tr.kind === "scalar") await surprisal?.push(tr.data);
        else await topK?.push(tr.ids, tr.probs);
      }
      const done = chunk.start + chunk.steps;
      const elapsed = (Date.now() - started) / 1000;
      eta = done < T && elapsed > 0.5 ? (elapsed / done) * (T - done) : eta;
      step("model", 2 + (95 * done) / T);
      // Let progress writes and the cancel check run between blocks.
      await new Promise<void>((r) => setImmediate(r));
    }
    eta = null;
    const sources: ImportResult["sources"] = [];
    for (const [i, w] of writers.entries()) {
      const stats = await w.end();
      await finishSource(db, w.sourceId, stats, w.hist);
      sources.push({ name: specs[i]!.name, steps: T, cells: specs[i]!.cells, transform: specs[i]!.transform, min: stats.min, max: stats.max });
    }
    await surprisal?.end();
    await topK?.end();

    step("meta", 97);
    for (const tr of extra) {
      const row = await createTrack(db, id, {
        ordinal: ordinal++,
        name: tr.name,
        kind: tr.kind,
        width: 1,
        labels: tr.kind === "discrete" ? tr.labels : null,
        hasWeights: false,
      });
      const w = new StreamingTrackWriter(conn, row.id, tr.kind, 1, row.chunkRows, false);
      await w.push(tr.values);
      await w.end();
      metaTracks.push({ name: tr.name, kind: tr.kind, ...(tr.kind === "discrete" ? { labels: tr.labels.map((l) => l.label) } : {}) });
    }

    const warnings: string[] = [];
    if (p.unknownCount > 0) {
      warnings.push(`${p.unknownCount} of ${T} ${input.tokenizer} tokens are not in the vocabulary and were read as ${describeUnknown(input.unknown, p.vocab)}`);
    }
    if (!model.head) warnings.push(`${p.weightsName} has no output layer over the vocabulary: no surprisal or top-5 tracks`);
    const result: ImportResult = { datasetId: id, name: input.name, steps: T, vocabularySize: p.vocab.tokens.length, sources, metaTracks, warnings };
    const full: ImportReport = {
      ...result,
      format: "model",
      wordSequenceLength: T,
      truncation: null,
      unknownIds: { count: p.unknownCount, distinct: 0, examples: [] },
    };
    return { result, report: full };
  });
}
