/**
 * Annotations: member-defined categories per dataset and labelled token ranges [start, end),
 * CSV export/import, and the discrete meta track "annotations" the explorer draws.
 *
 * Track rule: value per step = the category's index (1-based, categories in creation order),
 * 0 = no annotation; where ranges overlap, the most recently created annotation wins (within one
 * CSV import: the later row).
 */
import { randomBytes } from "node:crypto";
import { AppError, categoricalColor, restoreCsvFormula } from "@statescope/core";
import type { z } from "zod";
import type { Db } from "@/server/db/client";
import type { TrackSummary } from "@/server/services/datasets/schemas";
import { ZMetaWindowOutput, type MetaWindowInput, type MetaWindowOutput } from "@/server/services/datasets/schemas-meta";
import type { Role } from "@/server/services/schemas";
import { parseInput } from "@/server/services/validate";
import { checkRange, datasetIn, isUniqueViolation, notifyRecord, USER_REF_SELECT, userRef, type Tx } from "./common";
import { CsvSyntaxError, formatCsv, parseCsv } from "./csv";
import {
  ANNOTATION_TRACK,
  MAX_ANNOTATION_CATEGORIES,
  MAX_ANNOTATIONS_PER_LIST,
  MAX_CSV_ROWS,
  ZAnnotationCreate,
  ZAnnotationList,
  ZCategoryCreate,
  ZCategoryName,
  ZColor,
  ZCsvImport,
  ZNote,
  type AnnotationOut,
  type Category,
} from "./schemas";

const CATEGORY_ORDER = [{ createdAt: "asc" as const }, { id: "asc" as const }];
const ANNOTATION_SELECT = { id: true, categoryId: true, start: true, end: true, note: true, createdAt: true, author: { select: USER_REF_SELECT } } as const;

function annotationOut(a: { id: string; categoryId: string; start: number; end: number; note: string; createdAt: Date; author: { id: string; name: string | null; email: string } | null }): AnnotationOut {
  return { id: a.id, categoryId: a.categoryId, start: a.start, end: a.end, note: a.note, createdAt: a.createdAt, author: userRef(a.author) };
}

export async function listCategories(db: Tx, workspaceId: string, datasetId: string): Promise<Category[]> {
  await datasetIn(db, workspaceId, datasetId, false);
  const rows = await db.annotationCategory.findMany({
    where: { datasetId },
    orderBy: CATEGORY_ORDER,
    select: { id: true, name: true, color: true, createdAt: true, createdBy: { select: USER_REF_SELECT }, _count: { select: { annotations: true } } },
  });
  return rows.map((r, i) => ({ id: r.id, name: r.name, color: r.color, index: i + 1, annotationCount: r._count.annotations, createdBy: userRef(r.createdBy), createdAt: r.createdAt }));
}

async function insertCategory(tx: Tx, datasetId: string, userId: string, name: string, color: string | undefined, existing: number) {
  if (existing >= MAX_ANNOTATION_CATEGORIES) {
    throw new AppError("BAD_INPUT", `dataset ${datasetId} already has ${MAX_ANNOTATION_CATEGORIES} annotation categories, the most it can have`);
  }
  // The track draws value i in categoricalColor(i): the default colour is the one the track shows.
  return tx.annotationCategory.create({ data: { datasetId, name, color: color ?? categoricalColor(existing + 1), createdById: userId }, select: { id: true } });
}

export async function createCategory(db: Db, workspaceId: string, userId: string, raw: z.input<typeof ZCategoryCreate>): Promise<Category> {
  const input = parseInput(ZCategoryCreate, raw, "annotation category");
  await datasetIn(db, workspaceId, input.datasetId);
  try {
    const id = await db.$transaction(async (tx) => {
      const n = await tx.annotationCategory.count({ where: { datasetId: input.datasetId } });
      const c = await insertCategory(tx, input.datasetId, userId, input.name, input.color, n);
      await notifyRecord(tx, { workspaceId, datasetId: input.datasetId, kind: "annotation", id: c.id, op: "created", userId });
      return c.id;
    });
    return (await listCategories(db, workspaceId, input.datasetId)).find((c) => c.id === id)!;
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError("CONFLICT", `dataset ${input.datasetId} already has an annotation category named "${input.name}"`);
    throw e;
  }
}

