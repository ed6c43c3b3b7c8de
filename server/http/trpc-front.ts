/**
 * The tRPC endpoint answered by the web server itself (web-server.ts), in front of Next.js.
 *
 * Next.js's way to a route handler (its router, the app-route module, its request and response
 * wrappers, the per-request async storage) costs more per call than the procedure behind it: a
 * class of 1,000 answering a task at once spent most of the web process's CPU there (#18), and a
 * click's tRPC call 10–16 ms (#15). This front answers GET and POST /api/trpc/<procedures> with the
 * same handler as the Next route (trpc-handler.ts: session, Origin check, body limits, context,
 * Retry-After, Server-Timing) and gives the answer exactly the response Next.js gives it: the
 * static headers of next.config.js (static-headers.mjs), Next's Vary, the same compression
 * middleware, the handler's headers copied the way Next copies them — with one difference in
 * framing: a JSON answer leaves in one write (below 1 KiB not gzipped), where Next.js streams it
 * in pieces (always gzipped for a client that accepts it). A small JSON body (a class's answer) is
 * read whole before the handler runs, instead of through two web streams and a Request
 * (wholeBodyLength). Anything else (other
 * methods, a path Next.js would normalise first) goes on to Next.js, whose route stays the one in
 * dev mode and wherever this server is not used (TRPC_FRONT=0 turns the front off).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import compression from "next/dist/compiled/compression/index.js";
import { releaseCompressionStream } from "next/dist/server/lib/release-compression-stream.js";
import { ANONYMOUS_MAX_BODY_BYTES, answerTrpc, mayStream, type TrpcCall } from "./trpc-handler";
import { API_RESPONSE, EVERY_RESPONSE, HTTPS_RESPONSE } from "./static-headers.mjs";

/** One procedure or a batch ("a.b,c.d"); a path Next.js would rewrite first (trailing slash, dots, escapes) is left to it. */
const TRPC_PATH = /^\/api\/trpc\/\w[\w.,-]*$/;
/** What Next.js puts in Vary on every App Router response (base-server.ts setVaryHeader). */
const NEXT_VARY = "rsc, next-router-state-tree, next-router-prefetch, next-router-segment-prefetch";
/** Response headers Next.js does not copy from a route handler's Response (send-response.ts). */
const NOT_COPIED = new Set(["content-length", "content-encoding", "transfer-encoding", "x-middleware-set-cookie"]);
/** Headers Next.js copies even when already set (appended). */
const MULTI_VALUED = new Set(["set-cookie", "www-authenticate", "proxy-authenticate", "vary"]);

type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export interface TrpcFront {
  /** Answers `req` when it is a tRPC call (true); false: not ours, pass it on to Next.js. */
  (req: IncomingMessage, res: ServerResponse): boolean;
}

/**
 * The front for a server bound to `hostname`:`port` (the request URL the handler sees is built
 * from them and x-forwarded-proto, as Next.js builds it). Call after applyForwarded.
 */
