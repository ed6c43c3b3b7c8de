/**
 * Worker threads for cell search's WebAssembly kernels (packages/core `kernels`): each thread
 * instantiates the kernel module over the worker's shared memories (a prepared source's values and
 * ranks, gigabytes at 1M × 650: shared, never copied) and runs the calls of one block of cells.
 * Threads start on first use; a thread holding a memory the engine has dropped ends as soon as it
 * is idle (its isolate would otherwise keep the memory alive), and a new one starts when needed.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { AppError, kernelModule, type KernelCall } from "@statescope/core";

/**
 * What a thread runs: plain JavaScript (evaluated, so it needs no TypeScript loader in any runtime
 * that starts the worker). Messages: `{attach, memory, module}` instantiates the module over a
 * memory; `{seq, calls}` runs calls `{id, fn, args}` in order and answers `{seq}` or `{seq, error}`.
 */
const THREAD_SOURCE = `
const { parentPort } = require("node:worker_threads");
const instances = new Map();
parentPort.on("message", (m) => {
  if (m.attach !== undefined) {
    instances.set(m.attach, new WebAssembly.Instance(m.module, { env: { memory: m.memory } }).exports);
    return;
  }
  try {
    for (const c of m.calls) instances.get(c.id)[c.fn](...c.args);
    parentPort.postMessage({ seq: m.seq });
  } catch (e) {
    parentPort.postMessage({ seq: m.seq, error: String((e && e.stack) || e) });
  }
});
`;

interface Pending {
  resolve: () => void;
  reject: (e: Error) => void;
}

class KernelThread {
  readonly worker: Worker;
  /** Memories instantiated in this thread, by the id calls name them with. */
  readonly attached = new Map<WebAssembly.Memory, number>();
  readonly pending = new Map<number, Pending>();
  /** Holds a memory the engine dropped: end when idle. */
  stale = false;
  dead = false;
  private seq = 0;

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly nextId: () => number,
    onGone: (t: KernelThread) => void,
  ) {
    this.worker = new Worker(THREAD_SOURCE, { eval: true, name: "statescope analysis kernels" });
    // an idle pool never keeps the process alive
    this.worker.unref();
    this.worker.on("message", (m: { seq: number; error?: string }) => {
      const p = this.pending.get(m.seq);
      if (!p) return;
      this.pending.delete(m.seq);
      if (m.error === undefined) p.resolve();
      else p.reject(new AppError("INTERNAL", `an analysis kernel thread failed: ${m.error}`));
    });
    const gone = (why: string) => {
      if (this.dead) return;
      this.dead = true;
      for (const p of this.pending.values()) p.reject(new AppError("INTERNAL", `an analysis kernel thread ${why}`));
      this.pending.clear();
      onGone(this);
    };
    this.worker.on("error", (e) => gone(`failed: ${e.message}`));
    this.worker.on("exit", (code) => gone(`exited (code ${code})`));
  }

  run(calls: KernelCall[]): Promise<void> {
    const wire = calls.map((c) => {
      let id = this.attached.get(c.memory);
      if (id === undefined) {
        id = this.nextId();
        this.attached.set(c.memory, id);
        this.worker.postMessage({ attach: id, memory: c.memory, module: this.module });
      }
      return { id, fn: c.fn, args: c.args };
    });
    const seq = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.worker.postMessage({ seq, calls: wire });
    });
  }
}

export class KernelPool {
  private threads: KernelThread[] = [];
  private ids = 0;

  /** `size`: threads (and blocks of cells) per run; default: the machine's available parallelism. */
  constructor(readonly size: number = Math.max(1, availableParallelism())) {}

  /** Runs each list of calls on its own thread (the lists at once, each in order); resolves when all are done. */
  async run(parts: KernelCall[][]): Promise<void> {
    const module = kernelModule();
    if (!module) throw new AppError("INTERNAL", "analysis kernels: this runtime has no WebAssembly SIMD");
    while (this.threads.length < Math.min(this.size, parts.length)) this.threads.push(new KernelThread(module, () => ++this.ids, (t) => this.drop(t)));
    const used = parts.map((calls, i) => [this.threads[i % this.threads.length]!, calls] as const);
    try {
      await Promise.all(used.map(([t, calls]) => t.run(calls)));
    } finally {
      this.endStale();
    }
  }

  /** The engine dropped these memories: threads holding them end once idle. */
  release(memories: WebAssembly.Memory[]): void {
    for (const t of this.threads) if (memories.some((m) => t.attached.has(m))) t.stale = true;
    this.endStale();
  }

  /** Ends every thread (a pool can still run afterwards: it starts new ones). */
  async close(): Promise<void> {
    const all = this.threads;
    this.threads = [];
    await Promise.all(all.map((t) => t.worker.terminate()));
  }

  /** Threads running now (tests). */
  get running(): number {
    return this.threads.length;
  }

  private endStale(): void {
    for (const t of this.threads) {
      if (t.stale && t.pending.size === 0) {
        this.drop(t);
        void t.worker.terminate();
      }
    }
  }

  private drop(t: KernelThread): void {
    this.threads = this.threads.filter((x) => x !== t);
  }
}
