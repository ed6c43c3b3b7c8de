"use client";
import { useState, type ReactNode } from "react";
import { MAX_ZOOM, MIN_ZOOM, windowStartFor, type ExplorerViewState } from "@statescope/core";
import type { DatasetInfo } from "./data-source";
import type { Update } from "./slots";

/**
 * The explorer's first toolbar: move by a step or a window, jump to a step (which stays marked,
 * `onTarget`), zoom and padding; `children` (the search field) goes at its end.
 */
export function NavigationBar({
  info,
  state,
  update,
  visible,
  onTarget,
  children,
}: {
  info: DatasetInfo;
  state: ExplorerViewState;
  update: Update;
  visible: number;
  onTarget: (step: number) => void;
  children?: ReactNode;
}) {
  const [jump, setJump] = useState("");
  const go = (pos: number) => update((s) => ({ ...s, pos: Math.max(0, Math.min(info.steps - 1, pos)) }));
  const page = Math.max(1, visible - 3);
  const setPad = (side: 0 | 1, v: string) =>
    update((s) => {
      const pad: [number, number] = [...s.pad];
      pad[side] = Math.max(0, Math.min(20, Number(v) || 0));
      return { ...s, pad };
    });
  return (
    <div className="toolbar" role="toolbar" aria-label="Navigation">
      <div className="group">
        <button type="button" className="secondary small" onClick={() => go(state.pos - page)} aria-label="Back one window">«</button>
        <button type="button" className="secondary small" onClick={() => go(state.pos - 1)} aria-label="Back one step">‹</button>
        <button type="button" className="secondary small" onClick={() => go(state.pos + 1)} aria-label="Forward one step">›</button>
        <button type="button" className="secondary small" onClick={() => go(state.pos + page)} aria-label="Forward one window">»</button>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            const v = Number(jump);
            if (jump.trim() === "" || !Number.isInteger(v)) return;
            const t = Math.max(0, Math.min(info.steps - 1, v));
            onTarget(t);
            go(windowStartFor(t));
          }}
        >
          <input aria-label="Jump to position" placeholder={`step (0–${info.steps - 1})`} value={jump} onChange={(e) => setJump(e.target.value)} className="w-num" />
          <button type="submit" className="secondary small">Go</button>
        </form>
        <span className="muted pos-label" data-testid="window-label">
          steps {state.pos}–{state.pos + visible - 1} of {info.steps.toLocaleString()}
        </span>
      </div>
      <div className="group">
        <label className="inline">
          zoom
          <input
            type="range"
            min={MIN_ZOOM}
            max={MAX_ZOOM}
            value={state.zoom}
            aria-label="Zoom (pixels per step)"
            onChange={(e) => update((s) => ({ ...s, zoom: Number(e.target.value) }))}
          />
          <span className="mono">{state.zoom}px</span>
        </label>
        <label className="inline">
          pad
          <input type="number" min={0} max={20} className="w-small" aria-label="Padding left" value={state.pad[0]} onChange={(e) => setPad(0, e.target.value)} />
          <input type="number" min={0} max={20} className="w-small" aria-label="Padding right" value={state.pad[1]} onChange={(e) => setPad(1, e.target.value)} />
        </label>
      </div>
      {children}
    </div>
  );
}
