/**
 * The join's first realtime ticket, handed from the join form to the session page it opens: a
 * class of 1,000 joins at once, and asking for a ticket again right after joining was a second
 * request per student. The hand-over lives in this page's memory only (a client-side navigation
 * keeps it; a reload does not need it) and is taken once, while the ticket is still fresh; every
 * later ticket (a reconnect, an expired one) comes from `classroom.ticket` as before.
 */
import type { TokenOut } from "@/app/_components/room/use-room";

/** A handed-over ticket is used only within this share of its lifetime (the socket opens right after). */
const FRESH_SHARE = 0.5;

const handed = new Map<string, { ticket: TokenOut; expiresAt: number }>();

/** Keep the ticket the join answered with for the session page. */
export function handOverTicket(sessionId: string, ticket: TokenOut & { expiresInSeconds: number }, now = Date.now()): void {
  handed.set(sessionId, { ticket, expiresAt: now + ticket.expiresInSeconds * 1000 * FRESH_SHARE });
}

/** The handed-over ticket of this session (once), or null when there is none or it is no longer fresh. */
export function takeHandedTicket(sessionId: string, now = Date.now()): TokenOut | null {
  const h = handed.get(sessionId);
  handed.delete(sessionId);
  return h && now < h.expiresAt ? h.ticket : null;
}