export async function listAnnotations(db: Db, workspaceId: string, raw: z.input<typeof ZAnnotationList>): Promise<{ annotations: AnnotationOut[]; truncated: boolean }> {
  const input = parseInput(ZAnnotationList, raw, "annotation list request");
  await datasetIn(db, workspaceId, input.datasetId, false);
  if (input.from !== undefined && input.to !== undefined && input.from >= input.to) {
    throw new AppError("BAD_INPUT", `annotation list: from (${input.from}) must be less than to (${input.to})`);
  }
  const rows = await db.annotation.findMany({
    where: {
      datasetId: input.datasetId,
      ...(input.to !== undefined ? { start: { lt: input.to } } : {}),
      ...(input.from !== undefined ? { end: { gt: input.from } } : {}),
      ...(input.categoryId ? { categoryId: input.categoryId } : {}),
    },
    orderBy: [{ start: "asc" }, { end: "asc" }, { createdAt: "asc" }, { id: "asc" }],
    take: MAX_ANNOTATIONS_PER_LIST + 1,
    select: ANNOTATION_SELECT,
  });
  const truncated = rows.length > MAX_ANNOTATIONS_PER_LIST;
  return { annotations: rows.slice(0, MAX_ANNOTATIONS_PER_LIST).map(annotationOut), truncated };
}

export async function createAnnotation(db: Db, workspaceId: string, userId: string, raw: z.input<typeof ZAnnotationCreate>): Promise<AnnotationOut> {
  const input = parseInput(ZAnnotationCreate, raw, "annotation");
  const ds = await datasetIn(db, workspaceId, input.datasetId);
  checkRange(`dataset ${ds.id}: the annotation`, input.start, input.end, ds.steps);
  const cat = await db.annotationCategory.findUnique({ where: { id: input.categoryId }, select: { datasetId: true } });
  if (!cat || cat.datasetId !== ds.id) throw new AppError("NOT_FOUND", `annotation category ${input.categoryId} does not exist in dataset ${ds.id}`);
  const row = await db.$transaction(async (tx) => {
    const a = await tx.annotation.create({ data: { datasetId: ds.id, categoryId: input.categoryId, start: input.start, end: input.end, note: input.note, authorId: userId }, select: ANNOTATION_SELECT });
    await notifyRecord(tx, { workspaceId, datasetId: ds.id, kind: "annotation", id: a.id, op: "created", userId });
    return a;
  });
  return annotationOut(row);
}

/** Its author or a workspace OWNER may delete an annotation. */
export async function deleteAnnotation(db: Db, workspaceId: string, userId: string, role: Role, id: string): Promise<void> {
  const a = await db.annotation.findUnique({ where: { id }, select: { id: true, authorId: true, dataset: { select: { id: true, workspaceId: true } } } });
  if (!a || a.dataset.workspaceId !== workspaceId) throw new AppError("NOT_FOUND", `annotation ${id} does not exist in this workspace`);
  if (role !== "OWNER" && a.authorId !== userId) throw new AppError("FORBIDDEN", `annotation ${id} can be deleted by its author or a workspace OWNER only`);
  await db.$transaction(async (tx) => {
    await tx.annotation.deleteMany({ where: { id } });
    await notifyRecord(tx, { workspaceId, datasetId: a.dataset.id, kind: "annotation", id, op: "deleted", userId });
  });
}

// ---------------------------------------------------------------------------
// CSV

const CSV_HEADER = ["start", "end", "category", "note", "author", "color"] as const;
const EXPECTED = `(expected ${CSV_HEADER.join(",")})`;

/** All annotations as CSV `start,end,category,note,author,color` (author = the member's handle, color = the category's), by start. */
export async function exportAnnotationsCsv(db: Db, workspaceId: string, datasetId: string): Promise<{ filename: string; csv: string; rows: number }> {
  const ds = await datasetIn(db, workspaceId, datasetId, false);
  const rows = await db.annotation.findMany({
    where: { datasetId: ds.id },
    orderBy: [{ start: "asc" }, { end: "asc" }, { createdAt: "asc" }, { id: "asc" }],
    select: { start: true, end: true, note: true, category: { select: { name: true, color: true } }, author: { select: USER_REF_SELECT } },
  });
  const csv = formatCsv([CSV_HEADER, ...rows.map((r) => [r.start, r.end, r.category.name, r.note, userRef(r.author)?.handle ?? "", r.category.color])]);
  return { filename: `annotations-${ds.id}.csv`, csv, rows: rows.length };
}

/**
 * Import `start,end,category[,note][,author][,color]` rows (header required, columns in any order):
 * all or nothing, in one transaction; missing categories are created, in the first colour (#rrggbb)
 * their rows give, else the palette's (existing categories keep theirs). The `author` column is
 * informational: imported annotations belong to the importing member.
 */
