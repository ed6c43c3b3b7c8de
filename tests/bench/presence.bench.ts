import { expect, test } from "@playwright/test";
import { dragThreshold, printDrag } from "./threshold-drag";

/**
 * The same threshold drag as select-view.bench.ts (650 cells × 60 steps), with three other
 * members' presence drawn over the plot (brush, padding, threshold line, 30 cells each), every
 * one of them moving brush and threshold at the highest presence rate (20 updates/s) and
 * changing their cells twice a second during the drag.
 * Presence has its own layer, so our drag must stay within the same 16 ms budget.
 */
const STEPS = 60;
const PEERS = 3;

test(`threshold drag stays within 16 ms with ${PEERS} members' presence moving (650 cells × 60 steps)`, async ({ page }) => {
  await page.goto(`/bench/select-view?s0=states::states1&pos=0&b=12-15&z=30&t0=0.300&peers=${PEERS}`);
  const plot = page.getByTestId("line-plot").first();
  await expect(plot).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("window-label")).toContainText(`steps 0–${STEPS - 1}`);
  await expect(page.getByTestId("presence-layer").first().locator("[data-testid=presence-brush]")).toHaveCount(PEERS);

  await page.evaluate(() => {
    const w = window as unknown as { __overlay: number };
    w.__overlay = 0;
    // count presence redraws during the drag (the layer's SVG changes on each peer update)
    new MutationObserver(() => w.__overlay++).observe(document.querySelector("[data-testid=presence-layer]")!, { subtree: true, attributes: true, childList: true });
  });
  const drag = await dragThreshold(page);
  const overlay = await page.evaluate(() => (window as unknown as { __overlay: number }).__overlay);
  printDrag(`bench:ui threshold drag with ${PEERS} members' presence moving at 20/s (new cells 2/s), 650 cells × ${STEPS} steps, ${drag.render.n} renders, ${overlay} presence-layer mutations`, drag);
  expect(drag.render.n).toBeGreaterThan(40);
  expect(overlay).toBeGreaterThan(0);
  expect(drag.render.p95).toBeLessThanOrEqual(16);
});
