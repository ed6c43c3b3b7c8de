"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useMemo } from "react";
import type { StateMatrix } from "@statescope/core";
import { useTRPC, useTRPCClient } from "@/app/_lib/trpc";
import type { MetaWindowOutput, WindowsOutput } from "@/server/services/datasets/schemas-meta";
import type { MatchOutcome } from "@/server/services/matching/schemas";
import { type DatasetInfo, type ExplorerData, type MatchInput, type MatchOutput, type MatchRows, type MatchRowsRequest, type RangeWindow, type TrackKind, type TrackWindow } from "./data-source";
import { statesUrl, type FirstWindow } from "./first-window";

function bytesOf(b64: string): ArrayBuffer {
  // Uint8Array.fromBase64 where the browser has it (Chromium 140+, Firefox 133+, Safari 18.2+)
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array<ArrayBuffer> }).fromBase64;
  if (native) return native(b64).buffer;
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out.buffer;
}

interface DecodedFirstWindow {
  from: number;
  tokens: string[];
  tracks: Map<string, DecodedTrack>;
}

/** All cells of a states window from the states route (raw float32 bytes), or its error as an Error. */
async function fetchStates(url: string): Promise<StateMatrix> {
  const r = await fetch(url);
  if (!r.ok) {
    const body = (await r.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `reading the states failed (HTTP ${r.status}); try again`);
  }
  const data = new Float32Array(await r.arrayBuffer());
  const cells = Number(r.headers.get("x-statescope-cells"));
  return { data, steps: data.length / cells, cells };
}

interface DecodedTrack extends TrackWindow {
  values: Float32Array | Int32Array;
  weights: Float32Array | null;
}

function decodeTrack(r: MetaWindowOutput): DecodedTrack {
  const buf = bytesOf(r.data);
  return {
    from: r.from,
    to: r.to,
    width: r.width,
    values: r.kind === "scalar" ? new Float32Array(buf) : new Int32Array(buf),
    weights: r.weights ? new Float32Array(bytesOf(r.weights)) : null,
    words: r.words ? new Map(r.words.map((w) => [w.id, w.word] as const)) : null,
  };
}

/** The windows of `dataset.windows` (or of a match's rows) as the views use them. */
function decodeWindows(r: WindowsOutput, ranges: readonly (readonly [number, number])[], cells: number): RangeWindow[] {
  return ranges.map(([from, to], i) => ({
    tokens: r.tokens[i]!,
    states: { data: new Float32Array(bytesOf(r.states[i]!)), steps: to - from, cells },
    tracks: r.tracks.map((t) => decodeTrack(t[i]!)),
  }));
}

/**
 * The reads the page started on the server: a read inside their range (and of a source or track
 * they cover) waits for them and takes its rows from them instead of asking the server again.
 * Tokens and states never change; a track's window is taken from them once.
 */
function firstWindowReader(fw: FirstWindow | null, workspace: string, datasetId: string) {
  // (a promise from the server is a React thenable whose then() returns nothing: wrap it first)
  const decoded: Promise<DecodedFirstWindow | null> | null = fw
    ? Promise.resolve(fw.data).then(
        (d) =>
          d && {
            from: fw.from,
            tokens: d.tokens.tokens,
            tracks: new Map(d.tracks.map((t) => [t.track, decodeTrack(t)] as const)),
          },
        () => null,
      )
    : null;
  const preloaded = new Map<string, Promise<StateMatrix>>();
  const tracksServed = new Set<string>();
  const covers = (from: number, to: number) => !!fw && from >= fw.from && to <= fw.to;
  return {
    async tokens(from: number, to: number): Promise<string[] | null> {
      if (!decoded || !covers(from, to)) return null;
      const d = await decoded;
      return d ? d.tokens.slice(from - d.from, to - d.from) : null;
    },
    /** null when not covered; the preloaded window's rows [from, to) (or its error) when it is. */
    async states(source: string, from: number, to: number): Promise<StateMatrix | null> {
      if (!fw || !covers(from, to) || !fw.sources.includes(source)) return null;
      let whole = preloaded.get(source);
      if (!whole) {
        preloaded.set(source, (whole = fetchStates(statesUrl(workspace, datasetId, source, fw.from, fw.to))));
        // a failed read is not kept: a retry asks again
        whole.catch(() => preloaded.delete(source));
      }
      const m = await whole;
      const a = (from - fw.from) * m.cells;
      return { data: m.data.slice(a, a + (to - from) * m.cells), steps: to - from, cells: m.cells };
    },
    /** Once per track: a track can change (the members' "annotations"), and a later read after an invalidation must ask the server. */
    async track(name: string, from: number, to: number): Promise<TrackWindow | null> {
      if (!decoded || !covers(from, to) || !fw!.tracks.includes(name) || tracksServed.has(name)) return null;
      tracksServed.add(name);
      const t = (await decoded)?.tracks.get(name);
      if (!t) return null;
      const [a, b] = [(from - t.from) * t.width, (to - t.from) * t.width];
      return { ...t, from, to, values: t.values.slice(a, b), weights: t.weights ? t.weights.slice(a, b) : null };
    },
  };
}

