import { describe, expect, it } from "vitest";
import { ByteLru } from "./byte-lru";

describe("ByteLru", () => {
  it("evicts the least recently used entries to stay within its byte budget", () => {
    const c = new ByteLru<string>(100);
    c.set("a", "A", 40);
    c.set("b", "B", 40);
    expect(c.get("a")).toBe("A"); // a is now the most recent
    c.set("c", "C", 40); // evicts b
    expect(c.get("b")).toBeUndefined();
    expect(c.get("a")).toBe("A");
    expect(c.get("c")).toBe("C");
    expect(c.bytesUsed).toBe(80);
  });

  it("does not cache an entry larger than the budget and replaces keys in place", () => {
    const c = new ByteLru<number>(10);
    c.set("big", 1, 11);
    expect(c.size).toBe(0);
    c.set("x", 1, 6);
    c.set("x", 2, 8);
    expect(c.get("x")).toBe(2);
    expect(c.bytesUsed).toBe(8);
  });
});

describe("ByteLru onEvict", () => {
  it("hands over each value the budget pushes out or refuses, not a replaced key's", () => {
    const gone: string[] = [];
    const c = new ByteLru<string>(100, (v) => gone.push(v));
    c.set("a", "A", 60);
    c.set("a", "A2", 50);
    c.set("b", "B", 50);
    expect(gone).toEqual([]);
    c.set("c", "C", 40); // pushes out a (least recent)
    c.set("huge", "H", 101);
    expect(gone).toEqual(["A2", "H"]);
  });
});
