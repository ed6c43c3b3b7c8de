import { describe, expect, it } from "vitest";
import { fuzzFiles } from "./file-fuzz";

// The fast variant; `npm run test:soak` runs 1,000 cases.
describe("hostile project archives (fast variant of the soak's 1,000)", () => {
  it("60 mutated HDF5 files / archives through the import read path: each succeeds or ends in a clear AppError; no crash, no hang", { timeout: 300_000 }, async () => {
    const r = await fuzzFiles({ cases: 60, seed: 7 });
    expect(r.wrongErrors).toEqual([]);
    expect(r.crashes).toEqual([]);
    expect(r.timeouts).toEqual([]);
    expect(r.ok + r.rejected).toBe(60);
    // both outcomes occur, or the cases never reached the readers' checks
    expect(r.rejected).toBeGreaterThan(10);
    expect(r.ok).toBeGreaterThan(0);
  });
});
