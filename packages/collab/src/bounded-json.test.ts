import { describe, expect, it } from "vitest";
import { jsonDepth, parseBoundedJson, utf8Length } from "./bounded-json";

const limits = { maxBytes: 1000, maxDepth: 4 };

describe("parseBoundedJson", () => {
  it("parses JSON within the bounds, exactly as JSON.parse", () => {
    for (const text of ['{"a":[1,2,{"b":"c"}]}', "[]", "null", '"x"', "-0.5e3", '{"__proto__":{"polluted":1}}']) {
      expect(parseBoundedJson(text, limits)).toEqual({ ok: true, value: JSON.parse(text) });
    }
    const r = parseBoundedJson('{"__proto__":{"polluted":1}}', limits);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(r.ok && Object.getPrototypeOf(r.value)).toBe(Object.prototype);
  });

  it("refuses nesting past the limit, counting only brackets outside strings", () => {
    expect(parseBoundedJson("[[[[1]]]]", limits).ok).toBe(true);
    expect(parseBoundedJson("[[[[[1]]]]]", limits)).toEqual({ ok: false, problem: "JSON nested deeper than 4 levels" });
    expect(parseBoundedJson('{"a":{"b":{"c":{"d":{}}}}}', limits).ok).toBe(false);
    // brackets and escaped quotes inside strings are text, not nesting
    expect(parseBoundedJson('["[[[[[[[[", "\\"[[[[[[", {"k]]]]{{{{": 1}]', limits).ok).toBe(true);
    // the hostile frame of the report: 5,000 levels in 10 KB, refused without recursion
    const deep = "[".repeat(5000) + "]".repeat(5000);
    expect(parseBoundedJson(deep, { maxBytes: 100_000, maxDepth: 8 })).toEqual({ ok: false, problem: "JSON nested deeper than 8 levels" });
  });

  it("refuses text over the byte limit, measured in UTF-8", () => {
    expect(parseBoundedJson(`"${"a".repeat(998)}"`, limits).ok).toBe(true);
    expect(parseBoundedJson(`"${"a".repeat(999)}"`, limits)).toEqual({ ok: false, problem: "1001 bytes of JSON; the limit is 1000" });
    // 400 characters, 1,200 bytes
    expect(parseBoundedJson(`"${"€".repeat(400)}"`, limits)).toMatchObject({ ok: false, problem: "1202 bytes of JSON; the limit is 1000" });
  });

  it("says why text that is not JSON was refused", () => {
    const r = parseBoundedJson("{oops", limits);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problem).toMatch(/^not JSON/);
  });
});

describe("jsonDepth and utf8Length", () => {
  it("count as TextEncoder and a recursive walk would", () => {
    for (const s of ["", "abc", "é", "€", "😀", "a😀b€", "\ud800"]) expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
    expect(jsonDepth("1")).toBe(0);
    expect(jsonDepth('[{"a":[]},[[2]]]')).toBe(3);
    expect(jsonDepth("[".repeat(50), 10)).toBe(11);
  });
});
