import { AppError } from "../errors";

/** A model's vocabulary: `tokens[id]` and the reverse index. */
export interface Vocab {
  /** Token of each id ("" for ids a `{token: id}` vocabulary leaves out). */
  tokens: readonly string[];
  index: ReadonlyMap<string, number>;
}

export type TokenizerLevel = "char" | "word";

/**
 * What to do with a token missing from the vocabulary:
 * - "auto" (default): use the `<unk>` or `<UNK>` entry if the vocabulary has one, else fail like "error";
 * - "error": fail, listing the first unknown tokens;
 * - `{ id }` / `{ token }`: map every unknown token to that id / vocabulary entry (e.g. `{ token: " " }`).
 */
export type UnknownTokenRule = "auto" | "error" | { id: number } | { token: string };

export interface TokenizeOptions {
  /** "char": one token per Unicode code point (whitespace included); "word": whitespace-separated words. */
  level: TokenizerLevel;
  unknown?: UnknownTokenRule;
}

export interface Tokenized {
  ids: Int32Array;
  /** The text of each token as it appears in the input (unknown tokens keep their own text). */
  tokens: string[];
  /** How many tokens were mapped by the unknown-token rule. */
  unknownCount: number;
}

const MAX_VOCAB = 10_000_000;

/** Parses `vocab.json`: a list of tokens in id order, or an object `{token: id}`. */
export function parseVocab(json: unknown): Vocab {
  const bad = (why: string): AppError => new AppError("BAD_INPUT", `vocab: ${why}`);
  const index = new Map<string, number>();
  let tokens: string[];
  if (Array.isArray(json)) {
    if (json.length > MAX_VOCAB) throw bad(`${json.length} entries, at most ${MAX_VOCAB}`);
    tokens = json.map((t, i) => {
      if (typeof t !== "string") throw bad(`entry ${i} is ${JSON.stringify(t)}, expected a string`);
      if (!index.has(t)) index.set(t, i);
      return t;
    });
  } else if (json !== null && typeof json === "object") {
    const entries = Object.entries(json as Record<string, unknown>);
    if (entries.length > MAX_VOCAB) throw bad(`${entries.length} entries, at most ${MAX_VOCAB}`);
    let max = -1;
    const seen = new Map<number, string>();
    for (const [t, id] of entries) {
      if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= MAX_VOCAB) {
        throw bad(`token ${JSON.stringify(t)} has id ${JSON.stringify(id)}, expected an integer ≥ 0`);
      }
      const other = seen.get(id);
      if (other !== undefined) throw bad(`tokens ${JSON.stringify(other)} and ${JSON.stringify(t)} share id ${id}`);
      seen.set(id, t);
      index.set(t, id);
      if (id > max) max = id;
    }
    tokens = Array.from({ length: max + 1 }, (_, i) => seen.get(i) ?? "");
  } else {
    throw bad("expected a list of tokens or an object {token: id}");
  }
  if (tokens.length === 0) throw bad("empty vocabulary");
  return { tokens, index };
}

function resolveUnknown(vocab: Vocab, rule: UnknownTokenRule): number | null {
  if (rule === "error") return null;
  if (rule === "auto") return vocab.index.get("<unk>") ?? vocab.index.get("<UNK>") ?? null;
  if ("id" in rule) {
    if (!Number.isInteger(rule.id) || rule.id < 0 || rule.id >= vocab.tokens.length) {
      throw new AppError("BAD_INPUT", `tokenizer: unknown-token id ${rule.id} is outside the vocabulary (0..${vocab.tokens.length - 1})`);
    }
    return rule.id;
  }
  const id = vocab.index.get(rule.token);
  if (id === undefined) throw new AppError("BAD_INPUT", `tokenizer: unknown-token replacement ${JSON.stringify(rule.token)} is not in the vocabulary`);
  return id;
}

/**
 * Splits `text` into tokens and maps them to vocabulary ids. Throws
 * `AppError("BAD_INPUT")` listing the first unknown tokens when the
 * unknown-token rule gives no replacement.
 */
export function tokenize(text: string, vocab: Vocab, options: TokenizeOptions): Tokenized {
  const unkId = resolveUnknown(vocab, options.unknown ?? "auto");
  const pieces = options.level === "char" ? Array.from(text) : text.split(/\s+/u).filter((w) => w.length > 0);
  const ids = new Int32Array(pieces.length);
  const unknown = new Set<string>();
  let unknownCount = 0;
  for (let t = 0; t < pieces.length; t++) {
    const piece = pieces[t]!;
    let id = vocab.index.get(piece);
    if (id === undefined) {
      unknownCount++;
      if (unkId === null) {
        if (unknown.size < 10) unknown.add(piece);
        continue;
      }
      id = unkId;
    }
    ids[t] = id;
  }
  if (unkId === null && unknownCount > 0) {
    const list = [...unknown].map((u) => JSON.stringify(u)).join(", ");
    throw new AppError(
      "BAD_INPUT",
      `tokenizer: ${unknownCount} of ${pieces.length} ${options.level} tokens are not in the vocabulary (first: ${list}); the vocabulary has no <unk> entry — choose a replacement token`,
    );
  }
  return { ids, tokens: pieces, unknownCount };
}
