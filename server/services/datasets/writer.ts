/**
 * The dataset writer shared by the importer and the model extraction: the
 * IMPORTING row's life cycle (progress + cancel flag on the row, cleanup on
 * failure, the conditional READY flip) and streaming writers for sources and
 * tracks that cut rows into storage chunks as they arrive.
 */
import { AppError, isAppError, MATCH_DEFAULTS, type Transform } from "@statescope/core";
import type { PoolClient } from "pg";
import { pgPool, type Db } from "@/server/db/client";
import { BitIndexWriter } from "@/server/storage/bit-index-store";
import { metaChunkRows, stateChunkRows, writeMetaChunk, writeStateChunk, type Queryable } from "@/server/storage/dataset-store";
import { datasetContentHash } from "./content-hash";
import { ValueHistogram } from "./histogram";
import type { ImportReport, ImportResult } from "./schemas";

/** Creates the IMPORTING row an upload job fills in later (so the UI has an id at once). */
export async function createPendingDataset(db: Db, input: { workspaceId: string; userId: string | null; name: string }): Promise<string> {
  const row = await db.dataset.create({
    data: { workspaceId: input.workspaceId, createdById: input.userId, name: input.name },
    select: { id: true },
  });
  return row.id;
}

/** The bulk connections of a write: "data" for chunks, "index" for a bit index streamed beside them (each can hold a COPY). */
export type BulkConnection = "data" | "index";

export interface WriteContext {
  datasetId: string;
  /** Aborted on cancel (outer signal or the row's cancel flag); its reason is the AppError to throw. */
  signal: AbortSignal;
  /**
   * A pooled connection of this write for bulk writes (synchronous_commit off), checked out on
   * first use. On failure it is closed, not returned to the pool: a COPY still open on it dies
   * with it, storing nothing.
   */
  connection(which?: BulkConnection): Promise<PoolClient>;
  /** Reports progress; written to the row at most every `progressIntervalMs` (`label` is what the row shows, default `phase`). */
  progress(phase: string, percent: number, label?: string): void;
}

export interface WriteOptions {
  signal?: AbortSignal;
  /** How often progress is written to the dataset row and the cancel flag read (ms). */
  progressIntervalMs?: number;
  /** Called on every progress report, before throttling. */
  onProgress?: (phase: string, percent: number) => void;
}

export interface WriteTarget {
  workspaceId: string;
  userId: string | null;
  /** Name of a new row (ignored with `datasetId`). */
  name: string;
  /** Fill this IMPORTING row (a new row otherwise). */
  datasetId?: string;
  /** "import" / "extraction": used in messages. */
  what: string;
}

function cancelled(datasetId: string, what: string): AppError {
  return new AppError("CONFLICT", `dataset ${datasetId}: the ${what} was cancelled`);
}

/** Removes everything written for a dataset (the row itself only when `dropRow`). */
async function discard(db: Db, datasetId: string, dropRow: boolean, message: string): Promise<void> {
  if (dropRow) {
    await db.dataset.deleteMany({ where: { id: datasetId } });
    return;
  }
  // Children first in one transaction; chunks cascade from sources/tracks.
  await db.$transaction([
    ...writtenData(db, datasetId),
    db.datasetModel.deleteMany({ where: { datasetId } }),
    db.dataset.updateMany({ where: { id: datasetId }, data: { status: "FAILED", error: message, report: undefined, phase: "failed" } }),
  ]);
}

/** Deletes of what an import or extraction writes (not the stored model an extraction reads). */
function writtenData(db: Db, datasetId: string) {
  return [
    db.datasetSource.deleteMany({ where: { datasetId } }),
    db.metaTrack.deleteMany({ where: { datasetId } }),
    db.tokenChunk.deleteMany({ where: { datasetId } }),
    db.vocabEntry.deleteMany({ where: { datasetId } }),
  ];
}

/**
 * Fails a dataset still IMPORTING whose import or extraction job can no longer run (its worker
 * died on the job's last attempt): what was written is removed and the dataset shows `message`
 * instead of a progress bar that never moves. A dataset that finished meanwhile is left alone.
 */
