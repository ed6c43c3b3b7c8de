import { describe, expect, it } from "vitest";
import { mulberry32 } from "../random";
import { createOnRowsEncoder, encodeOnRows } from "./on-rows";

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
