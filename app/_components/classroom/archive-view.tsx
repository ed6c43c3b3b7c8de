"use client";
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { countOnPerStep, valueDomain, type StateMatrix } from "@statescope/core";
import type { SharedView } from "@statescope/collab";
import { ActivationRanges } from "@/app/_components/explorer/activation-ranges";
import { PLOT_H, plotWidth } from "@/app/_components/explorer/layout";
import { LinePlot } from "@/app/_components/explorer/line-plot";
import { TokenStrip } from "@/app/_components/explorer/token-strip";
import { useElementWidth } from "@/app/_components/explorer/use-element-width";
import { describeView, queryOf } from "@/app/_components/room/presence";
import { errorMessage, useTRPC } from "@/app/_lib/trpc";
import type { Archive, ArchiveFrame } from "@/server/services/classroom/archive";
import { AggregateView } from "./tasks";
import "@/app/_components/explorer/explorer.css";

/** A replayed step advances this often. */
const PLAY_MS = 1500;

/**
 * A class's archive: the presenter's timeline, each step drawn as the class saw it (the explorer's
 * line plot, token strip and activation ranges, read-only) from the window that step showed;
 * stepped with ←/→ (Home/End), the slider or the buttons, or played; the questions with what
 * the class answered.
 */
export function ArchiveView({ archive, token }: { archive: Archive; token: string }) {
  const [i, setI] = useState(0);
  const [playing, setPlaying] = useState(false);
  const n = archive.steps.length;
  const go = (to: number) => setI(Math.max(0, Math.min(n - 1, to)));
  useEffect(() => {
    if (!playing) return;
    const t = setInterval(() => setI((x) => Math.min(x + 1, n - 1)), PLAY_MS);
    return () => clearInterval(t);
  }, [playing, n]);
  // the replay stops on the last step (and the button offers to replay it)
  useEffect(() => {
    if (playing && i >= n - 1) setPlaying(false);
  }, [playing, i, n]);
  const togglePlay = () => {
    if (playing) return setPlaying(false);
    if (i === n - 1) setI(0);
    setPlaying(true);
  };
  // ←/→ step through from anywhere on the page (the slider and text fields keep their own keys)
  useEffect(() => {
    if (n === 0) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
      const to = e.key === "ArrowLeft" ? i - 1 : e.key === "ArrowRight" ? i + 1 : e.key === "Home" ? 0 : e.key === "End" ? n - 1 : null;
      if (to === null) return;
      e.preventDefault();
      setPlaying(false);
      go(to);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  });
  const step = archive.steps[i];
  const date = (d: Date) => d.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
  return (
    <div className="class-archive" data-testid="class-archive">
      <div className="card">
        <h1>{archive.title}</h1>
        <p className="muted">
          {archive.datasetName} · {date(archive.startedAt)}
          {archive.endedAt ? ` – ${date(archive.endedAt)}` : " · still running"} · {archive.students} {archive.students === 1 ? "student" : "students"}
        </p>
        {archive.endedAt ? (
          <a href={`/c/a/${token}/answers.csv`} download data-testid="archive-csv">
            Download all answers (CSV)
          </a>
        ) : (
          <p className="muted">The answers can be downloaded here once the class has ended.</p>
        )}
      </div>
      <div className="card">
        <h2>The presenter&apos;s steps</h2>
        {n === 0 || !step ? (
          <p className="muted" data-testid="archive-no-steps">
            No steps were recorded: a step is recorded each time the presenter stays on a view for a moment.
          </p>
        ) : (
          <>
            <div className="class-replay" role="group" aria-label="Replay the presenter's steps">
              <button type="button" className="small secondary" onClick={() => (setPlaying(false), go(i - 1))} disabled={i === 0} aria-label="Previous step (←)" data-testid="archive-prev">
                ‹
              </button>
              <input
                type="range"
                min={0}
                max={n - 1}
                value={i}
                onChange={(e) => (setPlaying(false), go(Number(e.target.value)))}
                aria-label="Step"
                aria-valuetext={`step ${i + 1} of ${n}`}
                data-testid="archive-slider"
              />
              <button type="button" className="small secondary" onClick={() => (setPlaying(false), go(i + 1))} disabled={i === n - 1} aria-label="Next step (→)" data-testid="archive-next">
                ›
              </button>
              <button type="button" className="small" onClick={togglePlay} aria-pressed={playing} data-testid="archive-play">
                {playing ? "Pause" : i === n - 1 && n > 1 ? "Replay" : "Play"}
              </button>
              <span className="muted" data-testid="archive-step" aria-live="polite">
                step {i + 1} of {n}
              </span>
            </div>
            <p className="class-step" data-testid="archive-step-view">
              <strong>{step.by}</strong> {describeView(step.view)} · threshold {step.view.threshold} · {cellsText(step.view.cells)} <span className="muted">({date(step.at)})</span>{" "}
              <a href={`/w/${archive.workspace}/datasets/${archive.datasetId}/explore?${queryOf(step.view)}`}>open in the explorer</a>{" "}
              <span className="muted">(members of the workspace)</span>
            </p>
            <StepFrame token={token} index={i} steps={archive.steps} />
            <p className="muted hint">← → step through the timeline · Home / End jump to the first or last step</p>
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

function cellsText(cells: readonly number[]): string {
  if (cells.length === 0) return "no cells selected";
  const head = cells.slice(0, 10).join(", ");
  return `cells ${head}${cells.length > 10 ? ` and ${cells.length - 10} more` : ""}`;
}

/** Pixels per step at least (fewer steps are drawn on a narrow screen, around the brush) and at most. */
const MIN_ZOOM = 14;
const MAX_ZOOM = 30;
const none = () => undefined;

function decode(f: ArchiveFrame): StateMatrix {
  const bin = atob(f.states.data);
  const bytes = new Uint8Array(bin.length);
  for (let k = 0; k < bin.length; k++) bytes[k] = bin.charCodeAt(k);
  return { data: new Float32Array(bytes.buffer), steps: f.states.to - f.states.from, cells: f.states.cellCount };
}

/** One step as the class saw it: the window it showed, its cells highlighted, its brush and threshold. */
function StepFrame({ token, index, steps }: { token: string; index: number; steps: Archive["steps"] }) {
  const count = steps.length;
  const trpc = useTRPC();
  const qc = useQueryClient();
  const frame = useQuery({ ...trpc.classroom.archiveFrame.queryOptions({ token, step: index }), staleTime: Infinity, retry: 1, placeholderData: keepPreviousData });
  // the next step is read while this one is watched: stepping on draws at once
  useEffect(() => {
    if (index + 1 < count) void qc.prefetchQuery({ ...trpc.classroom.archiveFrame.queryOptions({ token, step: index + 1 }), staleTime: Infinity });
  }, [qc, trpc, token, index, count]);
  const [ref, width] = useElementWidth<HTMLDivElement>(900);
  const [hovered, setHovered] = useState<number | null>(null);
  const f = frame.data;
  const matrix = useMemo(() => (f ? decode(f) : null), [f]);
  const current = f?.step === index;
  // while the next step loads, the last one stays drawn (dimmed) with its own view
  const view: SharedView | undefined = f ? steps[f.step]?.view : undefined;
  const geo = useMemo(() => {
    if (!f || !matrix || !view) return null;
    const pw = Math.max(60, plotWidth(width));
    const total = matrix.steps;
    const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, pw / total));
    const shown = Math.max(1, Math.min(total, Math.floor(pw / zoom)));
    const from = f.states.from;
    // a narrow screen shows part of the window: the part around the brush, else its start
    let start = Math.max(0, view.position - from);
    if (view.brush) start = view.brush[0] - from - Math.max(0, Math.floor((shown - (view.brush[1] - view.brush[0])) / 2));
    start = Math.max(0, Math.min(start, total - shown));
    const { cells } = matrix;
    const win: StateMatrix = { data: matrix.data.subarray(start * cells, (start + shown) * cells), steps: shown, cells };
    const origin = from + start;
    const transform = f.states.transform;
    const domain = transform === "tanh" ? valueDomain(Math.tanh(f.min), Math.tanh(f.max)) : valueDomain(f.min, f.max);
    const selected = view.cells.filter((c) => c < cells);
    return { win, origin, zoom, shown, domain, transform, selected, tokens: f.tokens.slice(start, start + shown), counts: countOnPerStep(win, selected, view.threshold, transform) };
  }, [f, matrix, width, view]);
  const brush: [number, number] | null = geo && view?.brush ? [view.brush[0] - geo.origin, view.brush[1] - geo.origin] : null;
  return (
    <div
      ref={ref}
      className={`class-frame explorer select-view read-only${current ? "" : " stale"}`}
      data-testid="archive-frame"
      data-step={current ? index : ""}
      data-from={geo?.origin ?? ""}
      data-steps={geo?.shown ?? ""}
      aria-busy={!current}
    >
      {frame.error && !f ? (
        <p className="error" role="alert" data-testid="archive-frame-error">
          Step {index + 1} cannot be drawn: {errorMessage(frame.error)}
        </p>
      ) : geo && view ? (
        <>
          <LinePlot
            window={geo.win}
            transform={geo.transform}
            domain={geo.domain}
            zoom={geo.zoom}
            width={width}
            height={PLOT_H}
            selected={geo.selected}
            hovered={hovered}
            onHover={setHovered}
            threshold={view.threshold}
            onThreshold={none}
            brush={brush}
            pad={view.padding}
            onBackgroundClick={none}
            label={view.source}
          />
          <TokenStrip tokens={geo.tokens} origin={geo.origin} counts={geo.counts} k={geo.selected.length} zoom={geo.zoom} width={width} brush={brush} pad={view.padding} marks={[]} onBrush={none} onPad={none} />
          <ActivationRanges window={geo.win} transform={geo.transform} threshold={view.threshold} cells={geo.selected} zoom={geo.zoom} width={width} hovered={hovered} onHover={setHovered} />
        </>
      ) : (
        <div className="plot-loading" style={{ height: PLOT_H }}>
          drawing step {index + 1}…
        </div>
      )}
    </div>
  );
}
