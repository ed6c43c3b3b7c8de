/**
 * The demo corpora (issue 6): the parens and c-code models shipped in
 * ./demo-models with the text each runs over and its annotation tracks.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generateParens, lexC, parensDepth } from "./corpora";
import type { ExtraTrack } from "./extract";
import type { DemoCorpus, ExtractSettings } from "./schemas";

/** Characters of generated parens text in the demo (the README's facts were measured on 20,000 steps). */
export const PARENS_DEMO_LENGTH = 20_000;

/** Next the file (tsx: worker, CLI, tests), else from the app root (a bundled web server has no source tree beside it). */
function modelsDir(): string {
  const candidates = [path.join(path.dirname(fileURLToPath(import.meta.url)), "demo-models"), path.resolve("server", "services", "extract", "demo-models")];
  return candidates.find((d) => existsSync(path.join(d, "parens", "vocab.json"))) ?? candidates[0]!;
}

export interface DemoSpec {
  settings: ExtractSettings;
  weightsName: string;
  /** Annotation tracks computed from the tokens. */
  tracks(tokens: readonly string[]): ExtraTrack[];
}

const BINARY = [
  { id: 0, label: "no" },
  { id: 1, label: "yes" },
];

export const DEMOS: Record<DemoCorpus, DemoSpec> = {
  parens: {
    settings: { name: "parens (demo): nested brackets, 1-layer LSTM", tokenizer: "char", unknown: "error", gates: false },
    weightsName: "parens.safetensors",
    tracks: (tokens) => [{ name: "depth", kind: "scalar", values: parensDepth(tokens) }],
  },
  "c-code": {
    // The model's README: characters outside its vocabulary read as a space.
    settings: { name: "c-code (demo): C-like text, 2-layer char LSTM", tokenizer: "char", unknown: { token: " " }, gates: false },
    weightsName: "c-code.safetensors",
    tracks: (tokens) => {
      const lex = lexC(tokens);
      return [
        { name: "in_comment", kind: "discrete", values: lex.comment, labels: BINARY },
        { name: "in_string", kind: "discrete", values: lex.string, labels: BINARY },
        { name: "brace_depth", kind: "scalar", values: lex.braceDepth },
        { name: "paren_depth", kind: "scalar", values: lex.parenDepth },
      ];
    },
  },
};

/** The files and text of a demo corpus. */
export async function demoFiles(corpus: DemoCorpus): Promise<{ weights: Uint8Array; vocab: string; text: string }> {
  const dir = path.join(modelsDir(), corpus);
  const [weights, vocab] = await Promise.all([readFile(path.join(dir, "model.safetensors")), readFile(path.join(dir, "vocab.json"), "utf8")]);
  const text = corpus === "parens" ? generateParens(PARENS_DEMO_LENGTH, 20_240_601) : await readFile(path.join(dir, "corpus.txt"), "utf8");
  return { weights, vocab, text };
}