export async function importAnnotationsCsv(db: Db, workspaceId: string, userId: string, raw: z.input<typeof ZCsvImport>): Promise<{ imported: number; categoriesCreated: string[] }> {
  const input = parseInput(ZCsvImport, raw, "annotation CSV");
  const ds = await datasetIn(db, workspaceId, input.datasetId);
  let records;
  try {
    records = parseCsv(input.csv, MAX_CSV_ROWS + 1);
  } catch (e) {
    if (e instanceof CsvSyntaxError) throw new AppError(e.message.includes("records") ? "TOO_LARGE" : "BAD_INPUT", `annotation CSV, ${e.message}`);
    throw e;
  }
  const header = records.shift();
  if (!header) throw new AppError("BAD_INPUT", `annotation CSV is empty: the first line must be the header ${CSV_HEADER.join(",")}`);
  const cols = header.fields.map((h) => h.trim().toLowerCase());
  const col = (name: string) => cols.indexOf(name);
  for (const required of ["start", "end", "category"]) {
    if (col(required) < 0) throw new AppError("BAD_INPUT", `annotation CSV, line ${header.line}: the header has no column "${required}" ${EXPECTED}`);
  }
  const unknown = cols.filter((c) => !(CSV_HEADER as readonly string[]).includes(c));
  if (unknown.length) throw new AppError("BAD_INPUT", `annotation CSV, line ${header.line}: unknown column "${unknown[0]}" ${EXPECTED}`);
  const dup = cols.find((c, i) => cols.indexOf(c) !== i);
  if (dup) throw new AppError("BAD_INPUT", `annotation CSV, line ${header.line}: column "${dup}" appears twice`);

  const errors: string[] = [];
  const parsed: { start: number; end: number; category: string; note: string }[] = [];
  /** The first colour given for each category. */
  const colors = new Map<string, string>();
  const at = (line: number, column: string, msg: string) => errors.push(`line ${line}, column ${column}: ${msg}`);
  for (const r of records) {
    if (errors.length >= 10) break;
    if (r.fields.length !== cols.length) {
      errors.push(`line ${r.line}: ${r.fields.length} fields, the header has ${cols.length}`);
      continue;
    }
    // text fields come back as they were before the export neutralised them (csv.ts)
    const get = (name: string) => (col(name) < 0 ? "" : restoreCsvFormula(r.fields[col(name)]!));
    const int = (name: string) => {
      const s = get(name).trim();
      if (!/^\d+$/.test(s)) {
        at(r.line, name, `${JSON.stringify(s)} is not a whole number ≥ 0`);
        return null;
      }
      return Number(s);
    };
    const start = int("start");
    const end = int("end");
    const category = ZCategoryName.safeParse(get("category"));
    if (!category.success) at(r.line, "category", category.error.issues[0]!.message);
    const note = ZNote.safeParse(get("note"));
    if (!note.success) at(r.line, "note", note.error.issues[0]!.message);
    const colorText = get("color").trim();
    const color = colorText === "" ? null : ZColor.safeParse(colorText);
    if (color && !color.success) at(r.line, "color", `${JSON.stringify(colorText)}: ${color.error.issues[0]!.message} (or leave it empty)`);
    if (start === null || end === null || !category.success || !note.success || (color && !color.success)) continue;
    if (color && !colors.has(category.data)) colors.set(category.data, color.data);
    if (start >= end) at(r.line, "end", `end (${end}) must be greater than start (${start})`);
    else if (end > ds.steps) at(r.line, "end", `${end} is past the end of the dataset (${ds.steps} steps)`);
    else parsed.push({ start, end, category: category.data, note: note.data });
  }
  if (errors.length) throw new AppError("BAD_INPUT", `annotation CSV: nothing was imported. ${errors.join("; ")}${errors.length >= 10 ? "; …" : ""}`);
  if (records.length > MAX_CSV_ROWS) throw new AppError("TOO_LARGE", `annotation CSV has more than ${MAX_CSV_ROWS} rows: split it into smaller files`);

  try {
    return await db.$transaction(
      async (tx) => {
        const existing = await tx.annotationCategory.findMany({ where: { datasetId: ds.id }, select: { id: true, name: true } });
        const byName = new Map(existing.map((c) => [c.name, c.id]));
        const created: string[] = [];
        for (const p of parsed) {
          if (byName.has(p.category)) continue;
          const c = await insertCategory(tx, ds.id, userId, p.category, colors.get(p.category), existing.length + created.length);
          byName.set(p.category, c.id);
          created.push(p.category);
        }
        // One statement over arrays (createMany binds 7 values per row: slow, and past 65535 values Postgres refuses).
        // Ids share a batch prefix and end in the zero-padded row number, so within this import (one
        // createdAt) a later row sorts later: "latest wins" on the track follows the file's order.
        const batch = `i${Date.now().toString(36)}${randomBytes(6).toString("hex")}`;
        const n = await tx.$executeRaw`
          insert into "Annotation" ("id", "datasetId", "categoryId", "start", "end", "note", "authorId")
          select ${batch} || lpad(r.i::text, 6, '0'), ${ds.id}, r.category, r.start, r."end", r.note, ${userId}
          from unnest(${parsed.map((p) => byName.get(p.category)!)}::text[], ${parsed.map((p) => p.start)}::int[], ${parsed.map((p) => p.end)}::int[], ${parsed.map((p) => p.note)}::text[])
            with ordinality as r(category, start, "end", note, i)`;
        await notifyRecord(tx, { workspaceId, datasetId: ds.id, kind: "annotation", id: ds.id, op: "created", userId });
        return { imported: n, categoriesCreated: created };
      },
      { timeout: 60_000 },
    );
  } catch (e) {
    if (isUniqueViolation(e)) throw new AppError("CONFLICT", "annotation CSV: a category was created by someone else during the import; nothing was imported, try again", { retryable: true });
    throw e;
  }
}

