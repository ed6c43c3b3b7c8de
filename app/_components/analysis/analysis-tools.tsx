"use client";
import { useState } from "react";
import type { ExplorerView } from "@/app/_components/explorer/slots";
import { CellSearch } from "./cell-search";
import { CompareLayers } from "./compare-layers";
import { ThresholdGuide } from "./threshold-guide";

type Tab = "cells" | "threshold" | "compare";
const TABS: { id: Tab; label: string }[] = [
  { id: "cells", label: "Cell search" },
  { id: "threshold", label: "Threshold guidance" },
  { id: "compare", label: "Compare layers" },
];

/** The analysis tools between the Select and Match views (issue 16): one open at a time, closed at first. */
export function AnalysisTools({ workspace, datasetId, view }: { workspace: string; datasetId: string; view: ExplorerView }) {
  const [tab, setTab] = useState<Tab | null>(null);
  return (
    <section className="analysis-tools" data-testid="analysis-tools" aria-label="Analysis">
      <div className="analysis-tabs" role="tablist">
        <h2>Analysis</h2>
        {TABS.map((t) => (
          <button key={t.id} type="button" role="tab" aria-selected={tab === t.id} className={`tab${tab === t.id ? " on" : ""}`} onClick={() => setTab(tab === t.id ? null : t.id)} data-testid={`analysis-tab-${t.id}`}>
            {t.label}
          </button>
        ))}
        {tab === null && <span className="muted">which cells go with a track, which threshold separates your brush, which cells two layers share</span>}
      </div>
      {tab === "cells" && <CellSearch workspace={workspace} datasetId={datasetId} view={view} />}
      {tab === "threshold" && <ThresholdGuide workspace={workspace} datasetId={datasetId} view={view} />}
      {tab === "compare" && <CompareLayers workspace={workspace} datasetId={datasetId} view={view} />}
    </section>
  );
}
