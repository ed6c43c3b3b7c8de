import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { selectCells } from "./select-cells";
import type { StateMatrix } from "./matrix";

// rows are steps, columns cells 0..3
const W: StateMatrix = {
  steps: 6,
  cells: 4,
  data: Float32Array.from([
    [0, 1, 0, 0.3],
    [0, 0, 1, 0.3],
    [1, 1, 1, 0.3],
    [1, 1, 1, 0.3],
    [0, 0, 1, Number.NaN],
    [0, 1, 0, 0],
  ].flat()),
};

describe("selectCells", () => {
  it("keeps cells on in the brush and off in the padding", () => {
    // brush [2, 4): cells 0, 1 off at 1; cell 2 on at 1; cell 3 = 0.3 ≥ fround(0.3) is on at 1
    expect(selectCells(W, [2, 4], 0.3, [1, 0])).toEqual([0, 1]);
    expect(selectCells(W, [2, 4], 0.3, [2, 0])).toEqual([0]);
    expect(selectCells(W, [2, 4], 0.3, [1, 1])).toEqual([0, 1]);
    expect(selectCells(W, [3, 4], 0.3, [0, 1])).toEqual([0, 1, 3]); // NaN at 4 is off
    expect(selectCells(W, [2, 4], 0.3, [0, 0])).toEqual([0, 1, 2, 3]);
    expect(selectCells(W, [2, 4], 0.5, [1, 0])).toEqual([0, 1]);
  });
  it("ignores padding outside the window", () => {
    expect(selectCells(W, [0, 1], 0.5, [3, 0])).toEqual([1]);
    expect(selectCells(W, [5, 6], 0.5, [1, 9])).toEqual([1]);
  });
  it("applies tanh when asked", () => {
    // tanh(1) ≈ 0.76, tanh(0.3) ≈ 0.29
    expect(selectCells(W, [2, 4], 0.3, [0, 0], "tanh")).toEqual([0, 1, 2]);
  });
  it("rejects bad input", () => {
    expect(() => selectCells(W, [3, 3], 0.3)).toThrow(AppError);
    expect(() => selectCells(W, [0, 7], 0.3)).toThrow(/inside the window's 6 steps/);
    expect(() => selectCells(W, [0, 1], Number.NaN)).toThrow(/finite/);
    expect(() => selectCells(W, [0, 1], 0.3, [-1, 0])).toThrow(/non-negative/);
  });
});
