"use client";
import { useMemo } from "react";
import { useAnalysisSlots } from "@/app/_components/analysis/analysis-slots";
import { StartClassButton } from "@/app/_components/classroom/start-class";
import type { ExplorerSlots } from "@/app/_components/explorer/slots";
import type { FirstWindow } from "@/app/_components/explorer/first-window";
import { ServerExplorer } from "@/app/_components/explorer/server-explorer";
import { CommentLane } from "@/app/_components/records/comment-lane";
import { RecordsPanel } from "@/app/_components/records/records-panel";
import { RecordsProvider } from "@/app/_components/records/records-context";
import { DatasetRoom } from "@/app/_components/room/dataset-room";
import { PresenceOverlay } from "@/app/_components/room/presence-overlay";
import { PublishView } from "@/app/_components/room/room-context";
import type { DatasetDetail } from "@/server/services/datasets/schemas";
import "@/app/_components/records/records.css";

/**
 * A workspace dataset's explorer with its team: the realtime room around it (who is here, their
 * presence over the plots, our view published to them) and the durable records beside it (the
 * team panel, comment markers above the tokens). The explorer knows them only through its slots.
 */
export function TeamExplorer({
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
  const analysis = useAnalysisSlots(workspace, datasetId);
  const slots = useMemo<ExplorerSlots>(
    () => ({
      ...analysis,
      panel: (v) => <RecordsPanel view={v} />,
      stripLane: (g) => <CommentLane g={g} />,
      plotOverlay: (o) => <PresenceOverlay {...o} />,
      publish: (v) => <PublishView state={v.state} steps={v.visible[1] - v.visible[0]} cells={v.selections[v.activeLayer] ?? null} />,
    }),
    [analysis],
  );
  return (
    <RecordsProvider workspace={workspace} datasetId={datasetId} userId={userId}>
      <DatasetRoom workspace={workspace} datasetId={datasetId} actions={(canEdit) => <StartClassButton workspace={workspace} datasetId={datasetId} enabled={canEdit} />}>
        <ServerExplorer workspace={workspace} datasetId={datasetId} initialInfo={initialInfo} firstWindow={firstWindow} slots={slots} />
      </DatasetRoom>
    </RecordsProvider>
  );
}
