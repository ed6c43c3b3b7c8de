/**
 * `statescope analyze …` (issue 16), for papers and scripts: cell search and layer comparison run
 * in this process through the same services and result store as the app (a query that ran before,
 * here or in the app, is answered from the store). Also the evidence `statescope match --track`
 * adds to its output.
 */
import { AppError } from "@statescope/core";
import type { Db } from "@/server/db/client";
import type { CommandSpec, RemoteContext } from "./command";
import type { AnalysisRequest } from "@/server/services/analysis/requests";

/** The same request on a server (`--server`): its result, polled to the end. */
async function analyzeRemote({ client, note }: RemoteContext, req: AnalysisRequest): Promise<unknown> {
  const { remoteAnalysis } = await import("./remote/commands");
  const { datasetId, ...input } = req.input;
  return remoteAnalysis(client, datasetId, { kind: req.kind, ...input }, note);
}

/** Sources prepared by this process (the CLI runs one query, so one engine per run). */
async function engine() {
  const { env } = await import("@/server/env");
  const { AnalysisEngine } = await import("@/server/services/analysis/engine");
  return new AnalysisEngine(env().ANALYSIS_CACHE_BYTES, { threads: env().ANALYSIS_THREADS });
}

/** Runs (or reads from the store) one analysis; progress lines go to stderr. */
async function analyze(db: Db, req: AnalysisRequest, note: (l: string) => void) {
  const { canonicalAnalysis } = await import("@/server/services/analysis/requests");
  const { runAnalysis } = await import("@/server/services/analysis/run");
  const { analysisKey } = await import("@/server/services/analysis/schemas");
  const a = await canonicalAnalysis(db, null, req);
  const key = analysisKey(a);
  let shown = "";
  const outcome = await runAnalysis(db, await engine(), null, key, a, {
    onProgress: (phase, percent) => {
      const line = `analyzing: ${phase} ${Math.floor(percent)}%`;
      if (line !== shown) note((shown = line));
    },
  });
  const row = await db.analysisResult.findUniqueOrThrow({ where: { key }, select: { result: true, error: true } });
  if (outcome === "failed") throw new AppError("BAD_INPUT", row.error ?? "the analysis failed");
  return row.result;
}

