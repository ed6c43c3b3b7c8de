/**
 * tRPC building blocks. Three kinds of procedure:
 * - `publicProcedure`: no session (explicit allow-list in tests);
 * - `userProcedure`: a signed-in user, not tied to a workspace;
 * - `workspaceProcedure(role)`: input carries `workspace` (the slug); the
 *   one authorization middleware checks membership and role and puts the
 *   workspace on the context. Routers never catch: AppError → TRPCError here.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { AppError } from "@statescope/core";
import { z } from "zod";
import type { Db } from "@/server/db/client";
import type { PubSub } from "@/server/pubsub/pubsub";
import { requireRole, type Actor, type WorkspaceAccess } from "@/server/services/authz";
import type { ClassCredential } from "@/server/services/classroom/credential";
import { ZSessionRef, type ClassRole } from "@/server/services/classroom/schemas";
import { classroomDataAccess, requireParticipant, type ClassCaller, type Participant } from "@/server/services/classroom/sessions";
import { refund, spend, type Spend } from "@/server/services/rate-limits";
import { ZSlug, type Role } from "@/server/services/schemas";
import { timed } from "@/server/http/server-timing";
import { CLASSROOM_DATA } from "./access";
import { transformer } from "./transformer";
import { genericMessage, isClientSafe, requestIdFor, toTRPCError } from "./errors";

export interface Context {
  db: Db;
  /** The process's pub/sub (live events, match completions). */
  pubsub: PubSub;
  actor: Actor | null;
  publicUrl: string;
  /** Origin the request was made to (the browser's view of the host), when there is a request. */
  requestOrigin?: string;
  /** The client's address (server/http/request-origin.ts), when there is a request. */
  clientAddress?: string;
  /** A classroom session credential the request carries (verified; services/classroom/credential.ts). */
  classroom?: ClassCredential | null;
  /** Adds a Set-Cookie header to the response (absent for server-side callers). */
  setCookie?: (cookie: string) => void;
}

export interface Meta {
  /** Which kind of procedure this is; the router audit test reads it. */
  auth: "public" | "user" | "workspace" | "session";
  role?: Role;
  /** A classroom procedure's minimum role inside the session. */
  classRole?: ClassRole;
  /** Largest request body this procedure accepts (default: `MAX_BODY_BYTES` in server/http/trpc-handler.ts). */
  maxBodyBytes?: number;
}

const t = initTRPC.context<Context>().meta<Meta>().create({
  transformer,
  // Subscriptions over SSE: a ping keeps proxies from closing a quiet stream; the client
  // reconnects (with a fresh request, so auth is checked again) when it hears nothing for 40 s.
  sse: { ping: { enabled: true, intervalMs: 15_000 }, client: { reconnectAfterInactivityMs: 40_000 } },
  // Every error a client receives passes here: internal text (a TypeError from a malformed body,
  // a driver error) is replaced by a generic message with a request id, and logged under that id.
  errorFormatter({ shape, error, path }) {
    const cause = error.cause;
    const { stack: _stack, ...data } = shape.data;
    const appCode = cause instanceof AppError ? cause.code : undefined;
    if (isClientSafe(error)) return { ...shape, data: { ...data, appCode } };
    const requestId = requestIdFor(error.code, `tRPC ${path ?? "?"}`, cause ?? error);
    return { ...shape, message: genericMessage(error.code, requestId), data: { ...data, appCode, requestId } };
  },
});

/** A subscription's stream, with service errors raised while it runs mapped like any other. */
async function* mapStreamErrors<T>(stream: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* stream;
  } catch (e) {
    throw e instanceof AppError ? toTRPCError(e) : e;
  }
}

const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> => typeof v === "object" && v !== null && Symbol.asyncIterator in v;

/** The one place that turns service errors into tRPC errors. */
const mapErrors = t.middleware(async ({ next, type }) => {
  // "procedure" (Server-Timing): authorization, input and output validation and the resolver; the
  // handler's "encode" is what the request spends around it (routing, the body, serialization)
  const res = await timed("procedure", () => next());
  if (!res.ok && res.error.cause instanceof AppError) throw toTRPCError(res.error.cause);
  if (res.ok && type === "subscription" && isAsyncIterable(res.data)) return { ...res, data: mapStreamErrors(res.data) };
  return res;
});

/**
 * Rate limits (server/services/rate-limits.ts) spent before the procedure runs: over a limit the
 * caller gets TOO_MANY_REQUESTS with Retry-After. `failuresOnly`: a call that succeeds gives its
 * points back, so only failed attempts count (wrong invite tokens, not redeemed ones).
 */
