/**
 * Request and response schemas of the durable records: hypotheses, annotations, comments,
 * mentions and live record events. Shared by services, routers and tests; every string and
 * array is bounded.
 */
import { z } from "zod";
import { ZCellList, ZDatasetId, ZSourceName } from "@/server/services/datasets/schemas";
import { ZMatchInput, ZMatchQuery, ZMatchResult, type MatchInput } from "@/server/services/matching/schemas";

export const ZRecordId = z.string().trim().min(1, "id is empty").max(64, "id is longer than 64 characters");

/** A member as shown beside a record: `handle` is what `@handle` mentions (the email's local part). */
export const ZUserRef = z.object({ id: z.string(), name: z.string().nullable(), handle: z.string() });
export type UserRef = z.infer<typeof ZUserRef>;

const ZCells = ZCellList;
const ZStep = z.number().int("token positions are integers").min(0, "token positions are ≥ 0");

// ---------------------------------------------------------------------------
// Hypotheses

export const MAX_TAGS = 20;
export const ZTag = z.string().trim().min(1, "a tag is empty").max(40, "a tag is longer than 40 characters");

const ZHypothesisName = z.string().trim().min(1, "name is empty").max(200, "name is longer than 200 characters");
const ZDescription = z.string().max(10_000, "description is longer than 10000 characters");
// A hypothesis saves a match query: its fields are the query's (same names and bounds), required here.
const Q = ZMatchQuery.shape;
const ZPad = Q.padLeft.unwrap();
const ZThreshold = Q.threshold.unwrap();
const ZMode = Q.mode.unwrap();
/** Exact match length L ≥ 2; null (or 0) for any length. */
const ZLength = Q.length.unwrap().nullable();
const ZTags = z.array(ZTag).max(MAX_TAGS, `at most ${MAX_TAGS} tags`);
const ZSelectedCells = ZCells.min(1, "select at least one cell");

/** The saved view: what a hypothesis restores. */
export const ZHypothesisFields = z.object({
  name: ZHypothesisName,
  description: ZDescription.default(""),
  source: ZSourceName,
  /** Absolute token range [start, end) of the brush. */
  start: ZStep,
  end: ZStep,
  padLeft: ZPad,
  padRight: ZPad,
  threshold: ZThreshold,
  /** The final selected cells (rule + manual edits). Stored sorted ascending. */
  cells: ZSelectedCells,
  /** Manual edits on top of the rule, so the view restores exactly. */
  addedCells: ZCells.default([]),
  excludedCells: ZCells.default([]),
  mode: ZMode.default("fast"),
  length: ZLength.default(null),
  tags: ZTags.default([]),
});
/** An edit: only the fields given change (no defaults here, an omitted field keeps its value). */
export const ZHypothesisPatch = z.object({
  name: ZHypothesisName.optional(),
  description: ZDescription.optional(),
  source: ZSourceName.optional(),
  start: ZStep.optional(),
  end: ZStep.optional(),
  padLeft: ZPad.optional(),
  padRight: ZPad.optional(),
  threshold: ZThreshold.optional(),
  cells: ZSelectedCells.optional(),
  addedCells: ZCells.optional(),
  excludedCells: ZCells.optional(),
  mode: ZMode.optional(),
  length: ZLength.optional(),
  tags: ZTags.optional(),
});
export type HypothesisFields = z.output<typeof ZHypothesisFields>;

/** The fields of a hypothesis that belong to its match query; the rest of the query is {@link ZFreezeOptions}. */
export const HYPOTHESIS_QUERY_FIELDS = (Object.keys(ZMatchInput.shape) as (keyof MatchInput)[]).filter(
  (k): k is keyof MatchInput & keyof HypothesisFields => k in ZHypothesisFields.shape,
);

/** How the frozen match results were asked for: the match query's own fields and defaults. */
export const ZFreezeOptions = ZMatchQuery.pick({ k: true, before: true, after: true });

