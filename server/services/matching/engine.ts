/**
 * Running a match query against a stored source: on/off indices are built by
 * streaming the source's chunks from Postgres (the float32 matrix never has to
 * exist whole) and kept in a byte-bounded LRU per (source, threshold), next to
 * the decoded source when it fits, so a new threshold does not re-read Postgres.
 */
import { buildOnIndex, createOnIndexBuilder, match, planMatch, type OnIndex } from "@statescope/core";
import { pgPool, type Db } from "@/server/db/client";
import { findSource } from "@/server/services/datasets/datasets";
import { forEachStateChunk, readWholeSource } from "@/server/storage/dataset-store";
import { ByteLru } from "./byte-lru";
import type { CanonicalQuery, MatchResultOut } from "./schemas";

type Cached = { kind: "index"; index: OnIndex } | { kind: "source"; data: Float32Array };

export class MatchEngine {
  readonly cache: ByteLru<Cached>;
  constructor(cacheBytes: number) {
    this.cache = new ByteLru<Cached>(cacheBytes);
  }

  /** The on/off index of a source at a threshold, from the cache or built now. */
  async index(db: Db, src: Awaited<ReturnType<typeof findSource>>, threshold: number): Promise<OnIndex> {
    const thr = Math.fround(threshold);
    const key = `index:${src.id}:${thr}`;
    const hit = this.cache.get(key);
    if (hit?.kind === "index") return hit.index;

    const srcKey = `source:${src.id}`;
    const bytes = src.steps * src.cells * 4;
    let index: OnIndex;
    const decoded = this.cache.get(srcKey);
    if (decoded?.kind === "source") {
      index = buildOnIndex({ data: decoded.data, steps: src.steps, cells: src.cells }, thr, { transform: src.transform });
    } else if (bytes <= this.cache.budget / 2) {
      // Small enough to keep decoded: the next threshold on this source skips Postgres.
      const data = await readWholeSource(pgPool(db), src);
      this.cache.set(srcKey, { kind: "source", data }, bytes);
      index = buildOnIndex({ data, steps: src.steps, cells: src.cells }, thr, { transform: src.transform });
    } else {
      const builder = createOnIndexBuilder({ steps: src.steps, cells: src.cells, threshold: thr, transform: src.transform });
      await forEachStateChunk(pgPool(db), src, (from, rows) => {
        const n = Math.min(rows.length / src.cells, src.steps - from);
        builder.push(rows.subarray(0, n * src.cells));
      });
      index = builder.finish();
    }
    this.cache.set(key, { kind: "index", index }, indexBytes(index));
    return index;
  }

  /** Validate the query against the source's shape without touching its states. */
  async validate(db: Db, q: CanonicalQuery): Promise<void> {
    const src = await findSource(db, null, q.datasetId, q.source);
    planMatch(engineQuery(q), src.steps, src.cells);
  }

  async run(db: Db, q: CanonicalQuery): Promise<{ result: MatchResultOut; computeMs: number; indexMs: number }> {
    const src = await findSource(db, null, q.datasetId, q.source);
    const t0 = performance.now();
    const index = await this.index(db, src, q.threshold);
    const t1 = performance.now();
    const result = match(index, engineQuery(q));
    const t2 = performance.now();
    return { result, computeMs: t2 - t1, indexMs: t1 - t0 };
  }
}

function engineQuery(q: CanonicalQuery) {
  return {
    cells: q.cells,
    threshold: q.threshold,
    padL: q.padLeft,
    padR: q.padRight,
    mode: q.mode,
    length: q.length,
    k: q.k,
    context: { before: q.before, after: q.after },
  };
}

function indexBytes(i: OnIndex): number {
  let n = i.rows.byteLength + i.cols.byteLength;
  if (i.runs) n += i.runs.offsets.byteLength + i.runs.cell.byteLength + i.runs.length.byteLength + i.runs.gapBefore.byteLength + i.runs.gapAfter.byteLength;
  return n;
}