export async function failAbandonedDataset(db: Db, datasetId: string, message: string): Promise<boolean> {
  const row = await db.dataset.findUnique({ where: { id: datasetId }, select: { status: true } });
  if (row?.status !== "IMPORTING") return false;
  await discard(db, datasetId, false, message);
  return true;
}

/**
 * Runs `body` against a new (or the given pending) dataset row and flips it
 * to READY with `report` when it returns. Any failure or cancellation removes
 * what was written (a row created here is deleted; a pending row stays FAILED
 * with the message and no data) and rethrows as AppError.
 */
export async function writeDataset(
  db: Db,
  target: WriteTarget,
  opts: WriteOptions,
  /** `contentHash`: the dataset's content hash computed while writing (else it is read back, {@link datasetContentHash}). */
  body: (ctx: WriteContext) => Promise<{ result: ImportResult; report: ImportReport; contentHash?: string }>,
): Promise<ImportResult> {
  let datasetId = target.datasetId;
  const ownRow = !datasetId;
  if (datasetId) {
    const row = await db.dataset.findUnique({ where: { id: datasetId }, select: { status: true, workspaceId: true } });
    if (!row || row.workspaceId !== target.workspaceId) throw new AppError("NOT_FOUND", `dataset ${datasetId} does not exist`);
    if (row.status !== "IMPORTING") throw new AppError("CONFLICT", `dataset ${datasetId} is ${row.status}, not IMPORTING: it cannot be imported into`);
    // a retry after the worker was killed mid-write starts from nothing (no-op on a first attempt)
    await db.$transaction(writtenData(db, datasetId));
  } else {
    datasetId = await createPendingDataset(db, { workspaceId: target.workspaceId, userId: target.userId, name: target.name });
  }
  const id = datasetId;

  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(cancelled(id, target.what));
  if (opts.signal?.aborted) onOuterAbort();
  opts.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const signal = abort.signal;

  const interval = opts.progressIntervalMs ?? 250;
  let lastWrite = 0;
  let writing: Promise<void> | null = null;
  const progress = (phase: string, percent: number, label?: string): void => {
    opts.onProgress?.(phase, percent);
    const now = Date.now();
    if (writing || now - lastWrite < interval) return;
    lastWrite = now;
    // Fire and forget (awaited before the next write): the row tells the UI where we are and us whether to stop.
    writing = db.dataset
      .update({ where: { id }, data: { phase: label ?? phase, percent: Math.round(percent * 10) / 10 }, select: { cancelRequested: true } })
      .then((r) => {
        if (r.cancelRequested && !signal.aborted) abort.abort(cancelled(id, target.what));
      })
      .catch(() => undefined)
      .finally(() => {
        writing = null;
      });
  };

  const clients = new Map<BulkConnection, Promise<PoolClient>>();
  const connection = (which: BulkConnection = "data"): Promise<PoolClient> => {
    let c = clients.get(which);
    if (!c) {
      // Bulk writes without waiting for WAL flushes: a crash mid-write loses nothing that matters
      // (the dataset is redone anyway), and the READY flip below is a normal commit, which flushes
      // the WAL up to itself, so every chunk written before it is durable once READY is.
      c = pgPool(db)
        .connect()
        .then(async (conn) => {
          await conn.query("set synchronous_commit = off");
          return conn;
        });
      clients.set(which, c);
    }
    return c;
  };
  // closed, not pooled again: their session settings (and any COPY still open) end with them
  const closeAll = async () => {
    const all = [...clients.values()];
    clients.clear();
    for (const c of await Promise.allSettled(all)) if (c.status === "fulfilled") c.value.release(true);
  };

  try {
    const { result, report, contentHash: streamed } = await body({ datasetId: id, signal, connection, progress });
    progress("finishing", 99);
    signal.throwIfAborted();
    await writing;
    // which data this is, whatever it is called: findings cite it (issue 17); an import hashes while it writes
    const contentHash = streamed ?? (await datasetContentHash(pgPool(db), id));
    // The status flip is conditional: a cancel that raced the last chunk wins.
    const flipped = await db.dataset.updateMany({
      where: { id, status: "IMPORTING", cancelRequested: false },
      data: { status: "READY", readyAt: new Date(), report, phase: "done", percent: 100, contentHash },
    });
    if (flipped.count !== 1) throw cancelled(id, target.what);
    opts.onProgress?.("finishing", 100);
    return result;
  } catch (e) {
    const err = signal.aborted && isAppError(signal.reason) ? signal.reason : e;
    const message = err instanceof Error ? err.message : String(err);
    await writing;
    await closeAll();
    await discard(db, id, ownRow, message);
    throw isAppError(err) ? err : new AppError("INTERNAL", `dataset ${id}: ${target.what} failed: ${message}`, { cause: err });
  } finally {
    opts.signal?.removeEventListener("abort", onOuterAbort);
    await closeAll();
  }
}

