/**
 * What a finding version exports besides figures: its match results as CSV and JSON, and its
 * citation as BibTeX and CSL-JSON. Pure functions of the snapshot (and, for citations, the URL
 * and the day it is accessed), shared by the /f routes and `statescope export`, so both serve
 * the same bytes.
 */
import { evidenceCsv, matchResultsCsv, type FindingSnapshot } from "@statescope/core";

export interface VersionRef {
  id: string;
  version: number;
  publishedAt: Date;
  /** URL of this version (…/f/<id>/v<n>). */
  url: string;
  snapshotHash: string;
}

function matchedText(s: FindingSnapshot, r: NonNullable<FindingSnapshot["match"]>["rows"][number]): string {
  const a = r.pos - r.from;
  return r.tokens.slice(a, a + r.length).map((t) => t ?? "").join(s.dataset.separator);
}

/**
 * The match results as CSV (RFC 4180): rank, position, length, I, U, Jaccard, text, and the query;
 * from format 2, each track's evidence table follows after a blank line (as the Match view exports it).
 */
export function matchesCsv(s: FindingSnapshot): string {
  const m = s.match;
  if (!m) return matchResultsCsv([], { source: s.layers[0]?.source ?? "", cells: [], threshold: s.layers[0]?.threshold ?? 0 });
  const source = s.layers[m.layer]?.source ?? "";
  const results = matchResultsCsv(
    m.rows.map((r) => ({ pos: r.pos, length: r.length, I: r.I, U: r.U, text: matchedText(s, r) })),
    { source, cells: m.cells, threshold: m.threshold },
  );
  return results + (m.evidence ?? []).map((e) => "\r\n" + evidenceCsv(e)).join("");
}

/** The match results as JSON: the query, the rows with their text and context counts, the length histograms. */
export function matchesJson(s: FindingSnapshot, ref: VersionRef): string {
  const m = s.match;
  const out = {
    finding: { id: ref.id, version: ref.version, url: ref.url, snapshotHash: ref.snapshotHash },
    dataset: { name: s.dataset.name, contentHash: s.dataset.contentHash, steps: s.dataset.steps },
    query: m
      ? { source: s.layers[m.layer]?.source ?? "", cells: m.cells, threshold: m.threshold, padLeft: m.padLeft, padRight: m.padRight, mode: m.mode, length: m.length, k: m.k }
      : null,
    results: m
      ? m.rows.map((r, i) => ({
          rank: i + 1,
          pos: r.pos,
          length: r.length,
          I: r.I,
          U: r.U,
          jaccard: r.U > 0 ? Number((r.I / r.U).toFixed(4)) : null,
          text: matchedText(s, r),
          context: { from: r.from, counts: r.counts },
        }))
      : [],
    histograms: m?.histograms ?? { all: {}, strict: {} },
    // format 2: the results' evidence per track (format 1 keeps its bytes: no field)
    ...(m?.evidence ? { evidence: m.evidence } : {}),
  };
  return JSON.stringify(out, null, 2) + "\n";
}

/** "Ada Lovelace" → family "Lovelace", given "Ada"; one word stays whole. */
function splitName(name: string): { family: string; given?: string } {
  const parts = name.trim().split(/\s+/);
  if (parts.length < 2) return { family: name.trim() };
  return { family: parts[parts.length - 1]!, given: parts.slice(0, -1).join(" ") };
}

const BIB_SPECIAL: Record<string, string> = {
  "\\": "\\textbackslash{}",
  "{": "\\{",
  "}": "\\}",
  "&": "\\&",
  "%": "\\%",
  $: "\\$",
  "#": "\\#",
  _: "\\_",
  "~": "\\textasciitilde{}",
  "^": "\\textasciicircum{}",
};

function bib(s: string): string {
  return s.replace(/[\\{}&%$#_~^]/g, (c) => BIB_SPECIAL[c]!).replace(/[\r\n]+/g, " ");
}

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** BibTeX (@misc): authors, title, year, the versioned URL, the accessed date (`urldate`). */
export function citationBibtex(s: FindingSnapshot, ref: VersionRef, accessed: Date): string {
  const authors = s.authors.map((a) => {
    const n = splitName(a.name);
    return n.given ? `${bib(n.family)}, ${bib(n.given)}` : `{${bib(n.family)}}`;
  });
  const fields = [
    ["author", authors.join(" and ")],
    ["title", `{${bib(s.title)}}`],
    ["year", String(ref.publishedAt.getUTCFullYear())],
    ["month", ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"][ref.publishedAt.getUTCMonth()]!],
    ["howpublished", `Statescope finding, version ${ref.version}`],
    ["url", ref.url],
    ["urldate", isoDay(accessed)],
    ["note", `Dataset: ${bib(s.dataset.name)} (SHA-256 ${s.dataset.contentHash.slice(0, 16)}). Accessed ${isoDay(accessed)}`],
  ];
  const body = fields.map(([k, v]) => `  ${k} = ${k === "month" ? v : `{${v}}`}`).join(",\n");
  return `@misc{statescope-${ref.id}-v${ref.version},\n${body}\n}\n`;
}

/** CSL-JSON (one item, in an array as citation managers import it). */
export function citationCslJson(s: FindingSnapshot, ref: VersionRef, accessed: Date): string {
  const day = (d: Date) => ({ "date-parts": [[d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()]] });
  const item = {
    id: `statescope-${ref.id}-v${ref.version}`,
    type: "webpage",
    genre: "Statescope finding",
    title: s.title,
    author: s.authors.map((a) => splitName(a.name)),
    issued: day(ref.publishedAt),
    accessed: day(accessed),
    URL: ref.url,
    version: String(ref.version),
    publisher: "Statescope",
    note: `Dataset: ${s.dataset.name} (SHA-256 ${s.dataset.contentHash})`,
  };
  return JSON.stringify([item], null, 2) + "\n";
}
