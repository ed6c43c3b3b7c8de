import { readFileSync } from "node:fs";
import path from "node:path";
import { loadRnnModel, parseVocab, runRnn, tokenize } from "@statescope/core";
import { readSafetensors } from "@statescope/formats";
import { describe, expect, it } from "vitest";
import { formatEta } from "./extract";
import { generateParens, lexC, parensDepth } from "./corpora";
import { parsePrefixMapping } from "./schemas";
import { pearson } from "../../../packages/core/src/analysis/reference";

describe("parens corpus", () => {
  it("is deterministic, balanced within depth 0..6, only the model's characters", () => {
    const text = generateParens(5000, 42);
    expect(generateParens(5000, 42)).toBe(text);
    expect(text).toMatch(/^[ ()a-h]+$/);
    const depth = parensDepth(Array.from(text));
    expect(Math.max(...depth)).toBeLessThanOrEqual(6);
    expect(Math.min(...depth)).toBe(0);
  });

  it("depth: a bracket and its partner carry the same depth", () => {
    expect(Array.from(parensDepth(Array.from("a(b(c)d)e")))).toEqual([0, 1, 1, 2, 2, 2, 1, 1, 0]);
  });

  it("reproduces the model README's fact: cells 21, 3, 16 of states1 track depth (|r| ≈ 0.95)", () => {
    const dir = path.resolve(__dirname, "demo-models", "parens");
    const model = loadRnnModel(readSafetensors(readFileSync(path.join(dir, "model.safetensors"))).tensors);
    const vocab = parseVocab(JSON.parse(readFileSync(path.join(dir, "vocab.json"), "utf8")));
    const text = generateParens(20_000, 20_240_601);
    const { ids, tokens } = tokenize(text, vocab, { level: "char", unknown: "error" });
    const states = runRnn(model, ids, { head: false }).sources[0]!;
    const depth = parensDepth(tokens);
    const column = (c: number) => Float32Array.from({ length: states.steps }, (_, t) => states.data[t * states.cells + c]!);
    expect(pearson(column(21), depth)).toBeLessThan(-0.9);
    expect(pearson(column(3), depth)).toBeLessThan(-0.9);
    expect(pearson(column(16), depth)).toBeGreaterThan(0.9);
  });
});

describe("lexC", () => {
  const track = (s: string, k: "comment" | "string" | "braceDepth" | "parenDepth") => Array.from(lexC(Array.from(s))[k]).join("");
  it("marks comments and strings with their delimiters", () => {
    expect(track('a /* x */ b // y\nc "s\\"t" d', "comment")).toBe("001111111000111100000000000");
    expect(track('a "s\\"t" \'{\' b', "string")).toBe("00111111011100");
  });
  it("brace and paren depth ignore brackets inside comments and strings", () => {
    expect(track("{a{b}c}", "braceDepth")).toBe("1122211");
    expect(track('f(a, "(", g(b)) /* ( */', "parenDepth")).toBe("01111111111222100000000");
  });
});

describe("helpers", () => {
  it("formats an ETA", () => {
    expect([formatEta(4.4), formatEta(80), formatEta(3725)]).toEqual(["4s", "1m20s", "1h02m"]);
  });
  it("parses a prefix mapping", () => {
    expect(parsePrefixMapping("embedding=encoder, rnn=rnn , head=-")).toEqual({ embedding: "encoder", rnn: "rnn", head: null });
    expect(() => parsePrefixMapping("encoder")).toThrow(/expected embedding=NAME/);
  });
});
