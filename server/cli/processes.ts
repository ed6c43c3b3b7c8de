/**
 * Child-process helpers for the launcher: prefixed, line-buffered logs and
 * orderly shutdown (restarts: ./supervise.ts).
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import readline from "node:readline";

const COLORS = ["\x1b[36m", "\x1b[35m", "\x1b[33m", "\x1b[32m", "\x1b[34m"];
const RESET = "\x1b[0m";

export interface Managed {
  name: string;
  child: ChildProcess;
  pid: number | undefined;
  /** Exit code (null when killed by a signal). */
  code: Promise<number | null>;
  /** How it ended, for logs ("exited with code 1", "killed by SIGKILL"). */
  exited: Promise<string>;
}

export function prefixer(name: string, width = 6): (line: string) => string {
  // one colour per name, so a restarted process keeps its colour
  const color = process.stdout.isTTY ? COLORS[[...name].reduce((h, c) => h + c.charCodeAt(0), 0) % COLORS.length]! : "";
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
  const describe = (code: number | null, signal: NodeJS.Signals | null) => (signal ? `killed by ${signal}` : `exited with code ${code}`);
  const ended = new Promise<[number | null, string]>((resolve) => {
    child.once("error", (e) => resolve([null, `could not start (${e.message})`]));
    child.once("exit", (code, signal) => resolve([code, describe(code, signal)]));
  });
  return { name, child, pid: child.pid, code: ended.then(([c]) => c), exited: ended.then(([, d]) => d) };
}

/** Run a command to completion with prefixed output; reject on a non-zero exit. */
export async function runStep(name: string, cmd: string, args: string[], opts: SpawnOptions, sink?: NodeJS.WritableStream): Promise<void> {
  const m = startManaged(name, cmd, args, opts, sink);
  const code = await m.code;
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
