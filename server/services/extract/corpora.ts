/**
 * Demo corpora and their annotation tracks: the nested-parentheses language
 * of the LSTMVis paper (with its depth track) and a small C lexer (comment,
 * string, brace and paren depth) for the character-level C model. Pure code.
 */
import { mulberry32 } from "@statescope/core";

const LETTERS = "abcdefgh";

/**
 * The parens training language (models/parens/README.md): from depth 0, draw
 * r in [0,1): depth < 6 and r < 0.25 → "(" (depth+1); else depth > 0 and
 * r < 0.45 → ")" (depth−1); else r < 0.5 at depth 0 → " "; else a letter a–h.
 */
export function generateParens(length: number, seed = 1): string {
  const rand = mulberry32(seed);
  const out = new Array<string>(length);
  let depth = 0;
  for (let i = 0; i < length; i++) {
    const r = rand();
    if (depth < 6 && r < 0.25) {
      out[i] = "(";
      depth++;
    } else if (depth > 0 && r < 0.45) {
      out[i] = ")";
      depth--;
    } else if (r < 0.5 && depth === 0) out[i] = " ";
    else out[i] = LETTERS[Math.floor(rand() * LETTERS.length)]!;
  }
  return out.join("");
}

/**
 * Nesting depth per character: after reading a "(" and before reading a ")",
 * so a bracket and its partner carry the same depth.
 */
export function parensDepth(chars: readonly string[]): Float32Array {
  const out = new Float32Array(chars.length);
  let depth = 0;
  for (let t = 0; t < chars.length; t++) {
    const c = chars[t];
    if (c === "(") out[t] = ++depth;
    else if (c === ")") {
      out[t] = depth;
      depth = Math.max(0, depth - 1);
    } else out[t] = depth;
  }
  return out;
}

export interface CLexTracks {
  /** 1 inside a comment (delimiters included), else 0. */
  comment: Int32Array;
  /** 1 inside a string or character literal (quotes included), else 0. */
  string: Int32Array;
  /** `{` nesting: after reading "{", before reading "}". */
  braceDepth: Float32Array;
  /** `(` nesting, same convention (outside comments and strings). */
  parenDepth: Float32Array;
}

/** A small C lexer over characters: block and line comments, "strings" and 'chars' with escapes. */
export function lexC(chars: readonly string[]): CLexTracks {
  const n = chars.length;
  const comment = new Int32Array(n);
  const string = new Int32Array(n);
  const braceDepth = new Float32Array(n);
  const parenDepth = new Float32Array(n);
  type Mode = "code" | "line" | "block" | "str" | "chr";
  let mode: Mode = "code";
  let brace = 0;
  let paren = 0;
  for (let t = 0; t < n; t++) {
    const c = chars[t]!;
    const next = chars[t + 1];
    switch (mode) {
      case "code":
        if (c === "/" && next === "/") {
          mode = "line";
          comment[t] = 1;
        } else if (c === "/" && next === "*") {
          mode = "block";
          comment[t] = 1;
          comment[t + 1] = 1;
          t++;
          braceDepth[t] = brace;
          parenDepth[t] = paren;
        } else if (c === '"' || c === "'") {
          mode = c === '"' ? "str" : "chr";
          string[t] = 1;
        } else if (c === "{") brace++;
        else if (c === "(") paren++;
        break;
      case "line":
        if (c === "\n") mode = "code";
        else comment[t] = 1;
        break;
      case "block":
        comment[t] = 1;
        if (c === "*" && next === "/") {
          comment[t + 1] = 1;
          braceDepth[t] = brace;
          parenDepth[t] = paren;
          t++;
          mode = "code";
        }
        break;
      case "str":
      case "chr":
        string[t] = 1;
        if (c === "\\" && next !== undefined && next !== "\n") {
          string[t + 1] = 1;
          braceDepth[t] = brace;
          parenDepth[t] = paren;
          t++;
        } else if ((mode === "str" && c === '"') || (mode === "chr" && c === "'") || c === "\n") mode = "code";
        break;
    }
    braceDepth[t] = brace;
    parenDepth[t] = paren;
    if (mode === "code") {
      if (c === "}" && comment[t] === 0 && string[t] === 0) brace = Math.max(0, brace - 1);
      if (c === ")" && comment[t] === 0 && string[t] === 0) paren = Math.max(0, paren - 1);
    }
  }
  return { comment, string, braceDepth, parenDepth };
}
