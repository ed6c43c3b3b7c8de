import { describe, expect, it } from "vitest";
import { mulberry32 } from "../random";
import { buildRunTable, columnsFromRowsSlices, columnsOfRows, onIndexFromBits, RUN_SAT, runTableSlices, type RunTable } from "./on-index";

/** Row bits of a random on/off matrix with persistent runs (W words per row). */
function randomRows(seed: number, steps: number, cells: number, flip: number): Uint32Array {
  const r = mulberry32(seed);
  const W = Math.ceil(cells / 32);
  const rows = new Uint32Array(steps * W);
  for (let c = 0; c < cells; c++) {
    let on = r() < 0.5;
    for (let t = 0; t < steps; t++) {
      if (r() < flip) on = !on;
      if (on) rows[t * W + (c >>> 5)]! |= 1 << (c & 31);
    }
  }
  return rows;
}

/**
 * The run table by its definition, cell by cell: every maximal on-run of a cell inside the index,
 * with its length and the off steps before / after it (SAT at the source's edge, the index's edge
 * counted as a gap when the index does not reach the source's edge), ordered per start step longest
 * first, then by cell.
 */
function referenceTable(rows: Uint32Array, steps: number, cells: number, origin: number, totalSteps: number) {
  const W = Math.ceil(cells / 32);
  const on = (t: number, c: number) => (rows[t * W + (c >>> 5)]! >>> (c & 31)) & 1;
  const sat = (x: number) => Math.min(x, RUN_SAT);
  const entries: { start: number; cell: number; length: number; gapBefore: number; gapAfter: number }[] = [];
  for (let c = 0; c < cells; c++) {
    const runs: [number, number][] = [];
    for (let t = 0; t < steps; t++) {
      if (!on(t, c)) continue;
      const s = t;
      while (t < steps && on(t, c)) t++;
      runs.push([s, t]);
    }
    runs.forEach(([s, e], i) => {
      const prev = runs[i - 1];
      const next = runs[i + 1];
      const gapBefore = prev ? sat(s - prev[1]) : origin === 0 ? RUN_SAT : sat(s);
      const gapAfter = next ? sat(next[0] - e) : origin + steps === totalSteps ? RUN_SAT : sat(steps - e);
      entries.push({ start: s, cell: c, length: sat(e - s), gapBefore, gapAfter });
    });
  }
  entries.sort((a, b) => a.start - b.start || b.length - a.length || a.cell - b.cell);
  const offsets = new Int32Array(steps + 1);
  for (const e of entries) offsets[e.start + 1]!++;
  for (let t = 0; t < steps; t++) offsets[t + 1]! += offsets[t]!;
  return {
    offsets: Array.from(offsets),
    cell: entries.map((e) => e.cell),
    length: entries.map((e) => e.length),
    gapBefore: entries.map((e) => e.gapBefore),
    gapAfter: entries.map((e) => e.gapAfter),
  };
}

const plain = (t: RunTable) => ({
  offsets: Array.from(t.offsets),
  cell: Array.from(t.cell),
  length: Array.from(t.length),
  gapBefore: Array.from(t.gapBefore),
  gapAfter: Array.from(t.gapAfter),
});

describe("run table", () => {
  it("equals its definition: whole sources and shards, any width, dense and sparse runs, in slices of any size", () => {
    let seed = 1;
    for (const cells of [1, 5, 31, 32, 33, 70]) {
      for (const steps of [1, 2, 17, 300]) {
        for (const flip of [0.02, 0.3, 0.9]) {
          const rows = randomRows(seed++, steps, cells, flip);
          const W = Math.ceil(cells / 32);
          // a whole source, a shard at the start, one in the middle, one at the end
          for (const [origin, totalSteps] of [
            [0, steps],
            [0, steps + 10],
            [7, steps + 20],
            [5, steps + 5],
          ] as const) {
            const want = referenceTable(rows, steps, cells, origin, totalSteps);
            expect(plain(buildRunTable(rows, W, steps, cells, origin, totalSteps)!), `${steps} × ${cells}, flip ${flip}, origin ${origin}`).toEqual(want);
            // sliced: the same table, with a yield every sliceRows rows of each pass
            const slices = runTableSlices(rows, W, steps, cells, origin, totalSteps, { sliceRows: 3 });
            let yields = 0;
            let r = slices.next();
            while (!r.done) {
              yields++;
              r = slices.next();
            }
            expect(plain(r.value!)).toEqual(want);
            expect(yields).toBe(Math.floor(steps / 3) + Math.floor((steps + 1) / 3));
          }
        }
      }
    }
  });

  it("saturates lengths and gaps at RUN_SAT", () => {
    const steps = RUN_SAT + 10;
    const rows = new Uint32Array(steps);
    // cell 0 on for RUN_SAT + 5 steps from step 2; cell 1 on at step 0 and at the last step only
    for (let t = 2; t < RUN_SAT + 7; t++) rows[t]! |= 1;
    rows[0]! |= 2;
    rows[steps - 1]! |= 2;
    const got = plain(buildRunTable(rows, 1, steps, 2, 0, steps)!);
    expect(got).toEqual(referenceTable(rows, steps, 2, 0, steps));
    expect(got.length).toEqual([1, RUN_SAT, 1]);
    expect(got.gapAfter[0]).toBe(RUN_SAT);
  });

  it("is null past maxBytes, decided before the table is allocated", () => {
    const rows = randomRows(9, 300, 40, 0.3);
    const table = buildRunTable(rows, 2, 300, 40, 0, 300)!;
    const bytes = table.offsets.byteLength + 8 * table.cell.length;
    const run = (maxBytes: number) => {
      const g = runTableSlices(rows, 2, 300, 40, 0, 300, { maxBytes });
      let r = g.next();
      while (!r.done) r = g.next();
      return r.value;
    };
    expect(run(bytes)).toEqual(table);
    expect(run(bytes - 1)).toBeNull();
  });

  it("is null past 65,536 cells (an entry's cell is 16 bits)", () => {
    expect(buildRunTable(new Uint32Array(2049), 2049, 1, 65537, 0, 1)).toBeNull();
  });

  it("columnsFromRowsSlices fills every column from the rows, in slices, keeping the columns filled already", () => {
    for (const [steps, cells] of [[1, 1], [33, 5], [300, 70], [1000, 33]] as const) {
      const rows = randomRows(steps + cells, steps, cells, 0.3);
      const want = columnsOfRows(rows, steps, cells);
      const CW = Math.ceil(steps / 32);
      const cols = new Uint32Array(cells * CW);
      // one column read already (as from the persisted bits)
      cols.set(want.subarray(0, CW), 0);
      const index = onIndexFromBits({ totalSteps: steps, origin: 0, steps, cells, threshold: 0.3, transform: "none", rows, cols });
      let yields = 0;
      for (const _ of columnsFromRowsSlices(index, 64)) yields++;
      expect(Array.from(cols), `${steps} × ${cells}`).toEqual(Array.from(want));
      expect(yields).toBe(Math.ceil(steps / 64) - 1);
    }
    expect(() => columnsFromRowsSlices(onIndexFromBits({ totalSteps: 1, origin: 0, steps: 1, cells: 1, threshold: 0, transform: "none", rows: new Uint32Array(1), cols: new Uint32Array(1) }), 40).next()).toThrow(/multiple of 32/);
  });
});
