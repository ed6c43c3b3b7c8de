/** CSV export of match results (RFC 4180 quoting; text fields neutralised against formula injection). */
import { neutralizeCsvFormula } from "../csv-safety";

export interface CsvMatchRow {
  pos: number;
  length: number;
  I: number;
  U: number;
  /** The matched tokens joined by the dataset separator. */
  text: string;
}

function cell(v: string): string {
  const s = neutralizeCsvFormula(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function matchResultsCsv(rows: readonly CsvMatchRow[], meta: { source: string; cells: readonly number[]; threshold: number }): string {
  const lines = [["rank", "pos", "length", "I", "U", "jaccard", "text", "source", "cells", "threshold"].join(",")];
  rows.forEach((r, i) => {
    lines.push(
      [i + 1, r.pos, r.length, r.I, r.U, r.U > 0 ? (r.I / r.U).toFixed(4) : "", cell(r.text), cell(meta.source), cell(meta.cells.join(" ")), meta.threshold]
        .map((v) => (typeof v === "number" ? String(v) : v))
        .join(","),
    );
  });
  return lines.join("\r\n") + "\r\n";
}

/** Evidence for a match on one track (issue 16), as the analysis service returns it. */
export interface CsvEvidence {
  track: string;
  kind: "discrete" | "scalar";
  matchedSteps: number;
  labels?: readonly { label: string; share: number | null; base: number | null; lift: number | null }[];
  mean?: number | null;
  baseMean?: number | null;
}

const num = (x: number | null | undefined) => (x === null || x === undefined ? "" : String(Number(x.toFixed(6))));

/**
 * The evidence as a second table of the match CSV (after a blank line): one row per label
 * (share of the matched steps, base rate, lift), or one row with the scalar's means.
 */
export function evidenceCsv(e: CsvEvidence): string {
  const lines = [["evidence_track", "kind", "matched_steps", "label", "share", "base", "lift", "mean", "base_mean"].join(",")];
  if (e.kind === "discrete") {
    for (const l of e.labels ?? []) lines.push([cell(e.track), e.kind, e.matchedSteps, cell(l.label), num(l.share), num(l.base), num(l.lift), "", ""].join(","));
  } else {
    lines.push([cell(e.track), e.kind, e.matchedSteps, "", "", "", "", num(e.mean), num(e.baseMean)].join(","));
  }
  return lines.join("\r\n") + "\r\n";
}
