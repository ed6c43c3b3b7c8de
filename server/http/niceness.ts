/**
 * The web process gives way to the sync process for the CPU. When a class of 1,000 joins at once,
 * web (the joins), sync (the sockets), PostgreSQL and everything else on the machine want more CPU
 * than there is: bench:classroom measured every process's main thread waiting for a CPU 250-350 ms
 * a second during the joins, and a presenter's view update to the class spent most of its late
 * tail waiting — its fan-out 5-9 ms on a CPU, 10-27 ms waiting for one. A view update is due within
 * tens of milliseconds, a join within seconds: the web process's main thread runs at a higher
 * niceness (a smaller CPU share when both want it, the same speed when the CPU is free).
 *
 * Linux gives each thread its own niceness: this lowers the calling thread's (the web process's
 * main thread, where its JavaScript runs; threads it starts afterwards inherit it). Lowering a
 * priority needs no privilege; a platform that refuses leaves it as it was.
 */
import os from "node:os";

/** Run the calling thread at niceness `niceness` at least (never raised). Returns the niceness it runs at, or null when left alone. */
export function giveWayForCpu(niceness: number): number | null {
  if (niceness <= 0) return null;
  try {
    if (os.getPriority() < niceness) os.setPriority(niceness);
    return os.getPriority();
  } catch {
    return null;
  }
}
