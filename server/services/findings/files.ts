/**
 * The files of a finding version, by name: what `/f/<id>/v<n>/<name>` serves and what
 * `statescope export` writes (one function, so both give the same bytes).
 */
import { AppError, SNAPSHOT_MAX_ROWS, type FigureView, type FigureWidth, type ThemeName } from "@statescope/core";
import { citationBibtex, citationCslJson, matchesCsv, matchesJson, type VersionRef } from "./exports";
import type { FindingRead } from "./findings";
import { cardPng, figureFile } from "./render";

export const FILE_NAMES = ["figure.svg", "figure.png", "matches.csv", "matches.json", "cite.bib", "cite.json", "preview.png"] as const;
export type FileName = (typeof FILE_NAMES)[number];

export interface FileParams {
  view: FigureView;
  width: FigureWidth;
  theme: ThemeName;
  rows: number | undefined;
  scale: 2 | 4;
}

export interface FindingFile {
  body: Buffer;
  contentType: string;
  /** A file name for downloads (statescope-<id>-v<n>-…). */
  filename: string;
}

type Ok = Extract<FindingRead, { status: "ok" }>;

function oneOf<T extends string>(name: string, raw: string | null | undefined, allowed: readonly T[], fallback: T): T {
  if (raw === null || raw === undefined || raw === "") return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new AppError("BAD_INPUT", `${name} must be ${allowed.join(" or ")}, got ${JSON.stringify(raw.slice(0, 40))}`);
}

/** Parses and checks the query of a file URL (or the CLI's options, given by the same names). */
export function fileParams(get: (name: string) => string | null | undefined): FileParams {
  const rowsRaw = get("rows");
  let rows: number | undefined;
  if (rowsRaw !== null && rowsRaw !== undefined && rowsRaw !== "") {
    if (!/^\d{1,3}$/.test(rowsRaw) || Number(rowsRaw) < 1 || Number(rowsRaw) > SNAPSHOT_MAX_ROWS) throw new AppError("BAD_INPUT", `rows must be a whole number from 1 to ${SNAPSHOT_MAX_ROWS}, got ${JSON.stringify(rowsRaw.slice(0, 40))}`);
    rows = Number(rowsRaw);
  }
  return {
    view: oneOf("view", get("view"), ["select", "match", "both"], "both"),
    width: oneOf("width", get("width"), ["one", "two"], "two"),
    theme: oneOf("theme", get("theme"), ["light", "dark"], "light"),
    rows,
    scale: oneOf("scale", get("scale"), ["2", "4"], "2") === "4" ? 4 : 2,
  };
}

export function versionRef(read: Ok, publicUrl: string): VersionRef {
  return { id: read.id, version: read.version, publishedAt: read.publishedAt, url: `${publicUrl.replace(/\/+$/, "")}/f/${read.id}/v${read.version}`, snapshotHash: read.snapshotHash };
}

/** The subtitle of the preview image: authors · dataset · version. */
export function cardSubtitle(read: Ok): string {
  const s = read.data.snapshot;
  const authors = s.authors.length > 3 ? `${s.authors[0]!.name} et al.` : s.authors.map((a) => a.name).join(", ");
  return `${authors} · ${s.dataset.name} · Statescope finding v${read.version}`;
}

export async function findingFile(read: Ok, name: FileName, p: FileParams, ctx: { publicUrl: string; accessed: Date }): Promise<FindingFile> {
  const s = read.data.snapshot;
  const ref = versionRef(read, ctx.publicUrl);
  const base = `statescope-${read.id}-v${read.version}`;
  const figureOpts = { view: p.view, width: p.width, theme: p.theme, ...(p.rows ? { rows: p.rows } : {}) };
  if ((name === "figure.svg" || name === "figure.png") && p.view !== "select" && !s.match) {
    throw new AppError("BAD_INPUT", `finding ${read.id} v${read.version} has no match results (it was published without a selection): ask for view=select`);
  }
  const figName = `${base}-${p.view}-${p.width}${p.theme === "dark" ? "-dark" : ""}`;
  switch (name) {
    case "figure.svg":
      return { body: await figureFile(read.snapshotHash, read.data, figureOpts, "svg"), contentType: "image/svg+xml", filename: `${figName}.svg` };
    case "figure.png":
      return { body: await figureFile(read.snapshotHash, read.data, figureOpts, "png", p.scale), contentType: "image/png", filename: `${figName}@${p.scale}x.png` };
    case "matches.csv":
      return { body: Buffer.from(matchesCsv(s), "utf8"), contentType: "text/csv; charset=utf-8", filename: `${base}-matches.csv` };
    case "matches.json":
      return { body: Buffer.from(matchesJson(s, ref), "utf8"), contentType: "application/json; charset=utf-8", filename: `${base}-matches.json` };
    case "cite.bib":
      return { body: Buffer.from(citationBibtex(s, ref, ctx.accessed), "utf8"), contentType: "application/x-bibtex; charset=utf-8", filename: `${base}.bib` };
    case "cite.json":
      return { body: Buffer.from(citationCslJson(s, ref, ctx.accessed), "utf8"), contentType: "application/vnd.citationstyles.csl+json; charset=utf-8", filename: `${base}.csl.json` };
    case "preview.png":
      return { body: await cardPng(read.snapshotHash, read.data, cardSubtitle(read)), contentType: "image/png", filename: `${base}-preview.png` };
  }
}