export interface SourceSpec {
  ordinal: number;
  name: string;
  type: string | null;
  layer: number | null;
  transform: "tanh" | "none";
  unsigned: boolean;
  steps: number;
  cells: number;
}

export interface SourceStats {
  min: number;
  max: number;
  mean: number;
  std: number;
}

/** Creates the source row (statistics filled in by {@link finishSource}); returns its id and chunk size. */
export async function createSource(db: Db, datasetId: string, src: SourceSpec): Promise<{ id: string; chunkRows: number }> {
  const chunkRows = stateChunkRows(src.cells);
  const row = await db.datasetSource.create({
    data: { datasetId, ...src, chunkRows, min: 0, max: 0, mean: 0, std: 0, histogram: { edges: [], counts: [] } },
    select: { id: true },
  });
  return { id: row.id, chunkRows };
}

export async function finishSource(db: Db, sourceId: string, stats: SourceStats, hist: ValueHistogram): Promise<void> {
  const histogram = hist.finish(stats.min, stats.max);
  await db.datasetSource.update({
    where: { id: sourceId },
    data: { min: stats.min, max: stats.max, mean: stats.mean, std: stats.std, histogram: { edges: histogram.edges, counts: histogram.counts } },
  });
}

/**
 * The on/off bit index a new source gets at the default threshold while it is written (issue 15):
 * the first match at that threshold reads bits instead of floats. Other thresholds are built by
 * the first worker that needs them (server/services/matching/engine.ts).
 */
export function defaultIndexWriter(conn: Queryable, sourceId: string, steps: number, cells: number, transform: Transform, opts: { copy?: boolean } = {}): BitIndexWriter {
  return new BitIndexWriter(conn, sourceId, steps, cells, MATCH_DEFAULTS.threshold, transform, { parent: "first", ...opts });
}

/**
 * Accepts a source's rows in any slices, in step order, and writes full
 * storage chunks as they fill, and the default-threshold bit index when the
 * shape is given; keeps min/max/mean/std (population) and the histogram.
 * Memory: one chunk (about 4 MiB) and one bit chunk.
 */
export class StreamingSourceWriter {
  readonly hist = new ValueHistogram();
  private readonly buf: Float32Array;
  private fill = 0;
  private index = 0;
  private count = 0;
  private sum = 0;
  private sumSq = 0;
  private min = Infinity;
  private max = -Infinity;

  private readonly bits: BitIndexWriter | null;

  constructor(
    private readonly conn: Queryable,
    readonly sourceId: string,
    readonly name: string,
    readonly cells: number,
    readonly chunkRows: number,
    /** The source's steps and transform: also write its default-threshold bit index. */
    index?: { steps: number; transform: Transform },
  ) {
    this.buf = new Float32Array(chunkRows * cells);
    this.bits = index ? defaultIndexWriter(conn, sourceId, index.steps, cells, index.transform) : null;
  }

