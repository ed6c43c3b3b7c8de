import { z } from "zod";
import { analysisRouter } from "./routers/analysis";
import { annotationRouter } from "./routers/annotation";
import { classroomRouter } from "./routers/classroom";
import { authRouter } from "./routers/auth";
import { commentRouter } from "./routers/comment";
import { datasetRouter } from "./routers/dataset";
import { eventsRouter } from "./routers/events";
import { findingRouter } from "./routers/finding";
import { hypothesisRouter } from "./routers/hypothesis";
import { inviteRouter } from "./routers/invite";
import { matchRouter } from "./routers/match";
import { syncRouter } from "./routers/sync";
import { tokenRouter } from "./routers/token";
import { workspaceRouter } from "./routers/workspace";
import { createCallerFactory, publicProcedure, router } from "./trpc";

export const appRouter = router({
  health: publicProcedure.output(z.object({ ok: z.literal(true) })).query(() => ({ ok: true as const })),
  auth: authRouter,
  workspace: workspaceRouter,
  invite: inviteRouter,
  sync: syncRouter,
  match: matchRouter,
  dataset: datasetRouter,
  hypothesis: hypothesisRouter,
  annotation: annotationRouter,
  comment: commentRouter,
  events: eventsRouter,
  analysis: analysisRouter,
  finding: findingRouter,
  classroom: classroomRouter,
  token: tokenRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);

/** Public and user-scoped procedures come from the one access table (server/api/access.ts). */
export { PUBLIC_PROCEDURES, SESSION_PROCEDURES, USER_PROCEDURES } from "./access";
