/**
 * Every operation of the HTTP API (/api/v1). Each one is a thin edge: path/query/body parsed
 * with the services' own zod schemas, one service call, the service's output schema. The
 * dispatcher (dispatch.ts) authenticates the token, spends its rate limit and checks the role and
 * scope from server/api/access.ts first; the OpenAPI document (document.ts) is generated from
 * this list, so the two cannot drift.
 */
import path from "node:path";
import { AppError } from "@statescope/core";
import { z } from "zod";
import { dataDir } from "@/server/env";
import * as datasets from "@/server/services/datasets/datasets";
import { ZDatasetDetail, ZDatasetId, ZDatasetListItem, ZStatesOutput } from "@/server/services/datasets/schemas";
import { appendUpload, createUpload, uploadStatus } from "@/server/services/datasets/resumable-upload";
import { matchResult, runMatch } from "@/server/services/matching/matches";
import { ZMatchInput, ZMatchKey, ZMatchOutcome } from "@/server/services/matching/schemas";
import { matchServing } from "@/server/services/matching/serving";
import { multipartFile } from "@/server/services/multipart";
import { matchEvidence } from "@/server/services/analysis/evidence";
import { analysisStatus, requestAnalysis, type AnalysisRequest } from "@/server/services/analysis/requests";
import { ZAnalysisKey, ZAnalysisStatus, ZCellSearchInput, ZCompareInput, ZEvidence, ZEvidenceInput, ZGuideInput, ZPartnersInput } from "@/server/services/analysis/schemas";
import { startExtractionFromForm } from "@/server/services/extract/form";
import * as findings from "@/server/services/findings/findings";
import { FILE_NAMES, fileParams, findingFile } from "@/server/services/findings/files";
import { ZFindingId } from "@/server/services/findings/ids";
import { workerMatchRunner } from "@/server/services/findings/match-runners";
import { ZDatasetMeta, ZDatasetMetaInput, ZFindingSummary, ZPublishInput, ZPublishOutput } from "@/server/services/findings/schemas";
import { LIMITS } from "@/server/services/rate-limits";
import * as hypotheses from "@/server/services/records/hypotheses";
import { ZHypothesisCreate, ZHypothesisDetail, ZHypothesisSummary } from "@/server/services/records/schemas";
import { ZSlug } from "@/server/services/schemas";
import { declaredLength, receiveUpload } from "@/server/services/uploads";
import { defineOperation, type ApiContext, type Operation } from "./operation";

const ZWorkspacePath = z.object({ slug: ZSlug.meta({ description: "the workspace's slug" }) });
const ZDatasetPath = ZWorkspacePath.extend({ datasetId: ZDatasetId });
const ZUploadPath = ZWorkspacePath.extend({ uploadId: z.string().min(1).max(64) });

/** Cursor pagination: `limit` items from after `cursor`; the answer's `nextCursor` is null on the last page. */
const ZPageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional().meta({ description: "the `nextCursor` of the previous page" }),
});
const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** A page of a list ordered once by the service: the cursor names the last item seen (opaque to clients). */
function paginate<T extends { id: string }>(all: T[], q: { limit: number; cursor?: string | undefined }): { items: T[]; nextCursor: string | null } {
  let from = 0;
  if (q.cursor !== undefined) {
    const after = Buffer.from(q.cursor, "base64url").toString("utf8");
    const i = all.findIndex((x) => x.id === after);
    if (i < 0) throw new AppError("BAD_INPUT", "the cursor is not one this list gave out (or its item was deleted): start again without `cursor`");
    from = i + 1;
  }
  const items = all.slice(from, from + q.limit);
  const last = items.at(-1);
  return { items, nextCursor: from + q.limit < all.length && last ? Buffer.from(last.id).toString("base64url") : null };
}

const ZStatesQuery = z.object({
  source: z.string().min(1).max(200).meta({ description: "source name as in the dataset's `sources` (e.g. states::states1)" }),
  from: z.coerce.number().int().min(0),
  to: z.coerce.number().int().min(1),
  cells: z
    .string()
    .max(40_000)
    .regex(/^\d+(,\d+)*$/, "cells: comma-separated cell indices")
    .optional()
    .meta({ description: "comma-separated 0-based cell indices; all cells when absent" }),
});

