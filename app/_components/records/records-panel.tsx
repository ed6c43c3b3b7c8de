"use client";
import { lazy, Suspense } from "react";
import type { ExplorerView } from "@/app/_components/explorer/slots";
import { useRecords } from "./records-context";

// its own chunk: the panel shows after the explorer's first window, so its code loads then too
const TeamPanel = lazy(() => import("./team-panel"));

function Loading() {
  return (
    <aside className="collab-panel" aria-label="Team: hypotheses, labels and comments" aria-busy="true" data-testid="collab-panel">
      <p className="muted collab-body">Loading the team’s hypotheses, labels and comments…</p>
    </aside>
  );
}

/** The team panel beside the Select view: saved hypotheses, labels and comment threads. */
export function RecordsPanel({ view }: { view: ExplorerView }) {
  const c = useRecords();
  if (!c.ready) return <Loading />;
  return (
    <Suspense fallback={<Loading />}>
      <TeamPanel view={view} />
    </Suspense>
  );
}
