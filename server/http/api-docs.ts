/**
 * The interactive API docs at /api/docs: Swagger UI served from its npm package (no CDN: the
 * server and its users may be offline), with its own strict policy — scripts and styles from
 * here only (Swagger UI sets inline styles), requests to this origin only.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

export const DOCS_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ASSETS = {
  "swagger-ui.css": { file: "swagger-ui.css", type: "text/css; charset=utf-8" },
  "swagger-ui-bundle.js": { file: "swagger-ui-bundle.js", type: "text/javascript; charset=utf-8" },
} as const;

/** Starts Swagger UI on the generated document; a file, not inline, so the policy needs no 'unsafe-inline' script. */
const INIT = `window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true, persistAuthorization: false, tryItOutEnabled: false });
});
`;

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Statescope API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body>
</html>
`;

const headers = (type: string) => ({ "content-type": type, "content-security-policy": DOCS_POLICY, "cache-control": "public, max-age=3600" });

export function docsPage(): Response {
  return new Response(DOCS_HTML, { headers: headers("text/html; charset=utf-8") });
}

export async function docsAsset(name: string): Promise<Response> {
  if (name === "init.js") return new Response(INIT, { headers: headers("text/javascript; charset=utf-8") });
  const a = (ASSETS as Record<string, { file: string; type: string }>)[name];
  if (!a) return Response.json({ error: { code: "NOT_FOUND", message: `no docs asset ${name}` } }, { status: 404 });
  const body = await readFile(path.join(process.cwd(), "node_modules", "swagger-ui-dist", a.file));
  return new Response(new Uint8Array(body), { headers: headers(a.type) });
}
