import { z } from "zod";
import { ZDatasetName } from "@/server/services/datasets/schemas";

const ZModuleName = z.string().trim().max(200);

/** state_dict module names when they are not the common ones ("" = no prefix; null = none / one-hot). */
export const ZPrefixes = z
  .object({
    embedding: ZModuleName.nullable().optional(),
    rnn: ZModuleName.optional(),
    head: ZModuleName.nullable().optional(),
  })
  .strict();
export type Prefixes = z.infer<typeof ZPrefixes>;

/** What happens to tokens missing from the vocabulary (see `tokenize` in @statescope/core). */
export const ZUnknownRule = z.union([
  z.enum(["auto", "error"]),
  z.object({ id: z.number().int().min(0) }).strict(),
  z.object({ token: z.string().min(1).max(200) }).strict(),
]);
export type UnknownRule = z.infer<typeof ZUnknownRule>;

export const ZTokenizerLevel = z.enum(["char", "word"]);
export const ZArch = z.enum(["lstm", "gru"]);
export const ZDemoCorpus = z.enum(["parens", "c-code"]);
export type DemoCorpus = z.infer<typeof ZDemoCorpus>;

/** The settings of an extraction besides the three files (shared by the route, the job and the CLI). */
export const ZExtractSettings = z.object({
  name: ZDatasetName,
  tokenizer: ZTokenizerLevel,
  arch: ZArch.optional(),
  prefixes: ZPrefixes.optional(),
  unknown: ZUnknownRule.default("auto"),
  gates: z.boolean().default(false),
});
export type ExtractSettings = z.infer<typeof ZExtractSettings>;

/**
 * Parses the prefix mapping typed in a form or on the command line:
 * `embedding=encoder, rnn=rnn, head=decoder` (`-` for none: `embedding=-`).
 */
export function parsePrefixMapping(raw: string): Prefixes {
  const out: Prefixes = {};
  for (const part of raw.split(/[,\n]/)) {
    const p = part.trim();
    if (!p) continue;
    const m = /^(embedding|rnn|head)\s*=\s*(.*)$/.exec(p);
    if (!m) throw new Error(`prefix mapping "${p}": expected embedding=NAME, rnn=NAME or head=NAME`);
    const key = m[1] as "embedding" | "rnn" | "head";
    const value = m[2]!.trim();
    if (key === "rnn") out.rnn = value === "-" ? "" : value;
    else out[key] = value === "-" ? null : value;
  }
  return ZPrefixes.parse(out);
}
