"use client";
import { useQuery } from "@tanstack/react-query";
import { useRef, type KeyboardEvent } from "react";
import type { ExplorerView } from "@/app/_components/explorer/slots";
import { useTRPC } from "@/app/_lib/trpc";
import { AnnotationsPanel } from "./annotations-panel";
import { useRecords, type RecordsTab } from "./records-context";
import { CommentsPanel } from "./comments-panel";
import { HypothesesPanel } from "./hypotheses-panel";

const TABS: { id: RecordsTab; label: string }[] = [
  { id: "hypotheses", label: "Hypotheses" },
  { id: "annotations", label: "Labels" },
  { id: "comments", label: "Comments" },
];

/** The team panel's tabs: saved hypotheses, labels and comment threads (loaded by records-panel.tsx). */
export default function TeamPanel({ view }: { view: ExplorerView }) {
  const c = useRecords();
  const trpc = useTRPC();
  const hyps = useQuery(trpc.hypothesis.list.queryOptions({ workspace: c.workspace, datasetId: c.datasetId }));
  const threads = useQuery(trpc.comment.threads.queryOptions({ workspace: c.workspace, datasetId: c.datasetId }));
  const labels = useQuery(trpc.annotation.list.queryOptions({ workspace: c.workspace, datasetId: c.datasetId }));
  const count: Record<RecordsTab, number | undefined> = {
    hypotheses: hyps.data?.length,
    annotations: labels.data?.annotations.length,
    comments: threads.data?.filter((t) => !t.resolvedAt).length,
  };
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);
  const onKey = (e: KeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === c.tab);
    const d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (!d) return;
    e.preventDefault();
    e.stopPropagation(); // ←/→ also move the explorer's window

    const j = (i + d + TABS.length) % TABS.length;
    c.setTab(TABS[j]!.id);
    tabRefs.current[j]?.focus();
  };
  return (
    <aside className="collab-panel" aria-label="Team: hypotheses, labels and comments" data-testid="collab-panel">
      <div className="collab-tabs" role="tablist" aria-label="Team records" onKeyDown={onKey}>
        {TABS.map((t, i) => (
          <button
            key={t.id}
            ref={(el) => {
              tabRefs.current[i] = el;
            }}
            type="button"
            role="tab"
            id={`collab-tab-${t.id}`}
            aria-selected={c.tab === t.id}
            aria-controls="collab-tabpanel"
            tabIndex={c.tab === t.id ? 0 : -1}
            className={c.tab === t.id ? "on" : ""}
            onClick={() => c.setTab(t.id)}
            data-testid={`collab-tab-${t.id}`}
          >
            {t.label}
            {count[t.id] !== undefined && count[t.id]! > 0 && <span className="count">{count[t.id]}</span>}
          </button>
        ))}
      </div>
      {c.role === "VIEWER" && (
        <p className="readonly-banner" data-testid="readonly-banner">
          You are a <strong>viewer</strong>: you see the team’s work live and can comment, but not change hypotheses or labels.
        </p>
      )}
      <div id="collab-tabpanel" role="tabpanel" aria-labelledby={`collab-tab-${c.tab}`} className="collab-body">
        {c.tab === "hypotheses" && <HypothesesPanel view={view} />}
        {c.tab === "annotations" && <AnnotationsPanel view={view} />}
        {c.tab === "comments" && <CommentsPanel view={view} />}
      </div>
    </aside>
  );
}
