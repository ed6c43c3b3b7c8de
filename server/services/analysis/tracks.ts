/**
 * A whole meta track as the analysis reads it: discrete (label ids with their names) or scalar,
 * over steps [0, steps). The members' "annotations" track is read from the Annotation rows; since
 * it changes, it carries a fingerprint of its rows that goes into result keys.
 */
import { AppError, labelName } from "@statescope/core";
import { pgPool, type Db } from "@/server/db/client";
import { readMetaWindow } from "@/server/storage/dataset-store";
import { annotationTrackName, annotationTrackSummary, annotationTrackWindows } from "@/server/services/records/annotations";

export type AnalysisTrack =
  | {
      name: string;
      kind: "discrete";
      values: Int32Array;
      /** The labels in the track's order, named as the UI names them. A value that is none of these ids is missing. */
      labels: { id: number; label: string }[];
      version: string | null;
    }
  | { name: string; kind: "scalar"; values: Float32Array; version: null };

/** Fingerprint of a dataset's annotations and categories (their exact rows): any edit changes it. */
export async function annotationsVersion(db: Db, datasetId: string): Promise<string> {
  const rows = await db.$queryRaw<{ h: string | null }[]>`
    select md5(
      coalesce((select string_agg("id" || ':' || "name", ',' order by "createdAt", "id") from "AnnotationCategory" where "datasetId" = ${datasetId}), '') || '|' ||
      coalesce((select string_agg("id" || ':' || "categoryId" || ':' || "start" || ':' || "end", ',' order by "id") from "Annotation" where "datasetId" = ${datasetId}), '')
    ) as h`;
  return rows[0]?.h ?? "";
}

/** Is `track` the members' annotations track of this dataset (rather than an imported one)? */
async function isAnnotationTrack(db: Db, datasetId: string, track: string): Promise<boolean> {
  const imported = await db.metaTrack.findMany({ where: { datasetId }, select: { name: true } });
  if (imported.some((t) => t.name === track)) return false;
  return track === annotationTrackName(imported.map((t) => t.name));
}

/** The dataset's discrete and scalar tracks (one value per step) in display order, the members' annotations last. */
export async function analysisTrackNames(db: Db, datasetId: string): Promise<string[]> {
  const imported = await db.metaTrack.findMany({ where: { datasetId }, orderBy: { ordinal: "asc" }, select: { name: true, kind: true, width: true } });
  const names = imported.filter((t) => t.kind !== "wordvec" && t.width === 1).map((t) => t.name);
  const annotations = await annotationTrackSummary(db, datasetId, imported.map((t) => t.name));
  return annotations ? [...names, annotations.name] : names;
}

/** The track's kind, labels and (annotations) version without its values: for validating requests. */
export async function describeTrack(db: Db, datasetId: string, track: string): Promise<{ kind: "discrete" | "scalar"; labels: { id: number; label: string }[] | null; version: string | null }> {
  if (await isAnnotationTrack(db, datasetId, track)) {
    const s = await annotationTrackSummary(db, datasetId, []);
    if (!s) throw new AppError("BAD_INPUT", `dataset ${datasetId} has no annotation categories yet: annotate some ranges first`);
    return { kind: "discrete", labels: (s.labels ?? []).map((l) => ({ id: l.id, label: labelName(l.label) })), version: await annotationsVersion(db, datasetId) };
  }
  const t = await db.metaTrack.findUnique({ where: { datasetId_name: { datasetId, name: track } }, select: { kind: true, labels: true } });
  if (!t) {
    const names = await db.metaTrack.findMany({ where: { datasetId }, orderBy: { ordinal: "asc" }, select: { name: true, kind: true } });
    const usable = names.filter((n) => n.kind !== "wordvec").map((n) => n.name);
    throw new AppError("BAD_INPUT", `dataset ${datasetId} has no track ${JSON.stringify(track)} (discrete and scalar tracks: ${usable.join(", ") || "none"})`);
  }
  if (t.kind === "wordvec") throw new AppError("BAD_INPUT", `track ${JSON.stringify(track)} holds words per step (wordvec): analysis needs a discrete or scalar track`);
  if (t.kind === "scalar") return { kind: "scalar", labels: null, version: null };
  const labels = Array.isArray(t.labels) ? (t.labels as { id: number; label: string }[]).map((l) => ({ id: l.id, label: labelName(l.label) })) : [];
  return { kind: "discrete", labels, version: null };
}

/** The whole track, steps [0, steps). */
export async function readAnalysisTrack(db: Db, datasetId: string, steps: number, track: string): Promise<AnalysisTrack> {
  const d = await describeTrack(db, datasetId, track);
  if (d.version !== null) {
    const values = (await annotationTrackWindows(db, datasetId, [[0, steps]]))[0]!;
    return { name: track, kind: "discrete", values, labels: d.labels!, version: d.version };
  }
  const t = await db.metaTrack.findUniqueOrThrow({
    where: { datasetId_name: { datasetId, name: track } },
    select: { id: true, kind: true, width: true, chunkRows: true, hasWeights: true },
  });
  if (t.width !== 1) throw new AppError("BAD_INPUT", `track ${JSON.stringify(track)} has ${t.width} values per step: analysis needs one`);
  const rows = await readMetaWindow(pgPool(db), { ...t, kind: d.kind }, steps, 0, steps);
  if (rows.kind === "scalar") return { name: track, kind: "scalar", values: rows.values, version: null };
  if (rows.kind === "discrete") return { name: track, kind: "discrete", values: rows.values, labels: d.labels!, version: null };
  throw new AppError("BAD_INPUT", `track ${JSON.stringify(track)} cannot be analysed`);
}

/** The ids of the label named `label` (as the UI names it), or BAD_INPUT listing the names. */
export function labelIds(track: { name: string; labels: { id: number; label: string }[] }, label: string): number[] {
  const ids = track.labels.filter((l) => l.label === label).map((l) => l.id);
  if (ids.length === 0) {
    const names = [...new Set(track.labels.map((l) => l.label))];
    throw new AppError("BAD_INPUT", `track ${JSON.stringify(track.name)} has no label ${JSON.stringify(label)} (labels: ${names.map((n) => JSON.stringify(n)).join(", ")})`);
  }
  return ids;
}
