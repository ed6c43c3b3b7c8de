"use client";
import { useState, type ReactNode } from "react";
import { errorMessage } from "@/app/_lib/trpc";
import type { AnalysisStatus } from "@/server/services/analysis/schemas";

/** Progress of a running analysis, its failure (with a retry), or nothing once it is done. */
export function AnalysisProgress({ status, error, retry, what }: { status: AnalysisStatus | undefined; error: unknown; retry: () => void; what: string }) {
  if (error) {
    return (
      <div className="error" role="alert" data-testid="analysis-error">
        {what} failed: {errorMessage(error)}{" "}
        <button type="button" className="linkish" onClick={retry}>
          try again
        </button>
      </div>
    );
  }
  if (!status) return null;
  if (status.status === "failed") {
    return (
      <div className="error" role="alert" data-testid="analysis-error">
        {what} failed: {status.error ?? "no reason recorded"}{" "}
        <button type="button" className="linkish" onClick={retry}>
          run it again
        </button>
      </div>
    );
  }
  if (status.status === "running") {
    return (
      <div className="analysis-progress" role="status" data-testid="analysis-progress">
        <progress max={100} value={status.percent > 0 ? status.percent : undefined} aria-label={`${what} progress`} />
        <span className="muted">
          {status.phase === "queued" ? "waiting for a worker…" : status.phase} {status.percent > 0 ? `${Math.floor(status.percent)}%` : ""}
        </span>
      </div>
    );
  }
  return null;
}

/** A "?" that shows a definition box: the numbers' definitions live next to them. */
export function Help({ children, label = "How these numbers are defined" }: { children: ReactNode; label?: string }) {
  const [open, setOpen] = useState(false);
  return (
    <span className="analysis-help">
      <button type="button" className="help-toggle" aria-expanded={open} aria-label={label} title={label} onClick={() => setOpen((o) => !o)}>
        ?
      </button>
      {open && (
        <div className="help-box" role="note">
          {children}
        </div>
      )}
    </span>
  );
}

/**
 * Small overlaid histograms on shared bins: one translucent series per row of `counts`, each
 * normalised to its own total (so a rare label's shape is visible next to a common one).
 */
export function MiniHistogram({ counts, colors, width = 120, height = 28, marker, domain, title }: {
  counts: readonly (readonly number[])[];
  colors: readonly string[];
  width?: number;
  height?: number;
  /** A value to mark (e.g. the threshold), within `domain`. */
  marker?: number;
  domain?: [number, number];
  title?: string;
}) {
  const bins = counts[0]?.length ?? 0;
  const w = bins > 0 ? width / bins : width;
  return (
    <svg width={width} height={height} className="mini-hist" role="img" aria-label={title}>
      {title && <title>{title}</title>}
      {counts.map((row, i) => {
        const total = row.reduce((a, b) => a + b, 0) || 1;
        const max = Math.max(...row.map((c) => c / total), 1e-9);
        return (
          <g key={i} fill={colors[i % colors.length]} opacity={counts.length > 1 ? 0.55 : 0.85}>
            {row.map((c, b) => {
              const h = ((c / total) / max) * (height - 2);
              return c > 0 ? <rect key={b} x={b * w} y={height - h} width={Math.max(1, w - 0.5)} height={h} /> : null;
            })}
          </g>
        );
      })}
      {marker !== undefined && domain && marker >= domain[0] && marker <= domain[1] && (
        <line x1={((marker - domain[0]) / (domain[1] - domain[0])) * width} x2={((marker - domain[0]) / (domain[1] - domain[0])) * width} y1={0} y2={height} className="mini-marker" />
      )}
    </svg>
  );
}

/** A number with a fixed number of decimals, or "–" when undefined. */
export function fmt(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits);
}

/** Triggers a download of `text` as a file. */
export function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
