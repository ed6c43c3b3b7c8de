/**
 * Saved hypotheses: a named explorer view (source, brush range, padding, threshold, cells with
 * manual edits, match settings) with tags, optional frozen match results, and a version history
 * (every edit archives the previous state in the same transaction; optimistic concurrency on
 * `version`).
 */
import { AppError } from "@statescope/core";
import { z } from "zod";
import { Prisma } from "@/prisma/generated/client";
import type { Db } from "@/server/db/client";
import { evidenceOnAllTracks } from "@/server/services/analysis/evidence";
import { findSource } from "@/server/services/datasets/datasets";
import { matchResult, runMatch, type MatchServing } from "@/server/services/matching/matches";
import type { Role } from "@/server/services/schemas";
import { parseInput } from "@/server/services/validate";
import { checkCells, checkRange, datasetIn, notifyRecord, USER_REF_SELECT, userRef } from "./common";
import {
  HYPOTHESIS_QUERY_FIELDS,
  ZFreezeOptions,
  ZFrozenResult,
  ZHypothesisCreate,
  ZHypothesisFields,
  ZHypothesisListInput,
  ZHypothesisSnapshot,
  ZHypothesisUpdate,
  type FrozenResult,
  type HypothesisCreateInput,
  type HypothesisDetail,
  type HypothesisFields,
  type HypothesisSummary,
  type HypothesisUpdateInput,
  type HypothesisVersionOut,
} from "./schemas";

/** How long a save with `freezeResults` waits for a match that has to be computed. */
const FREEZE_WAIT_MS = 120_000;

const SUMMARY_SELECT = {
  id: true,
  datasetId: true,
  workspaceId: true,
  name: true,
  description: true,
  source: true,
  start: true,
  end: true,
  padLeft: true,
  padRight: true,
  threshold: true,
  cells: true,
  addedCells: true,
  excludedCells: true,
  mode: true,
  length: true,
  tags: true,
  version: true,
  authorId: true,
  createdAt: true,
  updatedAt: true,
  author: { select: USER_REF_SELECT },
} as const;

/** A hypothesis as SUMMARY_SELECT reads it. */
type Row = Prisma.HypothesisGetPayload<{ select: typeof SUMMARY_SELECT }>;

