import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { applyTextDiff, diffText, mapIndexThroughDelta, type TextDelta } from "./index";

describe("diffText", () => {
  it("finds the one splice between two strings", () => {
    expect(diffText("abc", "abc")).toBeNull();
    expect(diffText("abc", "abXc")).toEqual({ index: 2, remove: 0, insert: "X" });
    expect(diffText("abXc", "abc")).toEqual({ index: 2, remove: 1, insert: "" });
    expect(diffText("hello world", "hello there world")).toEqual({ index: 6, remove: 0, insert: "there " });
    expect(diffText("aaa", "aa")).toEqual({ index: 2, remove: 1, insert: "" });
    expect(diffText("", "new")).toEqual({ index: 0, remove: 0, insert: "new" });
    expect(diffText("old", "")).toEqual({ index: 0, remove: 3, insert: "" });
  });

  it("never cuts a surrogate pair", () => {
    // 😀 = d83d de00, 😃 = d83d de03: same high surrogate, the splice must replace both units
    const d = diffText("a😀b", "a😃b")!;
    expect(d).toEqual({ index: 1, remove: 2, insert: "😃" });
    const e = diffText("😀", "😀😀")!;
    expect("😀".slice(0, e.index) + e.insert + "😀".slice(e.index + e.remove)).toBe("😀😀");
    expect(e.insert.length % 2).toBe(0);
  });

  it("applied to a Y.Text reproduces the new value, whatever the edit", () => {
    const doc = new Y.Doc();
    const t = doc.getText("notes");
    const values = ["", "a", "abc", "xabcx", "x😀abcx", "😀", "the cat sat", "the dog sat", "dog", ""];
    for (const v of values) {
      applyTextDiff(t, v);
      expect(t.toString()).toBe(v);
    }
  });
});

describe("mapIndexThroughDelta", () => {
  const run = (before: string, edit: (t: Y.Text) => void, caret: number) => {
    const doc = new Y.Doc();
    const t = doc.getText("n");
    t.insert(0, before);
    let delta: TextDelta = [];
    t.observe((e) => (delta = e.delta as TextDelta));
    edit(t);
    return { after: t.toString(), caret: mapIndexThroughDelta(delta, caret) };
  };

  it("moves the caret by text inserted before it and keeps it for text after it", () => {
    expect(run("hello world", (t) => t.insert(0, ">> "), 6)).toEqual({ after: ">> hello world", caret: 9 });
    expect(run("hello world", (t) => t.insert(8, "XX"), 6)).toEqual({ after: "hello woXXrld", caret: 6 });
    expect(run("hello world", (t) => t.insert(6, "big "), 6)).toEqual({ after: "hello big world", caret: 10 });
  });

  it("pulls the caret back over deleted text and collapses it into a deleted range", () => {
    expect(run("hello world", (t) => t.delete(0, 6), 8)).toEqual({ after: "world", caret: 2 });
    expect(run("hello world", (t) => t.delete(4, 4), 6)).toEqual({ after: "hellrld", caret: 4 });
    expect(run("hello world", (t) => t.delete(8, 2), 6)).toEqual({ after: "hello wod", caret: 6 });
  });

  it("handles a replace (delete + insert) before the caret", () => {
    const r = run("the cat sat down", (t) => doc(t), 12);
    function doc(t: Y.Text) {
      t.doc!.transact(() => {
        t.delete(4, 3);
        t.insert(4, "horse");
      });
    }
    expect(r.after).toBe("the horse sat down");
    expect(r.after.slice(r.caret)).toBe("down");
  });
});
