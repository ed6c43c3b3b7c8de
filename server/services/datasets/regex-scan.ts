import os from "node:os";
import { Worker } from "node:worker_threads";
import { AppError } from "@statescope/core";

/**
 * Token search runs in worker threads, never on the web server's request thread: a user's
 * pattern with nested repeats ((a+)+, (.|..)*) can backtrack for longer than the universe
 * exists, and while a regular expression runs, the thread it runs on answers nobody. A worker
 * whose scan passes the time limit is terminated (backtracking included) and replaced, and the
 * search answers with an error that names the pattern.
 *
 * The syntax is JavaScript's (backreferences and lookaround included): running it apart is what
 * makes a slow pattern harmless, so there is nothing to forbid.
 */

/** How long one search may run its regular expression. */
export const SEARCH_TIME_LIMIT_MS = 2000;
/** How long a worker may take to build the text of a token stream before the scan starts. */
const BUILD_TIME_LIMIT_MS = 60_000;

export interface TokenScan {
  /** The token stream. Its buffer is transferred to the worker (unusable here afterwards). */
  ids: Int32Array;
  /** The dictionary: `vocabTokens[i]` is the token of id `vocabIds[i]`. */
  vocabIds: Int32Array;
  vocabTokens: string[];
  /** Joins tokens into the searched text: "" for character-level data (whose whitespace tokens are read as characters). */
  separator: string;
  pattern: string;
  flags: string;
  /** First step a match may start at. */
  from: number;
  limit: number;
  /** Matches must start and end on token boundaries (phrase search on word-level data). */
  wholeTokens: boolean;
  /** Counting stops here. */
  countLimit: number;
}

export interface TokenScanResult {
  total: number;
  matches: { from: number; to: number }[];
}

type WorkerReply = { kind: "scanning"; chars: number } | { kind: "done"; result: TokenScanResult } | { kind: "failed"; message: string };

/**
 * The worker's program. It runs in a thread of its own (`new Worker(source, { eval: true })`), so
 * it refers to nothing outside its own body.
 */
function scanWorkerMain(): void {
  const { parentPort } = process.getBuiltinModule("node:worker_threads");
  const CHAR_TOKENS: Record<string, string> = { "<space>": " ", "<nl>": "\n", "<tab>": "\t" };
  /** Last index i with a[i] <= v (a ascending, a[0] = 0 <= v). */
  const floorIndex = (a: Int32Array, v: number): number => {
    let lo = 0;
    let hi = a.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (a[mid]! <= v) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  parentPort!.on("message", (job: TokenScan) => {
    try {
      const vocab = new Map<number, string>();
      for (let i = 0; i < job.vocabIds.length; i++) vocab.set(job.vocabIds[i]!, job.vocabTokens[i]!);
      const charLevel = job.separator === "";
      const n = job.ids.length;
      const starts = new Int32Array(n);
      const ends = new Int32Array(n);
      const parts = new Array<string>(n);
      let pos = 0;
      for (let t = 0; t < n; t++) {
        const id = job.ids[t]!;
        let s = vocab.get(id) ?? `<unk:${id}>`;
        if (charLevel) s = CHAR_TOKENS[s] ?? s;
        parts[t] = s;
        starts[t] = pos;
        pos += s.length;
        ends[t] = pos;
        pos += job.separator.length;
      }
      const text = parts.join(job.separator);
      const re = new RegExp(job.pattern, job.flags);
      re.lastIndex = starts[job.from]!;
      parentPort!.postMessage({ kind: "scanning", chars: text.length });
      const matches: TokenScanResult["matches"] = [];
      let total = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        const a = m.index;
        const len = m[0].length;
        if (len === 0) {
          re.lastIndex = a + 1;
          continue;
        }
        const first = floorIndex(starts, a);
        const last = floorIndex(starts, a + len - 1);
        if (job.wholeTokens && (starts[first] !== a || ends[last] !== a + len)) {
          re.lastIndex = a + 1;
          continue;
        }
        total++;
        if (matches.length < job.limit) matches.push({ from: first, to: last + 1 });
        if (total >= job.countLimit) break;
      }
      parentPort!.postMessage({ kind: "done", result: { total, matches } });
    } catch (e) {
      parentPort!.postMessage({ kind: "failed", message: e instanceof Error ? e.message : String(e) });
    }
  });
}

