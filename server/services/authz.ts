/**
 * Workspace authorization: the one rule every workspace-scoped use case goes
 * through (the tRPC middleware calls `requireRole`).
 */
import { AppError } from "@statescope/core";
import type { Db } from "@/server/db/client";
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
 * reads memberships for authorization.
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

/** The caller's access to the workspace `slug`, or an error saying why not. */
export async function requireRole(db: Db, actor: Actor, slug: string, minimum: Role): Promise<WorkspaceAccess> {
  const workspace = await db.workspace.findUnique({ where: { slug }, select: { id: true, slug: true, name: true } });
  if (!workspace) throw new AppError("NOT_FOUND", `workspace "${slug}" does not exist`);
  const role = await memberRole(db, workspace.id, actor.userId);
  // Non-members learn no more than that they are not members.
  if (!role) throw new AppError("FORBIDDEN", `you are not a member of workspace "${slug}"`);
  if (ROLE_RANK[role] < ROLE_RANK[minimum]) {
    throw new AppError("FORBIDDEN", `this needs the ${minimum} role in workspace "${slug}"; you are ${role}`);
  }
  return { workspace, role };
}
