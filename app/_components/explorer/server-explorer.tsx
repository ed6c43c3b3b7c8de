"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/app/_lib/trpc";
import type { DatasetDetail } from "@/server/services/datasets/schemas";
import type { FirstWindow } from "./first-window";
import { Explorer } from "./explorer";
import type { ExplorerSlots } from "./slots";
import { useServerData } from "./use-server-data";

export function ServerExplorer({
  workspace,
  datasetId,
  initialInfo,
  firstWindow = null,
  slots,
}: {
  workspace: string;
  datasetId: string;
  initialInfo: DatasetDetail | null;
  /** The first window, read by the page on the server (see first-window.ts). */
  firstWindow?: FirstWindow | null;
  slots?: ExplorerSlots;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  // the page read the dataset already: seed the cache before the first read, so no round trip waits on it
  useState(() => {
    if (initialInfo) qc.setQueryData(trpc.dataset.get.queryKey({ workspace, datasetId }), initialInfo);
  });
  const data = useServerData(workspace, datasetId, firstWindow);
  const base = `/w/${workspace}/datasets/${datasetId}/explore`;
  return <Explorer data={data} selectLink={(q) => `${base}?${q}`} slots={slots} />;
}
