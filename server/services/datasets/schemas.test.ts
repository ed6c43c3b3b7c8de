import { describe, expect, it } from "vitest";
import { MAX_CELLS, ZCellList } from "./schemas";

describe("ZCellList", () => {
  it("names each cell once, at most MAX_CELLS, whole numbers ≥ 0", () => {
    expect(ZCellList.parse([3, 1, 2])).toEqual([3, 1, 2]);
    const dup = ZCellList.safeParse(Array.from({ length: 3000 }, () => 3));
    expect(dup.success).toBe(false);
    expect(dup.error!.issues.map((i) => i.message)).toEqual(["cell 3 is listed more than once: name each cell once"]);
    expect(ZCellList.safeParse(Array.from({ length: MAX_CELLS + 1 }, (_, i) => i)).error!.issues[0]!.message).toBe(`at most ${MAX_CELLS} cells`);
    expect(ZCellList.safeParse([-1]).error!.issues[0]!.message).toBe("cells are ≥ 0");
    expect(ZCellList.safeParse([1.5]).error!.issues[0]!.message).toBe("cells are integers");
  });
});
