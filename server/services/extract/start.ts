/**
 * Starting an extraction from the web app or the seeder: the inputs are
 * checked at once (a bad file is an immediate, clear error), stored with a
 * pending dataset, and the `dataset:extract` job runs the model.
 */
import { pgPool, type Db } from "@/server/db/client";
import { DATASET_EXTRACT_JOB, DATASET_JOB_ATTEMPTS } from "@/server/jobs/datasets";
import { enqueue } from "@/server/jobs/enqueue";
import { createPendingDataset } from "../datasets/writer";
import { DEMOS, demoFiles } from "./demo";
import { insertDatasetModel, prepareExtraction } from "./extract";
import { ZExtractSettings, type DemoCorpus, type ExtractSettings } from "./schemas";

export interface StartExtractionInput {
  workspaceId: string;
  userId: string | null;
  settings: ExtractSettings;
  weights: Uint8Array;
  weightsName: string;
  /** vocab.json text. */
  vocab: string;
  text: string;
  demo?: DemoCorpus;
}

/** Checks the inputs, records a pending dataset with its model and text, and queues the job. */
export async function startExtraction(db: Db, input: StartExtractionInput): Promise<{ datasetId: string }> {
  const settings = ZExtractSettings.parse(input.settings);
  const p = await prepareExtraction({
    weights: input.weights,
    weightsName: input.weightsName,
    vocab: input.vocab,
    text: input.text,
    tokenizer: settings.tokenizer,
    ...(settings.arch ? { arch: settings.arch } : {}),
    ...(settings.prefixes ? { prefixes: settings.prefixes } : {}),
    unknown: settings.unknown,
  });
  const datasetId = await createPendingDataset(db, { workspaceId: input.workspaceId, userId: input.userId, name: settings.name });
  try {
    await insertDatasetModel(pgPool(db), datasetId, {
      arch: p.model.arch,
      tokenizer: settings.tokenizer,
      unknown: settings.unknown,
      prefixes: p.model.prefixes,
      vocab: p.vocabJson,
      weightsName: p.weightsName,
      weights: input.weights,
      text: input.text,
      demo: input.demo ?? null,
    });
    await enqueue(
      DATASET_EXTRACT_JOB,
      { datasetId, workspaceId: input.workspaceId, userId: input.userId, ...settings, ...(input.demo ? { demo: input.demo } : {}) },
      { db, maxAttempts: DATASET_JOB_ATTEMPTS, jobKey: `dataset:extract:${datasetId}` },
    );
  } catch (e) {
    await db.dataset.deleteMany({ where: { id: datasetId } });
    throw e;
  }
  return { datasetId };
}

/** Queues a demo corpus (its model, text and tracks) as a new dataset. */
export async function startDemoExtraction(
  db: Db,
  input: { workspaceId: string; userId: string | null; corpus: DemoCorpus; name?: string },
): Promise<{ datasetId: string }> {
  const demo = DEMOS[input.corpus];
  const files = await demoFiles(input.corpus);
  return startExtraction(
    db,
    {
      workspaceId: input.workspaceId,
      userId: input.userId,
      settings: { ...demo.settings, ...(input.name ? { name: input.name } : {}) },
      weights: files.weights,
      weightsName: demo.weightsName,
      vocab: files.vocab,
      text: files.text,
      demo: input.corpus,
    },
  );
}

/**
 * Seeds the demo corpora into a workspace once: a corpus is queued only when
 * the workspace has no dataset of it that is ready or still running (a
 * failed one is retried on the next start).
 */
export async function seedDemoDatasets(db: Db, workspaceId: string, userId: string | null): Promise<{ queued: DemoCorpus[] }> {
  const queued: DemoCorpus[] = [];
  for (const corpus of Object.keys(DEMOS) as DemoCorpus[]) {
    const existing = await db.datasetModel.findFirst({
      where: { demo: corpus, dataset: { workspaceId, status: { not: "FAILED" } } },
      select: { datasetId: true },
    });
    if (existing) continue;
    await startDemoExtraction(db, { workspaceId, userId, corpus });
    queued.push(corpus);
  }
  return { queued };
}
