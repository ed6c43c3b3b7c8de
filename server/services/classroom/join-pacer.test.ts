/**
 * The join pacer lets a session's first `burst` joins through at once and the rest at its rate, in
 * arrival order; sessions do not wait for each other; a join that would wait too long is refused.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AppError } from "@statescope/core";
import { JoinPacer } from "./join-pacer";

/** Admits `n` joins to `key`, recording when (fake ms) each was let through. */
function joinMany(p: JoinPacer, key: string, n: number, through: { key: string; i: number; at: number }[]) {
  return Array.from({ length: n }, (_, i) => p.admit(key).then(() => void through.push({ key, i, at: Date.now() })));
}

describe("JoinPacer", () => {
  beforeEach(() => void vi.useFakeTimers({ now: 0, toFake: ["Date", "setInterval", "clearInterval", "setTimeout", "clearTimeout"] }));
  afterEach(() => void vi.useRealTimers());

  it("lets the burst through at once and the rest at the rate, in arrival order", async () => {
    const p = new JoinPacer({ ratePerSecond: 100, burst: 10, maxWaitMs: 10_000, now: () => Date.now() });
    const through: { key: string; i: number; at: number }[] = [];
    const all = joinMany(p, "ABCDEF", 60, through);
    await vi.advanceTimersByTimeAsync(0);
    expect(through.length).toBe(10);
    expect(p.held).toBe(50);
    await vi.advanceTimersByTimeAsync(250);
    // 100 per second after the burst: 25 more by 250 ms (released a 50 ms tick's worth at a time)
    expect(through.length).toBe(35);
    await vi.advanceTimersByTimeAsync(250);
    await Promise.all(all);
    expect(through.map((t) => t.i)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    // a tick lets 5 through together (they share a statement), never more than the rate allows
    const perTick = new Map<number, number>();
    for (const t of through.slice(10)) perTick.set(t.at, (perTick.get(t.at) ?? 0) + 1);
    expect(Math.max(...perTick.values())).toBe(5);
    expect(through.at(-1)!.at).toBe(500);
  });

  it("paces each session on its own", async () => {
    const p = new JoinPacer({ ratePerSecond: 10, burst: 2, maxWaitMs: 10_000, now: () => Date.now() });
    const through: { key: string; i: number; at: number }[] = [];
    joinMany(p, "AAAAAA", 5, through);
    joinMany(p, "BBBBBB", 2, through);
    await vi.advanceTimersByTimeAsync(0);
    // B's burst is not spent by A's crowd
    expect(through.filter((t) => t.key === "BBBBBB").length).toBe(2);
    expect(through.filter((t) => t.key === "AAAAAA").length).toBe(2);
    expect(p.held).toBe(3);
    await vi.advanceTimersByTimeAsync(300);
    expect(p.held).toBe(0);
  });

  it("refuses a join that would wait longer than maxWaitMs, with the wait as its retry time", async () => {
    const p = new JoinPacer({ ratePerSecond: 10, burst: 1, maxWaitMs: 1_000, now: () => Date.now() });
    const through: { key: string; i: number; at: number }[] = [];
    const held = joinMany(p, "ABCDEF", 11, through);
    const refused = await p.admit("ABCDEF").then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: "TOO_MANY_REQUESTS", options: { retryAfterSeconds: 2 } });
    expect((refused as Error).message).toMatch(/joining this class right now: try again in 2 s/);
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(held);
    expect(through.length).toBe(11);
  });

  it("forgets a session once its bucket is full again, and stops its timer", async () => {
    const p = new JoinPacer({ ratePerSecond: 100, burst: 5, maxWaitMs: 10_000, now: () => Date.now() });
    const through: { key: string; i: number; at: number }[] = [];
    await Promise.all(joinMany(p, "ABCDEF", 3, through));
    expect(p.sessions).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(p.sessions).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rate 0 admits every join at once", async () => {
    const p = new JoinPacer({ ratePerSecond: 0, burst: 1, maxWaitMs: 0, now: () => Date.now() });
    const through: { key: string; i: number; at: number }[] = [];
    await Promise.all(joinMany(p, "ABCDEF", 500, through));
    expect(through.length).toBe(500);
    expect(vi.getTimerCount()).toBe(0);
  });
});
