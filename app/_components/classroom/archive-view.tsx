"use client";
import { useEffect, useState } from "react";
import { describeView, queryOf } from "@/app/_components/room/presence";
import type { Archive } from "@/server/services/classroom/archive";
import { AggregateView } from "./tasks";

/**
 * A class's archive: the presenter's timeline, replayable step by step (or played), each step
 * opening in the explorer for members of the workspace; the questions with what the class answered.
 */
export function ArchiveView({ archive, token }: { archive: Archive; token: string }) {
  const [i, setI] = useState(0);
  const [playing, setPlaying] = useState(false);
  const n = archive.steps.length;
  useEffect(() => {
    if (!playing) return;
    const t = setInterval(() => setI((x) => (x + 1 < n ? x + 1 : (setPlaying(false), x))), 1200);
    return () => clearInterval(t);
  }, [playing, n]);
  const step = archive.steps[i];
  const date = (d: Date) => d.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
  return (
    <div className="class-archive" data-testid="class-archive">
      <div className="card">
        <h1>{archive.title}</h1>
        <p className="muted">
          {archive.datasetName} · {date(archive.startedAt)}
          {archive.endedAt ? ` – ${date(archive.endedAt)}` : " · still running"} · {archive.students} students
        </p>
        {archive.endedAt && (
          <a href={`/c/a/${token}/answers.csv`} download data-testid="archive-csv">
            Download all answers (CSV)
          </a>
        )}
      </div>
      <div className="card">
        <h2>The presenter&apos;s steps</h2>
        {n === 0 ? (
          <p className="muted">No steps were recorded.</p>
        ) : (
          <>
            <div className="class-replay">
              <button type="button" className="small secondary" onClick={() => setI(Math.max(0, i - 1))} disabled={i === 0} aria-label="Previous step">
                ‹
              </button>
              <input type="range" min={0} max={n - 1} value={i} onChange={(e) => setI(Number(e.target.value))} aria-label="Step" data-testid="archive-slider" />
              <button type="button" className="small secondary" onClick={() => setI(Math.min(n - 1, i + 1))} disabled={i === n - 1} aria-label="Next step" data-testid="archive-next">
                ›
              </button>
              <button type="button" className="small" onClick={() => (i === n - 1 ? (setI(0), setPlaying(true)) : setPlaying(!playing))} data-testid="archive-play">
                {playing ? "Pause" : "Replay"}
              </button>
              <span className="muted" data-testid="archive-step">
                step {i + 1} of {n}
              </span>
            </div>
            {step && (
              <p className="class-step" data-testid="archive-step-view">
                <strong>{step.by}</strong> {describeView(step.view)} · threshold {step.view.threshold} · cells {step.view.cells.slice(0, 10).join(", ") || "none"}{" "}
                <span className="muted">({date(step.at)})</span>{" "}
                <a href={`/w/${archive.workspace}/datasets/${archive.datasetId}/explore?${queryOf(step.view)}`}>open in the explorer</a>{" "}
                <span className="muted">(members of the workspace)</span>
              </p>
            )}
          </>
        )}
      </div>
      <div className="card">
        <h2>Questions and polls</h2>
        {archive.tasks.length === 0 && <p className="muted">{archive.endedAt ? "No questions were asked." : "Results appear here once the instructor shows them."}</p>}
        {archive.tasks.map((t) => (
          <div key={t.id} className="class-task-card" data-testid="archive-task">
            <strong>{t.prompt}</strong> <span className="muted">{t.aggregate.answers} answers</span>
            <AggregateView task={{ ...t, closesAt: null, revealed: true, mine: null, answers: [], students: archive.students, aggregate: t.aggregate }} agg={t.aggregate} />
          </div>
        ))}
      </div>
    </div>
  );
}
