/**
 * Every route a stranger can reach for findings, in one dispatcher (Next's route handlers under
 * app/f, app/p and app/oembed only hand the request over): the page, its versions, the embed,
 * the figure/CSV/JSON/citation files, the preview image, the viewer script, a workspace's public
 * list, and oEmbed. Route handlers rather than pages because a withdrawn finding must answer 410,
 * a hidden one 404, and the embed alone may be framed.
 *
 * Each route reads the finding through `readFinding` and serves only what its snapshot holds.
 */
import { isAppError, SCREEN_ZOOM } from "@statescope/core";
import { createHash } from "node:crypto";
import type { Db } from "@/server/db/client";
import type { Actor } from "@/server/services/authz";
import { ZFindingId } from "@/server/services/findings/ids";
import { FILE_NAMES, fileParams, findingFile, type FileName } from "@/server/services/findings/files";
import { publicFindings, readFinding, type FindingRead } from "@/server/services/findings/findings";
import { ZSlug } from "@/server/services/schemas";
import { embedPage, embedSize, embedSnippet, findingPage, notFoundPage, publicListPage, tombstonePage } from "./pages";
import { findingViewer } from "./viewer";

export interface ServeDeps {
  db: Db;
  /** The signed-in user, or null for a stranger. */
  viewer: Actor | null;
  /** Origin for absolute links (PUBLIC_URL, else the request's origin). */
  publicUrl: string;
  /** The request's time (a citation's "accessed" date). */
  now: Date;
}

/** The anonymous routes, as patterns (the exposure test enumerates them all). */
export const FINDING_ROUTES = [
  "/f/<id>",
  "/f/<id>/v<n>",
  "/f/<id>/embed",
  "/f/<id>/v<n>/embed",
  ...FILE_NAMES.flatMap((f) => [`/f/<id>/${f}`, `/f/<id>/v<n>/${f}`]),
  "/f/assets/viewer.js",
  "/p/<slug>",
  "/oembed",
] as const;

const VIEWER_JS = `(${findingViewer.toString()})();\n`;

const SECURITY = { "x-content-type-options": "nosniff", "referrer-policy": "strict-origin-when-cross-origin" } as const;
const NO_FRAMES = { "content-security-policy": "frame-ancestors 'none'", "x-frame-options": "DENY" } as const;

/**
 * The pages' policy: their one script is /f/assets/viewer.js, styles and fonts are inline (data:
 * fonts), figures are inline SVG. Only the embed may be framed, by any site.
 */
export function pagePolicy(frameable: boolean): string {
  return `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors ${frameable ? "*" : "'none'"}`;
}

function htmlResponse(body: string, status: number, headers: Record<string, string> = {}, frameable = false): Response {
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-cache",
      vary: "cookie",
      ...SECURITY,
      ...(frameable ? {} : { "x-frame-options": "DENY" }),
      "content-security-policy": pagePolicy(frameable),
      ...headers,
    },
  });
}

function notFound(): Response {
  return htmlResponse(notFoundPage(), 404, { "x-robots-tag": "noindex" });
}

function gone(r: Extract<FindingRead, { status: "withdrawn" }>): Response {
  return htmlResponse(tombstonePage(r), 410, { "x-robots-tag": "noindex" });
}

function badRequest(message: string): Response {
  return new Response(`${message}\n`, { status: 400, headers: { "content-type": "text/plain; charset=utf-8", ...SECURITY, ...NO_FRAMES } });
}

function robots(read: Extract<FindingRead, { status: "ok" }>): Record<string, string> {
  return read.visibility === "PUBLIC" ? {} : { "x-robots-tag": "noindex" };
}

function etagOf(body: Buffer): string {
  return `"${createHash("sha256").update(body).digest("hex").slice(0, 32)}"`;
}

interface Target {
  id: string;
  version: number | undefined;
  rest: string | undefined;
}

/** /f/<id>[/v<n>][/<rest>] → its parts, or null. */
function parseFindingPath(parts: string[]): Target | null {
  const [id, second, third, ...more] = parts;
  if (!id || !ZFindingId.safeParse(id).success || more.length > 0) return null;
  const v = second !== undefined ? /^v([1-9]\d{0,8})$/.exec(second) : null;
  if (v) return { id, version: Number(v[1]), rest: third };
  if (third !== undefined) return null;
  return { id, version: undefined, rest: second };
}

