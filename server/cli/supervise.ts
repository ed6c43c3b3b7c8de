/**
 * Keep one process running: when it exits without being asked to, log why and start it again —
 * at once the first time, then after a growing delay while it keeps dying soon after its start
 * (so a process that crashes at start does not spin). A run that lasted STABLE_AFTER_MS was not
 * crashing at start: its death starts over with an immediate restart. Used by the launcher for
 * web, worker and sync, and by the database host for PostgreSQL.
 */

/** One running instance: its process id and a promise of how it ended. */
export interface Run {
  pid: number | undefined;
  exited: Promise<string>;
}

export interface SuperviseOptions {
  log: (line: string) => void;
  /** Delays before the 1st, 2nd, … restart in a row (the last repeats). */
  delaysMs?: number[];
  /** A run that lasted this long resets the delay to the first (default STABLE_AFTER_MS). */
  stableMs?: number;
}

export const RESTART_DELAYS_MS = [0, 250, 500, 1000, 2000, 4000];

/**
 * Longer than any of our processes takes to crash at start, shorter than the gap between two
 * unrelated incidents: a process killed every 10 s (the soak's kill trials) came back each time
 * after a delay that had grown to 4 s (its returns took 10–14 s under load) with the 30 s before.
 */
export const STABLE_AFTER_MS = 5_000;

export class Supervisor<R extends Run = Run> {
  private stopped = false;
  private failures = 0;
  private wake: (() => void) | undefined;
  /** The current instance (undefined while waiting to restart). */
  current: R | undefined;
  /** How many times it was restarted. */
  restarts = 0;

  constructor(
    readonly name: string,
    private readonly launch: () => R | Promise<R>,
    private readonly o: SuperviseOptions,
  ) {}

  /** First start: an error here is the caller's (nothing is running yet to keep alive). */
  async start(): Promise<R> {
    const run = await this.launch();
    this.watch(run);
    return run;
  }

  private watch(run: R): void {
    this.current = run;
    const began = Date.now();
    void run.exited.then((why) => {
      if (this.current === run) this.current = undefined;
      if (this.stopped) return;
      if (Date.now() - began >= (this.o.stableMs ?? STABLE_AFTER_MS)) this.failures = 0;
      void this.restart(why);
    });
  }

  private async restart(why: string): Promise<void> {
    const delays = this.o.delaysMs ?? RESTART_DELAYS_MS;
    for (;;) {
      const delay = delays[Math.min(this.failures, delays.length - 1)]!;
      this.failures++;
      this.o.log(`${this.name} ${why}; restarting in ${delay} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
      this.wake = undefined;
      if (this.stopped) return;
      try {
        const run = await this.launch();
        this.restarts++;
        this.o.log(`${this.name} restarted${run.pid ? ` (pid ${run.pid})` : ""}`);
        this.watch(run);
        return;
      } catch (e) {
        why = `could not start (${e instanceof Error ? e.message : String(e)})`;
      }
    }
  }

  /** No more restarts (call before stopping the process itself). */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }
}
