/**
 * Server-Timing for the tRPC endpoint: where a request's time went on the server (the session,
 * the context, authorization, and what a procedure marks, e.g. match.run's lookup, compute, rows),
 * as the standard `Server-Timing` response header — the browser's resource timing shows it next to
 * the request (bench:click reads it). Durations only, no values or names from the request.
 *
 * A request's spans live in an AsyncLocalStorage, so code deep in a service marks a span without
 * passing anything along; outside a timed request `timed` just runs its function.
 */
import { AsyncLocalStorage } from "node:async_hooks";

type Spans = Map<string, number>;
const store = new AsyncLocalStorage<Spans>();

/** Runs `f` with a fresh set of spans; `spans()` inside it returns them. */
export function withServerTiming<T>(f: () => Promise<T>): Promise<T> {
  return store.run(new Map(), f);
}

/** Adds `ms` to the span `name` of the current request (none: ignored). */
export function addSpan(name: string, ms: number): void {
  const spans = store.getStore();
  if (spans) spans.set(name, (spans.get(name) ?? 0) + ms);
}

/** The time spent so far in the span `name` of the current request (0: none). */
export function spanOf(name: string): number {
  return store.getStore()?.get(name) ?? 0;
}

/** Awaits `f()` and adds its wall time to the span `name`. */
export async function timed<T>(name: string, f: () => Promise<T>): Promise<T> {
  if (!store.getStore()) return f();
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    addSpan(name, performance.now() - t0);
  }
}

/** The current request's spans as a Server-Timing header value ("" when none). */
export function serverTimingHeader(total?: number): string {
  const spans = store.getStore();
  const parts = spans ? [...spans].map(([k, v]) => `${k};dur=${v.toFixed(1)}`) : [];
  if (total !== undefined) parts.push(`total;dur=${total.toFixed(1)}`);
  return parts.join(", ");
}
