import { describe, expect, it } from "vitest";
import { mulberry32 } from "../random";
import { buildOnIndex } from "./on-index";
import { createOnRowsEncoder, encodeOnRows, onRowsModule, sharedOnRowsEncoder } from "./on-rows";

describe("createOnRowsEncoder", () => {
  it("writes the same row bits as encodeOnRows (any width, NaN, ±0, ±∞, cuts on values)", () => {
    const r = mulberry32(3);
    const enc = createOnRowsEncoder();
    for (const cells of [1, 3, 4, 31, 32, 33, 64, 100, 650]) {
      for (const steps of [1, 7, 40]) {
        const block = new Float32Array(steps * cells);
        for (let i = 0; i < block.length; i++) {
          const x = r();
          block[i] = x < 0.02 ? Number.NaN : x < 0.04 ? -0 : x < 0.05 ? 0 : x < 0.06 ? Infinity : x < 0.07 ? -Infinity : (r() - 0.5) * 3;
        }
        for (const cut of [0.3, 0, -0, -0.5, Math.fround(1.2), -Infinity, Infinity, block[5 % block.length]!]) {
          if (Number.isNaN(cut)) continue;
          const W = Math.ceil(cells / 32);
          const want = new Uint32Array(steps * W);
          encodeOnRows(block, cells, cut, want);
          const got = new Uint32Array(steps * W).fill(0xdeadbeef);
          enc(block, cells, cut, got);
          expect(Array.from(got), `${steps} × ${cells} at ${cut}`).toEqual(Array.from(want));
        }
      }
    }
  });

  it("encodes a block larger than its memory slice (several slices), before and after small ones", () => {
    const enc = createOnRowsEncoder();
    for (const steps of [2, 2000, 3]) {
      const block = new Float32Array(steps * 650).map((_, i) => Math.sin(i));
      const want = new Uint32Array(steps * 21);
      encodeOnRows(block, 650, 0.25, want);
      const got = new Uint32Array(steps * 21);
      enc(block, 650, 0.25, got);
      expect(got).toEqual(want);
    }
  });
});

describe("sharedOnRowsEncoder", () => {
  it("is one encoder per thread, which index builds use: no WebAssembly instance per build, the same bits", () => {
    expect(sharedOnRowsEncoder()).toBe(sharedOnRowsEncoder());
    const r = mulberry32(11);
    const steps = 300;
    const cells = 40;
    const data = Float32Array.from({ length: steps * cells }, () => r() * 2 - 1);
    // (where this runtime has WebAssembly SIMD: otherwise the encoders are the JavaScript one)
    const simd = onRowsModule() !== null;
    // WebAssembly instances made meanwhile (the encoder's constructor, counted)
    const Original = WebAssembly.Instance;
    let made = 0;
    (WebAssembly as { Instance: typeof WebAssembly.Instance }).Instance = class extends Original {
      constructor(module: WebAssembly.Module, imports?: WebAssembly.Imports) {
        super(module, imports);
        made++;
      }
    };
    try {
      for (const threshold of [0.1, 0.2, -0.3]) {
        const index = buildOnIndex({ data, steps, cells }, threshold, { runs: false });
        const want = new Uint32Array(steps * 2);
        encodeOnRows(data, cells, Math.fround(threshold), want);
        expect(index.rows).toEqual(want);
      }
      // the builds and two interleaved blocks through the shared encoder: no new instance
      const a = new Uint32Array(steps * 2);
      const b = new Uint32Array(10 * 2);
      sharedOnRowsEncoder()(data, cells, 0.5, a);
      sharedOnRowsEncoder()(data.subarray(0, 10 * cells), cells, -0.5, b);
      const wantA = new Uint32Array(steps * 2);
      encodeOnRows(data, cells, 0.5, wantA);
      expect(a).toEqual(wantA);
      const wantB = new Uint32Array(10 * 2);
      encodeOnRows(data.subarray(0, 10 * cells), cells, -0.5, wantB);
      expect(b).toEqual(wantB);
      expect(made).toBe(0);
      // (the count is a check only where encoders are WebAssembly: a new one is made here)
      if (simd) {
        createOnRowsEncoder();
        expect(made).toBe(1);
      }
    } finally {
      (WebAssembly as { Instance: typeof WebAssembly.Instance }).Instance = Original;
    }
  });
});
