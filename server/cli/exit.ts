/**
 * Exit only after everything written to stdout and stderr has been handed to the OS.
 *
 * On Linux a pipe is non-blocking for Node: what a slow reader has not taken yet (beyond the
 * pipe's 64 KiB) waits in Node's queue, and `process.exit()` drops it. `statescope … --json |
 * slow-script` then received the first 64 KiB multiple of a multi-megabyte answer. An empty
 * write's callback runs once the writes queued before it are done.
 */
export async function exitAfterFlush(code: number): Promise<never> {
  await Promise.all(
    [process.stdout, process.stderr].map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.destroyed || !s.writable) return resolve();
          // the callback also runs with an error (EPIPE: the reader went away), which ends the wait
          s.write("", () => resolve());
        }),
    ),
  );
  process.exit(code);
}
