/**
 * Counts the turns of this process's event loop until stopped: an immediate that queues itself
 * again runs once per turn. Tests use it to check that long work yields to the loop (it
 * advances only between the work's slices) or to note which turn something happened in.
 */
export function loopTurns(): { readonly count: number; stop(): void } {
  let count = 0;
  let running = true;
  const tick = () => {
    count++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    get count() {
      return count;
    },
    stop() {
      running = false;
    },
  };
}
