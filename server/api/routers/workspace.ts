import { z } from "zod";
import * as workspaces from "@/server/services/workspaces";
import { ZMember, ZName, ZRole, ZWorkspaceCreate, ZWorkspaceSummary } from "@/server/services/schemas";
import { router, userProcedure, workspaceProcedure } from "../trpc";

const ZWorkspaceOut = z.object({ id: z.string(), slug: z.string(), name: z.string() });
const ZUserId = z.string().min(1).max(64);

export const workspaceRouter = router({
  list: userProcedure.output(z.array(ZWorkspaceSummary)).query(({ ctx }) => workspaces.listWorkspaces(ctx.db, ctx.actor)),

  create: userProcedure
    .input(ZWorkspaceCreate)
    .output(z.object({ workspaceId: z.string(), slug: z.string(), name: z.string() }))
    .mutation(({ ctx, input }) => workspaces.createWorkspace(ctx.db, ctx.actor.userId, input)),

  get: workspaceProcedure("VIEWER")
    .output(ZWorkspaceOut.extend({ role: ZRole, colors: z.record(z.string(), z.string()) }))
    .query(async ({ ctx }) => ({ ...ctx.access.workspace, role: ctx.access.role, colors: await workspaces.workspaceMemberColors(ctx.db, ctx.access.workspace.id) })),

  rename: workspaceProcedure("OWNER")
    .input(z.object({ name: ZName }))
    .output(ZWorkspaceOut)
    .mutation(({ ctx, input }) => workspaces.renameWorkspace(ctx.db, ctx.access.workspace.id, input.name)),

  members: workspaceProcedure("VIEWER")
    .output(z.array(ZMember))
    .query(({ ctx }) => workspaces.listMembers(ctx.db, ctx.access.workspace.id)),

  changeRole: workspaceProcedure("OWNER")
    .input(z.object({ userId: ZUserId, role: ZRole }))
    .output(ZMember)
    .mutation(({ ctx, input }) => workspaces.changeRole(ctx.db, ctx.access.workspace.id, input.userId, input.role, { by: ctx.actor.userId })),

  removeMember: workspaceProcedure("OWNER")
    .input(z.object({ userId: ZUserId }))
    .output(z.void())
    .mutation(({ ctx, input }) => workspaces.removeMember(ctx.db, ctx.access.workspace.id, input.userId, { by: ctx.actor.userId })),
});
