/**
 * Workspace authorization: the one rule every workspace-scoped use case goes
 * through (the tRPC middleware calls `requireRole`).
 */
import { AppError } from "@statescope/core";
import { pgPool, type Db } from "@/server/db/client";
import type { Role } from "./schemas";

export const ROLE_RANK: Record<Role, number> = { VIEWER: 1, EDITOR: 2, OWNER: 3 };

export interface Actor {
  userId: string;
}

export interface WorkspaceAccess {
  workspace: { id: string; slug: string; name: string };
  role: Role;
  /**
   * Set for a classroom participant's session credential (services/classroom): the access reaches
   * this one dataset of the workspace only, and only the procedures access.ts lists in CLASSROOM_DATA.
   */
  onlyDataset?: string;
  participantId?: string;
}

/**
 * Who reads a dataset: its workspace's members, or a classroom's participants through their session
 * credential (`onlyDataset`). The class sees the dataset as imported: the members' own records
 * (the "annotations" track of their labels; hypotheses and comments are not reachable at all)
 * stay inside the workspace, since a student may not "see anything else of the workspace".
 */
export type Audience = "members" | "class";

export function audienceOf(access: WorkspaceAccess): Audience {
  return access.onlyDataset === undefined ? "members" : "class";
}

/** One (workspace, user) pair whose membership is asked about. */
export interface MemberKey {
  workspaceId: string;
  userId: string;
}

/**
 * The current roles of many (workspace, user) pairs, in order, null for a non-member: one query
 * however many pairs (the sync process re-checks every open socket this way). The one place that
 * reads memberships for authorization, with `requireRole` (the same rows, joined to the workspace's slug).
 */
export async function memberRoles(db: Db, keys: readonly MemberKey[]): Promise<(Role | null)[]> {
  if (keys.length === 0) return [];
  const users = new Map<string, Set<string>>();
  for (const k of keys) {
    const set = users.get(k.workspaceId) ?? new Set<string>();
    set.add(k.userId);
    users.set(k.workspaceId, set);
  }
  const rows = await db.membership.findMany({
    where: { OR: [...users].map(([workspaceId, ids]) => ({ workspaceId, userId: { in: [...ids] } })) },
    select: { workspaceId: true, userId: true, role: true },
  });
  const role = new Map(rows.map((r) => [`${r.workspaceId}\u0000${r.userId}`, r.role]));
  return keys.map((k) => role.get(`${k.workspaceId}\u0000${k.userId}`) ?? null);
}

/** A member's current role in a workspace, or null when they are not a member. */
export async function memberRole(db: Db, workspaceId: string, userId: string): Promise<Role | null> {
  return (await memberRoles(db, [{ workspaceId, userId }]))[0]!;
}

/** The caller's access to the workspace `slug`, or an error saying why not. One query: it runs before every workspace procedure. */
export async function requireRole(db: Db, actor: Actor, slug: string, minimum: Role): Promise<WorkspaceAccess> {
  // node-postgres, not Prisma: a third of a reply's CPU went to Prisma's query pipeline (#14)
  const { rows } = await pgPool(db).query<{ id: string; slug: string; name: string; role: Role | null }>(
    `SELECT w.id, w.slug, w.name, m.role::text AS role
       FROM "Workspace" w LEFT JOIN "Membership" m ON m."workspaceId" = w.id AND m."userId" = $1
      WHERE w.slug = $2`,
    [actor.userId, slug],
  );
  const found = rows[0];
  if (!found) throw new AppError("NOT_FOUND", `workspace "${slug}" does not exist`);
  const { role, ...workspace } = found;
  // Non-members learn no more than that they are not members.
  if (!role) throw new AppError("FORBIDDEN", `you are not a member of workspace "${slug}"`);
  if (ROLE_RANK[role] < ROLE_RANK[minimum]) {
    throw new AppError("FORBIDDEN", `this needs the ${minimum} role in workspace "${slug}"; you are ${role}`);
  }
  return { workspace, role };
}
