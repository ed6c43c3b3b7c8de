import { MAX_LAYERS, defaultLayer, type ExplorerViewState } from "@statescope/core";

/**
 * Adds cells to the selection of the layer showing `source` (the match layer when it does), as
 * hand-added cells: they stay selected whatever the brush, and the Match view runs on that layer.
 * A source no layer shows is stacked as a new layer (or replaces the match layer's source when
 * the stack is full).
 */
export function addCells(s: ExplorerViewState, source: string, cells: readonly number[]): ExplorerViewState {
  const active = Math.min(s.match.layer, s.layers.length - 1);
  let i = s.layers[active]?.source === source ? active : s.layers.findIndex((l) => l.source === source);
  let layers = s.layers;
  if (i < 0) {
    if (layers.length < MAX_LAYERS) {
      layers = [...layers, defaultLayer(source)];
      i = layers.length - 1;
    } else {
      i = Math.max(0, active);
      layers = layers.map((l, j) => (j === i ? defaultLayer(source) : l));
    }
  }
  const add = new Set(cells);
  layers = layers.map((l, j) => (j === i ? { ...l, add: [...new Set([...l.add, ...cells])].sort((a, b) => a - b), exclude: l.exclude.filter((c) => !add.has(c)) } : l));
  return { ...s, layers, match: { ...s.match, layer: i } };
}