/** Dispatches a GET for /f/…, /p/<slug> or /oembed. */
export async function serveFinding(req: Request, deps: ServeDeps): Promise<Response> {
  const url = new URL(req.url);
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponentSafe);
  try {
    if (parts[0] === "oembed" && parts.length === 1) return await oembed(url, deps);
    if (parts[0] === "p" && parts.length === 2) return await publicList(parts[1]!, deps);
    if (parts[0] !== "f") return notFound();
    if (parts[1] === "assets" && parts[2] === "viewer.js" && parts.length === 3) {
      return new Response(VIEWER_JS, { headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=3600", ...SECURITY } });
    }
    const t = parseFindingPath(parts.slice(1));
    if (!t) return notFound();
    const read = await readFinding(deps.db, deps.viewer, t.id, t.version);
    if (read.status === "not-found") return notFound();
    if (read.status === "withdrawn") return gone(read);

    if (t.rest === undefined) {
      const z = Number(url.searchParams.get("zoom"));
      const zoom = Number.isInteger(z) && z >= SCREEN_ZOOM.min && z <= SCREEN_ZOOM.max ? z : SCREEN_ZOOM.default;
      const page = await findingPage(read, { publicUrl: deps.publicUrl, path: url.pathname, zoom, accessed: deps.now });
      return htmlResponse(page, 200, {
        ...robots(read),
        link: `<${deps.publicUrl}/oembed?url=${encodeURIComponent(`${deps.publicUrl}/f/${read.id}/v${read.version}`)}&format=json>; rel="alternate"; type="application/json+oembed"`,
      });
    }
    if (t.rest === "embed") {
      const theme = url.searchParams.get("theme") ?? "auto";
      if (theme !== "light" && theme !== "dark" && theme !== "auto") return badRequest(`theme must be light, dark or auto, got ${JSON.stringify(theme.slice(0, 40))}`);
      const page = await embedPage(read, { publicUrl: deps.publicUrl, theme });
      // the one route other sites may frame
      return htmlResponse(page, 200, robots(read), true);
    }
    if (!(FILE_NAMES as readonly string[]).includes(t.rest)) return notFound();
    const name = t.rest as FileName;
    const file = await findingFile(read, name, fileParams((k) => url.searchParams.get(k)), { publicUrl: deps.publicUrl, accessed: deps.now });
    const etag = etagOf(file.body);
    const open = read.visibility === "PUBLIC" || read.visibility === "UNLISTED";
    const maxAge = name.startsWith("cite.") ? 0 : t.version ? 300 : 60;
    const headers: Record<string, string> = {
      "content-type": file.contentType,
      "content-disposition": `${name === "matches.csv" || name === "cite.bib" ? "attachment" : "inline"}; filename="${file.filename}"`,
      "cache-control": maxAge ? `${open ? "public" : "private"}, max-age=${maxAge}` : "no-cache",
      etag,
      vary: "cookie",
      ...SECURITY,
      ...NO_FRAMES,
      ...robots(read),
      ...(name === "figure.svg" ? { "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; font-src data:; frame-ancestors 'none'" } : {}),
    };
    if (req.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
    return new Response(new Uint8Array(file.body), { status: 200, headers });
  } catch (e) {
    if (isAppError(e) && (e.code === "BAD_INPUT" || e.code === "UNSUPPORTED")) return badRequest(e.message);
    throw e;
  }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return "\u0000"; // never a valid id or slug
  }
}

async function publicList(slug: string, deps: ServeDeps): Promise<Response> {
  if (!ZSlug.safeParse(slug).success) return notFound();
  const list = await publicFindings(deps.db, slug);
  if (!list) return notFound();
  return htmlResponse(publicListPage({ slug, ...list }), 200);
}

/** oEmbed (https://oembed.com): a rich iframe for an unlisted or public finding's URL. */
async function oembed(url: URL, deps: ServeDeps): Promise<Response> {
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8", "cache-control": status === 200 ? "public, max-age=300" : "no-cache", ...SECURITY, ...NO_FRAMES } });
  const format = url.searchParams.get("format") ?? "json";
  if (format !== "json") return json({ error: "only format=json is served" }, 501);
  const target = url.searchParams.get("url");
  let parsed: URL;
  try {
    parsed = new URL(target ?? "");
  } catch {
    return json({ error: "url must be the absolute link of a finding" }, 400);
  }
  if (parsed.origin !== new URL(deps.publicUrl).origin && parsed.origin !== url.origin) return json({ error: "not a finding of this site" }, 404);
  const segs = parsed.pathname.split("/").filter(Boolean);
  const t = segs[0] === "f" ? parseFindingPath(segs.slice(1)) : null;
  if (!t || (t.rest !== undefined && t.rest !== "embed")) return json({ error: "not a finding link" }, 404);
  // consumers fetch anonymously: only what a stranger may see is embeddable
  const read = await readFinding(deps.db, null, t.id, t.version);
  if (read.status === "withdrawn") return json({ error: "withdrawn by the authors" }, 410);
  if (read.status !== "ok") return json({ error: "not found" }, 404);
  const s = read.data.snapshot;
  const maxW = Number(url.searchParams.get("maxwidth")) || Infinity;
  const maxH = Number(url.searchParams.get("maxheight")) || Infinity;
  const full = embedSize(read);
  const k = Math.min(1, maxW / full.width, maxH / full.height);
  const width = Math.max(200, Math.floor(full.width * k));
  const height = Math.max(150, Math.floor(full.height * k));
  const src = `${deps.publicUrl}/f/${read.id}${t.version ? `/v${t.version}` : ""}/embed`;
  return json({
    version: "1.0",
    type: "rich",
    provider_name: "Statescope",
    provider_url: deps.publicUrl,
    title: s.title,
    author_name: s.authors.map((a) => a.name).join(", "),
    html: embedSnippet(src, s.title, { width, height }),
    width,
    height,
    thumbnail_url: `${deps.publicUrl}/f/${read.id}/v${read.version}/preview.png`,
    thumbnail_width: 1200,
    thumbnail_height: 630,
    cache_age: 300,
  });
}

/** For route handlers: an unexpected error as a 500 page, logged. */
export function serverError(e: unknown): Response {
  if (isAppError(e) && e.code === "NOT_FOUND") return notFound();
  console.error("finding route failed:", e);
  return new Response("the finding could not be shown because of a server error; try again\n", { status: 500, headers: { "content-type": "text/plain; charset=utf-8", ...SECURITY } });
}
