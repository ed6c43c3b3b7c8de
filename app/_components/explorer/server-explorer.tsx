"use client";
import { CollabRoom } from "../collab/collab-room";
import { Explorer } from "./explorer";
import { useServerData } from "./use-server-data";

export function ServerExplorer({ workspace, datasetId }: { workspace: string; datasetId: string }) {
  const data = useServerData(workspace, datasetId);
  const base = `/w/${workspace}/datasets/${datasetId}/explore`;
  return (
    <CollabRoom workspace={workspace} datasetId={datasetId}>
      <Explorer data={data} selectLink={(q) => `${base}?${q}`} />
    </CollabRoom>
  );
}
