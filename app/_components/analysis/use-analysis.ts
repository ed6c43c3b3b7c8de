"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/app/_lib/trpc";
import type { AnalysisStatus } from "@/server/services/analysis/schemas";

/** A running analysis is polled after 150 ms, then 1.5× later each time, at most every second. */
const pollMs = (polls: number) => Math.min(1000, 150 * 1.5 ** polls);

/**
 * One analysis request (cell search, guidance, comparison, partners): asks once per `id` (the
 * server answers from its store or queues a worker job), then polls the status while it runs.
 * `request` is null until there is something to ask. `retry` asks again (a failed run is re-run).
 */
export function useAnalysis<S extends AnalysisStatus>(workspace: string, id: readonly unknown[], request: (() => Promise<S>) | null) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const queryKey = ["analysis", workspace, ...id];
  const asked = useQuery({ queryKey, queryFn: () => request!(), enabled: request !== null, staleTime: Infinity, retry: false });
  const running = asked.data && asked.data.status === "running" ? asked.data.key : null;
  const polled = useQuery({
    ...trpc.analysis.status.queryOptions({ workspace, key: running ?? "" }),
    enabled: running !== null,
    staleTime: 0,
    refetchInterval: (q) => (q.state.data && q.state.data.status !== "running" ? false : pollMs(q.state.dataUpdateCount)),
  });
  const status = (running && polled.data ? polled.data : asked.data) as S | undefined;
  return {
    status,
    error: asked.error ?? polled.error,
    loading: request !== null && (asked.isFetching || status?.status === "running"),
    retry: () => void qc.invalidateQueries({ queryKey }),
  };
}
