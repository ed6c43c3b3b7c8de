// Test and benchmark helper (not exported from the package): a generated finding shaped like a
// real one (a parenthesis language: a few "depth" cells rise inside brackets, the rest are noise).
import { mulberry32 } from "../random";
import { SNAPSHOT_FORMAT, type FindingData, type FindingSnapshot } from "./snapshot";

export function sampleFinding(opts: { cells?: number; steps?: number; rows?: number; seed?: number } = {}): FindingData {
  const cells = opts.cells ?? 64;
  const steps = opts.steps ?? 120;
  const rand = mulberry32(opts.seed ?? 7);
  const from = 37;
  const text = "(a(b)c)(d(e(f)g)h)x y z (i j (k) l) m n ".repeat(10).slice(0, steps);
  const tokens = [...text];
  const depth: number[] = [];
  let d = 0;
  for (const ch of tokens) {
    if (ch === "(") d++;
    depth.push(d);
    if (ch === ")") d = Math.max(0, d - 1);
  }
  const selected = [3, 11, 17];
  const data = new Float32Array(steps * cells);
  for (let t = 0; t < steps; t++) {
    for (let c = 0; c < cells; c++) {
      const base = selected.includes(c) ? (depth[t]! >= 2 ? 1.2 : -0.8) : Math.sin(t / (3 + (c % 7)) + c) * 0.9;
      data[t * cells + c] = base + (rand() - 0.5) * 0.3;
    }
  }
  const rows = Array.from({ length: opts.rows ?? 12 }, (_, i) => {
    const pos = from + 20 + i * 7;
    const rf = pos - 3;
    return {
      pos,
      length: 3 + (i % 3),
      I: 3 - (i % 2),
      U: 3 + (i % 4),
      from: rf,
      tokens: Array.from({ length: 23 }, (_, j) => text[(rf - from + j) % text.length] ?? null),
      counts: Array.from({ length: 23 }, (_, j) => (j >= 3 && j < 6 + (i % 3) ? 3 - (i % 2) : j % 5 === 0 ? 1 : 0)),
      tracks: [Array.from({ length: 23 }, (_, j) => depth[(rf - from + j) % steps] ?? 0)],
    };
  });
  const snapshot: FindingSnapshot = {
    format: SNAPSHOT_FORMAT,
    title: "Cells that track nesting depth ≥ 2",
    abstract: "Three cells switch on **inside a second bracket** and off when it closes.",
    authors: [
      { name: "Ada Lovelace", member: true },
      { name: "Charles Babbage", member: false },
    ],
    dataset: { name: "parens", description: "A generated parenthesis language.", citation: "Statescope demo data (2026).", contentHash: "ab".repeat(32), steps: 20_000, separator: "" },
    window: { from, to: from + steps, tokens },
    brush: [from + 9, from + 14],
    pad: [1, 0],
    layers: [{ source: "states::states1", type: "states", layer: 1, transform: "none", cells, min: -1.5, max: 1.5, threshold: 0.3, selected, added: [], excluded: [] }],
    tracks: [{ name: "depth", kind: "discrete", width: 1, labels: null, colors: null, range: null, values: depth, weights: null, words: null }],
    match: {
      layer: 0,
      mode: "precise",
      length: 0,
      k: 50,
      before: 3,
      after: 20,
      cells: selected,
      threshold: 0.3,
      padLeft: 1,
      padRight: 0,
      tracks: ["depth"],
      rows,
      histograms: { all: { "3": 20, "4": 9, "5": 4 }, strict: { "3": 11, "4": 5, "5": 1 } },
    },
  };
  return { snapshot, states: [data] };
}