export const ZHypothesisCreate = ZHypothesisFields.extend({
  datasetId: ZDatasetId,
  /** Store a frozen copy of this query's match results (runs the match if it never ran). */
  freezeResults: z.boolean().default(false),
  freeze: ZFreezeOptions.prefault({}),
});
export type HypothesisCreateInput = z.input<typeof ZHypothesisCreate>;

export const ZHypothesisUpdate = z.object({
  id: ZRecordId,
  /** The version the edit was made on; a newer stored version is a CONFLICT. */
  expectedVersion: z.number().int().min(1),
  /** Only the fields given change. */
  patch: ZHypothesisPatch,
  /**
   * true: freeze the (new) query's results; false: drop the frozen copy; omitted: keep it when
   * the query (source, range, padding, threshold, cells, mode, length) is unchanged, else drop it.
   */
  freezeResults: z.boolean().optional(),
  freeze: ZFreezeOptions.prefault({}),
});
export type HypothesisUpdateInput = z.input<typeof ZHypothesisUpdate>;

export const ZHypothesisListInput = z.object({
  datasetId: ZDatasetId,
  tag: ZTag.optional(),
  authorId: ZRecordId.optional(),
  limit: z.number().int().min(1).max(500).default(200),
});

export const ZFrozenResult = z.object({
  /** The match result key (same as `match.run`'s). */
  key: z.string(),
  /** The rest of the query the results were frozen with. */
  ...ZFreezeOptions.shape,
  frozenAt: z.date(),
  result: ZMatchResult,
});
export type FrozenResult = z.infer<typeof ZFrozenResult>;