const ZUploadCreate = z.object({
  fileName: z.string().trim().min(1).max(255).meta({ description: "the archive's name: .zip, .tar.gz, .tgz or .tar" }),
  size: z.number().int().min(1).meta({ description: "the archive's size in bytes" }),
  name: z.string().trim().max(200).optional().meta({ description: "the dataset's name (default: the project's own name, else the archive's)" }),
});
const ZUploadStatus = z.object({
  uploadId: z.string(),
  fileName: z.string(),
  totalBytes: z.number().int(),
  received: z.number().int().meta({ description: "bytes the server holds: send the rest from this offset" }),
  datasetId: z.string().nullable().meta({ description: "set when the last byte arrived and the import was queued" }),
});
const ZUploadOffset = z.object({ "upload-offset": z.coerce.number().int().min(0).meta({ description: "the byte offset this chunk starts at (the upload's `received`)" }) });

const ZAnalysisBody = z.discriminatedUnion("kind", [
  ZCellSearchInput.omit({ datasetId: true }).extend({ kind: z.literal("cells") }),
  ZGuideInput.omit({ datasetId: true }).extend({ kind: z.literal("guide") }),
  ZCompareInput.omit({ datasetId: true }).extend({ kind: z.literal("compare") }),
  ZPartnersInput.omit({ datasetId: true }).extend({ kind: z.literal("partners") }),
]);

const ZFileQuery = z.object({
  version: z.coerce.number().int().min(1).optional().meta({ description: "a version (default: the latest)" }),
  view: z.string().max(20).optional(),
  width: z.string().max(20).optional(),
  theme: z.string().max(20).optional(),
  rows: z.string().max(20).optional(),
  scale: z.string().max(20).optional(),
});

const uploadDir = () => path.join(dataDir(), "uploads");
const serving = (ctx: ApiContext) => matchServing(ctx.pubsub, ctx.env);
const wsId = (ctx: ApiContext) => ctx.access.workspace.id;
const memberAccess = (ctx: ApiContext) => ({ workspaceId: wsId(ctx), role: ctx.access.role });

