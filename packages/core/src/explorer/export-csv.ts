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