export function rateLimited(spends: (ctx: Context) => Spend[], opts: { failuresOnly?: boolean } = {}) {
  return t.middleware(async ({ ctx, next }) => {
    const list = spends(ctx);
    await spend(ctx.db, list);
    const res = await next();
    if (res.ok && opts.failuresOnly) await refund(ctx.db, list);
    return res;
  });
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

export const publicProcedure = t.procedure.use(mapErrors).meta({ auth: "public" });

const requireUser = t.middleware(({ ctx, next }) => {
  if (!ctx.actor) throw new TRPCError({ code: "UNAUTHORIZED", message: "you are not signed in: sign in and try again" });
  return next({ ctx: { ...ctx, actor: ctx.actor } });
});

export const userProcedure = t.procedure.use(mapErrors).use(requireUser).meta({ auth: "user" });

export const ZWorkspaceRef = z.object({ workspace: ZSlug });

/**
 * The workspace authorization middleware. Exported so the router audit test
 * can check that every workspace procedure runs exactly this function.
 */
export function workspaceAuthorization(minimum: Role) {
  return t.middleware(async ({ ctx, next, getRawInput, path }) => {
    const raw = await getRawInput();
    // A classroom participant (a guest, or a signed-in student who is not a member) explores the
    // session's dataset with their session credential: only the procedures in CLASSROOM_DATA, only
    // that dataset (`onlyDataset`), and only where membership does not already answer.
    const guest = minimum === "VIEWER" && CLASSROOM_DATA.has(path) && ctx.classroom ? await guestAccess(ctx, raw) : null;
    if (!ctx.actor && !guest) throw new TRPCError({ code: "UNAUTHORIZED", message: "you are not signed in: sign in and try again" });
    const ref = ZWorkspaceRef.safeParse(raw);
    if (!ref.success) throw new TRPCError({ code: "BAD_REQUEST", message: "missing or invalid `workspace` (a workspace slug)" });
    if (guest && !ctx.actor) return next({ ctx: { ...ctx, actor: { userId: `participant:${guest.participantId}` }, access: guest } });
    let access: WorkspaceAccess;
    try {
      access = await timed("authz", () => requireRole(ctx.db, ctx.actor!, ref.data.workspace, minimum));
    } catch (e) {
      if (!guest) throw e;
      access = guest;
    }
    return next({ ctx: { ...ctx, actor: ctx.actor!, access } });
  });
}

/** The session credential's access to the dataset the input names, or null. */
async function guestAccess(ctx: Context, raw: unknown): Promise<WorkspaceAccess | null> {
  const r = raw as { workspace?: unknown; datasetId?: unknown } | null;
  if (typeof r?.workspace !== "string" || (r.datasetId !== undefined && typeof r.datasetId !== "string")) return null;
  return classroomDataAccess(ctx.db, ctx.classroom ?? null, r.workspace, r.datasetId as string | undefined);
}

const byRole = {
  VIEWER: workspaceAuthorization("VIEWER"),
  EDITOR: workspaceAuthorization("EDITOR"),
  OWNER: workspaceAuthorization("OWNER"),
} as const;

/** Marker the audit test looks for on every workspace procedure. */
export const WORKSPACE_MIDDLEWARES: ReadonlySet<unknown> = new Set(
  Object.values(byRole).flatMap((b) => (b as unknown as { _middlewares: unknown[] })._middlewares),
);

export function workspaceProcedure(minimum: Role) {
  return t.procedure.use(mapErrors).use(byRole[minimum]).meta({ auth: "workspace", role: minimum }).input(ZWorkspaceRef);
}

/** The classroom session authorization middleware: the caller's participant with at least `minimum` role. */
function sessionAuthorization(minimum: ClassRole) {
  return t.middleware(async ({ ctx, next, getRawInput }) => {
    const ref = ZSessionRef.safeParse(await getRawInput());
    if (!ref.success) throw new TRPCError({ code: "BAD_REQUEST", message: "missing or invalid `sessionId`" });
    const participant: Participant = await requireParticipant(ctx.db, { userId: ctx.actor?.userId ?? null, credential: ctx.classroom ?? null }, ref.data.sessionId, minimum);
    return next({ ctx: { participant } });
  });
}

/**
 * The classroom session authorization middleware for a procedure whose service checks the
 * participant inside its own statement (`classroom.answer`: a whole class at once, one round trip
 * each): the caller's identity for the session, no query here; the service answers exactly as
 * requireParticipant does for anyone who is not an active participant (STUDENT is every role).
 */
const sessionCallerAuthorization = t.middleware(async ({ ctx, next, getRawInput }) => {
  const ref = ZSessionRef.safeParse(await getRawInput());
  if (!ref.success) throw new TRPCError({ code: "BAD_REQUEST", message: "missing or invalid `sessionId`" });
  const caller: ClassCaller = { userId: ctx.actor?.userId ?? null, credential: ctx.classroom ?? null };
  // tRPC merges what `next` is given into the context: the new key alone spares a copy of the whole
  // context per request (a class's answers arrive a thousand at once)
  return next({ ctx: { caller } });
});

const byClassRole = {
  STUDENT: sessionAuthorization("STUDENT"),
  TA: sessionAuthorization("TA"),
  INSTRUCTOR: sessionAuthorization("INSTRUCTOR"),
} as const;

/** Marker the audit test looks for on every classroom procedure. */
export const SESSION_MIDDLEWARES: ReadonlySet<unknown> = new Set(
  [...Object.values(byClassRole), sessionCallerAuthorization].flatMap((b) => (b as unknown as { _middlewares: unknown[] })._middlewares),
);

/**
 * A classroom procedure: input carries `sessionId`; the caller must be a participant of that
 * session (by session credential or account) with at least `minimum` role; `ctx.participant` is who.
 */
export function sessionProcedure(minimum: ClassRole) {
  return t.procedure.use(mapErrors).use(byClassRole[minimum]).meta({ auth: "session", classRole: minimum }).input(ZSessionRef);
}

/** A classroom procedure open to every participant whose service checks the participant in its statement: `ctx.caller` is who asks. */
export function sessionStatementProcedure() {
  return t.procedure.use(mapErrors).use(sessionCallerAuthorization).meta({ auth: "session", classRole: "STUDENT" }).input(ZSessionRef);
}
