/**
 * Scoring every cell of a prepared source against a target (packages/core `CellSearch`): with the
 * source in kernel memories, the WebAssembly kernels run on the pool's threads, one block of cells
 * each; otherwise (or while another search holds the source's scratch) the JavaScript loop runs
 * here. Progress is reported between blocks of rows.
 */
import { CellSearch, type CellSearchTarget, type CellStats, type PreparedSource } from "@statescope/core";
import type { KernelPool } from "./kernel-pool";

/**
 * Rows between progress reports: the JavaScript loop (on the event loop's thread), the kernels
 * (threads; every step waits for the slowest thread, so steps are long: a label's rows at 1M steps
 * are one step, a scalar's two).
 */
const JS_ROWS_PER_STEP = 1 << 15;
const KERNEL_ROWS_PER_STEP = 1 << 19;

export async function scoreCells(prep: PreparedSource, target: CellSearchTarget, pool: KernelPool | null, progress: (fraction: number) => Promise<void> = async () => undefined): Promise<CellStats> {
  const s = new CellSearch(prep, target);
  try {
    while (s.rowsDone < s.total) {
      const calls = pool ? s.calls(KERNEL_ROWS_PER_STEP, pool.size) : null;
      if (calls) await pool!.run(calls);
      else s.run(JS_ROWS_PER_STEP);
      await progress(s.rowsDone / s.total);
    }
    return s.finish();
  } finally {
    s.release();
  }
}
