import { z } from "zod";
import { defineJob } from "@/workers/jobs";
import { ZAnalysisKey, ZAnalysisQuery } from "./schemas";

/** One analysis (cell search, guidance, comparison, partners): the canonical query and its result key. */
export const ANALYSIS_JOB = defineJob("analysis:run", z.object({ key: ZAnalysisKey, analysis: ZAnalysisQuery }));