function base(r: Row) {
  return {
    id: r.id,
    datasetId: r.datasetId,
    name: r.name,
    description: r.description,
    source: r.source,
    start: r.start,
    end: r.end,
    padLeft: r.padLeft,
    padRight: r.padRight,
    threshold: r.threshold,
    cells: r.cells,
    addedCells: r.addedCells,
    excludedCells: r.excludedCells,
    mode: r.mode === "precise" ? ("precise" as const) : ("fast" as const),
    length: r.length,
    tags: r.tags,
    version: r.version,
    author: userRef(r.author),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

const ZFrozenStored = ZFrozenResult.extend({ frozenAt: z.coerce.date() });

function frozenOf(json: unknown): FrozenResult | null {
  if (json === null || json === undefined) return null;
  const r = ZFrozenStored.safeParse(json);
  return r.success ? r.data : null;
}

/** Normalise and validate fields against the dataset and source (range, cells, padding). */
async function checkedFields(db: Db, workspaceId: string, datasetId: string, f: HypothesisFields): Promise<HypothesisFields> {
  const ds = await datasetIn(db, workspaceId, datasetId);
  const src = await findSource(db, workspaceId, datasetId, f.source);
  const where = `dataset ${ds.id}: source ${src.name}`;
  checkRange(`${where}: the hypothesis range`, f.start, f.end, src.steps);
  const cells = checkCells(where, f.cells, src.cells);
  const addedCells = checkCells(where, f.addedCells, src.cells, "added cell");
  const excludedCells = checkCells(where, f.excludedCells, src.cells, "excluded cell");
  const clash = addedCells.find((c) => excludedCells.includes(c));
  if (clash !== undefined) throw new AppError("BAD_INPUT", `${where}: cell ${clash} is both added and excluded`);
  const length = f.length === 0 ? null : f.length;
  if (length !== null && length < 2) throw new AppError("BAD_INPUT", `${where}: match length must be ≥ 2, or null for any length (got ${length})`);
  const tags = [...new Set(f.tags.map((t) => t.trim()))];
  return { ...f, cells, addedCells, excludedCells, length, tags };
}

/** The match results of the hypothesis' query: from the store, else computed by a worker (waited for). */
async function freezeResults(db: Db, workspaceId: string, datasetId: string, f: HypothesisFields, opts: z.output<typeof ZFreezeOptions>, serving: () => MatchServing): Promise<FrozenResult> {
  const s = serving();
  // the query's fields carry the match query's names (HYPOTHESIS_QUERY_FIELDS); the query's schema drops the others
  let out = await runMatch(db, workspaceId, { ...f, datasetId, length: f.length ?? 0, ...opts }, s);
  const deadline = Date.now() + FREEZE_WAIT_MS;
  while (out.status === "pending") {
    if (Date.now() > deadline) {
      throw new AppError("CONFLICT", `the match results of this hypothesis are still being computed after ${FREEZE_WAIT_MS / 1000} s: save it without frozen results, or try again later`, { retryable: true });
    }
    out = await matchResult(db, workspaceId, out.key, s);
  }
  return { key: out.key, ...opts, frozenAt: new Date(), result: out.result, evidence: await evidenceOnAllTracks(db, workspaceId, datasetId, f.source, out.result.results) };
}

async function findHypothesis(db: Db, workspaceId: string, id: string) {
  const h = await db.hypothesis.findUnique({ where: { id }, select: { ...SUMMARY_SELECT, frozenResult: true } });
  if (!h || h.workspaceId !== workspaceId) throw new AppError("NOT_FOUND", `hypothesis ${id} does not exist in this workspace`);
  return h;
}

export async function listHypotheses(db: Db, workspaceId: string, raw: z.input<typeof ZHypothesisListInput>): Promise<HypothesisSummary[]> {
  const input = parseInput(ZHypothesisListInput, raw, "hypothesis list request");
  await datasetIn(db, workspaceId, input.datasetId, false);
  const rows = await db.hypothesis.findMany({
    where: { workspaceId, datasetId: input.datasetId, ...(input.tag ? { tags: { has: input.tag.trim() } } : {}), ...(input.authorId ? { authorId: input.authorId } : {}) },
    orderBy: [{ updatedAt: "desc" }, { id: "asc" }],
    take: input.limit,
    select: SUMMARY_SELECT,
  });
  // Whether a frozen copy exists, without shipping the copies.
  const frozen = new Set(
    (
      await db.hypothesis.findMany({ where: { id: { in: rows.map((r) => r.id) }, NOT: { frozenResult: { equals: Prisma.DbNull } } }, select: { id: true } })
    ).map((r) => r.id),
  );
  return rows.map((r) => ({ ...base(r), hasFrozenResult: frozen.has(r.id) }));
}

export async function getHypothesis(db: Db, workspaceId: string, id: string): Promise<HypothesisDetail> {
  const h = await findHypothesis(db, workspaceId, id);
  return { ...base(h), frozen: frozenOf(h.frozenResult) };
}

export async function createHypothesis(db: Db, workspaceId: string, userId: string, raw: HypothesisCreateInput, serving: () => MatchServing): Promise<HypothesisDetail> {
  const input = parseInput(ZHypothesisCreate, raw, "hypothesis");
  const f = await checkedFields(db, workspaceId, input.datasetId, input);
  const frozen = input.freezeResults ? await freezeResults(db, workspaceId, input.datasetId, f, input.freeze, serving) : null;
  const id = await db.$transaction(async (tx) => {
    const h = await tx.hypothesis.create({
      data: { ...fieldData(f), workspaceId, datasetId: input.datasetId, authorId: userId, frozenResult: frozen ? frozenJson(frozen) : Prisma.DbNull },
      select: { id: true },
    });
    await notifyRecord(tx, { workspaceId, datasetId: input.datasetId, kind: "hypothesis", id: h.id, op: "created", userId });
    return h.id;
  });
  return getHypothesis(db, workspaceId, id);
}

const FIELD_KEYS = Object.keys(ZHypothesisFields.shape) as (keyof HypothesisFields)[];

/** The stored columns of the editable fields, without the request's other keys (dataset, freeze options). */
function fieldData(f: HypothesisFields): HypothesisFields {
  return Object.fromEntries(FIELD_KEYS.map((k) => [k, f[k]])) as HypothesisFields;
}

function frozenJson(f: FrozenResult) {
  return { ...f, frozenAt: f.frozenAt.toISOString() };
}

/** A change of these drops the frozen results unless they are frozen again: the query and the brushed range. */
const QUERY_FIELDS = [...HYPOTHESIS_QUERY_FIELDS, "start", "end"] as const;

export async function updateHypothesis(db: Db, workspaceId: string, userId: string, raw: HypothesisUpdateInput, serving: () => MatchServing): Promise<HypothesisDetail> {
  const input = parseInput(ZHypothesisUpdate, raw, "hypothesis edit");
  const cur = await findHypothesis(db, workspaceId, input.id);
  const conflict = (v: number) =>
    new AppError("CONFLICT", `hypothesis "${cur.name}" was changed by someone else: it is at version ${v}, your edit was made on version ${input.expectedVersion}; reload it and apply your change again`);
  if (cur.version !== input.expectedVersion) throw conflict(cur.version);
  const before = base(cur);
  const merged: HypothesisFields = { ...before, ...stripUndefined(input.patch) };
  const f = await checkedFields(db, workspaceId, cur.datasetId, merged);
  const queryChanged = QUERY_FIELDS.some((k) => JSON.stringify(before[k]) !== JSON.stringify(f[k]));
  let frozen: FrozenResult | null | "keep";
  if (input.freezeResults === true) frozen = await freezeResults(db, workspaceId, cur.datasetId, f, input.freeze, serving);
  else if (input.freezeResults === false || queryChanged) frozen = null;
  else frozen = "keep";

  const snapshot = ZHypothesisSnapshot.parse({ ...before, version: cur.version, updatedAt: cur.updatedAt, hadFrozenResult: cur.frozenResult !== null });
  await db.$transaction(async (tx) => {
    const r = await tx.hypothesis.updateMany({
      where: { id: cur.id, version: input.expectedVersion },
      data: {
        ...fieldData(f),
        version: input.expectedVersion + 1,
        ...(frozen === "keep" ? {} : { frozenResult: frozen ? frozenJson(frozen) : Prisma.DbNull }),
      },
    });
    if (r.count === 0) {
      const now = await tx.hypothesis.findUnique({ where: { id: cur.id }, select: { version: true } });
      if (!now) throw new AppError("NOT_FOUND", `hypothesis ${cur.id} was deleted while you edited it`);
      throw conflict(now.version);
    }
    await tx.hypothesisVersion.create({ data: { hypothesisId: cur.id, version: cur.version, snapshot: { ...snapshot, updatedAt: snapshot.updatedAt.toISOString() }, editedById: userId } });
    await notifyRecord(tx, { workspaceId, datasetId: cur.datasetId, kind: "hypothesis", id: cur.id, op: "updated", userId });
  });
  return getHypothesis(db, workspaceId, cur.id);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Only an OWNER of the workspace or the hypothesis' author may delete it. */
export async function deleteHypothesis(db: Db, workspaceId: string, userId: string, role: Role, id: string): Promise<void> {
  const h = await findHypothesis(db, workspaceId, id);
  if (role !== "OWNER" && h.authorId !== userId) {
    throw new AppError("FORBIDDEN", `hypothesis "${h.name}" can be deleted by its author or a workspace OWNER only`);
  }
  await db.$transaction(async (tx) => {
    await tx.hypothesis.deleteMany({ where: { id } });
    await notifyRecord(tx, { workspaceId, datasetId: h.datasetId, kind: "hypothesis", id, op: "deleted", userId });
  });
}

/** Earlier versions, newest first (the current state is `get`). */
export async function hypothesisVersions(db: Db, workspaceId: string, id: string): Promise<HypothesisVersionOut[]> {
  await findHypothesis(db, workspaceId, id);
  const rows = await db.hypothesisVersion.findMany({
    where: { hypothesisId: id },
    orderBy: { version: "desc" },
    take: 500,
    select: { version: true, snapshot: true, createdAt: true, editedBy: { select: USER_REF_SELECT } },
  });
  return rows.map((r) => ({ version: r.version, snapshot: ZHypothesisSnapshot.parse(r.snapshot), replacedBy: userRef(r.editedBy), replacedAt: r.createdAt }));
}

