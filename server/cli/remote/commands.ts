/**
 * The data commands of `statescope` against a server: each asks the HTTP API what the local
 * command asks the services, and returns the same JSON (the callers in main.ts parse the flags
 * once for both).
 */
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { AppError } from "@statescope/core";
import type { MatchQueryInput } from "@/server/services/matching/schemas";
import { sleep, type ApiClient } from "./client";
import { packFolder } from "./pack";
import { uploadArchive } from "./upload";

const POLL_MS = 500;

interface DatasetDetail {
  id: string;
  status: "IMPORTING" | "READY" | "FAILED";
  phase: string;
  percent: number;
  error: string | null;
  report: (Record<string, unknown> & { warnings: string[] }) | null;
}

/** Waits for a dataset's import or extraction to end, printing its progress as the local command does. */
export async function waitForDataset(client: ApiClient, datasetId: string, what: "importing" | "extracting", note: (l: string) => void): Promise<DatasetDetail> {
  let shown = "";
  for (;;) {
    const d = await client.json<DatasetDetail>("GET", client.ws(`/datasets/${encodeURIComponent(datasetId)}`));
    if (d.status === "FAILED") throw new AppError("BAD_INPUT", d.error ?? `the ${what === "importing" ? "import" : "extraction"} failed`);
    if (d.status === "READY") return d;
    const line = `${what}: ${d.phase} ${Math.floor(d.percent)}%`;
    if (line !== shown) note((shown = line));
    await sleep(POLL_MS);
  }
}

/** The fields of a local import's (or extraction's) result, from the dataset's stored report. */
function importResult(d: DatasetDetail): Record<string, unknown> {
  if (!d.report) throw new AppError("INTERNAL", `dataset ${d.id} is ready but has no import report`);
  // (the sources' min/max are as stored: the server keeps them to 16 significant digits)
  const { datasetId, name, steps, vocabularySize, sources, metaTracks, warnings } = d.report;
  return { datasetId, name, steps, vocabularySize, sources, metaTracks, warnings, workspaceCreated: false };
}

