"use client";
import { useMemo, useState } from "react";
import {
  applyManualEdits,
  countOnPerStep,
  selectCells,
  valueDomain,
  type ExplorerViewState,
  type LayerState,
  type StateMatrix,
} from "@statescope/core";
import { ActivationRanges } from "./activation-ranges";
import { CellList } from "./cell-list";
import type { DatasetInfo, SourceInfo, TrackInfo, TrackWindow } from "./data-source";
import { PLOT_H, visibleSteps } from "./layout";
import { LinePlot } from "./line-plot";
import { MetaTracks } from "./meta-tracks";
import type { ExplorerSlots, Update } from "./slots";
import { TokenStrip } from "./token-strip";

/** Steps [origin, origin + matrix.steps) of one source, raw values. */
export interface LoadedWindow {
  matrix: StateMatrix;
  origin: number;
}

/** The view of `w` restricted to global steps [from, to) without copying (subarray). */
export function sliceWindow(w: LoadedWindow, from: number, to: number): StateMatrix | null {
  const a = from - w.origin;
  const b = to - w.origin;
  if (a < 0 || b > w.matrix.steps || b < a) return null;
  const { cells } = w.matrix;
  return { data: w.matrix.data.subarray(a * cells, b * cells), steps: b - a, cells };
}

/**
 * The cells each layer selects: the matching.md rule over the brush (in the browser, with the same
 * `selectCells` the worker uses), then the hand edits; or the pinned cells of a link. `sources`
 * lists windows that cover the brush plus its padding (clipped to the data).
 */
export function computeSelection(layer: LayerState, source: SourceInfo | undefined, state: ExplorerViewState, w: LoadedWindow | undefined): number[] | null {
  if (!source) return null;
  if (layer.pinned) return applyManualEdits(layer.pinned, layer.add, layer.exclude, source.cells);
  if (!state.brush) return applyManualEdits([], layer.add, layer.exclude, source.cells);
  if (!w) return null;
  const [b0, b1] = state.brush;
  const lo = Math.max(0, b0 - state.pad[0]);
  const hi = Math.min(source.steps, b1 + state.pad[1]);
  const m = sliceWindow(w, lo, hi);
  if (!m) return null;
  const brushed = selectCells(m, [b0 - lo, b1 - lo], layer.threshold, state.pad, source.transform);
  return applyManualEdits(brushed, layer.add, layer.exclude, source.cells);
}

export function useSelections(info: DatasetInfo | undefined, state: ExplorerViewState, windows: readonly (LoadedWindow | undefined)[]): (number[] | null)[] {
  return useMemo(
    () => state.layers.map((l, i) => computeSelection(l, info?.sources.find((s) => s.name === l.source), state, windows[i])),
    [info, state, windows],
  );
}

export interface SelectViewProps {
  info: DatasetInfo;
  state: ExplorerViewState;
  update: Update;
  width: number;
  /** Tokens of the visible steps, from state.pos. */
  tokens: readonly string[];
  /** Per layer: a loaded window that covers the visible steps (or undefined while loading). */
  windows: readonly (LoadedWindow | undefined)[];
  selections: readonly (number[] | null)[];
  tracks: readonly { info: TrackInfo; data: TrackWindow | undefined }[];
  marks: readonly [number, number][];
  /** Add-ons: a lane right above the token strip, a layer over each line plot. */
  stripLane?: ExplorerSlots["stripLane"];
  plotOverlay?: ExplorerSlots["plotOverlay"];
}

function setLayer(update: Update, i: number, f: (l: LayerState) => LayerState) {
  update((s) => ({ ...s, layers: s.layers.map((l, j) => (j === i ? f(l) : l)) }));
}

