import { describe, expect, it } from "vitest";
import { addSpan, serverTimingHeader, spanOf, timed, withServerTiming } from "./server-timing";

describe("Server-Timing spans", () => {
  it("adds each awaited span's wall time to the request it runs in, concurrent requests apart", async () => {
    const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
    const request = (ms: number) =>
      withServerTiming(async () => {
        await timed("lookup", () => sleep(ms));
        await Promise.all([timed("rows", () => sleep(ms)), timed("rows", () => sleep(ms))]);
        return serverTimingHeader(100);
      });
    const [a, b] = await Promise.all([request(5), request(40)]);
    const spans = (h: string) => Object.fromEntries(h.split(", ").map((p) => [p.split(";dur=")[0], Number(p.split(";dur=")[1])]));
    expect(Object.keys(spans(a))).toEqual(["lookup", "rows", "total"]);
    expect(spans(a).lookup).toBeGreaterThanOrEqual(4);
    expect(spans(a).lookup).toBeLessThan(35);
    expect(spans(b).lookup).toBeGreaterThanOrEqual(39);
    // two concurrent spans of one name add up
    expect(spans(b).rows).toBeGreaterThanOrEqual(78);
    expect(spans(a).total).toBe(100);
  });

  it("spanOf reads a span so far (0 when none), so a remainder can be reported (the handler's encode)", async () => {
    const header = await withServerTiming(async () => {
      addSpan("procedure", 12);
      addSpan("procedure", 3);
      expect(spanOf("procedure")).toBe(15);
      expect(spanOf("context")).toBe(0);
      addSpan("encode", 20 - spanOf("procedure"));
      return serverTimingHeader(20);
    });
    expect(header).toBe("procedure;dur=15.0, encode;dur=5.0, total;dur=20.0");
  });

  it("outside a timed request, timed only runs its function and the header is empty", async () => {
    expect(await timed("x", async () => 7)).toBe(7);
    expect(spanOf("x")).toBe(0);
    expect(serverTimingHeader()).toBe("");
  });
});
