/**
 * Analysis jobs (issue 16), enqueued by server/services/analysis/requests.ts in the transaction
 * that records the query's row: cell search, threshold guidance, layer comparison, a cell's partners.
 */
import { z } from "zod";
import { ZAnalysisKey, ZAnalysisQuery } from "@/server/services/analysis/schemas";
import { defineJob, ZJobWorkspace, type JobPayload } from "./define";

/** One analysis: the canonical query, its result key, and the workspace it was asked in (its sources are looked up there). */
export const ANALYSIS_JOB = defineJob("analysis:run", z.object({ key: ZAnalysisKey, analysis: ZAnalysisQuery, workspaceId: ZJobWorkspace }));
export type AnalysisJobPayload = JobPayload<typeof ANALYSIS_JOB>;