const WORKER_SOURCE = `(${scanWorkerMain.toString()})();`;

interface Pending {
  job: TokenScan;
  resolve: (r: TokenScanResult) => void;
  reject: (e: unknown) => void;
}

/**
 * A few worker threads with a bounded queue. A search waits for a free worker; when too many
 * already wait, it is refused with TOO_MANY_REQUESTS rather than queued for minutes.
 */
export class RegexScanPool {
  private readonly idle: Worker[] = [];
  private readonly queue: Pending[] = [];
  private running = 0;
  private closed = false;

  constructor(
    readonly opts: { size: number; queueLimit: number; timeLimitMs: number } = {
      size: Math.max(1, Math.min(2, os.availableParallelism() - 1)),
      queueLimit: 16,
      timeLimitMs: SEARCH_TIME_LIMIT_MS,
    },
  ) {}

  scan(job: TokenScan): Promise<TokenScanResult> {
    if (this.closed) return Promise.reject(new Error("the search pool is closed"));
    if (this.queue.length >= this.opts.queueLimit) {
      return Promise.reject(
        new AppError("TOO_MANY_REQUESTS", `token search is busy (${this.queue.length} searches are waiting): try again in a moment`, { retryAfterSeconds: 2 }),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  /** Searches running and waiting (for tests and the bench). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.queue.length };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error("the search pool is closed"));
    await Promise.all(this.idle.splice(0).map((w) => w.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0 && this.running < this.opts.size) {
      const next = this.queue.shift()!;
      this.running++;
      this.run(this.idle.pop() ?? this.spawn(), next);
    }
  }

  private spawn(): Worker {
    // a search of the largest token stream (20M steps) needs a few hundred MB; more is a runaway
    const w = new Worker(WORKER_SOURCE, { eval: true, name: "statescope-search", resourceLimits: { maxOldGenerationSizeMb: 1536 } });
    w.unref(); // an idle search worker keeps no process alive
    return w;
  }

  private run(worker: Worker, { job, resolve, reject }: Pending): void {
    let timer: NodeJS.Timeout;
    let scanning = false;
    let chars = 0;
    const arm = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        // terminate() stops a running regular expression, backtracking included
        finish(false);
        reject(
          scanning
            ? new AppError(
                "BAD_INPUT",
                `the search for /${job.pattern}/ took longer than ${this.opts.timeLimitMs / 1000} s over ${chars.toLocaleString("en")} characters and was stopped: simplify the pattern (nested repeats like (a+)+ or (.|..)* can run for ever)`,
              )
            : new AppError("INTERNAL", `reading ${job.ids.length.toLocaleString("en")} tokens for the search took longer than ${BUILD_TIME_LIMIT_MS / 1000} s`),
        );
      }, ms);
    };
    const onMessage = (m: WorkerReply) => {
      if (m.kind === "scanning") {
        scanning = true;
        chars = m.chars;
        arm(this.opts.timeLimitMs);
        return;
      }
      finish(true);
      if (m.kind === "done") resolve(m.result);
      else reject(new AppError("BAD_INPUT", `the search for /${job.pattern}/ failed: ${m.message}`));
    };
    const onError = (e: Error) => {
      finish(false);
      reject(new AppError("INTERNAL", `the search worker failed: ${e.message}`));
    };
    const finish = (reusable: boolean) => {
      clearTimeout(timer);
      worker.off("message", onMessage);
      worker.off("error", onError);
      this.running--;
      if (reusable && !this.closed) this.idle.push(worker);
      else void worker.terminate();
      this.pump();
    };
    worker.on("message", onMessage);
    worker.on("error", onError);
    arm(BUILD_TIME_LIMIT_MS);
    worker.postMessage(job, [job.ids.buffer as ArrayBuffer]);
  }
}

const holder = globalThis as unknown as { __statescopeRegexScanPool?: RegexScanPool };

/** The process's search pool (created on first use; kept on globalThis so Next's dev reloads reuse it). */
export function regexScanPool(): RegexScanPool {
  return (holder.__statescopeRegexScanPool ??= new RegexScanPool());
}
