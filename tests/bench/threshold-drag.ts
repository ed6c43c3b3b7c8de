import type { Page } from "@playwright/test";

/**
 * The threshold drag both bench:ui tests measure (select-view.bench.ts, presence.bench.ts).
 * Two numbers per drag event:
 * - render: from the pointer event to the end of the canvas redraw (a performance.measure the
 *   Select view records itself);
 * - frame: from the event's timestamp to the next animation frame callback (includes React's
 *   commit of the SVG parts, style and layout; the paint itself is not observable).
 */
export interface Stats {
  n: number;
  median: number;
  p95: number;
  max: number;
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { n: s.length, median: q(0.5), p95: q(0.95), max: s[s.length - 1]! };
}

/** Drag the first threshold line 40 steps up and 40 down; `onStep(i)` runs after each move. */
export async function dragThreshold(page: Page, onStep?: (i: number) => Promise<void>): Promise<{ render: Stats; frame: Stats }> {
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number[] };
    w.__frames = [];
    document.addEventListener(
      "pointermove",
      (e) => {
        const t0 = e.timeStamp;
        requestAnimationFrame(() => w.__frames.push(performance.now() - t0));
      },
      { capture: true },
    );
    performance.clearMeasures("statescope:threshold-render");
  });

  const line = page.getByTestId("threshold-line").first();
  const box = (await line.boundingBox())!;
  const x = box.x + box.width / 2;
  let y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 0; i < 80; i++) {
    y += i < 40 ? -1.5 : 1.5;
    await page.mouse.move(x, y);
    await onStep?.(i);
  }
  await page.mouse.up();

  const render = await page.evaluate(() => performance.getEntriesByName("statescope:threshold-render").map((e) => e.duration));
  const frames = await page.evaluate(() => (window as unknown as { __frames: number[] }).__frames);
  return { render: stats(render), frame: stats(frames) };
}

export function printDrag(title: string, { render: r, frame: f }: { render: Stats; frame: Stats }): void {
  console.log(title);
  console.log(`  render (event → canvas redrawn): median ${r.median.toFixed(2)} ms, p95 ${r.p95.toFixed(2)} ms, max ${r.max.toFixed(2)} ms`);
  console.log(`  frame  (event → next frame):     median ${f.median.toFixed(2)} ms, p95 ${f.p95.toFixed(2)} ms, max ${f.max.toFixed(2)} ms`);
}
