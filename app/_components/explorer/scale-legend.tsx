"use client";
import { formatScaleValue } from "@statescope/core";

const STOPS = [0, 0.25, 0.5, 0.75, 1];

/** A colour ramp with its two ends labelled: what a heatmap's or a scalar track's colours mean. */
export function ScaleLegend({ name, range, color, unit }: { name: string; range: readonly [number, number]; color: (v: number) => string; unit?: string }) {
  const [lo, hi] = range;
  const ramp = `linear-gradient(to right, ${STOPS.map((f) => color(lo + f * (hi - lo))).join(", ")})`;
  return (
    <span className="scale-legend" data-testid={`legend-${name}`} title={`${name}: ${formatScaleValue(lo)} (light) to ${formatScaleValue(hi)} (dark)${unit ? ` ${unit}` : ""}`}>
      <span className="scale-name">{name}</span>
      <span className="scale-end" data-testid="legend-min">{formatScaleValue(lo)}</span>
      <span className="scale-ramp" style={{ background: ramp }} aria-hidden />
      <span className="scale-end" data-testid="legend-max">
        {formatScaleValue(hi)}
        {unit ? ` ${unit}` : ""}
      </span>
    </span>
  );
}
