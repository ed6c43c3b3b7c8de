/**
 * Running an analysis and storing it (the worker job, and the CLI in process): the row keyed by
 * the query's hash carries the progress while it runs and the result when it is done. Errors that
 * cannot succeed on a retry mark it failed with their message; others are rethrown (the job retries).
 */
import { AppError, isAppError } from "@statescope/core";
import type { Db } from "@/server/db/client";
import { findSource } from "@/server/services/datasets/datasets";
import { computeCellSearch } from "./cells";
import { computeCompare, computePartners } from "./compare";
import type { AnalysisEngine, Progress } from "./engine";
import { computeGuide } from "./guide";
import { analysisKey, type AnalysisQuery } from "./schemas";

/** Progress rows are written at most this often. */
const PROGRESS_EVERY_MS = 250;

/** Computes one analysis in this process, its sources looked up within `workspaceId` (null: the local CLI, any workspace). */
export async function executeAnalysis(db: Db, engine: AnalysisEngine, workspaceId: string | null, a: AnalysisQuery, progress: Progress): Promise<{ result: unknown; prepareMs: number }> {
  switch (a.kind) {
    case "cells": {
      const src = await findSource(db, workspaceId, a.query.datasetId, a.query.source);
      return computeCellSearch(db, engine, src, a.query, progress);
    }
    case "guide": {
      const src = await findSource(db, workspaceId, a.query.datasetId, a.query.source);
      return computeGuide(db, engine, src, a.query, progress);
    }
    case "compare": {
      const [x, y] = await Promise.all([findSource(db, workspaceId, a.query.datasetId, a.query.sourceA), findSource(db, workspaceId, a.query.datasetId, a.query.sourceB)]);
      return computeCompare(db, engine, x, y, a.query.top, progress);
    }
    case "partners": {
      const [x, y] = await Promise.all([findSource(db, workspaceId, a.query.datasetId, a.query.source), findSource(db, workspaceId, a.query.datasetId, a.query.other)]);
      return computePartners(db, engine, x, y, a.query.cell, progress);
    }
  }
}

/** The row of a query, created (running) when missing. */
export async function ensureRow(db: Db, key: string, a: AnalysisQuery): Promise<{ status: string }> {
  await db.analysisResult.createMany({ data: [{ key, datasetId: a.query.datasetId, kind: a.kind, query: a.query }], skipDuplicates: true });
  return db.analysisResult.findUniqueOrThrow({ where: { key }, select: { status: true } });
}

/**
 * Computes and stores one analysis unless it is already done, reading only datasets of
 * `workspaceId` (the workspace the job was asked in; null: the local CLI, any workspace): a query
 * naming another workspace's dataset is NOT_FOUND before anything is written. `onProgress` sees
 * every report (the CLI prints them); the row is updated at most every {@link PROGRESS_EVERY_MS}.
 * `lastAttempt`: an error that could succeed on a retry marks the row failed too (the job will not
 * run again).
 */
export async function runAnalysis(
  db: Db,
  engine: AnalysisEngine,
  workspaceId: string | null,
  key: string,
  a: AnalysisQuery,
  opts: { onProgress?: (phase: string, percent: number) => void; lastAttempt?: boolean } = {},
): Promise<"done" | "existed" | "failed"> {
  const onProgress = opts.onProgress;
  if (analysisKey(a) !== key) throw new AppError("BAD_INPUT", "analysis job payload: the key does not match the query");
  if (workspaceId !== null && (await db.dataset.count({ where: { id: a.query.datasetId, workspaceId } })) === 0) {
    throw new AppError("NOT_FOUND", `analysis job: dataset ${a.query.datasetId} is not in the workspace the job was asked in`);
  }
  const row = await ensureRow(db, key, a);
  if (row.status === "done") return "existed";
  let last = 0;
  const progress: Progress = async (phase, fraction) => {
    const percent = Math.max(0, Math.min(100, fraction * 100));
    onProgress?.(phase, percent);
    const now = performance.now();
    if (now - last < PROGRESS_EVERY_MS) return;
    last = now;
    await db.analysisResult.update({ where: { key }, data: { status: "running", phase, percent } });
  };
  await db.analysisResult.update({ where: { key }, data: { status: "running", phase: "starting", percent: 0, error: null } });
  const t0 = performance.now();
  try {
    const { result, prepareMs } = await executeAnalysis(db, engine, workspaceId, a, progress);
    const computeMs = performance.now() - t0 - prepareMs;
    await db.analysisResult.update({ where: { key }, data: { status: "done", phase: "done", percent: 100, result: result as object, computeMs, prepareMs } });
    return "done";
  } catch (e) {
    if ((isAppError(e) && !e.retryable) || opts.lastAttempt) {
      const message = e instanceof Error ? e.message : String(e);
      await db.analysisResult.update({ where: { key }, data: { status: "failed", phase: "failed", error: message.slice(0, 2000) } });
      if (isAppError(e) && !e.retryable) return "failed";
    }
    await db.analysisResult.update({ where: { key }, data: { phase: `retrying after an error: ${e instanceof Error ? e.message : String(e)}`.slice(0, 500) } }).catch(() => undefined);
    throw e;
  }
}
