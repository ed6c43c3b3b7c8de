"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useMemo } from "react";
import type { StateMatrix } from "@statescope/core";
import { useTRPC, useTRPCClient } from "@/app/_lib/trpc";
import { type DatasetInfo, type ExplorerData, type MatchInput, type MatchOutput, type TrackKind } from "./data-source";

function bytesOf(b64: string): ArrayBuffer {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out.buffer;
}

/** The explorer's data from the server (tRPC `dataset.*`); every read goes through React Query's cache. */
export function useServerData(workspace: string, datasetId: string): ExplorerData {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  return useMemo<ExplorerData>(() => {
    const states = async (source: string, from: number, to: number, cells?: number[]): Promise<StateMatrix> => {
      const r = await qc.fetchQuery({ ...trpc.dataset.states.queryOptions({ workspace, datasetId, source, from, to, cells }), staleTime: Infinity });
      const data = new Float32Array(bytesOf(r.data));
      return { data, steps: r.to - r.from, cells: r.cells ? r.cells.length : r.cellCount };
    };
    const info = async (): Promise<DatasetInfo> => {
      const d = await qc.fetchQuery({ ...trpc.dataset.get.queryOptions({ workspace, datasetId }), staleTime: 60_000 });
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
          words: r.words ? new Map(r.words.map((w) => [w.id, w.word] as const)) : null,
        };
      },
      async search(query, regex, limit) {
        const r = await qc.fetchQuery(trpc.dataset.search.queryOptions({ workspace, datasetId, query, mode: regex ? "regex" : "phrase", limit }));
        return r.matches.map((m) => ({ pos: m.from, length: m.to - m.from }));
      },
      async match(input: MatchInput): Promise<MatchOutput> {
        // The server matcher (tRPC → queue → worker, answered from the result store when repeated);
        // a "pending" answer is followed by long-polls until the worker signals the result.
        let out = await client.match.run.mutate({ workspace, datasetId, ...input });
        while (out.status === "pending") {
          out = await qc.fetchQuery({ ...trpc.match.result.queryOptions({ workspace, key: out.key }), staleTime: 0, gcTime: 0 });
        }
        return out.result;
      },
    };
  }, [trpc, client, qc, workspace, datasetId]);
}