const ZHypothesisBase = z.object({
  id: z.string(),
  datasetId: z.string(),
  name: z.string(),
  description: z.string(),
  source: z.string(),
  start: z.number().int(),
  end: z.number().int(),
  padLeft: z.number().int(),
  padRight: z.number().int(),
  threshold: z.number(),
  cells: z.array(z.number().int()),
  addedCells: z.array(z.number().int()),
  excludedCells: z.array(z.number().int()),
  mode: z.enum(["fast", "precise"]),
  length: z.number().int().nullable(),
  tags: z.array(z.string()),
  version: z.number().int(),
  author: ZUserRef.nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const ZHypothesisSummary = ZHypothesisBase.extend({ hasFrozenResult: z.boolean() });
export type HypothesisSummary = z.infer<typeof ZHypothesisSummary>;
export const ZHypothesisDetail = ZHypothesisBase.extend({ frozen: ZFrozenResult.nullable() });
export type HypothesisDetail = z.infer<typeof ZHypothesisDetail>;

/** What a version kept: the editable fields as they were, plus when that version was made. */
export const ZHypothesisSnapshot = ZHypothesisFields.extend({
  version: z.number().int(),
  updatedAt: z.coerce.date(),
  hadFrozenResult: z.boolean(),
});
export type HypothesisSnapshot = z.infer<typeof ZHypothesisSnapshot>;

export const ZHypothesisVersion = z.object({
  version: z.number().int(),
  snapshot: ZHypothesisSnapshot,
  /** Who replaced this version with the next one, and when. */
  replacedBy: ZUserRef.nullable(),
  replacedAt: z.date(),
});
export type HypothesisVersionOut = z.infer<typeof ZHypothesisVersion>;

// ---------------------------------------------------------------------------
// Annotations

/** The discrete meta track the explorer shows annotations in (value = category index, 0 = none). */
export const ANNOTATION_TRACK = "annotations";
export const MAX_ANNOTATION_CATEGORIES = 200;
export const MAX_CSV_BYTES = 5 * 1024 * 1024;
export const MAX_CSV_ROWS = 100_000;
export const MAX_ANNOTATIONS_PER_LIST = 5000;

export const ZColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, "colour must be #rrggbb");
export const ZCategoryName = z.string().trim().min(1, "category name is empty").max(80, "category name is longer than 80 characters");
export const ZNote = z.string().max(2000, "note is longer than 2000 characters");

export const ZCategory = z.object({
  id: z.string(),
  name: z.string(),
  color: z.string(),
  /** The value this category has in the "annotations" meta track (1-based; 0 = no annotation). */
  index: z.number().int(),
  annotationCount: z.number().int(),
  createdBy: ZUserRef.nullable(),
  createdAt: z.date(),
});
export type Category = z.infer<typeof ZCategory>;

export const ZCategoryCreate = z.object({ datasetId: ZDatasetId, name: ZCategoryName, color: ZColor.optional() });

export const ZAnnotation = z.object({
  id: z.string(),
  categoryId: z.string(),
  start: z.number().int(),
  end: z.number().int(),
  note: z.string(),
  author: ZUserRef.nullable(),
  createdAt: z.date(),
});
export type AnnotationOut = z.infer<typeof ZAnnotation>;

export const ZAnnotationCreate = z.object({ datasetId: ZDatasetId, categoryId: ZRecordId, start: ZStep, end: ZStep, note: ZNote.default("") });
export const ZAnnotationList = z.object({
  datasetId: ZDatasetId,
  /** Annotations overlapping [from, to); the whole dataset when omitted. */
  from: ZStep.optional(),
  to: ZStep.optional(),
  categoryId: ZRecordId.optional(),
});
export const ZAnnotationListOutput = z.object({ annotations: z.array(ZAnnotation), truncated: z.boolean() });

export const ZCsvExport = z.object({ filename: z.string(), csv: z.string(), rows: z.number().int() });
export const ZCsvImport = z.object({
  datasetId: ZDatasetId,
  csv: z.string().max(MAX_CSV_BYTES, `the CSV is larger than ${MAX_CSV_BYTES / 1024 / 1024} MB: split it into smaller files`),
});
export const ZCsvImportResult = z.object({ imported: z.number().int(), categoriesCreated: z.array(z.string()) });

// ---------------------------------------------------------------------------
// Comments and mentions

/** Client-generated (a uuid): a retried write with the same key returns the first result. */
export const ZIdempotencyKey = z.string().trim().min(8, "idempotency key is shorter than 8 characters").max(100, "idempotency key is longer than 100 characters");
export const ZCommentBody = z.string().trim().min(1, "the comment is empty").max(10_000, "the comment is longer than 10000 characters");

export const ZAnchor = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("hypothesis"), hypothesisId: ZRecordId }),
  z.object({ kind: z.literal("range"), source: ZSourceName, start: ZStep, end: ZStep, cells: ZCells.default([]) }),
]);
export type Anchor = z.input<typeof ZAnchor>;

export const ZComment = z.object({
  id: z.string(),
  threadId: z.string(),
  author: ZUserRef.nullable(),
  /** Empty when deleted. */
  body: z.string(),
  createdAt: z.date(),
  editedAt: z.date().nullable(),
  deletedAt: z.date().nullable(),
  /** Members this comment mentions. */
  mentions: z.array(ZUserRef),
});
export type CommentOut = z.infer<typeof ZComment>;

export const ZThreadSummary = z.object({
  id: z.string(),
  datasetId: z.string(),
  hypothesisId: z.string().nullable(),
  source: z.string().nullable(),
  start: z.number().int().nullable(),
  end: z.number().int().nullable(),
  cells: z.array(z.number().int()),
  resolvedAt: z.date().nullable(),
  resolvedBy: ZUserRef.nullable(),
  createdBy: ZUserRef.nullable(),
  createdAt: z.date(),
  /** Last activity: a comment, edit, deletion, resolve or reopen. */
  updatedAt: z.date(),
  /** Comments that are not deleted. */
  commentCount: z.number().int(),
  /** The opening comment (its body is empty if deleted). */
  first: ZComment.nullable(),
});
export type ThreadSummary = z.infer<typeof ZThreadSummary>;
export const ZThreadDetail = ZThreadSummary.extend({ comments: z.array(ZComment) });
export type ThreadDetail = z.infer<typeof ZThreadDetail>;

