/**
 * The OpenAPI 3.1 document of /api/v1, generated from the operations' zod schemas (zod-openapi):
 * nothing here is written by hand but the titles.
 */
import { z } from "zod";
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from "zod-openapi";
import { accessOf, splitRoute, type Operation } from "./operation";
import { OPERATIONS } from "./operations";

export const ZApiError = z
  .object({
    error: z.object({
      code: z.enum(["BAD_INPUT", "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "TOO_LARGE", "UNSUPPORTED", "TOO_MANY_REQUESTS", "INTERNAL"]),
      message: z.string(),
      requestId: z.string().optional(),
    }),
  })
  .meta({ id: "Error" });

const ERRORS: Record<string, string> = {
  "400": "bad input (the message names the field)",
  "401": "missing, malformed, expired or revoked token",
  "403": "the token's user lacks the role, or the token lacks the scope",
  "404": "no such workspace or record, or the token cannot see it",
  "409": "conflict (e.g. a wrong upload offset, a dataset still importing)",
  "413": "too large",
  "429": "over the token's rate limit; see Retry-After",
};

function operationObject(op: Operation): ZodOpenApiOperationObject {
  const access = accessOf(op);
  const errors = Object.fromEntries(
    Object.entries(ERRORS).map(([status, description]) => [
      status,
      { description, content: { "application/json": { schema: ZApiError } }, ...(status === "429" ? { headers: z.object({ "retry-after": z.string() }) } : {}) },
    ]),
  );
  return {
    operationId: op.operationId,
    summary: op.summary,
    description: `${op.description ? `${op.description}\n\n` : ""}Needs the ${access.role} role in the workspace and a ${access.scope} token.`,
    tags: [op.tag],
    security: [{ bearer: [] }],
    requestParams: { path: op.params as z.ZodObject, ...(op.query ? { query: op.query as z.ZodObject } : {}), ...(op.streamed && op.route.startsWith("PATCH") ? { header: z.object({ "upload-offset": z.string() }) } : {}) },
    ...(op.body
      ? { requestBody: { required: true, content: { "application/json": { schema: op.body } } } }
      : op.streamed
        ? { requestBody: { required: true, description: op.streamed.description, content: { [op.streamed.contentType]: { schema: op.streamed.schema } } } }
        : {}),
    responses: {
      [String(op.status)]: {
        description: "ok",
        content: { [op.responseContentType ?? "application/json"]: { schema: op.response } },
        ...(op.responseHeaders ? { headers: op.responseHeaders } : {}),
      },
      ...errors,
    },
  };
}

export function openApiDocument(serverUrl?: string) {
  const paths: ZodOpenApiPathsObject = {};
  for (const op of OPERATIONS) {
    const { method, path } = splitRoute(op.route);
    const item = (paths[path] ??= {}) as Record<string, ZodOpenApiOperationObject>;
    item[method.toLowerCase()] = operationObject(op);
  }
  return createDocument(
    {
      openapi: "3.1.0",
      info: {
        title: "Statescope API",
        version: "1",
        description:
          "Datasets, uploads, matches and hypotheses of Statescope workspaces, for scripts and training loops. Authenticate with a personal API token (Settings → API tokens) as `Authorization: Bearer ssc_…`. Errors are `{\"error\":{\"code\",\"message\"}}`. Lists are paginated by cursor: pass the answer's `nextCursor` as `cursor`.",
      },
      servers: [{ url: `${serverUrl ?? ""}/api/v1` }],
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "a personal API token, ssc_…" } } },
      paths,
    },
    { reused: "inline" },
  );
}
