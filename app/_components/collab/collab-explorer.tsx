"use client";
import { useMemo } from "react";
import { AnalysisTools } from "@/app/_components/analysis/analysis-tools";
import { MatchEvidence } from "@/app/_components/analysis/match-evidence";
import type { ExplorerSlots } from "@/app/_components/explorer/explorer";
import type { FirstWindow } from "@/app/_components/explorer/first-window";
import { ServerExplorer } from "@/app/_components/explorer/server-explorer";
import type { DatasetDetail } from "@/server/services/datasets/schemas";
import { CollabPanel } from "./collab-panel";
import { CollabProvider } from "./collab-context";
import { CommentLane } from "./comment-lane";
import "./records.css";

/** The explorer of a workspace dataset with the team panel and the comment markers. */
export function CollabExplorer({
  workspace,
  datasetId,
  userId,
  initialInfo,
  firstWindow,
}: {
  workspace: string;
  datasetId: string;
  userId: string;
  initialInfo: DatasetDetail | null;
  firstWindow: FirstWindow | null;
}) {
  const slots = useMemo<ExplorerSlots>(
    () => ({
      panel: (v) => <CollabPanel view={v} />,
      stripLane: (g) => <CommentLane g={g} />,
      tools: (v) => <AnalysisTools workspace={workspace} datasetId={datasetId} view={v} />,
      matchAddon: (p) => <MatchEvidence workspace={workspace} datasetId={datasetId} {...p} />,
    }),
    [workspace, datasetId],
  );
  return (
    <CollabProvider workspace={workspace} datasetId={datasetId} userId={userId}>
      <ServerExplorer workspace={workspace} datasetId={datasetId} initialInfo={initialInfo} firstWindow={firstWindow} slots={slots} />
    </CollabProvider>
  );
}
