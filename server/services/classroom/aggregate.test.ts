import { describe, expect, it } from "vitest";
import { aggregateAnswers } from "./aggregate";

const view = (start: number, end: number, cells: number[]) => ({ start, end, cells, choice: null });

describe("aggregateAnswers", () => {
  it("counts cells, covers the density bins each range touches, finds the most common cell set", () => {
    const a = aggregateAnswers([view(0, 10, [3, 1]), view(5, 25, [1, 3]), view(90, 100, [7]), view(95, 96, [1, 3, 3])], { steps: 100, bins: 10 });
    expect(a.answers).toBe(4);
    expect(a.cells).toEqual([
      { cell: 1, count: 3 },
      { cell: 3, count: 3 },
      { cell: 7, count: 1 },
    ]);
    // [0,10) → bin 0; [5,25) → bins 0..2; [90,100) and [95,96) → bin 9
    expect(a.density).toEqual([2, 1, 1, 0, 0, 0, 0, 0, 0, 2]);
    expect(a.agreement).toEqual({ cells: [1, 3], count: 3 });
  });

  it("counts poll votes and ignores choices out of range", () => {
    const a = aggregateAnswers(
      [0, 2, 2, 5, -1].map((choice) => ({ start: null, end: null, cells: [], choice })),
      { steps: 10, options: 3 },
    );
    expect(a.votes).toEqual([1, 0, 2]);
    expect(a.agreement).toBeNull();
  });
});
