/**
 * Next.js proxy (formerly middleware): per-request security headers for pages, nothing else.
 * Authorization never lives here — a proxy can be skipped by request shapes the framework did not
 * foresee; every page, route handler and procedure checks the session and role itself.
 *
 * API routes are not matched: Next.js buffers a request's body for the proxy, which would defeat
 * the streamed body limits of the upload and tRPC routes (their headers come from next.config.js).
 */
import { NextResponse, type NextRequest } from "next/server";
import { env, githubAuthEnabled } from "@/server/env";
import { requestOrigin } from "@/server/http/request-origin";
import { contentSecurityPolicy, newNonce, setsOwnPolicy } from "@/server/http/security-headers";
import { syncUrlFor } from "@/server/services/sync-tokens";

export function proxy(request: NextRequest) {
  if (setsOwnPolicy(request.nextUrl.pathname)) return NextResponse.next();
  const e = env();
  const nonce = newNonce();
  const origin = requestOrigin(request, { trustProxy: e.TRUST_PROXY });
  const csp = contentSecurityPolicy({
    nonce,
    syncUrl: syncUrlFor({ publicUrl: e.SYNC_PUBLIC_URL, requestOrigin: e.PUBLIC_URL ?? origin, syncPort: e.SYNC_PORT }),
    dev: e.NODE_ENV === "development",
    https: origin.startsWith("https:"),
    githubSignIn: githubAuthEnabled(e),
  });
  // Next.js reads the nonce from the request's policy and puts it on the scripts it renders
  const headers = new Headers(request.headers);
  headers.set("content-security-policy", csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  return response;
}

export const config = {
  matcher: [
    {
      source: "/((?!api/|_next/static|_next/image|favicon.ico).*)",
      // router prefetches fetch RSC payloads, not documents
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
