import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { categoricalColor } from "@statescope/core";
import { callerFor, collabFixture, trpcError, type CollabFixture } from "../../tests/fixtures/collab";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { MAX_CSV_BYTES } from "../services/records/schemas";

let t: TestDatabase;
let fx: CollabFixture;
let as: ReturnType<typeof callerFor>;

beforeAll(async () => {
  t = await freshDatabase();
  fx = await collabFixture(t.db, "annot");
  as = callerFor(t);
});
afterAll(async () => {
  await t.drop();
  await fx?.cleanup();
});

const int32 = (b64: string) => Array.from(new Int32Array(new Uint8Array(Buffer.from(b64, "base64")).buffer));

describe("annotations", () => {
  it("creates categories (unique names, palette colours) and validated ranges; viewers read only", async () => {
    const w = { workspace: fx.ws, datasetId: fx.datasetId };
    const noun = await as(fx.users.editor).annotation.createCategory({ ...w, name: "noun phrase" });
    expect(noun).toMatchObject({ name: "noun phrase", index: 1, color: categoricalColor(1), annotationCount: 0, createdBy: { id: fx.users.editor, handle: "editor" } });
    const str = await as(fx.users.editor2).annotation.createCategory({ ...w, name: "inside string", color: "#123abc" });
    expect(str).toMatchObject({ index: 2, color: "#123abc" });
    const dup = await trpcError(as(fx.users.editor).annotation.createCategory({ ...w, name: "noun phrase" }));
    expect(dup.code).toBe("CONFLICT");
    expect(dup.message).toMatch(/already has an annotation category named "noun phrase"/);
    expect((await trpcError(as(fx.users.editor).annotation.createCategory({ ...w, name: "x", color: "red" }))).message).toMatch(/colour must be #rrggbb/);
    expect((await trpcError(as(fx.users.viewer).annotation.createCategory({ ...w, name: "mine" }))).code).toBe("FORBIDDEN");

    const a = await as(fx.users.editor).annotation.create({ ...w, categoryId: noun.id, start: 5, end: 9, note: "the cat" });
    expect(a).toMatchObject({ categoryId: noun.id, start: 5, end: 9, note: "the cat", author: { id: fx.users.editor } });
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ start: 9, end: 9 }, /start \(9\) must be less than end \(9\)/],
      [{ start: 390, end: 401 }, /\[390, 401\) is out of range, the dataset has 400 steps/],
      [{ categoryId: "nope" }, /annotation category nope does not exist in dataset/],
    ];
    for (const [patch, msg] of bad) {
      const e = await trpcError(as(fx.users.editor).annotation.create({ ...w, categoryId: noun.id, start: 1, end: 2, ...patch }));
      expect(e.message).toMatch(msg);
    }
    // A category of another dataset cannot be used here.
    const foreign = await as(fx.users.editor).annotation.createCategory({ workspace: fx.ws, datasetId: fx.otherDatasetId, name: "noun phrase" });
    expect((await trpcError(as(fx.users.editor).annotation.create({ ...w, categoryId: foreign.id, start: 1, end: 2 }))).code).toBe("NOT_FOUND");
    expect((await trpcError(as(fx.users.viewer).annotation.create({ ...w, categoryId: noun.id, start: 1, end: 2 }))).code).toBe("FORBIDDEN");
    expect((await trpcError(as(fx.users.outsider).annotation.categories(w))).code).toBe("FORBIDDEN");

    await as(fx.users.editor2).annotation.create({ ...w, categoryId: str.id, start: 7, end: 12 });
    await as(fx.users.editor2).annotation.create({ ...w, categoryId: str.id, start: 100, end: 120 });
    const inRange = await as(fx.users.viewer).annotation.list({ ...w, from: 8, to: 50 });
    expect(inRange.annotations.map((x) => [x.start, x.end])).toEqual([
      [5, 9],
      [7, 12],
    ]);
    expect(inRange.truncated).toBe(false);
    expect((await as(fx.users.viewer).annotation.list({ ...w, categoryId: str.id })).annotations).toHaveLength(2);
    expect((await as(fx.users.viewer).annotation.categories(w)).map((c) => [c.name, c.annotationCount])).toEqual([
      ["noun phrase", 1],
      ["inside string", 2],
    ]);
  });

  it("shows annotations as the discrete meta track \"annotations\": category index per step in the category's colour, latest wins", async () => {
    const w = { workspace: fx.ws, datasetId: fx.datasetId };
    const d = await as(fx.users.viewer).dataset.get(w);
    const track = d.metaTracks.find((x) => x.name === "annotations");
    expect(track).toEqual({
      name: "annotations",
      kind: "discrete",
      width: 1,
      labels: [
        { id: 0, label: "" },
        // each category's own colour (the palette's for "noun phrase", "#123abc" given for "inside string")
        { id: 1, label: "noun phrase", color: categoricalColor(1) },
        { id: 2, label: "inside string", color: "#123abc" },
      ],
      range: "dict",
      hasWeights: false,
    });
    const m = await as(fx.users.viewer).dataset.meta({ ...w, track: "annotations", from: 3, to: 14 });
    expect(m).toMatchObject({ kind: "discrete", from: 3, to: 14, width: 1, weights: null });
    // noun phrase [5,9) then inside string [7,12) created later: 7 and 8 show the later one.
    expect(int32(m.data)).toEqual([0, 0, 1, 1, 2, 2, 2, 2, 2, 0, 0]);
    // The other dataset has its own categories only.
    const other = await as(fx.users.viewer).dataset.meta({ workspace: fx.ws, datasetId: fx.otherDatasetId, track: "annotations", from: 0, to: 10 });
    expect(int32(other.data)).toEqual(Array(10).fill(0));

    const a = (await as(fx.users.viewer).annotation.list({ ...w, from: 100, to: 101 })).annotations[0]!;
    expect((await trpcError(as(fx.users.editor).annotation.delete({ workspace: fx.ws, id: a.id }))).message).toMatch(/author or a workspace OWNER only/);
    await as(fx.users.editor2).annotation.delete({ workspace: fx.ws, id: a.id });
    expect(int32((await as(fx.users.viewer).dataset.meta({ ...w, track: "annotations", from: 99, to: 102 })).data)).toEqual([0, 0, 0]);
  });

  it("exports CSV and imports it into another dataset unchanged; categories are created as needed", async () => {
    const w = { workspace: fx.ws, datasetId: fx.datasetId };
    await as(fx.users.editor).annotation.create({ ...w, categoryId: (await as(fx.users.viewer).annotation.categories(w))[0]!.id, start: 20, end: 30, note: 'quote " and, comma\nnew line' });
    const out = await as(fx.users.viewer).annotation.exportCsv(w);
    expect(out.filename).toBe(`annotations-${fx.datasetId}.csv`);
    expect(out.csv.split("\n")[0]).toBe("start,end,category,note,author,color");
    expect(out.csv).toContain(`5,9,noun phrase,the cat,editor,${categoricalColor(1)}\n`);
    expect(out.rows).toBe(3);

    const target = { workspace: fx.ws, datasetId: fx.otherDatasetId };
    const r = await as(fx.users.editor2).annotation.importCsv({ ...target, csv: out.csv });
    expect(r).toEqual({ imported: 3, categoriesCreated: ["inside string"] }); // "noun phrase" existed there
    // the category created by the import takes its colour from the color column
    expect((await as(fx.users.viewer).annotation.categories(target)).find((c) => c.name === "inside string")?.color).toBe("#123abc");
    const back = await as(fx.users.viewer).annotation.exportCsv(target);
    // Imported rows belong to the importer (the author column is informational).
    expect(back.csv).toBe(out.csv.replaceAll(",editor,", ",editor2,"));
  });

  it("imports a large CSV in one transaction (more rows than one statement can bind)", async () => {
    const target = { workspace: fx.ws, datasetId: fx.otherDatasetId };
    const n = 20_000;
    const rows = Array.from({ length: n }, (_, i) => `${i % 399},${(i % 399) + 1},bulk ${i % 3},row ${i}`);
    const before = await t.db.annotation.count({ where: { datasetId: fx.otherDatasetId } });
    const r = await as(fx.users.editor).annotation.importCsv({ ...target, csv: ["start,end,category,note", ...rows].join("\n") });
    expect(r).toEqual({ imported: n, categoriesCreated: ["bulk 0", "bulk 1", "bulk 2"] });
    expect(await t.db.annotation.count({ where: { datasetId: fx.otherDatasetId } })).toBe(before + n);

    // Within one import, later rows win where they overlap (and the import wins over older rows).
    await as(fx.users.editor).annotation.importCsv({ ...target, csv: "start,end,category\n0,6,late A\n2,4,late B\n" });
    const labels = new Map((await as(fx.users.viewer).dataset.get(target)).metaTracks.find((x) => x.name === "annotations")!.labels!.map((l) => [l.id, l.label]));
    const m = await as(fx.users.viewer).dataset.meta({ ...target, track: "annotations", from: 0, to: 7 });
    expect(int32(m.data).map((v) => labels.get(v))).toEqual(["late A", "late A", "late B", "late B", "late A", "late A", "bulk 0"]);
  });

  it("imports all or nothing: a bad CSV names line and column and leaves no rows or categories", async () => {
    const target = { workspace: fx.ws, datasetId: fx.otherDatasetId };
    const before = { a: await t.db.annotation.count(), c: await t.db.annotationCategory.count() };
    const cases: Array<[string, RegExp]> = [
      ["start,end,category\n1,2,brand new\n3,x,brand new\n", /line 3, column end: "x" is not a whole number/],
      ["start,end,category\n1,2,brand new\n5,4,brand new\n", /line 3, column end: end \(4\) must be greater than start \(5\)/],
      ["start,end,category\n1,2,brand new\n1,401,brand new\n", /line 3, column end: 401 is past the end of the dataset \(400 steps\)/],
      ["start,end,category\n1,2,\n", /line 2, column category: category name is empty/],
      ["start,end,category,note\n1,2,a\n", /line 2: 3 fields, the header has 4/],
      ["start,end,note\n1,2,a\n", /the header has no column "category"/],
      ["start,end,category,colour\n1,2,a,red\n", /unknown column "colour"/],
      ["start,end,category,color\n1,2,a,#123abc\n3,4,a,red\n", /line 3, column color: "red": colour must be #rrggbb \(or leave it empty\)/],
      ['start,end,category\n1,2,"open\n', /line 2: a quoted field is not closed/],
      ["", /annotation CSV is empty/],
    ];
    for (const [csv, msg] of cases) {
      const e = await trpcError(as(fx.users.editor).annotation.importCsv({ ...target, csv }));
      expect(e.code, csv).toBe("BAD_REQUEST");
      expect(e.message, csv).toMatch(msg);
    }
    const big = await trpcError(as(fx.users.editor).annotation.importCsv({ ...target, csv: "start,end,category\n" + "1,2,a\n".repeat(MAX_CSV_BYTES / 6 + 1) }));
    expect(big.message).toMatch(/larger than 5 MB/);
    expect((await trpcError(as(fx.users.viewer).annotation.importCsv({ ...target, csv: "start,end,category\n1,2,a\n" }))).code).toBe("FORBIDDEN");
    expect({ a: await t.db.annotation.count(), c: await t.db.annotationCategory.count() }).toEqual(before);
  });
});
