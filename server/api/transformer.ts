/**
 * The tRPC transformer of the server (server/api/trpc.ts) and the browser's client (app/_lib/trpc.tsx):
 * superjson on the wire, without superjson's walk over an answer that is plain JSON already.
 *
 * superjson walks every value of an answer, copying a path array and the list of its ancestors
 * per value, to find what JSON cannot carry (undefined, Date, Map, NaN, -0, a shared object…). A
 * click's match.run answer is ~6,000 values (the result rows' tokens, their counts): its walk was
 * 3–12 ms of the request on the server (Server-Timing "encode"), and the browser's deserialize
 * copied all of it once more. `serialize` checks first, in one tight pass, whether a value is
 * plain JSON that superjson would leave as it is — then its superjson form is exactly
 * `{ json: value }` (no `meta`), which is what it returns; anything else (including an object
 * met twice, whose identity superjson records) goes to superjson whole. `deserialize` returns a
 * payload without `meta` as it is (it was just parsed from the response; superjson would only
 * copy it) and gives any other to superjson. The wire format is superjson's either way, so any
 * superjson client or server reads it.
 */
import superjson from "superjson";

/** Keys superjson refuses (it throws on them): left to superjson so its error stays. */
const REFUSED = new Set(["__proto__", "constructor", "prototype"]);

/** Whether superjson's form of `v` is `{ json: v }`: JSON values only, finite numbers (not -0), each object once. */
function plain(v: unknown, seen: Set<object>): boolean {
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      // superjson annotates NaN, ±Infinity and -0
      return Number.isFinite(v) && !(v === 0 && 1 / v < 0);
    case "object": {
      if (v === null) return true;
      if (seen.has(v)) return false; // met twice: superjson records the shared identity
      seen.add(v);
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto === Array.prototype) {
        const a = v as unknown[];
        // (a hole reads as undefined: not plain)
        for (let i = 0; i < a.length; i++) if (!plain(a[i], seen)) return false;
        return true;
      }
      if (proto !== Object.prototype && proto !== null) return false; // Date, Map, Set, typed arrays, class instances…
      for (const k in v) {
        if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
        if (REFUSED.has(k) || !plain((v as Record<string, unknown>)[k], seen)) return false;
      }
      return true;
    }
    default:
      return false; // undefined, bigint, symbol, function
  }
}

type Payload = ReturnType<typeof superjson.serialize>;

export const transformer = {
  serialize(value: unknown): Payload {
    return plain(value, new Set()) ? { json: value as Payload["json"] } : superjson.serialize(value);
  },
  deserialize<T>(payload: Payload): T {
    return payload.meta === undefined ? (payload.json as T) : superjson.deserialize<T>(payload);
  },
};
