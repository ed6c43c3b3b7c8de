/**
 * RFC 4180 CSV: fields separated by commas, quoted with `"` when they hold a comma, quote or
 * line break (`""` inside quotes is one quote); lines end with LF or CRLF. Pure functions.
 * Text fields are written neutralised against formula injection (`neutralizeCsvFormula`);
 * readers of text columns undo it with `restoreCsvFormula`.
 */
import { neutralizeCsvFormula } from "@statescope/core";

export interface CsvRow {
  /** 1-based line number where the record starts (a quoted field may span lines). */
  line: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Parse CSV text into records; blank lines are skipped. Throws {@link CsvSyntaxError}. */
export function parseCsv(text: string, maxRows = Infinity): CsvRow[] {
  const rows: CsvRow[] = [];
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // a BOM from spreadsheet exports
  let i = 0;
  let line = 1;
  const n = src.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let atLineEnd = false;
    while (!atLineEnd) {
      let field = "";
      if (src[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new CsvSyntaxError(start, "a quoted field is not closed (missing \")");
          const ch = src[i]!;
          if (ch === '"') {
            if (src[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === "\n") line++;
          field += ch;
          i++;
        }
        if (i < n && src[i] !== "," && src[i] !== "\n" && src[i] !== "\r") {
          throw new CsvSyntaxError(line, `unexpected text after a closing quote in field ${fields.length + 1}`);
        }
      } else {
        const s = i;
        while (i < n && src[i] !== "," && src[i] !== "\n" && src[i] !== "\r") {
          if (src[i] === '"') throw new CsvSyntaxError(line, `a quote inside unquoted field ${fields.length + 1}: quote the whole field and double the quote ("")`);
          i++;
        }
        field = src.slice(s, i);
      }
      fields.push(field);
      if (i >= n) atLineEnd = true;
      else if (src[i] === ",") i++;
      else {
        if (src[i] === "\r") i++;
        if (src[i] === "\n") i++;
        line++;
        atLineEnd = true;
      }
    }
    if (fields.length === 1 && fields[0] === "") continue; // blank line
    if (rows.length >= maxRows) throw new CsvSyntaxError(start, `more than ${maxRows} records: split the file`);
    rows.push({ line: start, fields });
  }
  return rows;
}

function quote(v: string): string {
  return /[",\r\n]/.test(v) || /^\s|\s$/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** Format records as CSV (LF line ends, a final newline); strings are text fields, numbers are written as numbers. */
export function formatCsv(rows: readonly (readonly (string | number)[])[]): string {
  return rows.map((r) => r.map((v) => quote(typeof v === "number" ? String(v) : neutralizeCsvFormula(v))).join(",")).join("\n") + "\n";
}
