"use client";
import { lazy, Suspense } from "react";
import type { ExplorerView } from "@/app/_components/explorer/explorer";
import { useCollab } from "./collab-context";

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
export function CollabPanel({ view }: { view: ExplorerView }) {
  const c = useCollab();
  if (!c.ready) return <Loading />;
  return (
    <Suspense fallback={<Loading />}>
      <TeamPanel view={view} />
    </Suspense>
  );
}
