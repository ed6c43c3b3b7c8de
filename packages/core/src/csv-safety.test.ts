import { describe, expect, it } from "vitest";
import { matchResultsCsv, mulberry32, neutralizeCsvFormula, restoreCsvFormula } from "./index";

describe("CSV formula neutralisation", () => {
  it("prefixes text that a spreadsheet would run as a formula", () => {
    for (const s of ['=HYPERLINK("http://evil.example","x")', "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=", "-"]) {
      expect(neutralizeCsvFormula(s)).toBe(`'${s}`);
    }
  });

  it("leaves plain text and plain numbers alone", () => {
    for (const s of ["-0.3", "+1", "-12", "1e-5", "-.5", "cat", "", " =not first", "a=b", "x-y"]) expect(neutralizeCsvFormula(s)).toBe(s);
  });

  it("round-trips every string, including ones that already start with quotes", () => {
    for (const s of ["'=1", "''+2", "'plain", "'", "=1", "-0.3", "'-0.3"]) expect(restoreCsvFormula(neutralizeCsvFormula(s))).toBe(s);
    const rnd = mulberry32(7);
    const alphabet = ["'", "=", "+", "-", "@", "\t", "\r", "0", "1", ".", "e", "a", " ", '"', ","];
    for (let i = 0; i < 20_000; i++) {
      const n = Math.floor(rnd() * 6);
      let s = "";
      for (let k = 0; k < n; k++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      expect(restoreCsvFormula(neutralizeCsvFormula(s)), JSON.stringify(s)).toBe(s);
      // what starts with a formula character is then a plain number, nothing else
      if (/^[=+\-@\t\r]/.test(neutralizeCsvFormula(s))) expect(s).toMatch(/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/);
    }
  });

  it("neutralises the token text and source of match results, not the numbers", () => {
    const csv = matchResultsCsv([{ pos: 4, length: 2, I: 2, U: 3, text: '=HYPERLINK("http://evil.example","x")' }], { source: "@src", cells: [1, 2], threshold: -0.3 });
    expect(csv).toBe('rank,pos,length,I,U,jaccard,text,source,cells,threshold\r\n1,4,2,2,3,0.6667,"\'=HYPERLINK(""http://evil.example"",""x"")",\'@src,1 2,-0.3\r\n');
  });
});
