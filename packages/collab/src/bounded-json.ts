/**
 * JSON from strangers: a size and nesting bound checked before anything recursive touches the
 * text. `JSON.parse` itself is iterative, but whatever walks the result afterwards (a schema,
 * `JSON.stringify`, a deep-equality check) recurses once per level, so a 30 KB array nested
 * 5,000 deep overflows the stack far from the socket that sent it.
 */

export interface JsonLimits {
  /** Largest accepted text, in UTF-8 bytes. */
  maxBytes: number;
  /** Deepest accepted nesting of arrays and objects (a scalar is depth 0, `[]` and `{}` depth 1). */
  maxDepth: number;
}

export type BoundedJson = { ok: true; value: unknown } | { ok: false; problem: string };

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** UTF-8 length of a string without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * The deepest nesting of arrays and objects in `text`, counting only brackets outside strings,
 * stopping as soon as it passes `stopAbove` (the returned value is then `stopAbove + 1`).
 * Linear time, no recursion; malformed text gets some number and is left to the parser.
 */
export function jsonDepth(text: string, stopAbove = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return deepest;
}

/** Parse `text` as JSON if it is within `limits`; otherwise (or when it is not JSON) say why. */
export function parseBoundedJson(text: string, limits: JsonLimits): BoundedJson {
  // a UTF-8 character is at most 3 bytes per UTF-16 unit: skip the count when it cannot matter
  if (text.length * 3 > limits.maxBytes) {
    const bytes = utf8Length(text);
    if (bytes > limits.maxBytes) return { ok: false, problem: `${bytes} bytes of JSON; the limit is ${limits.maxBytes}` };
  }
  const depth = jsonDepth(text, limits.maxDepth);
  if (depth > limits.maxDepth) return { ok: false, problem: `JSON nested deeper than ${limits.maxDepth} levels` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, problem: `not JSON (${e instanceof Error ? e.message : String(e)})` };
  }
}
