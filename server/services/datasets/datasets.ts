/**
 * Dataset use cases other than the import itself: listing, details, token
 * ranges, search over the token stream, state windows, import control and
 * deletion. Every function is scoped to a workspace id (null only for the
 * CLI, which acts as the machine's administrator).
 */
import { basename } from "node:path";
import { AppError } from "@statescope/core";
import { roomName } from "@statescope/collab";
import { pgPool, type Db } from "@/server/db/client";
import { ROLE_RANK, type Audience } from "@/server/services/authz";
import { enqueue } from "@/server/jobs/enqueue";
import type { Role } from "@/server/services/schemas";
import { readStateWindow, readTokenIds, readVocabulary } from "@/server/storage/dataset-store";
import { DATASET_IMPORT_JOB, DATASET_JOB_ATTEMPTS } from "@/server/jobs/datasets";
import { createPendingDataset } from "./import";
import {
  MAX_STATE_WINDOW,
  ZHistogram,
  ZImportReport,
  ZTrackSummary,
  type DatasetDetail,
  type DatasetListItem,
  type ImportProgress,
  type SearchInput,
  type SearchOutput,
  type StatesOutput,
  type TokensOutput,
  type TrackSummary,
} from "./schemas";
import { annotationTrackSummary } from "@/server/services/records/annotations";
import { regexScanPool, type RegexScanPool } from "./regex-scan";

const LIST_SELECT = {
  id: true,
  name: true,
  format: true,
  status: true,
  steps: true,
  vocabularySize: true,
  phase: true,
  percent: true,
  error: true,
  createdAt: true,
  readyAt: true,
} as const;

const PROGRESS_SELECT = { id: true, status: true, phase: true, percent: true, error: true, cancelRequested: true } as const;

/** The dataset, in this workspace (null: any workspace), or NOT_FOUND. */
async function findDataset(db: Db, workspaceId: string | null, datasetId: string) {
  const ds = await db.dataset.findUnique({
    where: { id: datasetId },
    select: { id: true, workspaceId: true, status: true, steps: true, separator: true, regexSearch: true },
  });
  if (!ds || (workspaceId !== null && ds.workspaceId !== workspaceId)) throw new AppError("NOT_FOUND", `dataset ${datasetId} does not exist`);
  return ds;
}

async function findReadyDataset(db: Db, workspaceId: string | null, datasetId: string) {
  const ds = await findDataset(db, workspaceId, datasetId);
  if (ds.status !== "READY") throw new AppError("CONFLICT", `dataset ${datasetId} is ${ds.status === "IMPORTING" ? "still importing" : "a failed import"}: it has no data to read`);
  return ds;
}

export async function listDatasets(db: Db, workspaceId: string): Promise<DatasetListItem[]> {
  return db.dataset.findMany({ where: { workspaceId }, orderBy: { createdAt: "desc" }, take: 500, select: LIST_SELECT });
}

export async function getDataset(db: Db, workspaceId: string, datasetId: string, audience: Audience = "members"): Promise<DatasetDetail> {
  await findDataset(db, workspaceId, datasetId);
  const ds = await db.dataset.findUniqueOrThrow({
    where: { id: datasetId },
    select: {
      ...LIST_SELECT,
      description: true,
      citation: true,
      contentHash: true,
      regexSearch: true,
      separator: true,
      report: true,
      sources: {
        orderBy: { ordinal: "asc" },
        select: { name: true, type: true, layer: true, transform: true, unsigned: true, steps: true, cells: true, min: true, max: true, mean: true, std: true, histogram: true },
      },
      metaTracks: { orderBy: { ordinal: "asc" }, select: { name: true, kind: true, width: true, labels: true, range: true, min: true, max: true, hasWeights: true } },
    },
  });
  return {
    ...ds,
    report: ds.report === null ? null : ZImportReport.parse(ds.report),
    sources: ds.sources.map((s) => ({ ...s, transform: s.transform === "tanh" ? "tanh" : "none", histogram: ZHistogram.parse(s.histogram) })),
    metaTracks: await withAnnotationTrack(db, datasetId, ds.metaTracks.map(({ min, max, ...t }) => ZTrackSummary.parse({ ...t, range: t.range ?? (min !== null && max !== null ? [min, max] : null) })), audience),
  };
}

/** The imported tracks plus, for members, their "annotations" track once it has a category. */
async function withAnnotationTrack(db: Db, datasetId: string, tracks: TrackSummary[], audience: Audience): Promise<TrackSummary[]> {
  if (audience !== "members") return tracks;
  const annotations = await annotationTrackSummary(db, datasetId, tracks.map((t) => t.name));
  return annotations ? [...tracks, annotations] : tracks;
}

export async function importProgress(db: Db, workspaceId: string, datasetId: string): Promise<ImportProgress> {
  await findDataset(db, workspaceId, datasetId);
  return db.dataset.findUniqueOrThrow({ where: { id: datasetId }, select: PROGRESS_SELECT });
}

