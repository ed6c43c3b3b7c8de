"use client";
import { useLayoutEffect, useRef, useState, type KeyboardEvent, type MouseEvent } from "react";
import { setupCanvas } from "./line-plot";

/** Width of one bar's slot, its height and the baseline of its label (px). */
const SLOT = 22;
const HEIGHT = 64;
const FONT = '9.5px ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
// the colours of the histogram's former SVG (explorer.css): all, all hovered, strict, label, current outline, keyboard choice
const ALL = "#c9d6ea";
const ALL_HOVER = "#aebfdb";
const STRICT = "#2f6fde";
const LABEL = "#5d6672";
const INK = "#1b1f24";
const CHOSEN = "#e8590c";

/** A bar's text: for the tooltip and assistive technology. */
const barText = (L: number, all: number, strict: number) => `length ${L}: ${all} candidates, ${strict} with every selected cell on`;

/**
 * The length histogram of a match: a bar per candidate length (all candidates, and inside it the
 * strict ones, log scale), drawn on one canvas (as SVG it was ~8 nodes per bar, about 40 % of the
 * nodes a result built). Clicking a bar re-runs the query with that exact length (`onLength`);
 * so does the keyboard: the histogram is a slider over the lengths (←/→, Home/End choose one,
 * Enter re-runs), whose value text says the bar's counts. The pointer's bar shows them as a tooltip.
 */
export function LengthHistogram({
  lengths,
  all,
  strict,
  max,
  current,
  onLength,
}: {
  /** The lengths drawn, ascending. */
  lengths: readonly number[];
  all: Readonly<Record<string, number>>;
  strict: Readonly<Record<string, number>>;
  /** The largest count of all candidates, the top of the log scale (over every length, drawn or not). */
  max: number;
  /** The run's exact length (0: any). */
  current: number;
  onLength: (L: number) => void;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<number | null>(null);
  // the bar chosen by the keyboard (an index into lengths), shown once the slider has focus
  const [chosen, setChosen] = useState<number | null>(null);
  const width = lengths.length * SLOT + 8;
  const h = (v: number) => (v > 0 ? Math.max(1.5, (Math.log1p(v) / Math.log1p(Math.max(1, max))) * 44) : 0);
  useLayoutEffect(() => {
    const ctx = ref.current && setupCanvas(ref.current, width, HEIGHT);
    if (!ctx) return;
    ctx.font = FONT;
    ctx.textAlign = "center";
    lengths.forEach((L, i) => {
      const x = 4 + i * SLOT;
      const a = h(all[L] ?? 0);
      const s = h(strict[L] ?? 0);
      ctx.fillStyle = hover === i ? ALL_HOVER : ALL;
      ctx.fillRect(x + 1, 48 - a, 18, a);
      if (L === current) {
        ctx.strokeStyle = INK;
        ctx.lineWidth = 1;
        ctx.strokeRect(x + 1, 48 - a, 18, a);
      }
      ctx.fillStyle = STRICT;
      ctx.fillRect(x + 4, 48 - s, 12, s);
      ctx.fillStyle = LABEL;
      ctx.fillText(String(L), x + 10, 60);
      if (chosen === i) {
        ctx.strokeStyle = CHOSEN;
        ctx.lineWidth = 1.5;
        ctx.strokeRect(x + 0.75, 0.75, SLOT - 3.5, HEIGHT - 1.5);
      }
    });
    // h follows from max
  }, [lengths, all, strict, max, current, hover, chosen, width]);
  const barAt = (e: MouseEvent<HTMLElement>) => {
    const i = Math.floor((e.clientX - e.currentTarget.getBoundingClientRect().left - 4) / SLOT);
    return i >= 0 && i < lengths.length ? i : null;
  };
  const run = (i: number) => {
    const L = lengths[i]!;
    if (L >= 2) onLength(L);
  };
  const key = (e: KeyboardEvent<HTMLDivElement>) => {
    const at = chosen ?? Math.max(0, lengths.indexOf(current));
    const next = e.key === "ArrowRight" || e.key === "ArrowUp" ? at + 1 : e.key === "ArrowLeft" || e.key === "ArrowDown" ? at - 1 : e.key === "Home" ? 0 : e.key === "End" ? lengths.length - 1 : null;
    if (next !== null) {
      e.preventDefault();
      setChosen(Math.max(0, Math.min(lengths.length - 1, next)));
    } else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      run(at);
    }
  };
  const shown = chosen ?? Math.max(0, lengths.indexOf(current));
  const L = lengths[shown]!;
  return (
    <div
      className="hist-bars"
      role="slider"
      tabIndex={0}
      aria-label="Candidate length: choose one to re-run with that exact length (Enter)"
      aria-valuemin={lengths[0]}
      aria-valuemax={lengths[lengths.length - 1]}
      aria-valuenow={L}
      aria-valuetext={barText(L, all[L] ?? 0, strict[L] ?? 0)}
      title={hover === null ? undefined : barText(lengths[hover]!, all[lengths[hover]!] ?? 0, strict[lengths[hover]!] ?? 0)}
      style={{ width, height: HEIGHT }}
      data-testid="hist-bars"
      data-bars={lengths.length}
      onPointerMove={(e) => {
        const i = barAt(e);
        if (i !== hover) setHover(i);
      }}
      onPointerLeave={() => setHover(null)}
      onClick={(e) => {
        const i = barAt(e);
        if (i !== null) run(i);
      }}
      onKeyDown={key}
      onFocus={() => setChosen((c) => c ?? Math.max(0, lengths.indexOf(current)))}
      onBlur={() => setChosen(null)}
    >
      {/* sized (for the device's pixel ratio) by setupCanvas */}
      <canvas ref={ref} aria-hidden="true" />
    </div>
  );
}
