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
import { AppError } from "@statescope/core";
import { extractArchive, locateProjectRoot, openDataset, scanSource, type DatasetReader, type ExtractResult } from "@statescope/formats";
import type { Db } from "@/server/db/client";
import { dataDir } from "@/server/env";
import { StateChunkCopy, TOKEN_CHUNK_ROWS, writeTokenChunk, writeVocabulary } from "@/server/storage/dataset-store";
import { ContentHasher, namesInHashOrder } from "./content-hash";
import { ValueHistogram } from "./histogram";
import type { ImportReport, ImportResult } from "./schemas";
import { createPendingDataset, createSource, createTrack, defaultIndexWriter, finishSource, StreamingTrackWriter, writeDataset } from "./writer";

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

export { createPendingDataset };

/**
 * Imports `input.path` into a new dataset (or `input.datasetId`) and returns
 * the `import --json` result. Throws AppError (BAD_INPUT/TOO_LARGE naming the
 * file/key/dataset, CONFLICT when cancelled) after removing what was written:
 * a row this call created is deleted; a pending row is kept as FAILED with
 * the message and no data.
 */
export async function importDataset(db: Db, input: ImportInput, opts: ImportOptions = {}): Promise<ImportResult> {
  const target = {
    workspaceId: input.workspaceId,
    userId: input.userId,
    name: input.name ?? basename(input.path),
    what: "import",
    ...(input.datasetId ? { datasetId: input.datasetId } : {}),
  };
  const wopts = {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.progressIntervalMs !== undefined ? { progressIntervalMs: opts.progressIntervalMs } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress as (phase: string, percent: number) => void } : {}),
  };
  return writeDataset(db, target, wopts, async ({ datasetId: id, signal, connection, progress }) => {
    let extracted: ExtractResult | undefined;
    let reader: DatasetReader | undefined;
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

      const conn = await connection();
      // the bit index streams on a second connection beside the floats (each holds a COPY)
      const bitsConn = await connection("index");
      // the content hash is fed as the data goes by (reading 2.6 GB back took as long as writing it)
      const hasher = new ContentHasher(plan.steps, separator);

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
        const ids = await reader.readTokenIds(from, to);
        hasher.bytes(ids);
        await writeTokenChunk(conn, id, index, ids);
        done += to - from;
        progress("tokens", pct());
      }
      hasher.vocabulary(plan.vocabulary.entries);

      const sourceSummaries: ImportResult["sources"] = [];
      hasher.sources(plan.sources.length);
      // written in the content hash's order (the ordinal keeps the project's)
      for (const name of await namesInHashOrder(conn, plan.sources.map((s) => s.name))) {
        const ordinal = plan.sources.findIndex((s) => s.name === name);
        const src = plan.sources[ordinal]!;
        const { id: sourceId, chunkRows } = await createSource(db, id, {
          ordinal,
          name: src.name,
          type: src.type,
          layer: src.layer,
          transform: src.transform,
          unsigned: src.unsigned,
          steps: plan.steps,
          cells: src.cells,
        });
        hasher.source({ name: src.name, transform: src.transform, steps: plan.steps, cells: src.cells });
        const scanRows = chunkRows * Math.max(1, Math.floor(SCAN_BYTES / (chunkRows * src.cells * 4)));
        const hist = new ValueHistogram();
        // Both streams queue a slice and return while Postgres stores it: reading and encoding the
        // next slice overlaps the writes. On failure writeDataset closes the connections, which
        // ends the COPYs without storing anything.
        const chunks = new StateChunkCopy(conn, sourceId, src.cells);
        const bits = defaultIndexWriter(bitsConn, sourceId, plan.steps, src.cells, src.transform, { copy: true });
        const stats = await scanSource(reader, src.name, {
          chunkRows: scanRows,
          signal,
          onChunk: async (from, to, rows) => {
            hist.add(rows);
            hasher.bytes(rows);
            // scanRows is a multiple of chunkRows, so every slice starts on a chunk boundary.
            for (let a = from; a < to; a += chunkRows) {
              const b = Math.min(to, a + chunkRows);
              await chunks.put(a / chunkRows, rows.subarray((a - from) * src.cells, (b - from) * src.cells));
              done += (b - a) * src.cells;
              progress("sources", pct());
              signal.throwIfAborted();
            }
            await bits.push(rows);
          },
        });
        await chunks.end();
        await bits.end();
        await finishSource(db, sourceId, stats, hist);
        sourceSummaries[ordinal] = { name: src.name, steps: plan.steps, cells: src.cells, transform: src.transform, min: stats.min, max: stats.max };
      }

      for (const [ordinal, track] of plan.metaTracks.entries()) {
        const { id: trackId, chunkRows } = await createTrack(db, id, {
          ordinal,
          name: track.name,
          kind: track.kind,
          width: track.width,
          labels: track.labels,
          range: track.range ?? null,
          hasWeights: track.hasWeights,
        });
        const w = new StreamingTrackWriter(conn, trackId, track.kind, track.width, chunkRows, track.hasWeights);
        for (let from = 0; from < plan.steps; from += chunkRows) {
          signal.throwIfAborted();
          const to = Math.min(plan.steps, from + chunkRows);
          const m = await reader.readMetaRows(track.name, from, to);
          if (m.kind === "wordvec") await w.push(m.ids, m.weights);
          else await w.push(m.values);
          done += (to - from) * track.width;
          progress("meta", pct());
        }
        await w.end();
      }

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
      return { result, report, contentHash: await hasher.finish(conn, id) };
    } finally {
      await reader?.close().catch(() => undefined);
      await extracted?.cleanup().catch(() => undefined);
    }
  });
}
