/**
 * Invite links: a random token (only its SHA-256 is stored), a role, an
 * expiry, single use. Accepting is atomic: of two concurrent accepts of the
 * same link exactly one wins.
 */
import { createHash, randomBytes } from "node:crypto";
import { AppError } from "@statescope/core";
import type { Db } from "@/server/db/client";
import { ROLE_RANK, type Actor } from "./authz";
import { ZInviteToken, type Role } from "./schemas";
import { parseInput } from "./validate";

const tokenHash = (token: string) => createHash("sha256").update(token).digest("hex");

export interface InviteSettings {
  ttlHours: number;
  publicUrl: string;
}

export async function createInvite(
  db: Db,
  actor: Actor,
  workspaceId: string,
  role: Role,
  settings: InviteSettings,
  now: Date = new Date(),
) {
  const token = randomBytes(24).toString("base64url");
  const expiresAt = new Date(now.getTime() + settings.ttlHours * 3600_000);
  await db.invite.create({ data: { workspaceId, role, tokenHash: tokenHash(token), createdById: actor.userId, expiresAt } });
  return { token, url: `${settings.publicUrl.replace(/\/$/, "")}/invite/${token}`, role, expiresAt };
}

async function usableInvite(db: Db, tokenRaw: string, now: Date) {
  const token = parseInput(ZInviteToken, tokenRaw, "invite token");
  const invite = await db.invite.findUnique({
    where: { tokenHash: tokenHash(token) },
    select: {
      id: true,
      role: true,
      expiresAt: true,
      usedAt: true,
      workspaceId: true,
      workspace: { select: { slug: true, name: true } },
      createdBy: { select: { email: true, name: true } },
    },
  });
  if (!invite) throw new AppError("NOT_FOUND", "this invite link is not valid: ask a workspace owner for a new one");
  if (invite.usedAt) throw new AppError("BAD_INPUT", "this invite link was already used: ask a workspace owner for a new one");
  if (invite.expiresAt.getTime() <= now.getTime()) {
    throw new AppError(
      "BAD_INPUT",
      `this invite link expired on ${invite.expiresAt.toISOString()}: ask a workspace owner for a new one`,
    );
  }
  return invite;
}

export async function previewInvite(db: Db, token: string, now: Date = new Date()) {
  const inv = await usableInvite(db, token, now);
  return {
    workspaceSlug: inv.workspace.slug,
    workspaceName: inv.workspace.name,
    role: inv.role,
    expiresAt: inv.expiresAt,
    invitedBy: inv.createdBy.name ?? inv.createdBy.email,
  };
}

export async function acceptInvite(db: Db, actor: Actor, token: string, now: Date = new Date()) {
  const inv = await usableInvite(db, token, now);
  return db.$transaction(async (tx) => {
    // Claim the link first: the conditional update is the single-use guarantee.
    const claimed = await tx.invite.updateMany({
      where: { id: inv.id, usedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now, usedById: actor.userId },
    });
    if (claimed.count !== 1) throw new AppError("BAD_INPUT", "this invite link was already used: ask a workspace owner for a new one");
    const existing = await tx.membership.findUnique({
      where: { workspaceId_userId: { workspaceId: inv.workspaceId, userId: actor.userId } },
      select: { role: true },
    });
    let role: Role = inv.role;
    if (!existing) {
      await tx.membership.create({ data: { workspaceId: inv.workspaceId, userId: actor.userId, role } });
    } else if (ROLE_RANK[existing.role] < ROLE_RANK[inv.role]) {
      await tx.membership.update({
        where: { workspaceId_userId: { workspaceId: inv.workspaceId, userId: actor.userId } },
        data: { role },
      });
    } else {
      role = existing.role; // an invite never demotes
    }
    return { workspaceSlug: inv.workspace.slug, role };
  });
}

export async function listInvites(db: Db, workspaceId: string, now: Date = new Date()) {
  const rows = await db.invite.findMany({
    where: { workspaceId, usedAt: null, expiresAt: { gt: now } },
    orderBy: { createdAt: "desc" },
    select: { id: true, role: true, expiresAt: true, createdAt: true, createdBy: { select: { email: true } } },
  });
  return rows.map((r) => ({ id: r.id, role: r.role, expiresAt: r.expiresAt, createdAt: r.createdAt, createdBy: r.createdBy.email }));
}

export async function revokeInvite(db: Db, workspaceId: string, inviteId: string) {
  const r = await db.invite.deleteMany({ where: { id: inviteId, workspaceId } });
  if (r.count === 0) throw new AppError("NOT_FOUND", `invite ${inviteId} does not exist in this workspace`);
}

/** Housekeeping job: drop links that can no longer be used. */
export async function purgeDeadInvites(db: Db, now: Date = new Date()) {
  const weekAgo = new Date(now.getTime() - 7 * 86400_000);
  // Kept for a week after use/expiry so a late click still says "used" / "expired" rather than "not valid".
  const r = await db.invite.deleteMany({ where: { OR: [{ expiresAt: { lt: weekAgo } }, { usedAt: { lt: weekAgo } }] } });
  return r.count;
}
