/**
 * One operation of the HTTP API (/api/v1): its method and path, the zod schemas of its path,
 * query, body and answer (the OpenAPI document is generated from exactly these), and a handler
 * that makes one service call. Who may call it (minimum role, token scope) comes from the one
 * access table, server/api/access.ts (`API_ACCESS`).
 */
import type { z } from "zod";
import type { Db } from "@/server/db/client";
import type { Env } from "@/server/env";
import type { PubSub } from "@/server/pubsub/pubsub";
import type { WorkspaceAccess } from "@/server/services/authz";
import type { TokenActor } from "@/server/services/tokens/tokens";
import { API_ACCESS, type ApiAccess, type ApiRoute } from "../access";

export interface ApiContext {
  req: Request;
  db: Db;
  pubsub: PubSub;
  env: Env;
  token: TokenActor;
  access: WorkspaceAccess;
  /** The caller's address (server/http/request-origin.ts). */
  clientAddress: string;
  publicUrl: string;
}

/** A request body the handler streams itself (uploads); described in the document, not parsed here. */
export interface StreamedBody {
  contentType: string;
  description: string;
  schema: z.ZodType;
}

export interface Operation<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  route: ApiRoute;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  params: P;
  query?: Q;
  /** A JSON body parsed with this schema (bounded by JSON_BODY_MAX_BYTES). */
  body?: B;
  streamed?: StreamedBody;
  /** Response headers the answer carries (documented). */
  responseHeaders?: z.ZodObject;
  status: 200 | 201 | 202;
  response: O;
  /** The answer's media type when it is not JSON (the handler returns a Response). */
  responseContentType?: string;
  handler: (ctx: ApiContext, input: { params: z.output<P>; query: z.output<Q>; body: z.output<B> }) => Promise<z.input<O> | Response>;
}

export function defineOperation<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, O extends z.ZodType>(op: Operation<P, Q, B, O>): Operation {
  return op as unknown as Operation;
}

export function accessOf(op: Operation): ApiAccess {
  return API_ACCESS[op.route];
}

/** `GET /api/v1/workspaces/{slug}/datasets` → method and the OpenAPI path below /api/v1. */
export function splitRoute(route: ApiRoute): { method: string; path: string } {
  const [method, full] = route.split(" ") as [string, string];
  return { method, path: full.slice("/api/v1".length) };
}
