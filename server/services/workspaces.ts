/** Workspaces and their members. */
import { memberColors } from "@statescope/collab";
import { AppError } from "@statescope/core";
import type { Prisma } from "@/prisma/generated/client";
import type { Db } from "@/server/db/client";
import { requireRole, type Actor } from "./authz";
import { ZName, ZSlug, type Member, type Role, type WorkspaceSummary } from "./schemas";
import { parseInput } from "./validate";

const memberSelect = {
  role: true,
  createdAt: true,
  user: { select: { id: true, email: true, name: true } },
} as const;

export async function createWorkspace(
  db: Db,
  ownerId: string,
  input: { slug: string; name?: string | undefined },
): Promise<{ workspaceId: string; slug: string; name: string }> {
  const slug = parseInput(ZSlug, input.slug, "workspace slug");
  const name = input.name === undefined ? slug : parseInput(ZName, input.name, "workspace name");
  const taken = await db.workspace.findUnique({ where: { slug }, select: { id: true } });
  if (taken) throw new AppError("CONFLICT", `the workspace slug "${slug}" is taken; choose another`);
  try {
    const ws = await db.workspace.create({
      data: { slug, name, memberships: { create: { userId: ownerId, role: "OWNER" } } },
      select: { id: true, slug: true, name: true },
    });
    return { workspaceId: ws.id, slug: ws.slug, name: ws.name };
  } catch (e) {
    if ((e as { code?: string }).code === "P2002") throw new AppError("CONFLICT", `the workspace slug "${slug}" is taken; choose another`);
    throw e;
  }
}

export async function listWorkspaces(db: Db, actor: Actor): Promise<WorkspaceSummary[]> {
  const rows = await db.membership.findMany({
    where: { userId: actor.userId },
    orderBy: { createdAt: "asc" },
    select: { role: true, workspace: { select: { id: true, slug: true, name: true, _count: { select: { memberships: true } } } } },
  });
  return rows.map((r) => ({
    id: r.workspace.id,
    slug: r.workspace.slug,
    name: r.workspace.name,
    role: r.role,
    memberCount: r.workspace._count.memberships,
  }));
}

export async function getWorkspace(db: Db, actor: Actor, slug: string) {
  const access = await requireRole(db, actor, slug, "VIEWER");
  return { id: access.workspace.id, slug: access.workspace.slug, name: access.workspace.name, role: access.role };
}

export async function renameWorkspace(db: Db, workspaceId: string, nameRaw: string) {
  const name = parseInput(ZName, nameRaw, "workspace name");
  const ws = await db.workspace.update({ where: { id: workspaceId }, data: { name }, select: { id: true, slug: true, name: true } });
  return ws;
}

/** Each member's colour in this workspace (presence, avatars): palette colours by join order. */
export async function workspaceMemberColors(db: Db, workspaceId: string): Promise<Record<string, string>> {
  const rows = await db.membership.findMany({ where: { workspaceId }, orderBy: [{ createdAt: "asc" }, { userId: "asc" }], select: { userId: true } });
  return memberColors(rows.map((r) => r.userId));
}

export async function listMembers(db: Db, workspaceId: string): Promise<Member[]> {
  const rows = await db.membership.findMany({ where: { workspaceId }, orderBy: { createdAt: "asc" }, select: memberSelect });
  return rows.map((r) => ({ userId: r.user.id, email: r.user.email, name: r.user.name, role: r.role, joinedAt: r.createdAt }));
}

/**
 * Runs a membership change that could take away an owner with the workspace row locked (FOR
 * UPDATE): changes in one workspace wait for each other, so the owners counted are the owners
 * when the change is written, and two owners demoting themselves (or each other) at the same
 * moment cannot both succeed. `by` (the acting owner, when there is one) must still be an owner
 * once the lock is held: an owner demoted a moment ago no longer acts as one.
 */
async function withOwnersLocked<T>(db: Db, workspaceId: string, by: string | undefined, fn: (tx: Prisma.TransactionClient, owners: number) => Promise<T>): Promise<T> {
  return db.$transaction(async (tx) => {
    await tx.$queryRaw`select id from "Workspace" where id = ${workspaceId} for update`;
    if (by !== undefined) {
      const acting = await tx.membership.findUnique({ where: { workspaceId_userId: { workspaceId, userId: by } }, select: { role: true } });
      if (acting?.role !== "OWNER") throw new AppError("FORBIDDEN", `this needs the OWNER role in the workspace; you are ${acting?.role ?? "no longer a member"}`);
    }
    const owners = await tx.membership.count({ where: { workspaceId, role: "OWNER" } });
    return fn(tx, owners);
  });
}

export async function changeRole(db: Db, workspaceId: string, userId: string, role: Role, opts: { by?: string } = {}): Promise<Member> {
  return withOwnersLocked(db, workspaceId, opts.by, async (tx, owners) => {
    const m = await tx.membership.findUnique({ where: { workspaceId_userId: { workspaceId, userId } }, select: { role: true } });
    if (!m) throw new AppError("NOT_FOUND", `user ${userId} is not a member of this workspace`);
    if (m.role === "OWNER" && role !== "OWNER" && owners <= 1) {
      throw new AppError("BAD_INPUT", "a workspace needs at least one owner: make someone else OWNER first");
    }
    const r = await tx.membership.update({
      where: { workspaceId_userId: { workspaceId, userId } },
      data: { role },
      select: memberSelect,
    });
    return { userId: r.user.id, email: r.user.email, name: r.user.name, role: r.role, joinedAt: r.createdAt };
  });
}

export async function removeMember(db: Db, workspaceId: string, userId: string, opts: { by?: string } = {}): Promise<void> {
  await withOwnersLocked(db, workspaceId, opts.by, async (tx, owners) => {
    const m = await tx.membership.findUnique({ where: { workspaceId_userId: { workspaceId, userId } }, select: { role: true } });
    if (!m) throw new AppError("NOT_FOUND", `user ${userId} is not a member of this workspace`);
    if (m.role === "OWNER" && owners <= 1) {
      throw new AppError("BAD_INPUT", "the last owner cannot be removed: make someone else OWNER first");
    }
    await tx.membership.delete({ where: { workspaceId_userId: { workspaceId, userId } } });
  });
}
