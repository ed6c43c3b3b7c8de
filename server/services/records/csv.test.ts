import { describe, expect, it } from "vitest";
import { restoreCsvFormula } from "@statescope/core";
import { CsvSyntaxError, formatCsv, parseCsv } from "./csv";

describe("CSV", () => {
  it("round-trips quotes, commas, line breaks and edge spaces", () => {
    const rows = [
      ["start", "end", "category", "note", "author"],
      ["0", "3", 'say "hi"', "a, b", "ada"],
      ["4", "9", "multi\nline", " padded ", ""],
    ];
    const text = formatCsv(rows);
    expect(text).toBe('start,end,category,note,author\n0,3,"say ""hi""","a, b",ada\n4,9,"multi\nline"," padded ",\n');
    expect(parseCsv(text).map((r) => r.fields)).toEqual(rows);
  });

  it("numbers records by the line they start on, skips blank lines, accepts CRLF and a BOM", () => {
    const rows = parseCsv('\ufeffa,b\r\n\r\n"x\ny",2\r\nz,3');
    expect(rows).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 3, fields: ["x\ny", "2"] },
      { line: 5, fields: ["z", "3"] },
    ]);
  });

  it("names the line of a syntax error", () => {
    const err = (t: string) => {
      try {
        parseCsv(t);
      } catch (e) {
        expect(e).toBeInstanceOf(CsvSyntaxError);
        return (e as Error).message;
      }
      throw new Error("no error");
    };
    expect(err('a,b\n1,"open')).toMatch(/^line 2: a quoted field is not closed/);
    expect(err('a,b\n1,2\n3,x"y')).toMatch(/^line 3: a quote inside unquoted field 2/);
    expect(err('a\n"q"x')).toMatch(/^line 2: unexpected text after a closing quote/);
    expect(() => parseCsv("a\nb\nc\n", 2)).toThrow(/line 3: more than 2 records/);
  });

  it("writes strings as neutralised text and numbers as numbers, and parses back what was written", () => {
    const rows = [
      [0, -0.3, "=1+2", "-0.3", "@SUM(A1)", "'=quoted", "\tTAB"],
    ];
    const text = formatCsv(rows);
    expect(text).toBe('0,-0.3,\'=1+2,-0.3,\'@SUM(A1),\'\'=quoted,\'\tTAB\n');
    expect(parseCsv(text)[0]!.fields.map(restoreCsvFormula)).toEqual(rows[0]!.map(String));
  });
});
