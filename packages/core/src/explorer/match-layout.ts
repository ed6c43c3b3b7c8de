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
