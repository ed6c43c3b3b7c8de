"use client";
import { useMemo } from "react";
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
    }),
    [],
  );
  return (
    <CollabProvider workspace={workspace} datasetId={datasetId} userId={userId}>
      <ServerExplorer workspace={workspace} datasetId={datasetId} initialInfo={initialInfo} firstWindow={firstWindow} slots={slots} />
    </CollabProvider>
  );
}