// ---------------------------------------------------------------------------
// The "annotations" meta track

/** The explorer track's name: "annotations", unless the import already has a track of that name. */
export function annotationTrackName(importedTrackNames: readonly string[]): string {
  return importedTrackNames.includes(ANNOTATION_TRACK) ? `${ANNOTATION_TRACK} (members)` : ANNOTATION_TRACK;
}

/** The track summary for `dataset.get`, or null while the dataset has no categories. */
export async function annotationTrackSummary(db: Db, datasetId: string, importedTrackNames: readonly string[]): Promise<TrackSummary | null> {
  const cats = await db.annotationCategory.findMany({ where: { datasetId }, orderBy: CATEGORY_ORDER, select: { name: true, color: true } });
  if (cats.length === 0) return null;
  return {
    name: annotationTrackName(importedTrackNames),
    kind: "discrete",
    width: 1,
    labels: [{ id: 0, label: "" }, ...cats.map((c, i) => ({ id: i + 1, label: c.name, color: c.color }))],
    range: "dict",
    hasWeights: false,
  };
}

/** Steps [from, to) of the track: category index per step, 0 = none, latest annotation wins. */
export async function annotationTrackWindow(db: Db, datasetId: string, from: number, to: number): Promise<Int32Array> {
  const cats = await db.annotationCategory.findMany({ where: { datasetId }, orderBy: CATEGORY_ORDER, select: { id: true } });
  const index = new Map(cats.map((c, i) => [c.id, i + 1]));
  const rows = await db.annotation.findMany({
    where: { datasetId, start: { lt: to }, end: { gt: from } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { categoryId: true, start: true, end: true },
  });
  const out = new Int32Array(to - from);
  for (const r of rows) out.fill(index.get(r.categoryId) ?? 0, Math.max(r.start, from) - from, Math.min(r.end, to) - from);
  return out;
}

/**
 * `dataset.meta` for the members' track: null when `input.track` is not it (an imported track of
 * that name takes precedence, see {@link annotationTrackName}).
 */
export async function readAnnotationTrack(db: Db, ds: { id: string; steps: number }, input: MetaWindowInput): Promise<MetaWindowOutput | null> {
  if (!input.track.startsWith(ANNOTATION_TRACK)) return null;
  const imported = await db.metaTrack.findMany({ where: { datasetId: ds.id }, select: { name: true } });
  if (input.track !== annotationTrackName(imported.map((t) => t.name))) return null;
  const from = input.from;
  const to = Math.min(input.to, ds.steps);
  if (from >= to) throw new AppError("BAD_INPUT", `dataset ${ds.id} has ${ds.steps} steps: [${input.from}, ${input.to}) is out of range`);
  const values = await annotationTrackWindow(db, ds.id, from, to);
  const data = Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString("base64");
  // Through the schema, so fields other tracks fill (and this one has none of) come out null/stripped consistently.
  return ZMetaWindowOutput.parse({ track: input.track, kind: "discrete", from, to, width: 1, data, weights: null, words: null });
}
