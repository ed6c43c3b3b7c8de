/**
 * Route handlers under /api/w/[slug]/… are built with `workspaceRoute(role, what, handler)`, the
 * route-handler twin of tRPC's `workspaceProcedure(role)`: the Origin check for state-changing
 * requests, the session, membership with at least `role` in the workspace, and errors answered
 * through the one error mapping (server/api/errors.ts). The handler only does its own work.
 */
import { errorResponse } from "@/server/api/errors";
import { currentUserId } from "@/server/auth";
import { db, type Db } from "@/server/db/client";
import { env } from "@/server/env";
import { AppError } from "@statescope/core";
import { requireRole, type Actor, type WorkspaceAccess } from "@/server/services/authz";
import { classCredentialFromCookies } from "@/server/services/classroom/credential";
import { classroomDataAccess } from "@/server/services/classroom/sessions";
import type { Role } from "@/server/services/schemas";
import { CLOSE_CONNECTION } from "@/server/services/uploads";
import { assertSameOrigin } from "./same-origin";

export interface WorkspaceRouteContext<P> {
  req: Request;
  params: P;
  db: Db;
  actor: Actor;
  access: WorkspaceAccess;
}

/**
 * A route handler for `/api/w/[slug]/…` that needs `minimum` role; `what` names the operation in
 * error messages ("the upload failed on the server…"). `classroomData`: a read a classroom
 * participant's session credential may make too (access.ts CLASSROOM_DATA), for the session's
 * dataset only (the route's `datasetId`), when membership does not answer.
 */
export function workspaceRoute<P extends { slug: string; datasetId?: string }>(
  minimum: Role,
  what: string,
  handler: (ctx: WorkspaceRouteContext<P>) => Promise<Response>,
  opts: { classroomData?: boolean } = {},
): (req: Request, route: { params: Promise<P> }) => Promise<Response> {
  return async (req, route) => {
    try {
      const e = env();
      assertSameOrigin(req, { trustProxy: e.TRUST_PROXY, publicUrl: e.PUBLIC_URL });
      const userId = await currentUserId();
      const params = await route.params;
      const credential = opts.classroomData && minimum === "VIEWER" ? classCredentialFromCookies(e.AUTH_SECRET, req.headers.get("cookie")) : null;
      const guest = credential && params.datasetId !== undefined ? await classroomDataAccess(db(), credential, params.slug, params.datasetId) : null;
      if (!userId && !guest) throw new AppError("UNAUTHENTICATED", "you are not signed in: sign in and try again");
      const actor = { userId: userId ?? `participant:${guest!.participantId}` };
      let access: WorkspaceAccess;
      try {
        access = userId ? await requireRole(db(), actor, params.slug, minimum) : guest!;
      } catch (err) {
        if (!guest) throw err;
        access = guest;
      }
      return await handler({ req, params, db: db(), actor, access });
    } catch (e) {
      // a refused write may leave its body unread: close rather than read it to the end
      return errorResponse(e, what, req.method === "GET" || req.method === "HEAD" ? {} : CLOSE_CONNECTION);
    }
  };
}
