import { describe, expect, it } from "vitest";
import { mulberry32 } from "../random";
import { evidenceCsv } from "../explorer/export-csv";
import { discreteEvidence, scalarEvidence, unionRanges } from "./evidence";

describe("unionRanges", () => {
  it("merges overlapping and touching ranges, clips to the source, drops empty ones", () => {
    const u = unionRanges(
      [
        { pos: 6, length: 2 },
        { pos: 1, length: 3 },
        { pos: 3, length: 2 },
        { pos: 8, length: 1 },
        { pos: -2, length: 1 },
        { pos: 9, length: 5 },
      ],
      10,
    );
    // [1,4) ∪ [3,5) = [1,5); [6,8) and [8,9) touch: [6,9); [9,14) clipped to [9,10) touches too
    expect(Array.from(u)).toEqual([1, 5, 6, 10]);
  });
});

describe("discrete evidence (hand-made dataset)", () => {
  // step:   0  1  2  3  4  5   6  7  8  9      (-1: no label, so not defined)
  const values = Int32Array.from([0, 1, 1, 2, 1, 0, -1, 1, 2, 0]);
  // ranges [1,4) [3,5) [6,8) [9,14): union [1,5) ∪ [6,8) ∪ [9,10) = 7 steps; step 6 is undefined
  const ranges = [
    { pos: 1, length: 3 },
    { pos: 3, length: 2 },
    { pos: 6, length: 2 },
    { pos: 9, length: 5 },
  ];

  it("share over matched defined steps, base over defined steps, lift = share / base", () => {
    const e = discreteEvidence(values, [0, 1, 2], ranges);
    expect(e).toMatchObject({ matchedSteps: 7, matchedDefined: 6, definedSteps: 9 });
    const by = Object.fromEntries(e.labels.map((l) => [l.id, l]));
    // label 0: matched step 9 → 1/6; steps 0,5,9 → 3/9; lift 0.5
    expect(by[0]).toMatchObject({ matched: 1, total: 3 });
    expect(by[0]!.share).toBeCloseTo(1 / 6, 12);
    expect(by[0]!.base).toBeCloseTo(1 / 3, 12);
    expect(by[0]!.lift).toBeCloseTo(0.5, 12);
    // label 1: matched 1,2,4,7 → 4/6; total 4/9; lift 1.5
    expect(by[1]!.lift).toBeCloseTo(1.5, 12);
    // label 2: matched step 3 → 1/6; steps 3,8 → 2/9; lift 0.75
    expect(by[2]!.lift).toBeCloseTo(0.75, 12);
  });

  it("ids outside the label list are missing; a label never seen has base 0 and no lift", () => {
    const e = discreteEvidence(values, [1, 2, 7], ranges);
    // labels 1 and 2 only: 0 and -1 are not defined
    expect(e).toMatchObject({ matchedSteps: 7, matchedDefined: 5, definedSteps: 6 });
    expect(e.labels[2]).toEqual({ id: 7, matched: 0, total: 0, share: 0, base: 0, lift: null });
  });

  it("no matches: shares and lifts are null", () => {
    const e = discreteEvidence(values, [0, 1, 2], []);
    expect(e.matchedSteps).toBe(0);
    expect(e.labels.every((l) => l.share === null && l.lift === null && l.base !== null)).toBe(true);
  });

  it("invariants on random data: shares and bases each sum to 1, counts match a per-step recount", () => {
    const r = mulberry32(5);
    const T = 3000;
    const v = Int32Array.from({ length: T }, () => (r() < 0.05 ? -2147483648 : Math.floor(r() * 4) * 10));
    const rs = Array.from({ length: 40 }, () => ({ pos: Math.floor(r() * T) - 20, length: 2 + Math.floor(r() * 60) }));
    const e = discreteEvidence(v, [0, 10, 20, 30], rs);
    const inMatch = new Uint8Array(T);
    for (const x of rs) for (let t = Math.max(0, x.pos); t < Math.min(T, x.pos + x.length); t++) inMatch[t] = 1;
    expect(e.matchedSteps).toBe(inMatch.reduce((a, b) => a + b, 0));
    for (const l of e.labels) {
      let m = 0;
      for (let t = 0; t < T; t++) if (inMatch[t] && v[t] === l.id) m++;
      expect(l.matched).toBe(m);
    }
    expect(e.labels.reduce((a, l) => a + l.share!, 0)).toBeCloseTo(1, 12);
    expect(e.labels.reduce((a, l) => a + l.base!, 0)).toBeCloseTo(1, 12);
  });
});

