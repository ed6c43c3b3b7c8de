/**
 * Who is asking, and at which address they reached us: the one place that reads a request's
 * host, scheme and client address. Forwarded headers (`x-forwarded-host`, `-proto`, `-for`) are
 * set by whoever sends the request; they are believed only when TRUST_PROXY says a proxy we run
 * sits in front and overwrites them. (Next's own server passes client-sent ones through.)
 */
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
function first(v: string | null): string | undefined {
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
  return (s.publicUrl ?? requestOrigin(req, s)).replace(/\/$/, "");
}

/**
 * The client's address: with a trusted proxy, the last x-forwarded-for entry (the one that proxy
 * appended: earlier entries come from the client); otherwise the socket's address, when known.
 */
export function clientAddress(req: Pick<RequestLike, "headers">, socketAddress: string | undefined, s: OriginSettings): string | undefined {
  if (s.trustProxy) {
    const last = req.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
    if (last) return last;
  }
  return socketAddress;
}