function topOption(values: Record<string, string | boolean | undefined>, fallback: number, max: number): number {
  const raw = typeof values.top === "string" ? values.top : String(fallback);
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new AppError("BAD_INPUT", `--top must be a whole number from 1 to ${max}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function requiredString(values: Record<string, string | boolean | undefined>, name: string): string {
  const v = values[name];
  if (typeof v !== "string" || v.length === 0) throw new AppError("BAD_INPUT", `missing --${name}`);
  return v;
}

const fmt = (x: number | null | undefined) => (x === null || x === undefined ? "–" : x.toFixed(4));

export const ANALYZE_COMMANDS: Record<string, CommandSpec> = {
  "analyze cells": {
    usage: "statescope analyze cells --dataset ID --source NAME --track TRACK [--label LABEL] [--top 10] [--json]",
    summary: "rank the cells of a source by association with a track: AUC and point-biserial r for a label (required for a discrete track) against the rest, Pearson r and Spearman ρ for a scalar",
    options: { dataset: { type: "string" }, source: { type: "string" }, track: { type: "string" }, label: { type: "string" }, top: { type: "string" } },
    run: ({ db, values, note }) => cells(values, (req) => analyze(db, req, note)),
    remote: (ctx) => cells(ctx.values, (req) => analyzeRemote(ctx, req)),
    text: (o) => {
      const cells = o.cells as Array<{ cell: number; auc?: number | null; pointBiserial?: number | null; r?: number | null; rho?: number | null }>;
      const discrete = o.kind === "discrete";
      const head = discrete ? "cell\tAUC\tpoint-biserial r" : "cell\tPearson r\tSpearman ρ";
      const rows = cells.map((c) => (discrete ? `${c.cell}\t${fmt(c.auc)}\t${fmt(c.pointBiserial)}` : `${c.cell}\t${fmt(c.r)}\t${fmt(c.rho)}`));
      const what = discrete ? `${String(o.track)} = ${String(o.label)} vs the rest` : String(o.track);
      return [`cells by association with ${what} (${String(o.excluded)} steps without a value left out)`, head, ...rows].join("\n");
    },
  },
  "analyze compare": {
    usage: "statescope analyze compare --dataset ID --source NAME --other NAME [--cell C] [--top 50] [--json]",
    summary: "the most correlated cell pairs of two sources (sampled, the top pairs exact), or with --cell that cell's partners in the other source (exact)",
    options: { dataset: { type: "string" }, source: { type: "string" }, other: { type: "string" }, cell: { type: "string" }, top: { type: "string" } },
    run: ({ db, values, note }) => compare(values, (req) => analyze(db, req, note)),
    remote: (ctx) => compare(ctx.values, (req) => analyzeRemote(ctx, req)),
    text: (o) => {
      if (Array.isArray(o.partners)) {
        const rows = (o.partners as Array<{ cell: number; r: number | null }>).map((p) => `${p.cell}\t${fmt(p.r)}`);
        return [`partners of ${String(o.source)} cell ${String(o.cell)} in ${String(o.other)}`, "cell\tr", ...rows].join("\n");
      }
      const pairs = o.pairs as Array<{ a: number; b: number; r: number }>;
      return [
        `${String(o.sourceA)} × ${String(o.sourceB)}: ${String(o.sampleSteps)} sampled steps, ${String(o.exactPairs)} pairs recomputed exactly (sample error ≤ ${fmt(o.maxError as number)})`,
        `${String(o.sourceA)}\t${String(o.sourceB)}\tr`,
        ...pairs.map((p) => `${p.a}\t${p.b}\t${fmt(p.r)}`),
      ].join("\n");
    },
  },
};

type Runner = (req: AnalysisRequest) => Promise<unknown>;

async function cells(values: Record<string, string | boolean | undefined>, run: Runner): Promise<Record<string, unknown>> {
  const { ZCellSearchResult } = await import("@/server/services/analysis/schemas");
  const top = topOption(values, 10, 1_000_000);
  const label = typeof values.label === "string" ? values.label : null;
  const r = ZCellSearchResult.parse(await run({ kind: "cells", input: { datasetId: requiredString(values, "dataset"), source: requiredString(values, "source"), track: requiredString(values, "track"), label } }));
  return { track: r.track, label: r.label, kind: r.kind, excluded: r.excluded, cells: r.cells.slice(0, top) };
}

async function compare(values: Record<string, string | boolean | undefined>, run: Runner): Promise<Record<string, unknown>> {
  const { ZCompareResult, ZPartnersResult } = await import("@/server/services/analysis/schemas");
  const datasetId = requiredString(values, "dataset");
  const source = requiredString(values, "source");
  const other = requiredString(values, "other");
  if (typeof values.cell === "string") {
    if (!/^\d{1,9}$/.test(values.cell)) throw new AppError("BAD_INPUT", `--cell must be a cell index, got ${JSON.stringify(values.cell)}`);
    const top = topOption(values, 10, 1_000_000);
    const r = ZPartnersResult.parse(await run({ kind: "partners", input: { datasetId, source, cell: Number(values.cell), other } }));
    return { ...r, partners: r.partners.slice(0, top) };
  }
  return ZCompareResult.parse(await run({ kind: "compare", input: { datasetId, sourceA: source, sourceB: other, top: topOption(values, 50, 200) } }));
}

/**
 * `match --track`: reads (and so checks) the track before the match runs, and returns the function
 * giving the evidence of the returned results' ranges on it.
 */
export async function trackEvidence(db: Db, query: { datasetId: string; source: string }, track: string) {
  const { findSource } = await import("@/server/services/datasets/datasets");
  const { readAnalysisTrack } = await import("@/server/services/analysis/tracks");
  const { evidenceOf } = await import("@/server/services/analysis/evidence");
  const src = await findSource(db, null, query.datasetId, query.source);
  const t = await readAnalysisTrack(db, src.datasetId, src.steps, track);
  return (results: readonly { pos: number; length: number }[]) => evidenceOf(t, results);
}

/** Text lines for `match --track` without --json. */
export function evidenceText(e: import("@/server/services/analysis/schemas").Evidence): string {
  if (e.kind === "scalar") return `evidence on ${e.track}: ${e.matchedSteps} matched steps, mean ${fmt(e.mean)} inside vs ${fmt(e.baseMean)} overall`;
  return [
    `evidence on ${e.track}: ${e.matchedSteps} matched steps`,
    "label\tshare\tbase\tlift",
    ...e.labels.map((l) => `${l.label}\t${fmt(l.share)}\t${fmt(l.base)}\t${l.lift === null ? "–" : l.lift.toFixed(2)}`),
  ].join("\n");
}
