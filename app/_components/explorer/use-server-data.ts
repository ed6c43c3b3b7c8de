"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useMemo } from "react";
import { match, type StateMatrix } from "@statescope/core";
import { useTRPC } from "@/app/_lib/trpc";
import { MAX_WINDOW, type DatasetInfo, type ExplorerData, type MatchInput, type MatchOutput, type TrackKind } from "./data-source";

function bytesOf(b64: string): ArrayBuffer {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out.buffer;
}

/** Sources up to this many values are matched in the browser while the server matcher is not wired. */
const BROWSER_MATCH_LIMIT = 12_000_000;

/** The explorer's data from the server (tRPC `dataset.*`); every read goes through React Query's cache. */
export function useServerData(workspace: string, datasetId: string): ExplorerData {
  const trpc = useTRPC();
  const qc = useQueryClient();
  return useMemo<ExplorerData>(() => {
    const states = async (source: string, from: number, to: number, cells?: number[]): Promise<StateMatrix> => {
      const r = await qc.fetchQuery({ ...trpc.dataset.states.queryOptions({ workspace, datasetId, source, from, to, cells }), staleTime: Infinity });
      const data = new Float32Array(bytesOf(r.data));
      return { data, steps: r.to - r.from, cells: r.cells ? r.cells.length : r.cellCount };
    };
    const info = async (): Promise<DatasetInfo> => {
      const d = await qc.fetchQuery(trpc.dataset.get.queryOptions({ workspace, datasetId }));
      if (d.status !== "READY") {
        throw new Error(d.status === "IMPORTING" ? `“${d.name}” is still importing (${d.phase}, ${Math.round(d.percent)}%); open it again when the import is done` : `the import of “${d.name}” failed: ${d.error ?? "no reason recorded"}`);
      }
      return {
        id: d.id,
        name: d.name,
        steps: d.steps,
        regexSearch: d.regexSearch,
        separator: d.separator,
        sources: d.sources.map((s) => ({ name: s.name, type: s.type, layer: s.layer, transform: s.transform, steps: s.steps, cells: s.cells, min: s.min, max: s.max })),
        tracks: d.metaTracks.map((t) => ({
          name: t.name,
          kind: t.kind as TrackKind,
          width: t.width,
          labels: t.labels ? new Map(t.labels.map((l) => [l.id, l.label] as const)) : null,
          range: Array.isArray(t.range) ? [t.range[0], t.range[1]] : null,
        })),
      };
    };
    return {
      key: `server:${workspace}:${datasetId}`,
      info,
      async tokens(from, to) {
        const r = await qc.fetchQuery({ ...trpc.dataset.tokens.queryOptions({ workspace, datasetId, from, to }), staleTime: Infinity });
        return r.tokens;
      },
      states,
      async track(name, from, to) {
        const r = await qc.fetchQuery({ ...trpc.dataset.meta.queryOptions({ workspace, datasetId, track: name, from, to }), staleTime: Infinity });
        const buf = bytesOf(r.data);
        return {
          from: r.from,
          to: r.to,
          width: r.width,
          values: r.kind === "scalar" ? new Float32Array(buf) : new Int32Array(buf),
          weights: r.weights ? new Float32Array(bytesOf(r.weights)) : null,
        };
      },
      async search(query, regex, limit) {
        const r = await qc.fetchQuery(trpc.dataset.search.queryOptions({ workspace, datasetId, query, mode: regex ? "regex" : "phrase", limit }));
        return r.matches.map((m) => ({ pos: m.from, length: m.to - m.from }));
      },
      async match(input: MatchInput): Promise<MatchOutput> {
        // TODO(match.run): call the server matcher here once it lands; until then small sources
        // are matched in the browser with the same packages/core code the worker runs.
        const d = await info();
        const src = d.sources.find((s) => s.name === input.source);
        if (!src) throw new Error(`dataset ${datasetId} has no source ${input.source}`);
        if (src.steps * src.cells > BROWSER_MATCH_LIMIT) {
          throw new Error(`${input.source} has ${src.steps.toLocaleString()} steps × ${src.cells} cells: too large to match in the browser, and the server matcher is not available yet`);
        }
        const all = new Float32Array(src.steps * src.cells);
        for (let from = 0; from < src.steps; from += MAX_WINDOW) {
          const part = await states(input.source, from, Math.min(src.steps, from + MAX_WINDOW));
          all.set(part.data, from * src.cells);
        }
        return match(
          { matrix: { data: all, steps: src.steps, cells: src.cells }, transform: src.transform },
          { cells: input.cells, threshold: input.threshold, padL: input.padLeft, padR: input.padRight, mode: input.mode, length: input.length, k: input.k },
        );
      },
    };
  }, [trpc, qc, workspace, datasetId]);
}
