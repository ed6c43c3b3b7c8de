"use client";
import { Explorer, type ExplorerSlots } from "./explorer";
import { useServerData } from "./use-server-data";

export function ServerExplorer({ workspace, datasetId, slots }: { workspace: string; datasetId: string; slots?: ExplorerSlots }) {
  const data = useServerData(workspace, datasetId);
  const base = `/w/${workspace}/datasets/${datasetId}/explore`;
  return <Explorer data={data} selectLink={(q) => `${base}?${q}`} slots={slots} />;
}
