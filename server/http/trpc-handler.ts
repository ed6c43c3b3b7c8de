/**
 * The tRPC endpoint (/api/trpc/*): the session, the Origin check for cookie-authenticated writes,
 * a body limit enforced while the body streams in (small; larger only for a procedure that says
 * so in its meta, and only for signed-in callers), and `Retry-After` on rate-limited answers.
 */
import { resolveResponse } from "@trpc/server/http";
import { AppError, isAppError } from "@statescope/core";
import { createContext } from "@/server/api/context";
import { toTRPCError } from "@/server/api/errors";
import { appRouter } from "@/server/api/root";
import type { Meta } from "@/server/api/trpc";
import { createSessionReader, hasSessionCookie } from "@/server/auth/session";
import { env } from "@/server/env";
import { CLASS_COOKIE } from "@/server/services/classroom/credential";
import { CLOSE_CONNECTION, declaredLength, limitStream } from "@/server/services/uploads";
import { assertSameOrigin } from "./same-origin";
import { addSpan, serverTimingHeader, spanOf, timed, withServerTiming } from "./server-timing";

/** Largest tRPC request body from a signed-in user, unless a procedure's meta allows more. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Largest tRPC request body from a signed-out client (sign-up, invite preview). */
export const ANONYMOUS_MAX_BODY_BYTES = 64 * 1024;

const ENDPOINT = "/api/trpc";
/** A path without its leading and trailing slash (as tRPC's fetch adapter reads the procedure's path). */
const trimSlashes = (p: string) => p.slice(p.startsWith("/") ? 1 : 0, p.endsWith("/") ? -1 : undefined);
/** Who is signed in: the session cookie, each token decrypted once (server/auth/session.ts). */
const readSession = createSessionReader();
const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { meta?: Meta; type?: string } } | undefined>;

/**
 * Whether a call to `pathname` (/api/trpc/a.b or a batch "a.b,c.d") may run a subscription: the only
 * procedures that watch the request's abort signal (to end their event stream when the client
 * goes). A query or a mutation runs to its end either way.
 */
export function mayStream(pathname: string): boolean {
  return procedureNames(pathname).some((n) => procedures[n]?._def.type === "subscription");
}

/** The procedures a call to `pathname` names: /api/trpc/a.b, or a batch /api/trpc/a.b,c.d. */
function procedureNames(pathname: string): string[] {
  return decodeURIComponent(pathname.slice(ENDPOINT.length + 1)).split(",");
}