/** The Select view: stacked line plots (one per layer), the shared token strip and brush, tracks, ranges and cell lists. */
export function SelectView(p: SelectViewProps) {
  const { info, state, update, width } = p;
  // the hovered cell is emphasised in its plot, its cell list and its activation ranges
  const [hovered, setHovered] = useState<{ layer: number; cell: number } | null>(null);
  const n = visibleSteps(width, state.zoom, state.pos, info.steps);
  const from = state.pos;
  const to = from + n;
  const brushLocal: [number, number] | null = state.brush ? [state.brush[0] - from, state.brush[1] - from] : null;
  const active = Math.min(state.match.layer, state.layers.length - 1);

  const visible = useMemo(() => p.windows.map((w) => (w ? sliceWindow(w, from, to) : null)), [p.windows, from, to]);
  const counts = useMemo(
    () =>
      state.layers.map((l, i) => {
        const v = visible[i];
        const sel = p.selections[i];
        const src = info.sources.find((s) => s.name === l.source);
        return v && sel && src ? countOnPerStep(v, sel, l.threshold, src.transform) : null;
      }),
    [state.layers, visible, p.selections, info.sources],
  );
  const activeSel = p.selections[active] ?? [];
  // one stable domain per source: a new array would redraw the 650 faint lines on every threshold change
  const sourceKey = state.layers.map((l) => l.source).join("\n");
  const domains = useMemo(
    () =>
      state.layers.map((l): [number, number] => {
        const src = info.sources.find((s) => s.name === l.source);
        if (!src) return [0, 1];
        return src.transform === "tanh" ? valueDomain(Math.tanh(src.min), Math.tanh(src.max)) : valueDomain(src.min, src.max);
      }),
    [sourceKey, info.sources],
  );

  return (
    <div className="select-view" data-testid="select-view">
      {state.layers.map((layer, i) => {
        const src = info.sources.find((s) => s.name === layer.source);
        const v = visible[i];
        const sel = p.selections[i];
        const domain = domains[i] ?? ([0, 1] as [number, number]);
        return (
          <div key={i} className={`layer${i === active ? " active" : ""}`} data-testid={`layer-${i}`}>
            <div className="layer-head">
              <select
                aria-label={`Source of layer ${i + 1}`}
                value={layer.source}
                onChange={(e) => setLayer(update, i, (l) => ({ ...l, source: e.target.value, add: [], exclude: [], pinned: null }))}
              >
                {info.sources.map((s) => (
                  <option key={s.name} value={s.name}>
                    {s.name} ({s.cells} cells)
                  </option>
                ))}
              </select>
              <label className="inline">
                threshold
                <input
                  type="number"
                  step={0.001}
                  aria-label={`Threshold of layer ${i + 1}`}
                  data-testid={`threshold-input-${i}`}
                  value={layer.threshold.toFixed(3)}
                  onChange={(e) => {
                    const v = Number(e.target.value);
                    if (e.target.value !== "" && Number.isFinite(v)) {
                      performance.mark("statescope:threshold-input");
                      setLayer(update, i, (l) => ({ ...l, threshold: Math.round(v * 1000) / 1000 }));
                    }
                  }}
                />
              </label>
              {state.layers.length > 1 && (
                <label className="inline radio">
                  <input type="radio" name="match-layer" checked={i === active} onChange={() => update((s) => ({ ...s, match: { ...s.match, layer: i } }))} />
                  match on this layer
                </label>
              )}
              <span className="spacer" />
              {state.layers.length > 1 && (
                <button
                  type="button"
                  className="ghost small"
                  aria-label={`Remove layer ${i + 1}`}
                  onClick={() => update((s) => ({ ...s, layers: s.layers.filter((_, j) => j !== i), match: { ...s.match, layer: 0 } }))}
                >
                  remove
                </button>
              )}
            </div>
            {v && src && p.plotOverlay?.({ source: layer.source, from, steps: n, zoom: state.zoom, width, height: PLOT_H, domain, transform: src.transform, window: v })}
            {v && src ? (
              <LinePlot
                window={v}
                transform={src.transform}
                domain={domain}
                zoom={state.zoom}
                width={width}
                height={PLOT_H}
                selected={sel ?? []}
                hovered={hovered?.layer === i ? hovered.cell : null}
                onHover={(c) => setHovered(c === null ? null : { layer: i, cell: c })}
                threshold={layer.threshold}
                onThreshold={(x) => setLayer(update, i, (l) => ({ ...l, threshold: x }))}
                brush={brushLocal}
                pad={state.pad}
                onBackgroundClick={() => update((s) => ({ ...s, brush: null }))}
                label={layer.source}
              />
            ) : (
              <div className="plot-loading" style={{ height: PLOT_H }}>
                {src ? `loading ${layer.source}, steps ${from}–${to}…` : `this dataset has no source “${layer.source}”; pick one above`}
              </div>
            )}
          </div>
        );
      })}

      {p.stripLane?.({ origin: from, steps: n, zoom: state.zoom, width })}
      <TokenStrip
        tokens={p.tokens}
        origin={from}
        counts={counts[active] ?? null}
        k={activeSel.length}
        zoom={state.zoom}
        width={width}
        brush={brushLocal}
        pad={state.pad}
        marks={p.marks}
        onBrush={(r) =>
          update((s) => ({
            ...s,
            brush: r ? [r[0] + from, r[1] + from] : null,
            layers: s.layers.map((l) => (l.pinned ? { ...l, pinned: null, add: [], exclude: [] } : l)),
          }))
        }
        onPad={(pad) => update((s) => ({ ...s, pad }))}
      />
      <MetaTracks tracks={p.tracks} origin={from} steps={n} zoom={state.zoom} width={width} counts={state.mask ? (counts[active] ?? null) : null} k={activeSel.length} mask={state.mask} />

      {state.layers.map((layer, i) => {
        const src = info.sources.find((s) => s.name === layer.source);
        const v = visible[i];
        const sel = p.selections[i];
        if (!src) return null;
        return (
          <div key={i} className="layer-cells" data-testid={`layer-cells-${i}`}>
            <div className="layer-cells-head">
              <strong>{state.layers.length > 1 ? `Layer ${i + 1} · ` : ""}selected cells</strong>
              {!state.brush && !layer.pinned && layer.add.length === 0 && (
                <span className="muted hint">Drag over tokens to brush a range: the cells on throughout it (and off in the padding) are selected.</span>
              )}
              {sel === null && state.brush && <span className="muted hint">reading the brushed steps…</span>}
            </div>
            <CellList
              cells={sel ?? []}
              excluded={layer.exclude}
              added={layer.add}
              pinned={layer.pinned !== null}
              maxCell={src.cells}
              hovered={hovered?.layer === i ? hovered.cell : null}
              onHover={(c) => setHovered(c === null ? null : { layer: i, cell: c })}
              onAdd={(c) => setLayer(update, i, (l) => ({ ...l, add: l.add.includes(c) ? l.add : [...l.add, c], exclude: l.exclude.filter((x) => x !== c) }))}
              onExclude={(c) => setLayer(update, i, (l) => ({ ...l, exclude: [...l.exclude, c], add: l.add.filter((x) => x !== c) }))}
              onRestore={(c) => setLayer(update, i, (l) => ({ ...l, exclude: l.exclude.filter((x) => x !== c) }))}
              onUnpin={() => setLayer(update, i, (l) => ({ ...l, pinned: null }))}
            />
            {v && sel && sel.length > 0 && (
              <ActivationRanges
                window={v}
                transform={src.transform}
                threshold={layer.threshold}
                cells={sel}
                zoom={state.zoom}
                width={width}
                hovered={hovered?.layer === i ? hovered.cell : null}
                onHover={(c) => setHovered(c === null ? null : { layer: i, cell: c })}
              />
            )}
          </div>
        );
      })}
    </div>
  );
}
