/**
 * `@handle` mentions. A member's handle is the local part of their email, lowercased
 * (ada.lovelace@lab.org → `@ada.lovelace`); `@` plus the full email also works, which
 * disambiguates two members with the same local part (a bare `@ada` then mentions both).
 * An `@` preceded by a letter, digit or `.`/`_`/`+`/`-` (as inside an email address) is no mention.
 */
import { handleOf } from "./common";

const MENTION = /(^|[^A-Za-z0-9._+-])@([A-Za-z0-9._+-]+(?:@[A-Za-z0-9.-]+\.[A-Za-z]{2,})?)/g;

/** The distinct handles or emails mentioned in `body`, lowercased, trailing dots trimmed. */
export function parseMentions(body: string): string[] {
  const out = new Set<string>();
  for (const m of body.matchAll(MENTION)) {
    const h = m[2]!.replace(/\.+$/, "").toLowerCase();
    if (h) out.add(h);
  }
  return [...out];
}

/** The members (`{id, email}`) that `body` mentions. */
export function resolveMentions<M extends { id: string; email: string }>(body: string, members: readonly M[]): M[] {
  const wanted = new Set(parseMentions(body));
  if (wanted.size === 0) return [];
  return members.filter((m) => wanted.has(m.email.toLowerCase()) || wanted.has(handleOf(m.email)));
}
