/**
 * Analysis jobs (issue 16), enqueued by server/services/analysis/requests.ts in the transaction
 * that records the query's row: cell search, threshold guidance, layer comparison, a cell's partners.
 */
import { z } from "zod";
import { ZAnalysisKey, ZAnalysisQuery } from "@/server/services/analysis/schemas";
import { defineJob, type JobPayload } from "./define";

/** One analysis: the canonical query and its result key. */
export const ANALYSIS_JOB = defineJob("analysis:run", z.object({ key: ZAnalysisKey, analysis: ZAnalysisQuery }));
export type AnalysisJobPayload = JobPayload<typeof ANALYSIS_JOB>;
