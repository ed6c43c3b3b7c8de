/**
 * Importing a project folder or archive (LSTMVis or NumPy) into a dataset.
 *
 * Single pass, bounded memory: each source is streamed with `scanSource`
 * (statistics + NaN/Inf check) and every slice is cut into storage chunks as
 * it goes by, so a 2.6 GB source never sits in memory. Any failure or
 * cancellation deletes everything written for the dataset and rethrows.
 */
import { stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { AppError, isAppError } from "@statescope/core";
import { extractArchive, locateProjectRoot, openDataset, scanSource, type DatasetReader, type ExtractResult } from "@statescope/formats";
import { pgPool, type Db } from "@/server/db/client";
import { dataDir } from "@/server/env";
import {
  metaChunkRows,
  stateChunkRows,
  TOKEN_CHUNK_ROWS,
  writeMetaChunk,
  writeStateChunk,
  writeTokenChunk,
  writeVocabulary,
  type Queryable,
} from "@/server/storage/dataset-store";
import { ValueHistogram } from "./histogram";
import type { ImportReport, ImportResult } from "./schemas";

export interface ImportInput {
  workspaceId: string;
  /** Recorded as the dataset's creator (null: unknown, e.g. a CLI import into a workspace without owner lookup). */
  userId: string | null;
  /** A project folder or a .zip / .tar.gz / .tar archive. */
  path: string;
  /** Overrides the project's name. */
  name?: string;
  /** Import into this IMPORTING row (created by {@link createPendingDataset}); a new row otherwise. */
  datasetId?: string;
}

export type ImportPhase = "opening" | "vocabulary" | "tokens" | "sources" | "meta" | "finishing";

export interface ImportOptions {
  /** Called often (every slice); cheap callers only. */
  onProgress?: (phase: ImportPhase, percent: number) => void;
  signal?: AbortSignal;
  /** Where archives are extracted (default: <data dir>/imports). */
  workDir?: string;
  /** How often progress is written to the dataset row and the cancel flag read (ms). */
  progressIntervalMs?: number;
}

/** Bytes of float32 read per `scanSource` slice (a multiple of the chunk size). */
const SCAN_BYTES = 32 * 1024 * 1024;

/** Creates the IMPORTING row an upload job fills in later (so the UI has an id at once). */
export async function createPendingDataset(db: Db, input: { workspaceId: string; userId: string | null; name: string }): Promise<string> {
  const row = await db.dataset.create({
    data: { workspaceId: input.workspaceId, createdById: input.userId, name: input.name },
    select: { id: true },
  });
  return row.id;
}

function cancelled(datasetId: string): AppError {
  return new AppError("CONFLICT", `dataset ${datasetId}: the import was cancelled`);
}

/** Removes everything an import wrote (the dataset row itself only when `dropRow`). */
async function discard(db: Db, datasetId: string, dropRow: boolean, message: string): Promise<void> {
  if (dropRow) {
    await db.dataset.deleteMany({ where: { id: datasetId } });
    return;
  }
  // Children first in one transaction; chunks cascade from sources/tracks.
  await db.$transaction([
    db.datasetSource.deleteMany({ where: { datasetId } }),
    db.metaTrack.deleteMany({ where: { datasetId } }),
    db.tokenChunk.deleteMany({ where: { datasetId } }),
    db.vocabEntry.deleteMany({ where: { datasetId } }),
    db.dataset.updateMany({ where: { id: datasetId }, data: { status: "FAILED", error: message, report: undefined, phase: "failed" } }),
  ]);
}

/**
 * Imports `input.path` into a new dataset (or `input.datasetId`) and returns
 * the `import --json` result. Throws AppError (BAD_INPUT/TOO_LARGE naming the
 * file/key/dataset, CONFLICT when cancelled) after removing what was written:
 * a row this call created is deleted; a pending row is kept as FAILED with
 * the message and no data.
 */
export async function importDataset(db: Db, input: ImportInput, opts: ImportOptions = {}): Promise<ImportResult> {
  let datasetId = input.datasetId;
  const ownRow = !datasetId;
  if (datasetId) {
    const row = await db.dataset.findUnique({ where: { id: datasetId }, select: { status: true, workspaceId: true } });
    if (!row || row.workspaceId !== input.workspaceId) throw new AppError("NOT_FOUND", `dataset ${datasetId} does not exist`);
    if (row.status !== "IMPORTING") throw new AppError("CONFLICT", `dataset ${datasetId} is ${row.status}, not IMPORTING: it cannot be imported into`);
  } else {
    datasetId = await createPendingDataset(db, { workspaceId: input.workspaceId, userId: input.userId, name: input.name ?? basename(input.path) });
  }
  const id = datasetId;

  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(cancelled(id));
  if (opts.signal?.aborted) onOuterAbort();
  opts.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const signal = abort.signal;

  const interval = opts.progressIntervalMs ?? 250;
  let lastWrite = 0;
  let writing: Promise<void> | null = null;
  const progress = (phase: ImportPhase, percent: number): void => {
    opts.onProgress?.(phase, percent);
    const now = Date.now();
    if (writing || now - lastWrite < interval) return;
    lastWrite = now;
    // Fire and forget (awaited before the next write): the row tells the UI where we are and us whether to stop.
    writing = db.dataset
      .update({ where: { id }, data: { phase, percent: Math.round(percent * 10) / 10 }, select: { cancelRequested: true } })
      .then((r) => {
        if (r.cancelRequested && !signal.aborted) abort.abort(cancelled(id));
      })
      .catch(() => undefined)
      .finally(() => {
        writing = null;
      });
  };

  let extracted: ExtractResult | undefined;
  let reader: DatasetReader | undefined;
  let client: (Queryable & { release(destroy?: boolean): void }) | undefined;
  try {
    progress("opening", 0);
    let root = input.path;
    const st = await stat(root).catch(() => null);
    if (!st) throw new AppError("BAD_INPUT", `${input.path}: no such file or folder`);
    if (st.isFile()) {
      const workDir = opts.workDir ?? join(dataDir(), "imports");
      extracted = await extractArchive(root, { dest: join(workDir, `extract-${id}`), signal });
      root = (await locateProjectRoot(extracted.dir)).root;
    }
    reader = await openDataset(root, { signal, ...(input.name ? { name: input.name } : {}) });
    const plan = reader.plan;
    signal.throwIfAborted();

    const separator = plan.regexSearch ? "" : " ";
    await db.dataset.update({
      where: { id },
      data: {
        name: input.name ?? plan.name,
        description: plan.description,
        format: plan.format,
        steps: plan.steps,
        vocabularySize: plan.vocabulary.entries.length,
        regexSearch: plan.regexSearch,
        separator,
      },
    });

    // Bulk writes on one connection without waiting for WAL flushes: a crash
    // mid-import loses nothing that matters (the import is redone anyway).
    const conn = await pgPool(db).connect();
    client = conn;
    await conn.query("set synchronous_commit = off");

    // Progress weights: states dominate; tokens and meta count by values written.
    const work = {
      tokens: plan.steps,
      states: plan.sources.reduce((s, x) => s + plan.steps * x.cells, 0),
      meta: plan.metaTracks.reduce((s, x) => s + plan.steps * x.width, 0),
    };
    const total = Math.max(1, work.tokens + work.states + work.meta);
    let done = 0;
    const pct = () => Math.min(99, (done / total) * 99);

    progress("vocabulary", 0);
    await writeVocabulary(conn, id, plan.vocabulary.entries);

    for (let from = 0, index = 0; from < plan.steps; from += TOKEN_CHUNK_ROWS, index++) {
      signal.throwIfAborted();
      const to = Math.min(plan.steps, from + TOKEN_CHUNK_ROWS);
      await writeTokenChunk(conn, id, index, await reader.readTokenIds(from, to));
      done += to - from;
      progress("tokens", pct());
    }

    const sourceSummaries: ImportResult["sources"] = [];
    for (const [ordinal, src] of plan.sources.entries()) {
      const chunkRows = stateChunkRows(src.cells);
      const scanRows = chunkRows * Math.max(1, Math.floor(SCAN_BYTES / (chunkRows * src.cells * 4)));
      const row = await db.datasetSource.create({
        data: {
          datasetId: id,
          ordinal,
          name: src.name,
          type: src.type,
          layer: src.layer,
          transform: src.transform,
          unsigned: src.unsigned,
          steps: plan.steps,
          cells: src.cells,
          chunkRows,
          min: 0,
          max: 0,
          mean: 0,
          std: 0,
          histogram: { edges: [], counts: [] },
        },
        select: { id: true },
      });
      const hist = new ValueHistogram();
      const stats = await scanSource(reader, src.name, {
        chunkRows: scanRows,
        signal,
        onChunk: async (from, to, rows) => {
          hist.add(rows);
          // scanRows is a multiple of chunkRows, so every slice starts on a chunk boundary.
          for (let a = from; a < to; a += chunkRows) {
            const b = Math.min(to, a + chunkRows);
            await writeStateChunk(conn, row.id, a / chunkRows, src.cells, rows.subarray((a - from) * src.cells, (b - from) * src.cells));
            done += (b - a) * src.cells;
            progress("sources", pct());
            signal.throwIfAborted();
          }
        },
      });
      const histogram = hist.finish(stats.min, stats.max);
      await db.datasetSource.update({
        where: { id: row.id },
        data: { min: stats.min, max: stats.max, mean: stats.mean, std: stats.std, histogram: { edges: histogram.edges, counts: histogram.counts } },
      });
      sourceSummaries.push({ name: src.name, steps: plan.steps, cells: src.cells, transform: src.transform, min: stats.min, max: stats.max });
    }

    for (const [ordinal, track] of plan.metaTracks.entries()) {
      const chunkRows = metaChunkRows(track.width);
      const row = await db.metaTrack.create({
        data: {
          datasetId: id,
          ordinal,
          name: track.name,
          kind: track.kind,
          width: track.width,
          labels: track.labels ? track.labels.map((l) => ({ id: l.id, label: l.label })) : undefined,
          range: track.range ?? undefined,
          hasWeights: track.hasWeights,
          chunkRows,
        },
        select: { id: true },
      });
      for (let from = 0, index = 0; from < plan.steps; from += chunkRows, index++) {
        signal.throwIfAborted();
        const to = Math.min(plan.steps, from + chunkRows);
        const m = await reader.readMetaRows(track.name, from, to);
        if (m.kind === "wordvec") await writeMetaChunk(conn, row.id, index, to - from, m.ids, m.weights);
        else await writeMetaChunk(conn, row.id, index, to - from, m.values, null);
        done += (to - from) * track.width;
        progress("meta", pct());
      }
    }

    progress("finishing", 99);
    signal.throwIfAborted();
    const truncated = plan.steps < plan.wordSequenceLength;
    const result: ImportResult = {
      datasetId: id,
      name: input.name ?? plan.name,
      steps: plan.steps,
      vocabularySize: plan.vocabulary.entries.length,
      sources: sourceSummaries,
      metaTracks: plan.metaTracks.map((t) => ({
        name: t.name,
        kind: t.kind,
        ...(t.kind === "discrete" && t.labels ? { labels: t.labels.map((l) => l.label) } : {}),
      })),
      warnings: [...plan.warnings],
    };
    const report: ImportReport = {
      ...result,
      format: plan.format,
      wordSequenceLength: plan.wordSequenceLength,
      truncation: truncated ? { wordSequenceLength: plan.wordSequenceLength, steps: plan.steps } : null,
      unknownIds: { count: plan.unknownIds.count, distinct: plan.unknownIds.distinct, examples: [...plan.unknownIds.examples] },
    };
    await writing;
    // The status flip is conditional: a cancel that raced the last chunk wins.
    const flipped = await db.dataset.updateMany({
      where: { id, status: "IMPORTING", cancelRequested: false },
      data: { status: "READY", readyAt: new Date(), report, phase: "done", percent: 100 },
    });
    if (flipped.count !== 1) throw cancelled(id);
    opts.onProgress?.("finishing", 100);
    return result;
  } catch (e) {
    const err = signal.aborted && isAppError(signal.reason) ? signal.reason : e;
    const message = err instanceof Error ? err.message : String(err);
    await writing;
    client?.release(true);
    client = undefined;
    await discard(db, id, ownRow, message);
    throw isAppError(err) ? err : new AppError("INTERNAL", `dataset ${id}: import failed: ${message}`, { cause: err });
  } finally {
    opts.signal?.removeEventListener("abort", onOuterAbort);
    client?.release(true);
    await reader?.close().catch(() => undefined);
    await extracted?.cleanup().catch(() => undefined);
  }
}