/** The body limit of a request to `path` (e.g. "a.b,c.d" for a batch): the largest its procedures allow. */
export function bodyLimitFor(pathname: string, signedIn: boolean): number {
  if (!signedIn) return ANONYMOUS_MAX_BODY_BYTES;
  return Math.max(MAX_BODY_BYTES, ...procedureNames(pathname).map((n) => procedures[n]?._def.meta?.maxBodyBytes ?? 0));
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(0)} MiB` : `${(n / 1024).toFixed(0)} KiB`;
}

const hasClassCredential = (req: Pick<Request, "headers">) => (req.headers.get("cookie") ?? "").includes(`${CLASS_COOKIE}=`);

/**
 * A tRPC call as an entry point hands it over: Next.js's route passes its Request, the web
 * server's front (trpc-front.ts) the socket's parts — one Request is made here either way.
 */
export interface TrpcCall {
  url: string;
  method: string;
  headers: Headers;
  /**
   * The body as it streams in; or, read whole already by the front (a JSON body whose declared
   * length is within the smallest limit, ANONYMOUS_MAX_BODY_BYTES: a class's answer), its bytes.
   */
  body: ReadableStream<Uint8Array> | Uint8Array | null;
  /** Aborted when the client goes; the front gives one only to calls that may stream (mayStream). */
  signal?: AbortSignal;
}

/**
 * The request tRPC reads for a call whose body the front read whole (TrpcCall.body as bytes): what
 * tRPC's fetch adapter and our context read of a Request — url, method, headers, signal, and the
 * body through json() (as undici's: UTF-8 decoded, a BOM dropped, then JSON.parse; `onRead` when
 * it is read, so an answer given without reading it still closes the connection as before) —
 * without undici's Request, its own AbortController and the body's two web streams, a third of a
 * millisecond of each of a class's thousand answers. Only for application/json bodies (the front
 * checks), the one kind tRPC then reads, and only through json().
 */
class WholeBodyRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly signal: AbortSignal;
  // a class rather than an object of closures: no function made (and named, under tsx) per request
  constructor(
    call: TrpcCall,
    private readonly bytes: Uint8Array,
    private readonly onRead: () => void,
  ) {
    this.url = call.url;
    this.method = call.method;
    this.headers = call.headers;
    this.signal = call.signal ?? new AbortController().signal;
  }

  async text(): Promise<string> {
    this.onRead();
    return new TextDecoder().decode(this.bytes);
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  async formData(): Promise<never> {
    throw new Error("this request's body is JSON, read with json()");
  }

  async arrayBuffer(): Promise<never> {
    return this.formData();
  }

  async blob(): Promise<never> {
    return this.formData();
  }
}

function wholeBodyRequest(call: TrpcCall, bytes: Uint8Array, onRead: () => void): Request {
  return new WholeBodyRequest(call, bytes, onRead) as unknown as Request;
}

/** The Next.js route's entry (app/api/trpc/[trpc]/route.ts). */
export function handleTrpc(req: Request): Promise<Response> {
  return answerTrpc(req);
}

/** Answers one call: the route's and the front's one implementation. */
export function answerTrpc(call: TrpcCall): Promise<Response> {
  // spans are reported to signed-in callers only: a request without a session cookie (a guest
  // student, a signed-out visitor) is not timed, and spares the async context per request
  return hasSessionCookie(call.headers) ? withServerTiming(() => answer(call, performance.now())) : answer(call, performance.now());
}

async function answer(call: TrpcCall, t0: number): Promise<Response> {
  const userId = await timed("session", () => readSession(call));
  let bodyRead = !call.body;
  let req: Request;
  if (call.body instanceof Uint8Array) {
    if (call.body.length > ANONYMOUS_MAX_BODY_BYTES) throw new Error("a body read whole by the front must be within the smallest limit");
    req = wholeBodyRequest(call, call.body, () => (bodyRead = true));
  } else if (call.body) {
    const limit = bodyLimitFor(new URL(call.url).pathname, userId !== null);
    const tooLarge = () =>
      new AppError(
        "TOO_LARGE",
        `the request body is larger than ${formatBytes(limit)}${userId ? "" : " (the limit before sign-in)"}: send less at once`,
      );
    req = new Request(call.url, {
      method: call.method,
      headers: call.headers,
      body: limitStream(call.body, { maxBytes: limit, tooLarge, declaredBytes: declaredLength(call.headers), onEnd: () => (bodyRead = true) }),
      duplex: "half",
      ...(call.signal ? { signal: call.signal } : {}),
    } as RequestInit);
  } else {
    req = call instanceof Request ? call : new Request(call.url, { method: call.method, headers: call.headers, ...(call.signal ? { signal: call.signal } : {}) });
  }
  const t1 = performance.now();
  // tRPC's fetch adapter (fetchRequestHandler) is these lines around resolveResponse, plus two
  // copies of its options per call through tRPC's object-spread helper (3% of the web process's
  // CPU in a profile of 3,000 class joins, #18): the same call without the copies
  const resHeaders = new Headers();
  const response = await resolveResponse({
    req,
    router: appRouter,
    path: trimSlashes(trimSlashes(new URL(req.url).pathname).slice(ENDPOINT.length - 1)),
    error: null,
    createContext: async () => {
      // only requests that carry a session (or a classroom credential) can be forged with it
      if (userId || hasClassCredential(req)) {
        try {
          const e = env();
          assertSameOrigin(req, { trustProxy: e.TRUST_PROXY, publicUrl: e.PUBLIC_URL });
        } catch (e) {
          throw isAppError(e) ? toTRPCError(e) : e;
        }
      }
      return timed("context", () => createContext(req, userId, resHeaders));
    },
    responseMeta({ errors }) {
      const wait = Math.max(0, ...errors.map((e) => (isAppError(e.cause) ? (e.cause.options.retryAfterSeconds ?? 0) : 0)));
      if (wait > 0) resHeaders.set("retry-after", String(Math.ceil(wait)));
      return { headers: resHeaders };
    },
  });
  // where the time went, for signed-in callers only (durations, nothing else; bench:click reads it):
  // "encode" is tRPC's own share of the call (reading the body, routing, serializing the answer)
  if (userId) addSpan("encode", Math.max(0, performance.now() - t1 - spanOf("context") - spanOf("procedure")));
  const timing = userId ? serverTimingHeader(performance.now() - t0) : "";
  if (timing) response.headers.set("server-timing", timing);
  // answered before the body was read to its end (too large, refused): stop the sender
  if (!bodyRead) for (const [k, v] of Object.entries(CLOSE_CONNECTION)) response.headers.set(k, v);
  return response;
}