/**
 * The explorer's data from the server: tRPC `dataset.*` through React Query's cache, except the
 * windows of all cells (the states route, raw bytes) and what the page's own first-window reads
 * (`firstWindow`) cover.
 */
export function useServerData(workspace: string, datasetId: string, firstWindow: FirstWindow | null = null): ExplorerData {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const qc = useQueryClient();
  return useMemo<ExplorerData>(() => {
    const seed = firstWindowReader(firstWindow, workspace, datasetId);
    const states = async (source: string, from: number, to: number, cells?: number[]): Promise<StateMatrix> => {
      if (!cells) return (await seed.states(source, from, to)) ?? (await fetchStates(statesUrl(workspace, datasetId, source, from, to)));
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
          colors: t.labels?.some((l) => l.color) ? new Map(t.labels.flatMap((l) => (l.color ? [[l.id, l.color] as const] : []))) : null,
          range: Array.isArray(t.range) ? [t.range[0], t.range[1]] : null,
        })),
      };
    };
    return {
      key: `server:${workspace}:${datasetId}`,
      info,
      async tokens(from, to) {
        const seeded = await seed.tokens(from, to);
        if (seeded) return seeded;
        const r = await qc.fetchQuery({ ...trpc.dataset.tokens.queryOptions({ workspace, datasetId, from, to }), staleTime: Infinity });
        return r.tokens;
      },
      states,
      async track(name, from, to) {
        const seeded = await seed.track(name, from, to);
        if (seeded) return seeded;
        // straight from the server: the explorer's own query caches each track window (use-explorer-windows.ts).
        // A second cache here let a refetch after a new label join a read that had started before the
        // label was stored, whose older window then stood as fresh (a label missing from the track live).
        return decodeTrack(await client.dataset.meta.query({ workspace, datasetId, track: name, from, to }));
      },
      async windows(source, cells, ranges, tracks): Promise<RangeWindow[]> {
        const r = await qc.fetchQuery({
          ...trpc.dataset.windows.queryOptions({ workspace, datasetId, source, cells, ranges: ranges.map(([a, b]) => [a, b] as [number, number]), tracks }),
          staleTime: 0,
          gcTime: 0,
        });
        return decodeWindows(r, ranges, cells.length);
      },
      async search(query, regex, limit) {
        const r = await qc.fetchQuery(trpc.dataset.search.queryOptions({ workspace, datasetId, query, mode: regex ? "regex" : "phrase", limit }));
        return r.matches.map((m) => ({ pos: m.from, length: m.to - m.from }));
      },
      async match(input: MatchInput, rows?: MatchRowsRequest): Promise<MatchOutput & { rows?: MatchRows }> {
        // The server matcher (in the web process for small sources, else tRPC → queue → worker;
        // answered from the result store when repeated), with the result rows' windows when asked;
        // a "pending" answer is followed by long-polls until the worker signals the result.
        const first = await client.match.run.mutate({ workspace, datasetId, ...input, rows });
        if (first.status === "done") {
          const read = first.rows;
          return read ? { ...first.result, rows: { ranges: read.ranges, windows: decodeWindows(read.windows, read.ranges, input.cells.length) } } : first.result;
        }
        let out: MatchOutcome = first;
        while (out.status === "pending") {
          out = await qc.fetchQuery({ ...trpc.match.result.queryOptions({ workspace, key: out.key }), staleTime: 0, gcTime: 0 });
        }
        return out.result;
      },
    };
  }, [trpc, client, qc, workspace, datasetId, firstWindow]);
}
