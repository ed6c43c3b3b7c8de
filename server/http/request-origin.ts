/**
 * Who is calling, and which origin they reached: the one place that answers both.
 *
 * The web server (web-server.ts) sets `x-forwarded-for`, `-proto` and `-host` on every request
 * from the socket, or from the trusted proxies' headers when TRUST_PROXY says there are some,
 * before Next.js sees the request; whatever a client sent in those headers is replaced. Code in
 * the app therefore reads them as facts: `clientAddress` for rate limits, `requestOrigin` for
 * the Origin check, invite links and the sync URL.
 */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";

export interface Forwarded {
  /** The client's IP address (as the socket or the trusted proxy saw it). */
  for: string;
  proto: "http" | "https";
  /** host[:port] the client asked for. */
  host: string;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** host[:port] as a browser sends it, or null for anything else (it ends up in URLs and headers). */
const hostOrNull = (h: string | undefined): string | null => (h && /^[A-Za-z0-9.\-:[\]]{1,300}$/.test(h) ? h : null);

/** An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is the IPv4 address. */
function normalizeAddress(a: string): string {
  const s = a.trim();
  return s.startsWith("::ffff:") && s.includes(".") ? s.slice(7) : s;
}

/**
 * What the app may believe about a request that arrived on `socket`: with `trustProxy` = 0 the
 * socket alone; with N trusted proxies, the address the N-th proxy from us appended to
 * X-Forwarded-For (entries further left were written by whoever the client is, and are ignored)
 * and the outermost proxy's X-Forwarded-Proto / -Host.
 */
export function resolveForwarded(
  socket: { remoteAddress?: string | undefined; encrypted?: boolean | undefined },
  headers: IncomingHttpHeaders,
  trustProxy: number,
): Forwarded {
  const own: Forwarded = {
    for: normalizeAddress(socket.remoteAddress ?? "unknown"),
    proto: socket.encrypted ? "https" : "http",
    host: hostOrNull(first(headers.host)) ?? "localhost",
  };
  if (trustProxy <= 0) return own;
  const chain = [
    ...(first(headers["x-forwarded-for"]) ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    own.for,
  ];
  const proto = first(headers["x-forwarded-proto"])?.split(",")[0]?.trim().toLowerCase();
  const host = first(headers["x-forwarded-host"])?.split(",")[0]?.trim();
  return {
    for: normalizeAddress(chain[Math.max(0, chain.length - 1 - trustProxy)]!),
    proto: proto === "https" || proto === "http" ? proto : own.proto,
    host: hostOrNull(host) ?? own.host,
  };
}

/**
 * Headers only Next.js itself sets on its internal requests (a client sending one is lying), and
 * the Pages Router's prefetch marker, which this App Router app never sends and which turns any
 * page into an empty 200.
 */
const INTERNAL_HEADERS = [
  "x-middleware-subrequest",
  "x-middleware-subrequest-id",
  "x-middleware-invoke",
  "x-middleware-prefetch",
  "x-invoke-path",
  "x-invoke-query",
  "x-invoke-output",
  "x-invoke-status",
  "x-invoke-error",
];

/** Overwrites the forwarded headers of `req` with what this process can vouch for. */
export function applyForwarded(req: Pick<IncomingMessage, "headers" | "socket">, trustProxy: number): void {
  const f = resolveForwarded({ remoteAddress: req.socket.remoteAddress, encrypted: (req.socket as { encrypted?: boolean }).encrypted }, req.headers, trustProxy);
  req.headers["x-forwarded-for"] = f.for;
  req.headers["x-forwarded-proto"] = f.proto;
  req.headers["x-forwarded-host"] = f.host;
  delete req.headers["x-forwarded-port"]; // Next.js fills it in from the port it listens on
  delete req.headers.forwarded;
  for (const h of INTERNAL_HEADERS) delete req.headers[h];
}

/** The calling client's address, as the web server established it. */
export function clientAddress(headers: Headers): string {
  return headers.get("x-forwarded-for")?.split(",")[0]?.trim() || "unknown";
}

/** The origin (scheme://host[:port]) the client reached, as the web server established it. */
export function requestOrigin(headers: Headers): string {
  const proto = headers.get("x-forwarded-proto") === "https" ? "https" : "http";
  const host = headers.get("x-forwarded-host") ?? headers.get("host") ?? "localhost";
  return `${proto}://${host}`;
}

/** True when the client reached us over HTTPS (directly, or through a trusted proxy). */
export function isHttps(headers: Headers): boolean {
  return headers.get("x-forwarded-proto") === "https";
}
