import type { Task, TaskList } from "graphile-worker";
import type { Db } from "@/server/db/client";
import { purgeDeadInvites } from "@/server/services/invites";
import { env } from "@/server/env";
import { MatchEngine } from "@/server/services/matching/engine";
import { AnalysisEngine } from "@/server/services/analysis/engine";
import { ANALYSIS_JOB } from "@/server/jobs/analysis";
import { failAbandonedDataset } from "@/server/services/datasets/writer";
import type { AbandonedJob } from "@/server/jobs/heartbeat";
import { DATASET_EXTRACT_JOB, DATASET_IMPORT_JOB } from "@/server/jobs/datasets";
import type { JobDefinition } from "@/server/jobs/define";
import { PURGE_INVITES_JOB } from "@/server/jobs/invites";
import { MATCH_COLUMNS_JOB, MATCH_INDEX_JOB, MATCH_RUN_JOB, MATCH_SHARD_JOB } from "@/server/jobs/match";
import { pgPool } from "@/server/db/client";
import { notifyMatch } from "@/server/services/matching/notifier";
import { abandonShardedMatch } from "@/server/services/matching/sharded";
import { runAnalysisJob } from "./analysis-run";
import { runDatasetExtractJob } from "./dataset-extract";
import { runDatasetImportJob } from "./dataset-import";
import { runMatchColumnsJob } from "./match-columns";
import { runMatchIndexJob } from "./match-index";
import { runMatchJob } from "./match-run";
import { runMatchShardJob } from "./match-shard";
import type { z } from "zod";

/** Bind a job definition to its handler: the payload is parsed before the handler runs. */
function task<S extends z.ZodType>(def: JobDefinition<S>, handler: (payload: z.output<S>, helpers: Parameters<Task>[1]) => Promise<void>): [string, Task] {
  return [
    def.name,
    async (raw, helpers) => {
      const parsed = def.payload.safeParse(raw ?? {});
      // A payload that cannot parse will never succeed: fail loudly, and graphile-worker stops retrying after max attempts.
      if (!parsed.success) throw new Error(`job ${def.name}: invalid payload: ${parsed.error.message}`);
      await handler(parsed.data, helpers);
    },
  ];
}

/** `engine`: the worker's match engine with its source/index cache (one per process); `analysis`: its prepared sources. */
export function taskList(
  db: Db,
  engine: MatchEngine = new MatchEngine(env().MATCH_CACHE_BYTES, { shardSteps: env().MATCH_SHARD_STEPS }),
  analysis: AnalysisEngine = new AnalysisEngine(env().ANALYSIS_CACHE_BYTES, { threads: env().ANALYSIS_THREADS }),
): TaskList {
  return Object.fromEntries([
    task(ANALYSIS_JOB, (payload, helpers) => runAnalysisJob(db, analysis, payload, { attempts: helpers.job.attempts, maxAttempts: helpers.job.max_attempts }, helpers.logger)),
    task(MATCH_RUN_JOB, (payload, helpers) => runMatchJob(db, engine, payload, helpers.logger)),
    task(MATCH_SHARD_JOB, (payload, helpers) =>
      runMatchShardJob(db, engine, payload, { attempts: helpers.job.attempts, maxAttempts: helpers.job.max_attempts }, helpers.logger),
    ),
    task(MATCH_INDEX_JOB, (payload, helpers) => runMatchIndexJob(db, engine, payload, helpers.logger)),
    task(MATCH_COLUMNS_JOB, (payload, helpers) => runMatchColumnsJob(db, engine, payload, helpers.logger)),
    task(PURGE_INVITES_JOB, async (_p, helpers) => {
      const n = await purgeDeadInvites(db);
      helpers.logger.info(`purged ${n} dead invite link(s)`);
    }),
    task(DATASET_IMPORT_JOB, (payload, helpers) =>
      runDatasetImportJob(db, payload, { attempts: helpers.job.attempts, maxAttempts: helpers.job.max_attempts }, helpers.logger),
    ),
    task(DATASET_EXTRACT_JOB, (payload, helpers) => runDatasetExtractJob(db, payload, helpers.logger)),
  ]);
}

/**
 * What a job that lost its worker on its last attempt leaves behind (see server/jobs/heartbeat.ts):
 * an import or extraction killed DATASET_JOB_ATTEMPTS times marks its dataset FAILED with the
 * reason instead of showing progress forever; a match query's waiters are told at once (a later
 * long-poll reads the job's failure, server/services/matching/matches.ts).
 */
export function abandonedJobHandler(db: Db): (job: AbandonedJob) => Promise<void> {
  const datasetJobs: Record<string, { def: JobDefinition<typeof DATASET_IMPORT_JOB.payload | typeof DATASET_EXTRACT_JOB.payload>; what: string }> = {
    [DATASET_IMPORT_JOB.name]: { def: DATASET_IMPORT_JOB, what: "import" },
    [DATASET_EXTRACT_JOB.name]: { def: DATASET_EXTRACT_JOB, what: "extraction" },
  };
  const reason = "the worker running it stopped on its last attempt (it was killed or crashed)";
  return async (job) => {
    if (job.task === MATCH_RUN_JOB.name) {
      const p = MATCH_RUN_JOB.payload.safeParse(job.payload);
      if (p.success) await notifyMatch(pgPool(db), p.data.key, reason);
      return;
    }
    if (job.task === MATCH_SHARD_JOB.name) {
      const p = MATCH_SHARD_JOB.payload.safeParse(job.payload);
      if (p.success) await abandonShardedMatch(db, p.data, reason);
      return;
    }
    const family = datasetJobs[job.task];
    if (!family) return;
    const parsed = family.def.payload.safeParse(job.payload);
    if (!parsed.success) return;
    const id = parsed.data.datasetId;
    await failAbandonedDataset(db, id, `dataset ${id}: the worker running its ${family.what} stopped (it was killed or crashed); start the ${family.what} again`);
  };
}

/** Cron schedule (graphile-worker crontab syntax). */
export const CRONTAB = `0 3 * * * ${PURGE_INVITES_JOB.name}`;
