"use client";
import { Explorer } from "./explorer";
import { useServerData } from "./use-server-data";

export function ServerExplorer({ workspace, datasetId }: { workspace: string; datasetId: string }) {
  const data = useServerData(workspace, datasetId);
  const base = `/w/${workspace}/datasets/${datasetId}/explore`;
  return <Explorer data={data} selectLink={(q) => `${base}?${q}`} />;
}
