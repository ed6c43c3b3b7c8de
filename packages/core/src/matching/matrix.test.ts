import { describe, expect, it } from "vitest";
import { rawCutoff } from "./matrix";
import { buildOnIndex, createOnIndexBuilder, fillColumnsFromRows, isOnAt } from "./on-index";

describe("rawCutoff", () => {
  it("agrees with fround(tanh(x)) >= fround(ℓ) on values around the cut", () => {
    for (const thr of [0.3, 0.7, 0.5, 0, -0.3, 0.999, 1, -1, 1.2, -1.5, 1e-8]) {
      const cut = rawCutoff(thr, "tanh");
      const t32 = Math.fround(thr);
      const probe: number[] = [0, -0, Infinity, -Infinity, Number.NaN, Math.atanh(Math.max(-1, Math.min(1, thr)))];
      const f = new Float32Array(1);
      const u = new Uint32Array(f.buffer);
      for (const base of probe.slice()) {
        f[0] = base;
        if (!Number.isFinite(f[0])) continue;
        for (let d = -40; d <= 40; d++) {
          u[0] = (u[0]! + (d === -40 ? -40 : 1)) >>> 0;
          probe.push(f[0]!);
        }
      }
      for (let i = 0; i < 2000; i++) probe.push((i - 1000) / 97);
      for (const x of probe.map(Math.fround)) {
        const want = Math.fround(Math.tanh(x)) >= t32;
        const got = cut !== null && x >= cut;
        expect(got, `ℓ=${thr} x=${x}`).toBe(want);
      }
    }
  });
  it("is fround(ℓ) for untransformed sources", () => {
    expect(rawCutoff(0.7, "none")).toBe(Math.fround(0.7));
  });
});

describe("OnIndex", () => {
  it("holds the same bits in rows and columns, built whole or in blocks", () => {
    const steps = 70;
    const cells = 37;
    const data = new Float32Array(steps * cells);
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37) + (i % 11 === 0 ? Number.NaN : 0);
    const whole = buildOnIndex({ data, steps, cells }, 0.2);
    const b = createOnIndexBuilder({ steps, cells, threshold: 0.2 });
    b.push(data.subarray(0, 33 * cells));
    b.push(data.subarray(33 * cells));
    const blocks = b.finish();
    expect(blocks.rows).toEqual(whole.rows);
    expect(blocks.cols).toEqual(whole.cols);
    for (let t = 0; t < steps; t++) {
      for (let c = 0; c < cells; c++) {
        const on = data[t * cells + c]! >= Math.fround(0.2);
        expect(isOnAt(whole, t, c)).toBe(on);
        expect(((whole.cols[c * whole.colWords + (t >>> 5)]! >>> (t & 31)) & 1) === 1).toBe(on);
      }
    }
  });

  it("takes blocks in any order (pushAt) and fills chosen columns from rows alone", () => {
    const steps = 200;
    const cells = 40;
    const data = new Float32Array(steps * cells);
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.61) * 1.5;
    const whole = buildOnIndex({ data, steps, cells }, 0.2, { transform: "tanh" });
    const b = createOnIndexBuilder({ steps, cells, threshold: 0.2, transform: "tanh", runs: false });
    for (const [a, z] of [[150, 200], [0, 37], [96, 150], [37, 96]] as const) b.pushAt(a, data.subarray(a * cells, z * cells));
    const any = b.finish();
    expect(any.rows).toEqual(whole.rows);
    expect(any.cols).toEqual(whole.cols);
    expect(() => createOnIndexBuilder({ steps, cells, threshold: 0.2 }).pushAt(190, data.subarray(0, 20 * cells))).toThrow(/exceeds/);

    const r = createOnIndexBuilder({ steps, cells, threshold: 0.2, transform: "tanh", columns: false });
    r.push(data);
    const rowsOnly = r.finish();
    expect(rowsOnly.rows).toEqual(whole.rows);
    expect(rowsOnly.cols.every((w) => w === 0)).toBe(true);
    const chosen = [0, 5, 31, 32, 39];
    fillColumnsFromRows(rowsOnly, chosen);
    for (let c = 0; c < cells; c++) {
      const col = Array.from(rowsOnly.cols.subarray(c * whole.colWords, (c + 1) * whole.colWords));
      const want = chosen.includes(c) ? Array.from(whole.cols.subarray(c * whole.colWords, (c + 1) * whole.colWords)) : col.map(() => 0);
      expect(col, `cell ${c}`).toEqual(want);
    }
  });
});
