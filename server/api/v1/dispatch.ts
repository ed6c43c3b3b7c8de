/**
 * The HTTP API's one entry (/api/v1/*): find the operation, authenticate the bearer token, spend
 * its rate limit, check the workspace (an unknown one, one the user is not a member of and one the
 * token is not for all answer 404 alike), the role (the user's current role, never more) and the
 * token's scope, parse the inputs with the operation's schemas, run it. Errors are JSON
 * `{"error":{"code","message"}}` through the one mapping (server/api/errors.ts).
 *
 * No Origin check: a bearer token is not sent by a browser on its own, so a cross-site request
 * cannot carry one (cookies are never read here).
 */
import { AppError } from "@statescope/core";
import { z } from "zod";
import { db as processDb, type Db } from "@/server/db/client";
import { env, type Env } from "@/server/env";
import { clientAddress, publicBaseUrl } from "@/server/http/request-origin";
import { processPubSub } from "@/server/pubsub/process";
import type { PubSub } from "@/server/pubsub/pubsub";
import { memberRole, ROLE_RANK } from "@/server/services/authz";
import { defineRateLimit, spend } from "@/server/services/rate-limits";
import { authenticateToken, bearerToken } from "@/server/services/tokens/tokens";
import { CLOSE_CONNECTION, declaredLength, limitStream } from "@/server/services/uploads";
import { errorResponse } from "../errors";
import { accessOf, splitRoute, type Operation } from "./operation";
import { OPERATIONS } from "./operations";

/** Largest JSON body an operation reads (uploads stream instead). */
export const JSON_BODY_MAX_BYTES = 1024 * 1024;

interface Compiled {
  op: Operation;
  method: string;
  re: RegExp;
  names: string[];
}

const COMPILED: Compiled[] = OPERATIONS.map((op) => {
  const { method, path } = splitRoute(op.route);
  const names: string[] = [];
  const re = new RegExp(`^/api/v1${path.replace(/\{(\w+)\}/g, (_, n: string) => (names.push(n), "([^/]+)"))}$`);
  return { op, method, re, names };
});

function findOperation(method: string, pathname: string): { op: Operation; params: Record<string, string> } {
  let pathMatched = false;
  for (const c of COMPILED) {
    const m = c.re.exec(pathname);
    if (!m) continue;
    pathMatched = true;
    if (c.method !== method) continue;
    const params: Record<string, string> = {};
    c.names.forEach((n, i) => {
      try {
        params[n] = decodeURIComponent(m[i + 1]!);
      } catch {
        throw new AppError("BAD_INPUT", `the path segment for ${n} is not valid percent-encoding`);
      }
    });
    return { op: c.op, params };
  }
  if (pathMatched) throw new AppError("UNSUPPORTED", `${method} is not an operation of ${pathname}; see /api/openapi.json`);
  throw new AppError("NOT_FOUND", `no API operation at ${pathname}; see /api/openapi.json for the list`);
}

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const at = issue.path.length ? `${where} ${issue.path.join(".")}` : where;
  throw new AppError("BAD_INPUT", `${at}: ${issue.message}`);
}

async function readJson(req: Request): Promise<unknown> {
  if (!req.body) return {};
  if (!/^application\/json\b/i.test(req.headers.get("content-type") ?? "")) throw new AppError("BAD_INPUT", "send the body as JSON (Content-Type: application/json)");
  const limited = limitStream(req.body, {
    maxBytes: JSON_BODY_MAX_BYTES,
    declaredBytes: declaredLength(req.headers),
    tooLarge: () => new AppError("TOO_LARGE", `the JSON body is larger than ${JSON_BODY_MAX_BYTES} bytes`),
  });
  const text = await new Response(limited).text();
  try {
    return text.length === 0 ? {} : (JSON.parse(text) as unknown);
  } catch {
    throw new AppError("BAD_INPUT", "the body is not valid JSON");
  }
}

export interface ApiDeps {
  db: Db;
  pubsub: PubSub;
  env: Env;
}

/** Answers one /api/v1 request. `deps` for tests; the web process uses its own. */
export async function handleApi(req: Request, deps?: ApiDeps): Promise<Response> {
  const d = deps ?? { db: processDb(), pubsub: processPubSub(), env: env() };
  let streamedBody = false;
  try {
    const url = new URL(req.url);
    const { op, params: rawParams } = findOperation(req.method, url.pathname);
    streamedBody = op.streamed !== undefined;
    const address = clientAddress(req);
    const token = await authenticateToken(d.db, bearerToken(req.headers), address);
    await spend(d.db, [[apiTokenLimit(d.env.API_RATE_LIMIT_PER_MINUTE), token.tokenId]]);
    const params = parse(op.params, rawParams, "path");
    const access = await tokenAccess(d.db, token, (params as { slug: string }).slug, op);
    const query = op.query ? parse(op.query, Object.fromEntries(url.searchParams), "query") : {};
    const body = op.body ? parse(op.body, await readJson(req), "body") : undefined;
    const out = await op.handler(
      { req, db: d.db, pubsub: d.pubsub, env: d.env, token, access, clientAddress: address, publicUrl: publicBaseUrl(req, { trustProxy: d.env.TRUST_PROXY, publicUrl: d.env.PUBLIC_URL }) },
      { params, query, body },
    );
    if (out instanceof Response) return out;
    return Response.json(op.response.parse(out), { status: op.status });
  } catch (e) {
    // a refused upload leaves its body unread: close rather than read gigabytes to the end
    return errorResponse(e, `API ${req.method} ${new URL(req.url).pathname}`, streamedBody ? CLOSE_CONNECTION : {});
  }
}

const limits = new Map<number, ReturnType<typeof defineRateLimit>>();
function apiTokenLimit(perMinute: number) {
  let l = limits.get(perMinute);
  if (!l) limits.set(perMinute, (l = defineRateLimit({ name: "api:token", points: perMinute, windowSeconds: 60, what: "API requests with this token" })));
  return l;
}

const notVisible = (slug: string) => new AppError("NOT_FOUND", `workspace "${slug}" does not exist or this token cannot see it`);

async function tokenAccess(db: Db, token: { userId: string; workspaceId: string | null; scope: "read" | "write" }, slug: string, op: Operation) {
  const need = accessOf(op);
  const workspace = await db.workspace.findUnique({ where: { slug }, select: { id: true, slug: true, name: true } });
  if (!workspace || (token.workspaceId !== null && token.workspaceId !== workspace.id)) throw notVisible(slug);
  const role = await memberRole(db, workspace.id, token.userId);
  if (!role) throw notVisible(slug);
  if (ROLE_RANK[role] < ROLE_RANK[need.role]) throw new AppError("FORBIDDEN", `this needs the ${need.role} role in workspace "${slug}"; the token's user is ${role}`);
  if (need.scope === "write" && token.scope !== "write") throw new AppError("FORBIDDEN", `this token is read-only: ${op.operationId} needs a token with the write scope`);
  return { workspace, role };
}
