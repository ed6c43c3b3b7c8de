"use client";
import { defaultLayer, MAX_LAYERS, type ExplorerViewState } from "@statescope/core";
import type { DatasetInfo } from "./data-source";
import type { Update } from "./slots";

/** The second toolbar: which meta tracks show (and mask), stacking another layer, the keys. */
export function TracksBar({ info, state, update }: { info: DatasetInfo; state: ExplorerViewState; update: Update }) {
  return (
    <div className="toolbar secondary-bar">
      <div className="group">
        <span className="muted">tracks</span>
        {info.tracks.length === 0 && <span className="muted">none in this dataset</span>}
        {info.tracks.map((t) => (
          <label key={t.name} className="inline check">
            <input
              type="checkbox"
              checked={state.tracks.includes(t.name)}
              onChange={(e) => update((s) => ({ ...s, tracks: e.target.checked ? [...s.tracks, t.name] : s.tracks.filter((x) => x !== t.name) }))}
            />
            {t.name} <span className="muted">({t.kind})</span>
          </label>
        ))}
        {info.tracks.length > 0 && (
          <label className="inline check">
            <input type="checkbox" checked={state.mask} onChange={(e) => update((s) => ({ ...s, mask: e.target.checked }))} /> mask
          </label>
        )}
      </div>
      <div className="group">
        {state.layers.length < Math.min(MAX_LAYERS, info.sources.length + 1) && (
          <button
            type="button"
            className="secondary small"
            onClick={() =>
              update((s) => {
                const used = new Set(s.layers.map((l) => l.source));
                const next = info.sources.find((x) => !used.has(x.name)) ?? info.sources[0]!;
                return { ...s, layers: [...(s.layers.length ? s.layers : state.layers), defaultLayer(next.name)] };
              })
            }
          >
            + stack another layer
          </button>
        )}
        <span className="muted kbd-help">← → move · + − zoom · Esc clears brush</span>
      </div>
    </div>
  );
}
