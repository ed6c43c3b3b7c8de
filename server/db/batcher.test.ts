import { describe, expect, it } from "vitest";
import { GroupCommitter } from "./batcher";

describe("GroupCommitter", () => {
  it("never puts two items of one key in one statement: the later goes with the next, in order, each caller its own result", async () => {
    const statements: string[][] = [];
    const committer = new GroupCommitter(
      async (items: { who: string; v: number }[]) => {
        statements.push(items.map((i) => `${i.who}${i.v}`));
        return items.map((i) => `${i.who}${i.v} stored`);
      },
      { maxBatch: 3, inFlight: 1, key: (i) => i.who },
    );
    // one turn: ann answers three times (a retry, then a changed mind), bob, cy and dee once each
    const sent = [
      { who: "ann", v: 1 },
      { who: "bob", v: 1 },
      { who: "ann", v: 2 },
      { who: "cy", v: 1 },
      { who: "ann", v: 3 },
      { who: "dee", v: 1 },
    ];
    const results = await Promise.all(sent.map((s) => committer.submit(s)));
    expect(results).toEqual(sent.map((s) => `${s.who}${s.v} stored`));
    // at most maxBatch each; ann's answers in the order sent, one per statement
    expect(statements).toEqual([["ann1", "bob1", "cy1"], ["ann2", "dee1"], ["ann3"]]);
    expect(committer.stats).toEqual({ statements: 3, items: 6 });
  });

  it("never runs one key's items in two statements at once: the later waits for the earlier's to return", async () => {
    const statements: string[][] = [];
    const open: (() => void)[] = [];
    const committer = new GroupCommitter(
      async (items: { who: string; v: number }[]) => {
        statements.push(items.map((i) => `${i.who}${i.v}`));
        await new Promise<void>((r) => open.push(r));
        return items.map((i) => `${i.who}${i.v} stored`);
      },
      { maxBatch: 10, inFlight: 2, key: (i) => i.who },
    );
    const turn = () => new Promise((r) => setImmediate(r));
    const first = committer.submit({ who: "ann", v: 1 });
    await turn();
    expect(statements).toEqual([["ann1"]]);
    // ann changes her mind while her first answer's statement runs; bob answers too
    const later = [committer.submit({ who: "ann", v: 2 }), committer.submit({ who: "bob", v: 1 })];
    await turn();
    expect(statements).toEqual([["ann1"], ["bob1"]]); // a second statement may run, but not with ann's
    open.shift()!();
    expect(await first).toBe("ann1 stored");
    await turn();
    expect(statements).toEqual([["ann1"], ["bob1"], ["ann2"]]);
    open.splice(0).forEach((r) => r());
    expect(await Promise.all(later)).toEqual(["ann2 stored", "bob1 stored"]);
  });

  it("without a key, takes the queue in order up to maxBatch", async () => {
    const statements: number[][] = [];
    const committer = new GroupCommitter(async (items: number[]) => (statements.push(items), items.map((i) => i * 10)), { maxBatch: 2, inFlight: 1 });
    expect(await Promise.all([1, 1, 2, 3].map((i) => committer.submit(i)))).toEqual([10, 10, 20, 30]);
    expect(statements).toEqual([[1, 1], [2, 3]]);
  });
});
