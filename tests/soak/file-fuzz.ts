/**
 * Hostile files at volume: `cases` mutated project archives (HDF5 files mutated inside a valid
 * zip / tar.gz, or the archive bytes themselves) through the import read path, in a child
 * process (tests/soak/file-fuzz-child.ts). Every case must end in success or a clear AppError;
 * a non-AppError throw, a dead child (an abort in h5wasm) or a case running past `caseTimeoutMs`
 * is counted and named. A dead or hung child is replaced and the run goes on.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "file-fuzz-child.ts");

export interface FileFuzzResult {
  cases: number;
  ok: number;
  rejected: number;
  /** Cases that threw something other than AppError: `case i: message`. */
  wrongErrors: string[];
  /** Cases during which the parser process died. */
  crashes: number[];
  /** Cases that ran past the timeout (the process was killed). */
  timeouts: number[];
}

export async function fuzzFiles(opts: { cases: number; seed?: number; caseTimeoutMs?: number }): Promise<FileFuzzResult> {
  const seed = opts.seed ?? 1;
  const caseTimeoutMs = opts.caseTimeoutMs ?? 20_000;
  const res: FileFuzzResult = { cases: opts.cases, ok: 0, rejected: 0, wrongErrors: [], crashes: [], timeouts: [] };
  let next = 0;
  while (next < opts.cases) {
    next = await runChild(seed, next, opts.cases, caseTimeoutMs, res);
  }
  return res;
}

/** Runs cases from `from` in one child until they are done or it dies; returns the next case to run. */
function runChild(seed: number, from: number, to: number, caseTimeoutMs: number, res: FileFuzzResult): Promise<number> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", CHILD, String(seed)], { stdio: ["pipe", "pipe", "pipe"] });
  let current = from;
  let buf = "";
  let stderr = "";
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, caseTimeoutMs);
  };
  const send = () => {
    if (current < to) {
      arm();
      child.stdin!.write(`${current}\n`);
    } else child.stdin!.end();
  };
  return new Promise((resolve) => {
    child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === "READY") {
          // the child's own start (tsx, building the base project) is not a case: no timer yet
          send();
          continue;
        }
        const m = /^CASE (\d+) (ok|rejected|error)(?: (.*))?$/.exec(line);
        if (!m) continue;
        const i = Number(m[1]);
        if (m[2] === "ok") res.ok++;
        else if (m[2] === "rejected") res.rejected++;
        else res.wrongErrors.push(`case ${i}: ${m[3] ?? ""}`);
        current = i + 1;
        send();
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (current >= to) return resolve(current);
      if (timedOut) res.timeouts.push(current);
      else {
        res.crashes.push(current);
        if (code !== 0 || signal) process.stderr.write(`file fuzz: parser process died on case ${current} (${signal ?? code}): ${stderr}\n`);
      }
      resolve(current + 1);
    });
  });
}
