import { describe, expect, it } from "vitest";
import { mulberry32 as rng } from "../random";
import { countPlanes } from "./fast-whole";
import { buildOnIndex } from "./on-index";
import { planMatch } from "./query";

describe("countPlanes", () => {
  it("holds count[t] bit-sliced and the switch steps, for every k from 1 to 40 (both adder paths)", { timeout: 60_000 }, () => {
    const r = rng(99);
    const T = 1000; // not a multiple of 32
    const D = 45;
    const data = new Float32Array(T * D);
    for (let c = 0; c < D; c++) {
      let on = r() < 0.5;
      for (let t = 0; t < T; t++) {
        if (r() < 0.2) on = !on;
        data[t * D + c] = on ? 1 : 0;
      }
    }
    const index = buildOnIndex({ data, steps: T, cells: D }, 0.5);
    for (let k = 1; k <= 40; k++) {
      const cells = Array.from({ length: k }, (_, i) => (i * 7) % D);
      const plan = planMatch({ cells }, T, D);
      let B = 1;
      while (1 << B <= k) B++;
      const { planes, chg } = countPlanes(index, plan, B);
      for (let t = 0; t < T; t++) {
        let want = 0;
        let switched = false;
        for (const c of cells) {
          want += data[t * D + c]!;
          if (t > 0 && data[t * D + c] !== data[(t - 1) * D + c]) switched = true;
          if (t === 0 && data[c] === 1) switched = true; // a run starting at step 0 counts as a switch from off
        }
        let got = 0;
        for (let j = 0; j < B; j++) got |= ((planes[(t >>> 5) * B + j]! >>> (t & 31)) & 1) << j;
        expect(got, `k ${k} t ${t}`).toBe(want);
        expect(((chg[t >>> 5]! >>> (t & 31)) & 1) === 1, `k ${k} t ${t} switch`).toBe(switched);
      }
    }
  });
});
