import { describe, expect, it } from "vitest";
import { sampleFinding } from "../../../packages/core/src/figures/testing";
import { citationBibtex, citationCslJson, matchesCsv, matchesJson } from "./exports";

const ref = { id: "7k2m9x4q8t3z", version: 2, publishedAt: new Date("2026-11-05T10:00:00Z"), url: "https://s.example/f/7k2m9x4q8t3z/v2", snapshotHash: "cd".repeat(32) };
const accessed = new Date("2026-12-03T23:59:00Z");

describe("citations", () => {
  it("BibTeX: authors as Family, Given joined by and, LaTeX specials escaped, the versioned URL and the accessed date", () => {
    const s = sampleFinding().snapshot;
    s.title = "50% of cells & the {depth} of_x";
    s.authors = [{ name: "Ada King Lovelace", member: true }, { name: "Plato", member: false }];
    const bib = citationBibtex(s, ref, accessed);
    expect(bib).toMatch(/^@misc\{statescope-7k2m9x4q8t3z-v2,\n/);
    expect(bib).toContain("  author = {Lovelace, Ada King and {Plato}},\n");
    expect(bib).toContain("  title = {{50\\% of cells \\& the \\{depth\\} of\\_x}},\n");
    expect(bib).toContain("  year = {2026},\n  month = nov,\n");
    expect(bib).toContain("  url = {https://s.example/f/7k2m9x4q8t3z/v2},\n  urldate = {2026-12-03},\n");
    expect(bib.trimEnd().endsWith("}")).toBe(true);
  });

  it("CSL-JSON: one item with issued and accessed dates as date-parts", () => {
    const csl = JSON.parse(citationCslJson(sampleFinding().snapshot, ref, accessed)) as Record<string, unknown>[];
    expect(csl).toHaveLength(1);
    expect(csl[0]).toMatchObject({
      id: "statescope-7k2m9x4q8t3z-v2",
      type: "webpage",
      title: "Cells that track nesting depth ≥ 2",
      author: [{ family: "Lovelace", given: "Ada" }, { family: "Babbage", given: "Charles" }],
      issued: { "date-parts": [[2026, 11, 5]] },
      accessed: { "date-parts": [[2026, 12, 3]] },
      URL: ref.url,
      version: "2",
    });
  });
});

describe("match results", () => {
  it("CSV: one row per result with the matched text joined by the dataset's separator, and the query", () => {
    const s = sampleFinding().snapshot;
    const csv = matchesCsv(s).split("\r\n");
    expect(csv[0]).toBe("rank,pos,length,I,U,jaccard,text,source,cells,threshold");
    const r = s.match!.rows[0]!;
    const text = r.tokens.slice(r.pos - r.from, r.pos - r.from + r.length).join("");
    expect(csv[1]).toBe(`1,${r.pos},${r.length},${r.I},${r.U},${(r.I / r.U).toFixed(4)},${/[",]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text},states::states1,3 11 17,0.3`);
    expect(csv).toHaveLength(s.match!.rows.length + 2);
  });

  it("JSON: the query, ranked rows with their context counts, the histograms", () => {
    const s = sampleFinding().snapshot;
    const j = JSON.parse(matchesJson(s, ref)) as { query: Record<string, unknown>; results: Record<string, unknown>[]; histograms: unknown; finding: unknown };
    expect(j.finding).toEqual({ id: ref.id, version: 2, url: ref.url, snapshotHash: ref.snapshotHash });
    expect(j.query).toEqual({ source: "states::states1", cells: [3, 11, 17], threshold: 0.3, padLeft: 1, padRight: 0, mode: "precise", length: 0, k: 50 });
    expect(j.results[0]).toMatchObject({ rank: 1, pos: s.match!.rows[0]!.pos, context: { from: s.match!.rows[0]!.from, counts: s.match!.rows[0]!.counts } });
    expect(j.histograms).toEqual(s.match!.histograms);
  });
});
