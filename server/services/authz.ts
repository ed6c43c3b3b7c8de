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
}

/** The caller's access to the workspace `slug`, or an error saying why not. */
export async function requireRole(db: Db, actor: Actor, slug: string, minimum: Role): Promise<WorkspaceAccess> {
  const workspace = await db.workspace.findUnique({ where: { slug }, select: { id: true, slug: true, name: true } });
  if (!workspace) throw new AppError("NOT_FOUND", `workspace "${slug}" does not exist`);
  const membership = await db.membership.findUnique({
    where: { workspaceId_userId: { workspaceId: workspace.id, userId: actor.userId } },
    select: { role: true },
  });
  // Non-members learn no more than that they are not members.
  if (!membership) throw new AppError("FORBIDDEN", `you are not a member of workspace "${slug}"`);
  if (ROLE_RANK[membership.role] < ROLE_RANK[minimum]) {
    throw new AppError(
      "FORBIDDEN",
      `this needs the ${minimum} role in workspace "${slug}"; you are ${membership.role}`,
    );
  }
  return { workspace, role: membership.role };
}
