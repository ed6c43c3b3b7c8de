/**
 * What the class answered, at a glance (pure: the service reads the answers, this sums them up).
 * A view task: how often each cell was chosen (bars), where on the token axis ranges were brushed
 * (a density strip: how many answers cover each bin), agreement (how many chose the same set of
 * cells as the most common one). A poll: votes per option.
 */
export interface AnswerRow {
  start: number | null;
  end: number | null;
  cells: readonly number[];
  choice: number | null;
}

export interface Aggregate {
  answers: number;
  /** Cells by how often they were chosen, most chosen first (at most `topCells`). */
  cells: { cell: number; count: number }[];
  /** `bins` counts over [0, steps): answers whose range covers some of each bin. */
  density: number[];
  /** The most common set of cells and how many answers chose exactly it. */
  agreement: { cells: number[]; count: number } | null;
  /** Votes per poll option. */
  votes: number[];
}

export function aggregateAnswers(rows: readonly AnswerRow[], o: { steps: number; bins?: number; topCells?: number; options?: number }): Aggregate {
  const bins = Math.max(1, o.bins ?? 100);
  const density = new Array<number>(bins).fill(0);
  const cellCount = new Map<number, number>();
  const sets = new Map<string, { cells: number[]; count: number }>();
  const votes = new Array<number>(o.options ?? 0).fill(0);
  const per = Math.max(1, o.steps) / bins;
  for (const r of rows) {
    if (r.choice !== null && r.choice >= 0 && r.choice < votes.length) votes[r.choice]!++;
    if (r.start !== null && r.end !== null && r.end > r.start) {
      // bins [a, b] overlapped by [start, end)
      const a = Math.max(0, Math.min(bins - 1, Math.floor(r.start / per)));
      const b = Math.max(0, Math.min(bins - 1, Math.floor((r.end - 1) / per)));
      for (let i = a; i <= b; i++) density[i]!++;
    }
    if (r.cells.length > 0) {
      const sorted = [...new Set(r.cells)].sort((x, y) => x - y);
      for (const c of sorted) cellCount.set(c, (cellCount.get(c) ?? 0) + 1);
      const key = sorted.join(",");
      const s = sets.get(key) ?? { cells: sorted, count: 0 };
      s.count++;
      sets.set(key, s);
    }
  }
  const cells = [...cellCount].map(([cell, count]) => ({ cell, count })).sort((x, y) => y.count - x.count || x.cell - y.cell).slice(0, o.topCells ?? 20);
  let agreement: Aggregate["agreement"] = null;
  for (const s of sets.values()) if (!agreement || s.count > agreement.count) agreement = s;
  return { answers: rows.length, cells, density, agreement, votes };
}
