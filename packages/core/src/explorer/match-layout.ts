/**
 * Layout of the Match view's aligned result text: one column per context step, as wide as the
 * longest token any row shows there (within bounds), so every row's text reads whole and the
 * columns stay aligned at the match start.
 */

/** Whitespace tokens, as characters and as LSTMVis dictionaries name them, and their visible marks. */
const WHITESPACE_MARKS: ReadonlyMap<string, string> = new Map([
  ["\n", "⏎"],
  [" ", "␣"],
  ["\t", "⇥"],
  ["<nl>", "⏎"],
  ["<space>", "␣"],
  ["<tab>", "⇥"],
]);

/** How a token is written in the views (and figures): newline, space and tab made visible. */
export function displayToken(tok: string): string {
  return WHITESPACE_MARKS.get(tok) ?? tok;
}

export interface ColumnLayout {
  /** Left edge of each column, and the total width after the last. */
  x: Float64Array;
  /** Width of each column. */
  w: Float64Array;
  /** Characters a column shows before it cuts a token with "…". */
  chars: Uint16Array;
}

/**
 * Column widths for `columns` context steps: `cellText(row, col)` is the token a row shows there
 * (undefined: none). Width = longest shown token × `charPx` + `padPx`, within [minPx, maxPx].
 */
export function tokenColumns(
  rows: number,
  columns: number,
  cellText: (row: number, col: number) => string | undefined,
  opts: { charPx: number; padPx: number; minPx: number; maxPx: number },
): ColumnLayout {
  const { charPx, padPx, minPx, maxPx } = opts;
  const w = new Float64Array(columns);
  const chars = new Uint16Array(columns);
  const x = new Float64Array(columns + 1);
  for (let c = 0; c < columns; c++) {
    let longest = 1;
    for (let r = 0; r < rows; r++) {
      const t = cellText(r, c);
      if (t !== undefined) longest = Math.max(longest, [...displayToken(t)].length);
    }
    w[c] = Math.max(minPx, Math.min(maxPx, Math.ceil(longest * charPx + padPx)));
    chars[c] = Math.max(1, Math.floor((w[c]! - padPx) / charPx));
    x[c + 1] = x[c]! + w[c]!;
  }
  return { x, w, chars };
}

/** `tok` as shown in a column of `chars` characters: whole, or cut with "…". */
export function fitToken(tok: string, chars: number): string {
  const s = [...displayToken(tok)];
  return s.length <= chars ? s.join("") : s.slice(0, Math.max(1, chars - 1)).join("") + "…";
}

/** How the Match view lines its result rows up: context steps before/after the match, aligned at its start or end. */
export interface ResultRowsView {
  before: number;
  after: number;
  align: "start" | "end";
}

/**
 * The step window each result row shows: `before + after` steps, from `before` steps ahead of
 * the match start ("start"), or placed so that the match ends where the longest shown match ends
 * ("end"). `start` may be negative (a row near step 0); `range` is its part inside [0, steps),
 * what the row's tokens, states and tracks are read for. The server reads those rows with a
 * match (one request) and the view lays them out: both must compute the same ranges.
 */
export function resultRows(results: readonly { pos: number; length: number }[], view: ResultRowsView, steps: number): { start: number; range: [number, number] }[] {
  const width = view.before + view.after;
  const longest = Math.min(view.after, results.reduce((a, r) => Math.max(a, r.length), 0));
  return results.map((r) => {
    const start = view.align === "start" ? r.pos - view.before : r.pos + r.length - (view.before + longest);
    return { start, range: [Math.max(0, start), Math.min(steps, start + width)] };
  });
}

/**
 * A stretch of one result row drawn with a single `fillText`: `text` holds one character per
 * column, columns `col` … `col + text.length − 1`, all `width` px wide, so with a letter spacing
 * of `width` − the font's advance each character lands centred in its column.
 */
export interface TextRun {
  row: number;
  col: number;
  text: string;
  /** Columns covered: 1 for a token drawn alone (centred, any length), else `text.length`. */
  cells: number;
  width: number;
  /** The index (row × columns + col) of the run's first cell, whose style the run shares. */
  first: number;
}

/**
 * The Match view's token text as runs (one canvas `fillText` for up to a whole row instead of
 * one per token: the ~1,150 calls of a 50 × 23 grid took 20–30 ms of a click under load).
 * `text[n]` is cell n's text (row-major, `columns` a row; null: none drawn), `style[n]` what it is
 * drawn with (cells of one run share it), `w` the column widths. A cell joins the run on its left
 * when its text and that run's are single characters of the same `advance` (the monospace
 * font's, from `advanceOf`; others — whitespace marks, fallback glyphs — stay alone), in
 * columns of the same width, with the same style. Runs of one cell are drawn centred as before.
 */
export function tokenTextRuns(
  text: readonly (string | null)[],
  style: readonly (string | null)[],
  columns: number,
  w: ArrayLike<number>,
  advanceOf: (ch: string) => number,
  advance: number,
): TextRun[] {
  const runs: TextRun[] = [];
  let open: TextRun | null = null;
  for (let n = 0; n < text.length; n++) {
    const t = text[n];
    const col = n % columns;
    if (t === null || t === undefined) {
      open = null;
      continue;
    }
    const single = t.length === 1 && advanceOf(t) === advance;
    if (open && single && col > 0 && open.cells === col - open.col && style[n] === style[open.first] && w[col] === open.width) {
      open.text += t;
      open.cells++;
      continue;
    }
    open = { row: Math.floor(n / columns), col, text: t, cells: 1, width: w[col]!, first: n };
    runs.push(open);
    if (!single) open = null;
  }
  return runs;
}
