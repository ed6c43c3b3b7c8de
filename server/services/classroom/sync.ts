/**
 * A classroom's realtime room (`class:<session id>`): tickets for participants, and their current
 * sync roles for the sync server's admission and 2-second re-check. A participant's token names
 * the participant (`u`) and the session as its "workspace" (`w` = the room name), so the sync
 * server's one membership rule covers both kinds of room (`roomRoles`).
 */
import { classRoomName, colorFor, isClassRoom } from "@statescope/collab";
import { pgPool, type Db } from "@/server/db/client";
import { memberRoles, type MemberKey } from "@/server/services/authz";
import type { Role } from "@/server/services/schemas";
import { signSyncToken, SYNC_TOKEN_TTL_SECONDS, syncUrlFor, type RoomTicket, type TicketSettings } from "@/server/services/sync-tokens";
import type { ClassRole } from "./schemas";
import { syncRoleOf, type Participant } from "./sessions";

export function issueClassTicket(p: Participant, settings: TicketSettings, now = Date.now()): RoomTicket {
  const room = classRoomName(p.sessionId);
  const role = syncRoleOf(p, p.session.presenterId);
  const me = { id: p.id, name: p.name, color: colorFor(p.id) };
  const token = signSyncToken(settings.secret, { u: me.id, w: room, r: room, role, n: me.name, c: me.color }, now);
  return { room, token, url: syncUrlFor(settings), expiresInSeconds: SYNC_TOKEN_TTL_SECONDS, role, user: me };
}

/**
 * The participants' rows the sync roles are decided from, in one prepared statement: the sync
 * server asks at every admission (a class of 1,000 joining: batched, still dozens of calls) and
 * re-checks every open socket every 2 s, on the event loop that delivers the presenter's updates,
 * where Prisma's per-call work (query compiler, nested select) cost more than the query.
 */
const SYNC_ROLES = {
  name: "class-sync-roles",
  text: `select p.id, p.role::text as role, p."sessionId", p."removedAt" is not null as removed, s."presenterId", s."endedAt" is not null as ended
    from "ClassParticipant" p join "ClassSession" s on s.id = p."sessionId"
    where p.id = any($1::text[])`,
};

/** Current sync roles of participants (keys whose workspace is a class room), null when removed or the session ended. */
export async function participantSyncRoles(db: Db, keys: readonly MemberKey[]): Promise<(Role | null)[]> {
  if (keys.length === 0) return [];
  const ids = [...new Set(keys.map((k) => k.userId))];
  const rows = (await pgPool(db).query<{ id: string; role: ClassRole; sessionId: string; removed: boolean; presenterId: string | null; ended: boolean }>({ ...SYNC_ROLES, values: [ids] })).rows;
  const byId = new Map(rows.map((r) => [r.id, r]));
  return keys.map((k) => {
    const r = byId.get(k.userId);
    if (!r || r.removed || r.ended || classRoomName(r.sessionId) !== k.workspaceId) return null;
    return syncRoleOf(r, r.presenterId);
  });
}

/** The sync server's membership rule for every room: workspace members, and classroom participants. */
export async function roomRoles(db: Db, keys: readonly MemberKey[]): Promise<(Role | null)[]> {
  const cls = keys.flatMap((k, i) => (isClassRoom(k.workspaceId) ? [i] : []));
  if (cls.length === 0) return memberRoles(db, keys);
  const ws = keys.flatMap((k, i) => (isClassRoom(k.workspaceId) ? [] : [i]));
  const [a, b] = await Promise.all([participantSyncRoles(db, cls.map((i) => keys[i]!)), memberRoles(db, ws.map((i) => keys[i]!))]);
  const out: (Role | null)[] = new Array(keys.length).fill(null);
  cls.forEach((i, j) => (out[i] = a[j]!));
  ws.forEach((i, j) => (out[i] = b[j]!));
  return out;
}