describe("scalar evidence (hand-made dataset)", () => {
  it("mean inside the matches vs overall, NaN excluded, one bin per integer", () => {
    const values = Float32Array.from([0, 1, 2, 3, NaN, 5, 6, 7, 8, 9]);
    // union [0,2) ∪ [4,7): steps 0,1,4,5,6; step 4 is NaN → values 0,1,5,6
    const e = scalarEvidence(values, [
      { pos: 0, length: 2 },
      { pos: 4, length: 3 },
    ]);
    expect(e).toMatchObject({ matchedSteps: 5, matchedDefined: 4, definedSteps: 9, mean: 3 });
    expect(e.baseMean).toBeCloseTo(41 / 9, 12);
    expect(e.histogram.edges).toEqual([-0.5, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5]);
    expect(e.histogram.overall).toEqual([1, 1, 1, 1, 0, 1, 1, 1, 1, 1]);
    expect(e.histogram.matched).toEqual([1, 1, 0, 0, 0, 1, 1, 0, 0, 0]);
  });

  it("continuous values: 20 equal bins over [min, max], the maximum in the last bin", () => {
    const values = Float32Array.from({ length: 101 }, (_, i) => i / 100);
    const e = scalarEvidence(values, [{ pos: 96, length: 10 }]);
    expect(e.histogram.edges).toHaveLength(21);
    expect(e.histogram.overall.reduce((a, b) => a + b, 0)).toBe(101);
    expect(e.histogram.matched[19]).toBe(5);
    expect(e.mean).toBeCloseTo(0.98, 6);
  });
});

describe("evidence CSV section", () => {
  it("one row per label, or one row of means, under its own header; quoted text, exact numbers", () => {
    const d = evidenceCsv({
      track: "in_comment",
      kind: "discrete",
      matchedSteps: 812,
      labels: [
        { label: "no", share: 0.1, base: 0.7, lift: 1 / 7 },
        { label: "yes, really", share: 0.9, base: 0.3, lift: 3 },
      ],
    });
    expect(d).toBe(
      "evidence_track,kind,matched_steps,label,share,base,lift,mean,base_mean\r\n" +
        "in_comment,discrete,812,no,0.1,0.7,0.142857,,\r\n" +
        'in_comment,discrete,812,"yes, really",0.9,0.3,3,,\r\n',
    );
    const s = evidenceCsv({ track: "depth", kind: "scalar", matchedSteps: 3043, mean: 5.3321, baseMean: null });
    expect(s.split("\r\n")[1]).toBe("depth,scalar,3043,,,,,5.3321,");
  });

  it("neutralises a track or label a spreadsheet would run as a formula; numbers stay numbers", () => {
    const d = evidenceCsv({ track: "@tags", kind: "discrete", matchedSteps: 2, labels: [{ label: "=1+1", share: 0.5, base: 0.25, lift: 2 }] });
    expect(d.split("\r\n")[1]).toBe("'@tags,discrete,2,'=1+1,0.5,0.25,2,,");
    const s = evidenceCsv({ track: "-x", kind: "scalar", matchedSteps: 2, mean: -0.5, baseMean: -1 });
    expect(s.split("\r\n")[1]).toBe("'-x,scalar,2,,,,,-0.5,-1");
  });
});