export async function remoteImport(
  client: ApiClient,
  target: string,
  o: { name?: string | undefined; description?: string | undefined; citation?: string | undefined },
  note: (l: string) => void,
): Promise<Record<string, unknown>> {
  let info;
  try {
    info = await stat(target);
  } catch {
    throw new AppError("BAD_INPUT", `${target} does not exist`);
  }
  let tmp: string | null = null;
  try {
    let archive = target;
    if (info.isDirectory()) {
      tmp = await mkdtemp(path.join(tmpdir(), "statescope-upload-"));
      archive = path.join(tmp, `${path.basename(target)}.tar.gz`);
      note(`packing ${target}`);
      await packFolder(target, archive);
    }
    // without --name the import names the dataset as a local import does (the project's own name, else the file's)
    const datasetId = await uploadArchive(client, archive, { name: o.name, note });
    const d = await waitForDataset(client, datasetId, "importing", note);
    const meta = { ...(o.description !== undefined ? { description: o.description } : {}), ...(o.citation !== undefined ? { citation: o.citation } : {}) };
    if (Object.keys(meta).length > 0) await client.json("PATCH", client.ws(`/datasets/${datasetId}`), { json: meta });
    return importResult(d);
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}

export async function remoteExtract(client: ApiClient, form: FormData, note: (l: string) => void): Promise<Record<string, unknown>> {
  const { datasetId } = await client.json<{ datasetId: string }>("POST", client.ws("/extractions"), { body: form });
  return importResult(await waitForDataset(client, datasetId, "extracting", note));
}

interface StatesPage {
  source: string;
  from: number;
  to: number;
  cells: number[] | null;
  cellCount: number;
  data: string;
}

/** The HTTP API's window limit on states per request (MAX_STATE_WINDOW): longer ranges are read page by page. */
export const STATES_PAGE_STEPS = 2000;

/** States of [from, to) read page by page: the values (row-major) and the source's cell count. */
export async function remoteStates(
  client: ApiClient,
  q: { datasetId: string; source: string; from: number; to: number; cells?: number[] | undefined },
): Promise<{ source: string; from: number; to: number; cells: number[] | null; cellCount: number; values: Float32Array }> {
  if (q.to <= q.from) throw new AppError("BAD_INPUT", `--to must be greater than --from (${q.from})`);
  const width = q.cells?.length;
  let out: Float32Array | null = null;
  let first: StatesPage | null = null;
  for (let at = q.from; at < q.to; at += STATES_PAGE_STEPS) {
    const end = Math.min(q.to, at + STATES_PAGE_STEPS);
    const p = await client.json<StatesPage>("GET", client.ws(`/datasets/${encodeURIComponent(q.datasetId)}/states`), {
      query: { source: q.source, from: at, to: end, ...(q.cells ? { cells: q.cells.join(",") } : {}) },
    });
    first ??= p;
    const w = width ?? p.cellCount;
    out ??= new Float32Array((q.to - q.from) * w);
    const bytes = Buffer.from(p.data, "base64");
    const vals = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    out.set(vals, (at - q.from) * w);
    // the source may end before `to`: the server clips the window
    if (p.to < end) {
      out = out.subarray(0, (p.to - q.from) * w);
      return { source: first.source, from: q.from, to: p.to, cells: first.cells, cellCount: first.cellCount, values: out };
    }
  }
  return { source: first!.source, from: q.from, to: q.to, cells: first!.cells, cellCount: first!.cellCount, values: out! };
}

type MatchOutcome = { status: "pending"; key: string } | { status: "done"; key: string; computeMs: number; result: { results: Array<{ pos: number; length: number }>; histograms: unknown } };

/** Runs a match query on the server (`repeat` times), waiting for a pending result: the local command's output. */
export async function remoteMatch(client: ApiClient, input: MatchQueryInput, o: { repeat: number; track?: string | undefined }): Promise<Record<string, unknown>> {
  const { datasetId, ...body } = input;
  const ds = `/datasets/${encodeURIComponent(datasetId)}`;
  const timingsMs: number[] = [];
  let last: Extract<MatchOutcome, { status: "done" }> | undefined;
  for (let i = 0; i < o.repeat; i++) {
    let out = await client.json<MatchOutcome>("POST", client.ws(`${ds}/matches`), { json: body });
    while (out.status === "pending") out = await client.json<MatchOutcome>("GET", client.ws(`/matches/${out.key}`));
    timingsMs.push(Number(out.computeMs.toFixed(3)));
    last = out;
  }
  const { results, histograms } = last!.result;
  const evidence = o.track
    ? await client.json("POST", client.ws(`${ds}/evidence`), { json: { source: input.source, track: o.track, ranges: results.map((r) => ({ pos: r.pos, length: r.length })) } })
    : undefined;
  return { results, histograms, timingsMs, ...(evidence ? { evidence } : {}) };
}

/** Requests an analysis and polls it to its result (progress on stderr, as the local run prints it). */
export async function remoteAnalysis(client: ApiClient, datasetId: string, body: Record<string, unknown>, note: (l: string) => void): Promise<unknown> {
  type Status = { key: string; status: "running" | "done" | "failed"; phase: string; percent: number; error: string | null; result: unknown };
  let s = await client.json<Status>("POST", client.ws(`/datasets/${encodeURIComponent(datasetId)}/analyses`), { json: body });
  let shown = "";
  while (s.status === "running") {
    const line = `analyzing: ${s.phase} ${Math.floor(s.percent)}%`;
    if (line !== shown) note((shown = line));
    await sleep(POLL_MS);
    s = await client.json<Status>("GET", client.ws(`/analyses/${s.key}`));
  }
  if (s.status === "failed") throw new AppError("BAD_INPUT", s.error ?? "the analysis failed");
  return s.result;
}

/** Writes a finding's file (the same bytes as its URL) to `out`. */
export async function remoteExport(client: ApiClient, ref: { id: string; version?: number | undefined; file: string; params: Record<string, string> }, out: string): Promise<Record<string, unknown>> {
  const res = await client.request("GET", client.ws(`/findings/${ref.id}/files/${ref.file}`), { query: { ...ref.params, ...(ref.version ? { version: ref.version } : {}) } });
  const body = Buffer.from(await res.arrayBuffer());
  try {
    await writeFile(out, body);
  } catch (err) {
    throw new AppError("BAD_INPUT", `--out ${out}: cannot write (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return { path: out, bytes: body.length, contentType: res.headers.get("content-type") ?? "application/octet-stream" };
}
