/**
 * Child-process helpers for the launcher: prefixed, line-buffered logs and
 * orderly shutdown.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import readline from "node:readline";

const COLORS = ["\x1b[36m", "\x1b[35m", "\x1b[33m", "\x1b[32m", "\x1b[34m"];
const RESET = "\x1b[0m";
let colorIndex = 0;

export interface Managed {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

export function prefixer(name: string, width = 6): (line: string) => string {
  const color = process.stdout.isTTY ? COLORS[colorIndex++ % COLORS.length]! : "";
  const reset = color ? RESET : "";
  const tag = `[${name}]`.padEnd(width + 2);
  return (line) => `${color}${tag}${reset} ${line}`;
}

/** `sink` receives the child's stdout (stderr always goes to stderr); the CLI passes stderr to keep stdout for JSON. */
export function startManaged(name: string, cmd: string, args: string[], opts: SpawnOptions, sink: NodeJS.WritableStream = process.stdout): Managed {
  const child = spawn(cmd, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
  const fmt = prefixer(name);
  for (const [stream, out] of [
    [child.stdout, sink],
    [child.stderr, process.stderr],
  ] as const) {
    if (!stream) continue;
    readline.createInterface({ input: stream }).on("line", (l) => out.write(fmt(l) + "\n"));
  }
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { name, child, exited };
}

/** Run a command to completion with prefixed output; reject on a non-zero exit. */
export async function runStep(name: string, cmd: string, args: string[], opts: SpawnOptions, sink?: NodeJS.WritableStream): Promise<void> {
  const m = startManaged(name, cmd, args, opts, sink);
  const code = await m.exited;
  if (code !== 0) throw new Error(`${name} failed (exit code ${code ?? "signal"}): ${cmd} ${args.join(" ")}`);
}

/** SIGTERM everyone, then SIGKILL whoever is still there after `graceMs`. */
export async function stopAll(list: Managed[], graceMs = 10_000): Promise<void> {
  const alive = list.filter((m) => m.child.exitCode === null && m.child.signalCode === null);
  for (const m of alive) m.child.kill("SIGTERM");
  const timer = setTimeout(() => {
    for (const m of alive) if (m.child.exitCode === null) m.child.kill("SIGKILL");
  }, graceMs);
  await Promise.all(alive.map((m) => m.exited));
  clearTimeout(timer);
}