export function trpcFront(opts: { hostname: string; port: number }): TrpcFront {
  const compress: Middleware = compression();
  const host = opts.hostname.includes(":") ? `[${opts.hostname}]` : opts.hostname;
  return (req, res) => {
    if (req.method !== "GET" && req.method !== "POST") return false;
    const url = req.url ?? "";
    const q = url.indexOf("?");
    const pathname = q < 0 ? url : url.slice(0, q);
    if (!TRPC_PATH.test(pathname)) return false;
    void serve(req, res, `${host}:${opts.port}`, compress, pathname).catch((e: unknown) => {
      console.error("tRPC front:", e);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
    return true;
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, host: string, compress: Middleware, pathname: string): Promise<void> {
  compress(req, res, () => {});
  // a client that leaves mid-answer would leave the compressor's stream open (router-server.ts)
  res.once("close", () => {
    if (!res.writableFinished) releaseCompressionStream(res);
  });
  req.on("error", () => {});
  res.on("error", () => {});
  const https = (req.headers["x-forwarded-proto"] ?? "").includes("https");
  for (const [k, v] of [...EVERY_RESPONSE, ...API_RESPONSE, ...(https ? HTTPS_RESPONSE : [])]) res.setHeader(k, v);
  res.appendHeader("vary", NEXT_VARY);

  const length = wholeBodyLength(req, pathname);
  const call = toCall(req, res, `${https ? "https" : "http"}://${host}${req.url}`, pathname, length === null);
  if (length !== null) {
    const bytes = await readWhole(req, length);
    if (!bytes) return void res.destroy(); // the client went before its body was in
    call.body = bytes;
  }
  const response = await answerTrpc(call);

  res.statusCode = response.status;
  res.statusMessage = response.statusText;
  response.headers.forEach((value, name) => {
    if (NOT_COPIED.has(name)) return;
    if (name === "set-cookie") return;
    if (MULTI_VALUED.has(name) || res.getHeader(name) === undefined) res.appendHeader(name, value);
  });
  for (const c of response.headers.getSetCookie()) res.appendHeader("set-cookie", c);
  if (!response.body) {
    res.end();
    return;
  }
  if (response.headers.get("content-type") === "application/json" && !response.headers.has("transfer-encoding")) {
    // a whole JSON answer (not a jsonl batch stream, not events): one write, so the compressor
    // knows its length and leaves one below its threshold (1 KiB) uncompressed. Next.js writes it
    // in pieces, and every answer, however small, got a gzip stream of its own (a tenth of the
    // web process's CPU while a class answered, #18).
    res.end(Buffer.from(await response.arrayBuffer()));
    return;
  }
  // streamed as it comes (subscriptions are server-sent events), flushed through the compressor
  const flush = (res as ServerResponse & { flush?: () => void }).flush;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (res.destroyed) break;
    if (!res.write(chunk)) await new Promise<void>((ok) => (res.once("drain", ok), res.once("close", ok)));
    flush?.call(res);
  }
  res.end();
}

/**
 * The declared length of a body the front reads whole before the handler runs (TrpcCall.body as
 * bytes), or null when it streams: a POST of JSON (what tRPC then reads, with json()) whose
 * Content-Length is within the smallest body limit of any caller (ANONYMOUS_MAX_BODY_BYTES, so no
 * limit is passed by reading it), to a call that may not stream. Everything else streams through
 * the handler's limit as before.
 */
function wholeBodyLength(req: IncomingMessage, pathname: string): number | null {
  if (req.method !== "POST" || req.headers["transfer-encoding"] !== undefined) return null;
  const type = req.headers["content-type"]?.toLowerCase().split(";", 1)[0]?.trim();
  const declared = req.headers["content-length"];
  if (type !== "application/json" || declared === undefined || !/^\d+$/.test(declared)) return null;
  const n = Number(declared);
  return n <= ANONYMOUS_MAX_BODY_BYTES && !mayStream(pathname) ? n : null;
}

/** The request's body of `length` bytes (the HTTP parser delivers exactly the declared length), or null when the client went first. */
function readWhole(req: IncomingMessage, length: number): Promise<Buffer | null> {
  return new Promise((ok) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.once("end", () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
      ok(body.length === length ? body : null);
    });
    req.once("close", () => ok(null)); // after "end" this changes nothing
  });
}

/**
 * The call the handler takes: the body streamed from the socket; a subscription's is aborted when
 * the client goes. A query's or a mutation's gets no signal of its own: none of them watches one,
 * and each AbortController (Node makes it transferable) was a tenth of a millisecond of a class's
 * every answer, on top of the ones the Request and tRPC make.
 */
function toCall(req: IncomingMessage, res: ServerResponse, url: string, pathname: string, streamBody: boolean): TrpcCall {
  let signal: AbortSignal | undefined;
  if (mayStream(pathname)) {
    const ac = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) ac.abort();
    });
    signal = ac.signal;
  }
  // req.headers, not rawHeaders: applyForwarded has replaced the forwarded ones there
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else if (v !== undefined) headers.append(k, v);
  }
  // (a body read whole instead is put in by the caller: wholeBodyLength)
  const body = req.method === "GET" || req.method === "HEAD" || !streamBody ? null : (Readable.toWeb(req) as ReadableStream<Uint8Array>);
  return { url, method: req.method!, headers, body, signal };
}
