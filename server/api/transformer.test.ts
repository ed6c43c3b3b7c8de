import superjson from "superjson";
import { afterEach, describe, expect, it, vi } from "vitest";
import { transformer } from "./transformer";

afterEach(() => vi.restoreAllMocks());

/** A match.run answer's shape: rows of counts and tokens, nested objects, nulls, booleans. */
const answer = () => ({
  status: "done",
  key: "ab".repeat(32),
  cached: false,
  computeMs: 0.25,
  result: { results: Array.from({ length: 50 }, (_, i) => ({ pos: i * 7, length: 3, I: 2, U: 5, counts: [0, 1, 2, 3, -4, 1e-7] })), histograms: { all: { "3": 9 }, strict: {} } },
  rows: { ranges: [[0, 60]], windows: [{ tokens: ["(", ")", "", "\u2028", "a\"b"], states: "AAAA", tracks: [{ track: "depth", data: null, weights: null, on: true }] }] },
});

describe("the tRPC transformer", () => {
  it("gives a plain JSON answer superjson's exact wire form without superjson's walk, and reads it back as it is", () => {
    const value = answer();
    const expected = superjson.serialize(value);
    const walk = vi.spyOn(superjson, "serialize");
    const copy = vi.spyOn(superjson, "deserialize");
    const wire = transformer.serialize(value);
    expect(wire).toEqual(expected);
    expect(wire).toEqual({ json: value });
    expect(walk).not.toHaveBeenCalled();
    const parsed = JSON.parse(JSON.stringify(wire)) as typeof wire;
    expect(transformer.deserialize(parsed)).toBe(parsed.json);
    expect(copy).not.toHaveBeenCalled();
    // and superjson itself reads it the same
    expect(superjson.deserialize(parsed)).toEqual(value);
  });

  it("leaves everything JSON cannot carry as it is to superjson, byte for byte, and reads it back like superjson", () => {
    const shared = { a: 1 };
    const special: unknown[] = [
      { at: new Date(0) },
      { gone: undefined },
      [1, undefined],
      // eslint-disable-next-line no-sparse-arrays
      [1, , 3],
      { n: Number.NaN },
      { n: Infinity },
      [-Infinity],
      { zero: -0 },
      { m: new Map([[1, 2]]) },
      { s: new Set([1]) },
      { big: 10n },
      { bytes: new Uint8Array([1, 2]) },
      { twice: [shared, shared] },
      { url: new URL("https://example.com/") },
      { err: new Error("x") },
      undefined,
    ];
    for (const v of special) {
      const wire = transformer.serialize(v);
      expect(JSON.stringify(wire)).toBe(JSON.stringify(superjson.serialize(v)));
      expect(wire.meta === undefined, JSON.stringify(wire)).toBe(superjson.serialize(v).meta === undefined);
      const back = transformer.deserialize(JSON.parse(JSON.stringify(wire)) as typeof wire);
      expect(back).toEqual(superjson.deserialize(JSON.parse(JSON.stringify(superjson.serialize(v))) as typeof wire));
    }
    // the shared object comes back shared, as superjson restores it
    const back = transformer.deserialize<{ twice: object[] }>(JSON.parse(JSON.stringify(transformer.serialize({ twice: [shared, shared] }))) as ReturnType<typeof transformer.serialize>);
    expect(back.twice[0]).toBe(back.twice[1]);
  });

  it("refuses what superjson refuses (a prototype-pollution key), with superjson's error", () => {
    const hostile = JSON.parse('{"ok":1,"__proto__":{"admin":true}}') as unknown;
    expect(() => transformer.serialize(hostile)).toThrow(/prototype pollution/);
    expect(() => transformer.serialize({ constructor: 1 })).toThrow(/prototype pollution/);
  });

  it("plain values at the top: strings, numbers, booleans, null, empty containers", () => {
    for (const v of ["x", 0, 1.5, true, null, [], {}, Object.create(null) as object]) {
      expect(transformer.serialize(v)).toEqual(superjson.serialize(v));
      expect(transformer.serialize(v).meta).toBeUndefined();
    }
  });
});
