import { expect, test } from "@playwright/test";
import { dragThreshold, printDrag } from "./threshold-drag";

/**
 * Threshold drag on 650 cells × 60 visible steps (what is measured: threshold-drag.ts).
 * Budget (issue 5): ≤ 16 ms.
 */
const STEPS = 60;
const ZOOM = 30;

test("Select view re-renders within 16 ms after a threshold change (650 cells × 60 steps)", async ({ page }) => {
  await page.goto(`/bench/select-view?s0=states::states1&pos=0&b=12-15&z=${ZOOM}&t0=0.300`);
  const plot = page.getByTestId("line-plot").first();
  await expect(plot).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("window-label")).toContainText(`steps 0–${STEPS - 1}`);
  await expect(page.getByTestId("selected-count").first()).not.toHaveText("0 cells");

  const counts = new Set<string>();
  const drag = await dragThreshold(page, async (i) => {
    if (i % 10 === 0) counts.add(await page.getByTestId("selected-count").first().innerText());
  });
  const cellCount = await page.getByTestId("selected-count").first().innerText();
  printDrag(`bench:ui threshold drag, 650 cells × ${STEPS} steps, ${drag.render.n} renders`, drag);
  console.log(`  selection sizes seen while dragging: ${[...counts].join(", ")} (final ${cellCount})`);
  expect(drag.render.n).toBeGreaterThan(40);
  expect(drag.render.p95).toBeLessThanOrEqual(16);
});