/** Asks a running import to stop; the importer sees the flag within its progress interval. */
export async function cancelImport(db: Db, workspaceId: string, datasetId: string): Promise<ImportProgress> {
  const ds = await findDataset(db, workspaceId, datasetId);
  if (ds.status !== "IMPORTING") throw new AppError("CONFLICT", `dataset ${datasetId} is ${ds.status}: only a running import can be cancelled`);
  return db.dataset.update({ where: { id: datasetId }, data: { cancelRequested: true }, select: PROGRESS_SELECT });
}

/**
 * Deletes a dataset with all its data. A READY dataset may be pinned by
 * findings, so only an OWNER deletes it; EDITORs clean up failed or running imports.
 */
export async function deleteDataset(db: Db, workspaceId: string, role: Role, datasetId: string, opts: { confirmFindings?: boolean } = {}): Promise<void> {
  const ds = await findDataset(db, workspaceId, datasetId);
  if (ds.status === "READY" && ROLE_RANK[role] < ROLE_RANK.OWNER) {
    throw new AppError("FORBIDDEN", `dataset ${datasetId} is READY: only an OWNER of the workspace can delete it`);
  }
  // Published findings keep working from their snapshots, but the owner should know which they are.
  const published = await db.finding.findMany({ where: { datasetId, withdrawnAt: null }, orderBy: { createdAt: "asc" }, select: { id: true, title: true } });
  if (published.length > 0 && !opts.confirmFindings) {
    const names = published.map((f) => `"${f.title}" (/f/${f.id})`).join(", ");
    throw new AppError(
      "CONFLICT",
      `dataset ${datasetId} has ${published.length} published finding${published.length === 1 ? "" : "s"}: ${names}. They stay published (their snapshots do not need the dataset) but can no longer be opened in the workspace; confirm to delete the dataset anyway`,
    );
  }
  // The dataset's realtime room (shared notes, spotlight) goes with it; SyncUpdate has no foreign key.
  await db.$transaction([
    db.dataset.deleteMany({ where: { id: datasetId } }),
    db.syncUpdate.deleteMany({ where: { room: roomName(workspaceId, datasetId) } }),
  ]);
}

/** Display text of a token id. */
export function tokenText(vocab: ReadonlyMap<number, string>, id: number): string {
  return vocab.get(id) ?? `<unk:${id}>`;
}

export async function readTokens(db: Db, workspaceId: string | null, input: { datasetId: string; from: number; to: number }): Promise<TokensOutput> {
  const ds = await findReadyDataset(db, workspaceId, input.datasetId);
  if (input.to > ds.steps) throw new AppError("BAD_INPUT", `dataset ${ds.id} has ${ds.steps} steps: [${input.from}, ${input.to}) is out of range`);
  const pool = pgPool(db);
  const ids = await readTokenIds(pool, ds.id, ds.steps, input.from, input.to);
  const vocab = await readVocabulary(pool, ds.id, ids);
  return { from: input.from, to: input.to, ids: Array.from(ids), tokens: Array.from(ids, (id) => tokenText(vocab, id)) };
}

/** Largest token stream searched in one request (the text is built in memory). */
const MAX_SEARCH_STEPS = 20_000_000;
/** Matches counted before counting stops. */
const COUNT_LIMIT = 10_000;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Searches the token stream as text: tokens joined with the dataset's
 * separator (space for word-level, nothing for character-level data).
 * Phrase search matches whole tokens on word-level data; regex search is for
 * datasets with `regex_search` (character level). Returns step ranges.
 */
export async function searchTokens(db: Db, workspaceId: string, input: SearchInput, scans: RegexScanPool = regexScanPool()): Promise<SearchOutput> {
  const ds = await findReadyDataset(db, workspaceId, input.datasetId);
  if (input.mode === "regex" && !ds.regexSearch) {
    throw new AppError("BAD_INPUT", `dataset ${ds.id} is word-level: regex search is for character-level datasets (etc.regex_search), use phrase search`);
  }
  if (ds.steps > MAX_SEARCH_STEPS) throw new AppError("TOO_LARGE", `dataset ${ds.id} has ${ds.steps} steps: search handles at most ${MAX_SEARCH_STEPS}`);
  if (ds.steps === 0 || input.from >= ds.steps) return { total: 0, countLimit: COUNT_LIMIT, matches: [] };

  const flags = input.ignoreCase ? "giu" : "gu";
  const pattern = input.mode === "regex" ? input.query : escapeRegExp(input.mode === "phrase" && ds.separator ? input.query.trim().split(/\s+/).join(ds.separator) : input.query);
  try {
    new RegExp(pattern, flags); // a syntax error is answered here, before any work
  } catch (e) {
    throw new AppError("BAD_INPUT", `invalid regular expression ${JSON.stringify(input.query)}: ${e instanceof Error ? e.message : String(e)}`);
  }

  const pool = pgPool(db);
  const ids = await readTokenIds(pool, ds.id, ds.steps, 0, ds.steps);
  const vocab = await readVocabulary(pool, ds.id);
  // the text is built and searched in a worker thread, with a time limit (regex-scan.ts)
  const { total, matches } = await scans.scan({
    ids,
    vocabIds: Int32Array.from(vocab.keys()),
    vocabTokens: [...vocab.values()],
    separator: ds.separator,
    pattern,
    flags,
    from: input.from,
    limit: input.limit,
    wholeTokens: input.mode === "phrase" && ds.separator !== "",
    countLimit: COUNT_LIMIT,
  });
  return { total, countLimit: COUNT_LIMIT, matches };
}