  /** Appends whole rows (a multiple of `cells` values); rejects NaN/±Inf naming the step. */
  async push(rows: Float32Array, firstStep: number): Promise<void> {
    let off = 0;
    while (off < rows.length) {
      const n = Math.min(rows.length - off, this.buf.length - this.fill);
      const part = rows.subarray(off, off + n);
      let { min, max, sum, sumSq } = this;
      for (let i = 0; i < part.length; i++) {
        const v = part[i]!;
        if (v - v !== 0) {
          throw new AppError("BAD_INPUT", `source ${this.name}: value ${v} at step ${firstStep + Math.floor((off + i) / this.cells)}, cell ${(off + i) % this.cells}`);
        }
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
        sumSq += v * v;
      }
      Object.assign(this, { min, max, sum, sumSq });
      this.count += part.length;
      this.hist.add(part);
      this.buf.set(part, this.fill);
      this.fill += n;
      off += n;
      if (this.fill === this.buf.length) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.fill === 0) return;
    const rows = this.buf.subarray(0, this.fill);
    await writeStateChunk(this.conn, this.sourceId, this.index++, this.cells, rows);
    await this.bits?.push(rows);
    this.fill = 0;
  }

  /** Writes the last partial chunk and returns the statistics. */
  async end(): Promise<SourceStats> {
    await this.flush();
    await this.bits?.end();
    const n = this.count;
    const mean = n ? this.sum / n : 0;
    // population std: sqrt(E[x²] - E[x]²), clamped against rounding below zero
    const std = n ? Math.sqrt(Math.max(0, this.sumSq / n - mean * mean)) : 0;
    return { min: n ? this.min : 0, max: n ? this.max : 0, mean, std };
  }
}

export interface TrackSpec {
  ordinal: number;
  name: string;
  kind: "discrete" | "scalar" | "wordvec";
  width: number;
  labels?: Array<{ id: number; label: string }> | null;
  range?: "dict" | [number, number] | null;
  hasWeights: boolean;
}

export async function createTrack(db: Db, datasetId: string, track: TrackSpec): Promise<{ id: string; chunkRows: number }> {
  const chunkRows = metaChunkRows(track.width);
  const row = await db.metaTrack.create({
    data: {
      datasetId,
      ordinal: track.ordinal,
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
  return { id: row.id, chunkRows };
}

/**
 * Like {@link StreamingSourceWriter} for a meta track: `width` values (and weights) per step. A
 * scalar track's smallest and largest finite value are stored with it at `end()` (its colour scale).
 */
export class StreamingTrackWriter {
  private readonly values: Float32Array | Int32Array;
  private readonly weights: Float32Array | null;
  private fill = 0;
  private index = 0;
  private min = Infinity;
  private max = -Infinity;

  constructor(
    private readonly conn: Queryable,
    readonly trackId: string,
    readonly kind: "discrete" | "scalar" | "wordvec",
    readonly width: number,
    readonly chunkRows: number,
    hasWeights: boolean,
  ) {
    const n = chunkRows * width;
    this.values = kind === "scalar" ? new Float32Array(n) : new Int32Array(n);
    this.weights = hasWeights ? new Float32Array(n) : null;
  }

  async push(values: Float32Array | Int32Array, weights: Float32Array | null = null): Promise<void> {
    if (this.kind === "scalar") {
      let { min, max } = this;
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        // NaN and ±Inf (v - v is NaN) have no place on a colour scale
        if (v - v !== 0) continue;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      this.min = min;
      this.max = max;
    }
    let off = 0;
    while (off < values.length) {
      const n = Math.min(values.length - off, this.values.length - this.fill);
      this.values.set(values.subarray(off, off + n), this.fill);
      if (this.weights && weights) this.weights.set(weights.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
      if (this.fill === this.values.length) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.fill === 0) return;
    const rows = this.fill / this.width;
    await writeMetaChunk(this.conn, this.trackId, this.index++, rows, this.values.subarray(0, this.fill), this.weights ? this.weights.subarray(0, this.fill) : null);
    this.fill = 0;
  }

  /** Writes the last partial chunk, and a scalar track's extent. */
  async end(): Promise<void> {
    await this.flush();
    if (this.kind === "scalar" && this.min <= this.max) {
      await this.conn.query('update "MetaTrack" set "min" = $1, "max" = $2 where "id" = $3', [this.min, this.max, this.trackId]);
    }
  }
}