export const ZThreadsInput = z.object({
  datasetId: ZDatasetId,
  hypothesisId: ZRecordId.optional(),
  /** Range threads overlapping [from, to) (of `source` when given). */
  range: z.object({ source: ZSourceName.optional(), from: ZStep, to: ZStep }).optional(),
  resolved: z.boolean().optional(),
  limit: z.number().int().min(1).max(1000).default(500),
});

export const ZCreateThread = z.object({ datasetId: ZDatasetId, anchor: ZAnchor, body: ZCommentBody, idempotencyKey: ZIdempotencyKey });
export const ZReply = z.object({ threadId: ZRecordId, body: ZCommentBody, idempotencyKey: ZIdempotencyKey });
export const ZEditComment = z.object({ commentId: ZRecordId, body: ZCommentBody, idempotencyKey: ZIdempotencyKey });
export const ZDeleteComment = z.object({ commentId: ZRecordId, idempotencyKey: ZIdempotencyKey });
export const ZSetResolved = z.object({ threadId: ZRecordId, resolved: z.boolean(), idempotencyKey: ZIdempotencyKey });

export const ZInboxItem = z.object({
  id: z.string(),
  readAt: z.date().nullable(),
  createdAt: z.date(),
  comment: ZComment,
  thread: z.object({
    id: z.string(),
    datasetId: z.string(),
    hypothesisId: z.string().nullable(),
    source: z.string().nullable(),
    start: z.number().int().nullable(),
    end: z.number().int().nullable(),
    /** The anchor's cells (empty for a hypothesis thread or a range without cells). */
    cells: z.array(z.number().int()),
  }),
});
export type InboxItem = z.infer<typeof ZInboxItem>;
export const ZInboxInput = z.object({ unreadOnly: z.boolean().default(false), limit: z.number().int().min(1).max(200).default(50) });
export const ZInboxOutput = z.object({ unread: z.number().int(), items: z.array(ZInboxItem) });
/** What `events.onInbox` yields: a new mention of the caller, or a change to their inbox. */
export const ZInboxEvent = z.discriminatedUnion("op", [
  z.object({ op: z.literal("created"), item: ZInboxItem }),
  z.object({ op: z.literal("read") }),
  z.object({ op: z.literal("deleted"), id: z.string() }),
]);
export type InboxEvent = z.infer<typeof ZInboxEvent>;
export const ZMarkRead = z.object({
  /** Mention ids to mark read; all of the caller's mentions in this workspace when omitted. */
  ids: z.array(ZRecordId).max(500).optional(),
});

// ---------------------------------------------------------------------------
// Live record events (contract 2)

/**
 * Record kinds: "annotation" covers categories, ranges and CSV imports (invalidate every
 * annotation query and the "annotations" track); "comment" covers threads and comments
 * (`threadId` says which thread; resolve/reopen is an "updated" comment event on the thread id).
 */
export const ZRecordKind = z.enum(["hypothesis", "annotation", "comment", "mention"]);
export type RecordKind = z.infer<typeof ZRecordKind>;
export const ZRecordEvent = z.object({
  workspaceId: z.string(),
  datasetId: z.string(),
  kind: ZRecordKind,
  /** The record's id (hypothesis, annotation/category, comment or thread, mention). */
  id: z.string(),
  op: z.enum(["created", "updated", "deleted"]),
  /** For "comment": the thread. */
  threadId: z.string().optional(),
  /** For "mention": the mentioned member (datasetId "" and id "*" when they marked mentions read); otherwise who made the change. */
  userId: z.string().optional(),
});
export type RecordEvent = z.infer<typeof ZRecordEvent>;
/** What `events.onDataset` yields. */
export const ZDatasetEvent = ZRecordEvent.omit({ workspaceId: true });
export type DatasetEvent = z.infer<typeof ZDatasetEvent>;
