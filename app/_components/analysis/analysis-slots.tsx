"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useMemo, useRef } from "react";
import { evidenceCsv } from "@statescope/core";
import type { ExplorerSlots } from "@/app/_components/explorer/slots";
import { useTRPCClient } from "@/app/_lib/trpc";
import { AnalysisTools } from "./analysis-tools";
import { evidenceQuery, MatchEvidence } from "./match-evidence";
import "./analysis.css";

/**
 * The analysis as explorer add-ons (issue 16): the tools between the Select and Match views, the
 * evidence beside the match results, and that evidence as a second table of the Match view's CSV
 * export (for the track the evidence shows).
 */
export function useAnalysisSlots(workspace: string, datasetId: string): Pick<ExplorerSlots, "tools" | "matchAside" | "matchExport"> {
  const qc = useQueryClient();
  const client = useTRPCClient();
  const track = useRef<string | null>(null);
  return useMemo(() => {
    const onTrack = (t: string | null) => {
      track.current = t;
    };
    return {
      tools: (v) => <AnalysisTools workspace={workspace} datasetId={datasetId} view={v} />,
      matchAside: (r) => <MatchEvidence workspace={workspace} datasetId={datasetId} run={r} onTrack={onTrack} />,
      matchExport: async (r) => (track.current ? evidenceCsv(await qc.fetchQuery(evidenceQuery(client, workspace, datasetId, r, track.current))) : null),
    } satisfies Pick<ExplorerSlots, "tools" | "matchAside" | "matchExport">;
  }, [workspace, datasetId, qc, client]);
}
