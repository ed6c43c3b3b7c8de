/**
 * Who is asking, and at which address they reached us: the one place that reads a request's
 * host, scheme and client address.
 *
 * Forwarded headers (`x-forwarded-host`, `-proto`, `-for`) are set by whoever sends the request,
 * and `next start` passes client-sent ones through. So the web process is our own front
 * (web-server.ts, a Next.js custom server): before Next.js sees a request, `applyForwarded`
 * replaces them with what the socket says — or, when TRUST_PROXY says a reverse proxy we run sits
 * in front, with what that proxy wrote. Inside the app `x-forwarded-for` is therefore always the
 * client's address, and the origin functions below read the proxy's host/scheme only when
 * TRUST_PROXY is on (otherwise the Host header, which the front copies unchanged).
 */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";

export interface RequestLike {
  url: string;
  headers: Pick<Headers, "get">;
}

export interface OriginSettings {
  /** TRUST_PROXY: a reverse proxy in front sets the x-forwarded-* headers. */
  trustProxy: boolean;
}

/** Addresses a server binds to that no browser can open. */
const WILDCARD_HOSTS = new Set(["0.0.0.0", "[::]", "::", "[::0]"]);
/** host[:port], a bracketed IPv6 literal allowed; nothing that could smuggle a path or user info. */
const HOST_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/** First value of a comma-separated forwarded header (the one the client-facing proxy wrote). */
function first(v: string | null | undefined): string | undefined {
  const s = v?.split(",")[0]?.trim();
  return s ? s : undefined;
}

/**
 * The origin the browser used to reach us (e.g. `http://127.0.0.1:3000`), never a wildcard bind
 * address: the proxy's forwarded host/scheme when trusted, else the Host header, else the URL.
 */
export function requestOrigin(req: RequestLike, s: OriginSettings): string {
  const url = new URL(req.url);
  let proto = url.protocol.replace(/:$/, "");
  let host: string | undefined;
  if (s.trustProxy) {
    const fp = first(req.headers.get("x-forwarded-proto"))?.toLowerCase();
    if (fp === "http" || fp === "https") proto = fp;
    host = first(req.headers.get("x-forwarded-host"));
  }
  host ??= req.headers.get("host")?.trim() || undefined;
  if (!host || !HOST_RE.test(host)) host = url.host;
  const hostname = host.replace(/:\d+$/, "");
  if (WILDCARD_HOSTS.has(hostname)) host = `localhost${host.slice(hostname.length)}`;
  return `${proto}://${host}`;
}

/** Base of links we hand out (invites): PUBLIC_URL when set, else the request's origin. */
export function publicBaseUrl(req: RequestLike, s: OriginSettings & { publicUrl?: string | undefined }): string {
  return publicBaseUrlOf(requestOrigin(req, s), s.publicUrl);
}

/** {@link publicBaseUrl} from a request origin already read (`requestOrigin`). */
export function publicBaseUrlOf(origin: string, publicUrl: string | undefined): string {
  return (publicUrl ?? origin).replace(/\/$/, "");
}

/** The calling client's address, as the web server's front established it (`applyForwarded`). */
export function clientAddress(req: Pick<RequestLike, "headers">): string {
  return first(req.headers.get("x-forwarded-for")) ?? "unknown";
}

// ---------------------------------------------------------------------------
// The front's side (web-server.ts)

export interface Forwarded {
  /** The client's IP address (as the socket or the trusted proxy saw it). */
  for: string;
  proto: "http" | "https";
  /** host[:port] the client asked for. */
  host: string;
}

const firstOf = (v: string | string[] | undefined): string | undefined => first(Array.isArray(v) ? v[0] : v);

/** An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is the IPv4 address. */
function normalizeAddress(a: string): string {
  const s = a.trim();
  return s.startsWith("::ffff:") && s.includes(".") ? s.slice(7) : s;
}

/**
 * What the app may believe about a request that arrived on `socket`: without a trusted proxy, the
 * socket alone; behind one, the address that proxy appended to X-Forwarded-For (entries further
 * left were written by whoever the client is, and are ignored) and its X-Forwarded-Proto / -Host.
 */
export function resolveForwarded(
  socket: { remoteAddress?: string | undefined; encrypted?: boolean | undefined },
  headers: IncomingHttpHeaders,
  trustProxy: boolean,
): Forwarded {
  const hostHeader = firstOf(headers.host);
  const own: Forwarded = {
    for: normalizeAddress(socket.remoteAddress ?? "unknown"),
    proto: socket.encrypted ? "https" : "http",
    host: hostHeader && HOST_RE.test(hostHeader) ? hostHeader : "localhost",
  };
  if (!trustProxy) return own;
  const appended = (Array.isArray(headers["x-forwarded-for"]) ? headers["x-forwarded-for"].join(",") : (headers["x-forwarded-for"] ?? "")).split(",").at(-1)?.trim();
  const proto = firstOf(headers["x-forwarded-proto"])?.toLowerCase();
  const host = firstOf(headers["x-forwarded-host"]);
  return {
    for: appended ? normalizeAddress(appended) : own.for,
    proto: proto === "https" || proto === "http" ? proto : own.proto,
    host: host && HOST_RE.test(host) ? host : own.host,
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
export function applyForwarded(req: Pick<IncomingMessage, "headers" | "socket">, trustProxy: boolean): void {
  const f = resolveForwarded({ remoteAddress: req.socket.remoteAddress, encrypted: (req.socket as { encrypted?: boolean }).encrypted }, req.headers, trustProxy);
  req.headers["x-forwarded-for"] = f.for;
  req.headers["x-forwarded-proto"] = f.proto;
  req.headers["x-forwarded-host"] = f.host;
  delete req.headers["x-forwarded-port"]; // Next.js fills it in from the port it listens on
  delete req.headers.forwarded;
  for (const h of INTERNAL_HEADERS) delete req.headers[h];
}