export const OPERATIONS: readonly Operation[] = [
  defineOperation({
    route: "GET /api/v1/workspaces/{slug}/datasets",
    operationId: "listDatasets",
    tag: "datasets",
    summary: "List the workspace's datasets, newest first",
    params: ZWorkspacePath,
    query: ZPageQuery,
    status: 200,
    response: page(ZDatasetListItem),
    handler: async (ctx, { query }) => paginate(await datasets.listDatasets(ctx.db, wsId(ctx)), query),
  }),
  defineOperation({
    route: "POST /api/v1/workspaces/{slug}/datasets",
    operationId: "uploadDataset",
    tag: "datasets",
    summary: "Upload an LSTMVis project or NumPy folder as an archive (multipart field `file`); the import runs as a job",
    description:
      "The archive is streamed to disk with the upload limit enforced while it arrives. Text fields (`name`) go before the file. For multi-GB files use the resumable uploads (`POST …/uploads`). Follow the import with `GET …/datasets/{datasetId}` (`status`, `percent`).",
    params: ZWorkspacePath,
    streamed: {
      contentType: "multipart/form-data",
      description: "`file`: the archive (.zip, .tar.gz, .tgz, .tar); optional `name` before it",
      schema: z.object({ name: z.string().max(200).optional(), file: z.string().meta({ format: "binary" }) }),
    },
    status: 202,
    response: z.object({ datasetId: z.string() }),
    handler: async (ctx) => {
      const part = await multipartFile(ctx.req.body, ctx.req.headers.get("content-type"));
      const upload = await receiveUpload(part.stream, { dir: uploadDir(), maxBytes: ctx.env.UPLOAD_MAX_BYTES, fileName: path.basename(part.fileName) });
      const name = (part.fields.name ?? "").trim() || undefined;
      return datasets.startImportFromUpload(ctx.db, { workspaceId: wsId(ctx), userId: ctx.token.userId, filePath: upload.path, name: name?.slice(0, 200) });
    },
  }),
  defineOperation({
    route: "GET /api/v1/workspaces/{slug}/datasets/{datasetId}",
    operationId: "getDataset",
    tag: "datasets",
    summary: "A dataset: status and import progress, sources, tracks, citation and content hash",
    params: ZDatasetPath,
    status: 200,
    response: ZDatasetDetail,
    handler: (ctx, { params }) => datasets.getDataset(ctx.db, wsId(ctx), params.datasetId),
  }),
  defineOperation({
    route: "PATCH /api/v1/workspaces/{slug}/datasets/{datasetId}",
    operationId: "updateDatasetMeta",
    tag: "datasets",
    summary: "Set a dataset's description and how to cite it (shown on findings)",
    params: ZDatasetPath,
    body: ZDatasetMetaInput.omit({ datasetId: true }),
    status: 200,
    response: ZDatasetMeta,
    handler: (ctx, { params, body }) => findings.updateDatasetMeta(ctx.db, memberAccess(ctx), { ...body, datasetId: params.datasetId }),
  }),
  defineOperation({
    route: "GET /api/v1/workspaces/{slug}/datasets/{datasetId}/states",
    operationId: "readStates",
    tag: "datasets",
    summary: "Hidden states of a source for steps [from, to): base64 float32, row-major; at most the window limit per request (page through longer ranges)",
    params: ZDatasetPath,
    query: ZStatesQuery,
    status: 200,
    response: ZStatesOutput,
    handler: (ctx, { params, query }) =>
      datasets.readStatesEncoded(ctx.db, wsId(ctx), { datasetId: params.datasetId, source: query.source, from: query.from, to: query.to, cells: query.cells?.split(",").map(Number) }),
  }),
  defineOperation({
    route: "POST /api/v1/workspaces/{slug}/datasets/{datasetId}/matches",
    operationId: "runMatch",
    tag: "matches",
    summary: "Run a match query (LSTMVis's match): the result, or `pending` with a key to fetch it by",
    params: ZDatasetPath,
    body: ZMatchInput.omit({ datasetId: true }),
    status: 200,
    response: ZMatchOutcome,
    handler: (ctx, { params, body }) =>
      runMatch(ctx.db, wsId(ctx), { ...body, datasetId: params.datasetId }, { ...serving(ctx), spendPerJob: [[LIMITS.matchJobsUser, ctx.token.userId]] }),
  }),
  defineOperation({
    route: "GET /api/v1/workspaces/{slug}/matches/{key}",
    operationId: "getMatch",
    tag: "matches",
    summary: "A match result by its key (waits up to the server's match wait for a pending one)",
    params: ZWorkspacePath.extend({ key: ZMatchKey }),
    status: 200,
    response: ZMatchOutcome,
    handler: (ctx, { params }) => matchResult(ctx.db, wsId(ctx), params.key, serving(ctx)),
  }),
  defineOperation({
    route: "GET /api/v1/workspaces/{slug}/datasets/{datasetId}/hypotheses",
    operationId: "listHypotheses",
    tag: "hypotheses",
    summary: "Hypotheses of a dataset, most recently changed first",
    params: ZDatasetPath,
    query: ZPageQuery,
    status: 200,
    response: page(ZHypothesisSummary),
    handler: async (ctx, { params, query }) => paginate(await hypotheses.listHypotheses(ctx.db, wsId(ctx), { datasetId: params.datasetId, limit: 500 }), query),
  }),
  defineOperation({
    route: "POST /api/v1/workspaces/{slug}/datasets/{datasetId}/hypotheses",
    operationId: "createHypothesis",
    tag: "hypotheses",
    summary: "Save a hypothesis (a selection and match query, with an optional frozen copy of its results)",
    params: ZDatasetPath,
    body: ZHypothesisCreate.omit({ datasetId: true }),
    status: 201,
    response: ZHypothesisDetail,
    handler: (ctx, { params, body }) =>
      hypotheses.createHypothesis(ctx.db, wsId(ctx), ctx.token.userId, { ...body, datasetId: params.datasetId }, () => serving(ctx)),
  }),
  defineOperation({
    route: "POST /api/v1/workspaces/{slug}/datasets/{datasetId}/evidence",
    operationId: "matchEvidence",
    tag: "analysis",
    summary: "Evidence for matched ranges on a track: label shares vs base rates (lift), or a scalar's mean inside vs overall",
    params: ZDatasetPath,
    body: ZEvidenceInput.omit({ datasetId: true }),
    status: 200,
    response: ZEvidence,
    handler: (ctx, { params, body }) => matchEvidence(ctx.db, wsId(ctx), { ...body, datasetId: params.datasetId }),
  }),
  defineOperation({
    route: "POST /api/v1/workspaces/{slug}/datasets/{datasetId}/analyses",
    operationId: "requestAnalysis",
    tag: "analysis",
    summary: "Request an analysis (cell search, threshold guidance, layer comparison, a cell's partners): its result, or its progress and a key to poll",
    params: ZDatasetPath,
    body: ZAnalysisBody,
    status: 200,
    response: ZAnalysisStatus,
    handler: (ctx, { params, body }) => {
      const { kind, ...input } = body;
      return requestAnalysis(ctx.db, wsId(ctx), { kind, input: { ...input, datasetId: params.datasetId } } as AnalysisRequest);
    },
  }),
  defineOperation({
    route: "GET /api/v1/workspaces/{slug}/analyses/{key}",
    operationId: "getAnalysis",
    tag: "analysis",
    summary: "Progress, then the result, of a requested analysis",
    params: ZWorkspacePath.extend({ key: ZAnalysisKey }),
    status: 200,
    response: ZAnalysisStatus,
    handler: (ctx, { params }) => analysisStatus(ctx.db, wsId(ctx), params.key),
  }),
  defineOperation({
    route: "POST /api/v1/workspaces/{slug}/extractions",
    operationId: "startExtraction",
    tag: "datasets",
    summary: "Run a PyTorch LSTM/GRU (safetensors + vocab.json) over a text as a job; the new dataset's id at once",
    description:
      "multipart/form-data: `weights` (.safetensors), `vocab` (vocab.json), `text` (a file) or `textPaste`, `tokenizer` (char|word), optional `arch` (lstm|gru), `prefixes`, `unknown`, `name`, `gates` (true); or only `demo` (parens|c-code).",
    params: ZWorkspacePath,
    streamed: {
      contentType: "multipart/form-data",
      description: "the model, its vocabulary and the text",
      schema: z.object({
        weights: z.string().meta({ format: "binary" }),
        vocab: z.string().meta({ format: "binary" }),
        text: z.string().meta({ format: "binary" }).optional(),
        textPaste: z.string().optional(),
        tokenizer: z.enum(["char", "word"]),
        arch: z.enum(["lstm", "gru"]).optional(),
        prefixes: z.string().optional(),
        unknown: z.string().optional(),
        name: z.string().optional(),
        gates: z.enum(["true", "false"]).optional(),
        demo: z.enum(["parens", "c-code"]).optional(),
      }),
    },
    status: 202,
    response: z.object({ datasetId: z.string() }),
    handler: (ctx) => startExtractionFromForm(ctx.db, ctx.req, { workspaceId: wsId(ctx), userId: ctx.token.userId, maxBytes: ctx.env.UPLOAD_MAX_BYTES }),
  }),
  defineOperation({
    route: "GET /api/v1/workspaces/{slug}/findings",
    operationId: "listFindings",
    tag: "findings",
    summary: "The workspace's findings the token's user may see, newest first",
    params: ZWorkspacePath,
    query: ZPageQuery.extend({ datasetId: ZDatasetId.optional() }),
    status: 200,
    response: page(ZFindingSummary),
    handler: async (ctx, { query }) =>
      paginate(await findings.listFindings(ctx.db, { userId: ctx.token.userId }, memberAccess(ctx), { limit: 500, ...(query.datasetId ? { datasetId: query.datasetId } : {}) }, ctx.publicUrl), query),
  }),
  defineOperation({
    route: "POST /api/v1/workspaces/{slug}/findings",
    operationId: "publishFinding",
    tag: "findings",
    summary: "Publish a view or a hypothesis as a finding (or, with findingId, its next version); runs the match if needed",
    params: ZWorkspacePath,
    body: ZPublishInput,
    status: 201,
    response: ZPublishOutput,
    handler: (ctx, { body }) =>
      findings.publishFinding(ctx.db, { userId: ctx.token.userId }, memberAccess(ctx), body, workerMatchRunner(ctx.db, wsId(ctx), () => serving(ctx)), ctx.publicUrl),
  }),
  defineOperation({
    route: "GET /api/v1/workspaces/{slug}/findings/{findingId}/files/{file}",
    operationId: "getFindingFile",
    tag: "findings",
    summary: "A finding's figure (SVG/PNG), match results (CSV/JSON) or citation (BibTeX/CSL): the same bytes as its public URL",
    params: ZWorkspacePath.extend({ findingId: ZFindingId, file: z.enum(FILE_NAMES) }),
    query: ZFileQuery,
    status: 200,
    response: z.string().meta({ format: "binary" }),
    responseContentType: "application/octet-stream",
    handler: async (ctx, { params, query }) => {
      const read = await findings.readFinding(ctx.db, { userId: ctx.token.userId }, params.findingId, query.version);
      // a finding of another workspace is not found here, even a public one (its URL serves it)
      if (read.status === "not-found" || (read.status === "ok" && read.member?.workspaceSlug !== ctx.access.workspace.slug)) {
        throw new AppError("NOT_FOUND", `no finding ${params.findingId}${query.version ? ` version ${query.version}` : ""} in this workspace`);
      }
      if (read.status === "withdrawn") throw new AppError("CONFLICT", `finding ${params.findingId} was withdrawn by the authors on ${read.withdrawnAt.toISOString().slice(0, 10)}`);
      const file = await findingFile(read, params.file, fileParams((k) => query[k as keyof typeof query] as string | undefined), { publicUrl: ctx.publicUrl, accessed: new Date() });
      return new Response(new Uint8Array(file.body), { headers: { "content-type": file.contentType, "content-disposition": `attachment; filename="${file.filename}"` } });
    },
  }),
  defineOperation({
    route: "POST /api/v1/workspaces/{slug}/uploads",
    operationId: "createUpload",
    tag: "uploads",
    summary: "Start a resumable upload: declare the archive's name and size, then PATCH its bytes",
    params: ZWorkspacePath,
    body: ZUploadCreate,
    status: 201,
    response: ZUploadStatus,
    handler: (ctx, { body }) =>
      createUpload(
        ctx.db,
        { workspaceId: wsId(ctx), userId: ctx.token.userId, tokenId: ctx.token.tokenId, fileName: path.basename(body.fileName), totalBytes: body.size, name: body.name },
        { dir: uploadDir(), maxBytes: ctx.env.UPLOAD_MAX_BYTES },
      ),
  }),
  defineOperation({
    route: "GET /api/v1/workspaces/{slug}/uploads/{uploadId}",
    operationId: "getUpload",
    tag: "uploads",
    summary: "A resumable upload's state: how many bytes the server holds (resume from there)",
    params: ZUploadPath,
    status: 200,
    response: ZUploadStatus,
    handler: (ctx, { params }) => uploadStatus(ctx.db, wsId(ctx), ctx.token.userId, params.uploadId),
  }),
  defineOperation({
    route: "PATCH /api/v1/workspaces/{slug}/uploads/{uploadId}",
    operationId: "appendUpload",
    tag: "uploads",
    summary: "Send the next bytes of a resumable upload, starting at `Upload-Offset`; the last byte queues the import",
    description:
      "A chunk may be any length. If the connection breaks, the bytes that arrived are kept: GET the upload for `received` and send the rest. A wrong offset is 409 naming the right one.",
    params: ZUploadPath,
    streamed: { contentType: "application/offset+octet-stream", description: "the archive's bytes from `Upload-Offset` on", schema: z.string().meta({ format: "binary" }) },
    responseHeaders: z.object({ "upload-offset": z.string() }),
    status: 200,
    response: ZUploadStatus,
    handler: async (ctx, { params }) => {
      const h = ZUploadOffset.safeParse({ "upload-offset": ctx.req.headers.get("upload-offset") ?? undefined });
      if (!h.success) throw new AppError("BAD_INPUT", "missing or invalid Upload-Offset header (the byte offset the chunk starts at)");
      const out = await appendUpload(ctx.db, { workspaceId: wsId(ctx), userId: ctx.token.userId, uploadId: params.uploadId }, h.data["upload-offset"], ctx.req.body, declaredLength(ctx.req.headers), ctx.req.signal);
      return Response.json(out, { status: 200, headers: { "upload-offset": String(out.received) } });
    },
  }),
];
