import { redirect } from "next/navigation";
import { currentUserId } from "@/server/auth";
import { signInUrl } from "@/server/http/callback-path";

export type SearchParams = Record<string, string | string[] | undefined>;

/** A page's `searchParams` prop as URLSearchParams (repeated keys kept). */
export function searchParamsOf(sp: SearchParams | undefined): URLSearchParams {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(sp ?? {})) for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) q.append(k, x);
  return q;
}

/** `path` with the page's query string, as the browser had it (a deep link keeps its view). */
export function withQuery(path: string, searchParams?: SearchParams): string {
  const s = searchParamsOf(searchParams).toString();
  return s ? `${path}?${s}` : path;
}

/**
 * Server components: the signed-in user's id, or a redirect to sign-in that comes back to
 * `returnTo` (give the page's full path and query: see {@link withQuery}).
 */
export async function requireUser(returnTo: string): Promise<string> {
  const id = await currentUserId();
  if (!id) redirect(signInUrl(returnTo));
  return id;
}
