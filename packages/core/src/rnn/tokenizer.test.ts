import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { parseVocab, tokenize } from "./tokenizer";

describe("parseVocab", () => {
  it("reads a list in id order and a {token: id} object", () => {
    expect(parseVocab(["a", "b"]).index.get("b")).toBe(1);
    const v = parseVocab({ x: 2, y: 0 });
    expect(v.tokens).toEqual(["y", "", "x"]);
    expect(v.index.get("x")).toBe(2);
  });

  it("rejects malformed vocabularies", () => {
    expect(() => parseVocab("abc")).toThrow(/expected a list of tokens/);
    expect(() => parseVocab(["a", 3])).toThrow(/entry 1 is 3/);
    expect(() => parseVocab({ a: 0, b: 0 })).toThrow(/"a" and "b" share id 0/);
    expect(() => parseVocab({ a: -1 })).toThrow(AppError);
    expect(() => parseVocab([])).toThrow(/empty/);
  });
});

describe("tokenize", () => {
  const chars = parseVocab([" ", "a", "b", "😀"]);

  it("splits characters by code point, keeping whitespace", () => {
    const r = tokenize("ab 😀", chars, { level: "char" });
    expect(Array.from(r.ids)).toEqual([1, 2, 0, 3]);
    expect(r.tokens).toEqual(["a", "b", " ", "😀"]);
  });

  it("splits words on any whitespace", () => {
    const words = parseVocab({ "<unk>": 0, the: 1, cat: 2 });
    const r = tokenize("  the\tcat\n\nsat ", words, { level: "word" });
    expect(Array.from(r.ids)).toEqual([1, 2, 0]);
    expect(r.unknownCount).toBe(1);
  });

  it("uses <UNK> when present, else lists the first unknown tokens", () => {
    expect(Array.from(tokenize("a c", parseVocab(["<UNK>", "a"]), { level: "word" }).ids)).toEqual([1, 0]);
    expect(() => tokenize("abxyx", chars, { level: "char" })).toThrow(/3 of 5 char tokens are not in the vocabulary \(first: "x", "y"\)/);
    expect(() => tokenize("a<unk>", parseVocab(["a", "<unk>"]), { level: "char", unknown: "error" })).toThrow(AppError);
  });

  it("maps unknown tokens to a given id or token", () => {
    expect(Array.from(tokenize("a\rb", chars, { level: "char", unknown: { token: " " } }).ids)).toEqual([1, 0, 2]);
    expect(Array.from(tokenize("a\rb", chars, { level: "char", unknown: { id: 3 } }).ids)).toEqual([1, 3, 2]);
    expect(() => tokenize("a", chars, { level: "char", unknown: { id: 9 } })).toThrow(/outside the vocabulary/);
    expect(() => tokenize("a", chars, { level: "char", unknown: { token: "?" } })).toThrow(/"\?" is not in the vocabulary/);
  });
});