/** A source of a READY dataset (by its exact name) with the layout the store needs. */
/** A READY dataset's source manifest (workspaceId null: any workspace, for the CLI and workers). */
export async function findSource(db: Db, workspaceId: string | null, datasetId: string, source: string) {
  const ds = await findReadyDataset(db, workspaceId, datasetId);
  const src = await db.datasetSource.findUnique({
    where: { datasetId_name: { datasetId: ds.id, name: source } },
    select: { id: true, name: true, steps: true, cells: true, chunkRows: true, transform: true },
  });
  if (!src) {
    const names = await db.datasetSource.findMany({ where: { datasetId: ds.id }, orderBy: { ordinal: "asc" }, select: { name: true } });
    throw new AppError("BAD_INPUT", `dataset ${ds.id} has no source ${JSON.stringify(source)} (sources: ${names.map((n) => n.name).join(", ")})`);
  }
  return { ...src, datasetId: ds.id, datasetSteps: ds.steps, transform: src.transform === "tanh" ? ("tanh" as const) : ("none" as const) };
}
export type FoundSource = Awaited<ReturnType<typeof findSource>>;

export interface StateWindow {
  source: string;
  from: number;
  to: number;
  cells: number[] | null;
  cellCount: number;
  transform: "tanh" | "none";
  /** Row-major (to - from) × (cells?.length ?? cellCount), stored values. */
  values: Float32Array;
}

/** Steps [from, to) of a source, all or selected cells, as stored (no transform). */
export async function readStates(
  db: Db,
  workspaceId: string | null,
  input: { datasetId: string; source: string; from: number; to: number; cells?: number[] | undefined },
  maxSteps: number = MAX_STATE_WINDOW,
): Promise<StateWindow> {
  const src = await findSource(db, workspaceId, input.datasetId, input.source);
  const { from, to } = input;
  const where = `dataset ${src.datasetId}: source ${src.name}`;
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0) throw new AppError("BAD_INPUT", `${where}: --from must be an integer ≥ 0`);
  if (from >= to) throw new AppError("BAD_INPUT", `${where}: from (${from}) must be less than to (${to})`);
  if (to > src.steps) throw new AppError("BAD_INPUT", `${where} has ${src.steps} steps: [${from}, ${to}) is out of range`);
  if (to - from > maxSteps) throw new AppError("TOO_LARGE", `${where}: at most ${maxSteps} steps per request, asked for ${to - from}`);
  for (const c of input.cells ?? []) {
    if (!Number.isSafeInteger(c) || c < 0 || c >= src.cells) throw new AppError("BAD_INPUT", `${where} has ${src.cells} cells, the request selected cell ${c}`);
  }
  const values = await readStateWindow(pgPool(db), src, from, to, input.cells);
  return { source: src.name, from, to, cells: input.cells ? [...input.cells] : null, cellCount: src.cells, transform: src.transform, values };
}

/** {@link readStates} for the API: values as base64 float32 LE. */
export async function readStatesEncoded(db: Db, workspaceId: string, input: { datasetId: string; source: string; from: number; to: number; cells?: number[] | undefined }): Promise<StatesOutput> {
  const w = await readStates(db, workspaceId, input);
  const { values, ...rest } = w;
  return { ...rest, data: Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString("base64") };
}

/**
 * For the upload route: records a pending dataset and queues its import job
 * (the file is deleted when the job ends). Returns the dataset id at once.
 */
export async function startImportFromUpload(
  db: Db,
  input: { workspaceId: string; userId: string | null; filePath: string; name?: string | undefined },
): Promise<{ datasetId: string }> {
  const name = input.name ?? (basename(input.filePath).replace(/\.(zip|tar\.gz|tgz|tar)$/i, "") || "dataset");
  const datasetId = await createPendingDataset(db, { workspaceId: input.workspaceId, userId: input.userId, name });
  try {
    await enqueue(
      DATASET_IMPORT_JOB,
      { datasetId, workspaceId: input.workspaceId, userId: input.userId, path: input.filePath, ...(input.name ? { name: input.name } : {}), deleteAfter: true },
      { db, maxAttempts: DATASET_JOB_ATTEMPTS, jobKey: `dataset:import:${datasetId}` },
    );
  } catch (e) {
    await db.dataset.deleteMany({ where: { id: datasetId } });
    throw e;
  }
  return { datasetId };
}
