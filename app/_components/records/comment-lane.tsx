"use client";
import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { assignLanes, visibleSpans } from "@statescope/collab";
import type { StripGeometry } from "@/app/_components/explorer/slots";
import { GUTTER } from "@/app/_components/explorer/layout";
import { useTRPC } from "@/app/_lib/trpc";
import { useRecords } from "./records-context";

const ROW = 9;

/**
 * Comment markers right above the token strip: one bar per thread anchored to a token range,
 * over the steps it covers (overlapping threads stack), with a bubble holding its comment count at
 * its start. Click (or Enter) opens the thread. Resolved threads stay, faint.
 */
export function CommentLane({ g }: { g: StripGeometry }) {
  const c = useRecords();
  const trpc = useTRPC();
  const threads = useQuery({ ...trpc.comment.threads.queryOptions({ workspace: c.workspace, datasetId: c.datasetId }), enabled: c.ready });
  const spans = useMemo(() => {
    const anchored = (threads.data ?? []).flatMap((t) => (t.start !== null && t.end !== null && !t.hypothesisId ? [{ ...t, start: t.start, end: t.end }] : []));
    return visibleSpans(anchored, g.origin, g.origin + g.steps);
  }, [threads.data, g.origin, g.steps]);
  const lanes = useMemo(() => assignLanes(spans), [spans]);
  const rows = Math.max(1, ...lanes.map((l) => l + 1));
  const height = rows * (ROW + 3) + 3;
  return (
    <svg width={g.width} height={height} className="comment-lane" data-testid="comment-lane" role="group" aria-label="Comment threads on these steps">
      <text x={GUTTER - 8} y={height / 2} dy="0.32em" textAnchor="end" className="lane-label small">comments</text>
      {spans.map(({ item: t, a, b }, i) => {
        const x = GUTTER + a * g.zoom;
        const w = Math.max(4, (b - a) * g.zoom - 1);
        const y = 2 + lanes[i]! * (ROW + 3);
        const open = c.threadId === t.id;
        const label = `${t.commentCount} comment${t.commentCount === 1 ? "" : "s"} on steps ${t.start}–${t.end - 1}${t.resolvedAt ? " (resolved)" : ""}: ${t.first && !t.first.deletedAt ? t.first.body.slice(0, 80) : ""}`;
        return (
          <g
            key={t.id}
            className={`comment-marker${t.resolvedAt ? " resolved" : ""}${open ? " open" : ""}`}
            data-testid="comment-marker"
            data-thread={t.id}
            data-from={t.start}
            data-to={t.end}
            transform={`translate(${x},${y})`}
            role="button"
            tabIndex={0}
            aria-label={label}
            onClick={() => c.openThread(t.id)}
            onKeyDown={(e) => {
              if (e.key === "Enter" || e.key === " ") {
                e.preventDefault();
                c.openThread(t.id);
              }
            }}
          >
            <rect width={w} height={ROW} rx={ROW / 2} className="marker-bar" />
            <g transform={`translate(${ROW / 2},${ROW / 2})`}>
              <circle r={ROW / 2 + 1.5} className="marker-bubble" />
              <text dy="0.34em" textAnchor="middle" className="marker-count">{t.commentCount > 9 ? "9+" : t.commentCount}</text>
            </g>
            <title>{label}</title>
          </g>
        );
      })}
    </svg>
  );
}
