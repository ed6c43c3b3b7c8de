import { readFile, stat } from "node:fs/promises";
import { AppError } from "@statescope/core";

/** A token <-> id dictionary (`*.dict`): ids are kept exactly as stored. */
export interface Dictionary {
  /** Names the file in messages. */
  readonly label: string;
  /** Entries in file order. */
  readonly entries: readonly DictEntry[];
  /** id -> token (display form: `<space>`, `<nl>`, `<tab>` kept as written). */
  readonly byId: ReadonlyMap<number, string>;
}

export interface DictEntry {
  id: number;
  token: string;
}

/** Largest dictionary file read (bytes). */
export const MAX_DICT_BYTES = 256 * 1024 * 1024;

const ID_RE = /^-?\d{1,15}$/;

/**
 * Parses `<token><whitespace><integer id>` lines. A line that is spaces
 * followed only by an id maps the single-space token. Empty lines are
 * skipped; any other malformed line, or an id used twice, is a BAD_INPUT
 * naming `label`, the line number and its text.
 */
export function parseDict(text: string, label: string): Dictionary {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const entries: DictEntry[] = [];
  const byId = new Map<number, string>();
  const lineOf = new Map<number, number>();
  let lineNo = 0;
  let pos = 0;
  while (pos <= text.length) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    let line = text.slice(pos, end);
    pos = end + 1;
    lineNo++;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.length === 0) continue;
    const bad = (why: string): never => {
      throw new AppError(
        "BAD_INPUT",
        `${label} line ${lineNo}: ${why}: ${JSON.stringify(line.length > 80 ? line.slice(0, 80) + "…" : line)}`,
      );
    };
    // split at the last whitespace run: token may not be empty except for the single-space rule
    const m = /^(.*?)[ \t]+(\S+)$/s.exec(line);
    if (!m) bad("expected <token> <id>");
    let token = m![1]!;
    const idText = m![2]!;
    if (!ID_RE.test(idText)) bad("id is not an integer");
    if (token.length === 0) {
      if (line[0] !== " ") bad("expected <token> <id>");
      token = " ";
    }
    const id = Number(idText);
    const prev = lineOf.get(id);
    if (prev !== undefined) bad(`id ${id} already used on line ${prev}`);
    lineOf.set(id, lineNo);
    byId.set(id, token);
    entries.push({ id, token });
  }
  return { label, entries, byId };
}

/** Reads and parses a dictionary file; `label` names it in messages. */
export async function readDictFile(path: string, label: string): Promise<Dictionary> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw new AppError("BAD_INPUT", `${label}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (size > MAX_DICT_BYTES) throw new AppError("TOO_LARGE", `${label}: ${size} bytes is over the ${MAX_DICT_BYTES}-byte dictionary limit`);
  const buf = await readFile(path);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch {
    // dictionaries written by Python 2 era tools are often Latin-1
    text = new TextDecoder("latin1").decode(buf);
  }
  return parseDict(text, label);
}

/** The display text of `id`: its token, or `<unk:ID>` when the dictionary lacks it. */
export function tokenFor(dict: Dictionary, id: number): string {
  return dict.byId.get(id) ?? `<unk:${id}>`;
}
