"use client";
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { MatchInput, MatchOutput } from "@/app/_components/explorer/data-source";
import type { HypothesisView } from "@statescope/collab";

/** A match result as frozen into a hypothesis: what was asked and what came back. */
export interface FrozenResult {
  input: Omit<MatchInput, "cells"> & { cells: number[] };
  results: MatchOutput["results"];
  histograms: MatchOutput["histograms"];
}

const sameCells = (a: readonly number[], b: readonly number[]) => {
  if (a.length !== b.length) return false;
  const s = [...a].sort((x, y) => x - y);
  const t = [...b].sort((x, y) => x - y);
  return s.every((x, i) => x === t[i]);
};

/**
 * The match result the Match view shows for this view, if one was run: the newest successful
 * query of the explorer's cache (`["explorer", key, "match", input]`, see use-match.ts) whose
 * input is the hypothesis's source, cells, threshold and padding.
 */
export function findShownResult(qc: QueryClient, explorerKey: string, v: HypothesisView): FrozenResult | null {
  const qs = qc
    .getQueryCache()
    .findAll({ queryKey: ["explorer", explorerKey, "match"] })
    .filter((q) => q.state.status === "success" && q.state.data)
    .sort((a, b) => b.state.dataUpdatedAt - a.state.dataUpdatedAt);
  for (const q of qs) {
    const input = q.queryKey[3] as MatchInput | null;
    if (!input) continue;
    if (input.source !== v.source || input.threshold !== v.threshold || input.padLeft !== v.padLeft || input.padRight !== v.padRight) continue;
    if (!sameCells(input.cells, v.cells)) continue;
    const out = q.state.data as MatchOutput;
    return { input: { ...input, cells: [...input.cells] }, results: out.results, histograms: out.histograms };
  }
  return null;
}

/** findShownResult, re-evaluated when the cache changes. */
export function useShownResult(explorerKey: string, v: HypothesisView | null): FrozenResult | null {
  const qc = useQueryClient();
  const [found, setFound] = useState<FrozenResult | null>(null);
  useEffect(() => {
    if (!v) {
      setFound(null);
      return;
    }
    const check = () => setFound(findShownResult(qc, explorerKey, v));
    check();
    return qc.getQueryCache().subscribe((e) => {
      if (e.type === "updated" && e.query.queryKey[0] === "explorer" && e.query.queryKey[2] === "match") check();
    });
  }, [qc, explorerKey, v]);
  return found;
}
