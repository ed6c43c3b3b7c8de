/**
 * Where to send someone after sign-in / sign-up: only a path on this site, with its query and
 * hash kept (a deep link to an explore view must survive sign-in). Anything a browser could read
 * as another origin is refused: `//host`, `/\host` (browsers treat `\` as `/`), tabs or newlines
 * (browsers drop them, so `/\t/host` is `//host`), absolute URLs, `javascript:`.
 */
export const DEFAULT_AFTER_SIGN_IN = "/w";
const MAX_LENGTH = 4096;
const BASE = "http://callback.invalid";

export function safeCallbackPath(raw: unknown, fallback: string = DEFAULT_AFTER_SIGN_IN): string {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > MAX_LENGTH) return fallback;
  if (!raw.startsWith("/") || raw.startsWith("//")) return fallback;
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f\s]/.test(raw)) return fallback;
  let u: URL;
  try {
    u = new URL(raw, BASE);
  } catch {
    return fallback;
  }
  if (u.origin !== BASE) return fallback;
  const path = `${u.pathname}${u.search}${u.hash}`;
  // the normalised path must still be a plain path (e.g. "/./%2F..." normalising to "//x")
  return path.startsWith("/") && !path.startsWith("//") ? path : fallback;
}

/** `/signin?callbackUrl=…` (or `/signup`) that comes back to `path`. */
export function signInUrl(path: string, page: "/signin" | "/signup" = "/signin"): string {
  return `${page}?callbackUrl=${encodeURIComponent(safeCallbackPath(path))}`;
}
