/**
 * The HTTP API with personal tokens, over a real socket against a real Postgres and worker:
 * scopes, revocation, workspace isolation, errors, cursors, rate limits, the OpenAPI document,
 * and uploads (multipart and resumable) producing the same dataset as a local import.
 */
import { request as httpRequest } from "node:http";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import type { Runner } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collabFixture, type CollabFixture } from "../../../tests/fixtures/collab";
import { makeTar } from "../../../tests/fixtures/formats/archives";
import { makeLstmVisProject } from "../../../tests/fixtures/formats/projects";
import { startApiServer, type ApiServer } from "../../../tests/setup/api-server";
import { freshDatabase, type TestDatabase } from "../../../tests/setup/db";
import { startTestWorker } from "../../../tests/setup/worker";
import { setTestEnv } from "../../../tests/setup/test-env";
import { env, resetEnvCache } from "../../env";
import { importDataset } from "../../services/datasets/import";
import { createToken, revokeToken } from "../../services/tokens/tokens";
import { API_ACCESS } from "../access";

let t: TestDatabase;
let a: CollabFixture;
let b: CollabFixture;
let api: ApiServer;
let runner: Runner;
let tmp: string;
let archive: Buffer;
let localHash: string;
let restoreEnv: () => void;

beforeAll(async () => {
  t = await freshDatabase();
  tmp = await mkdtemp(join(tmpdir(), "api-v1-"));
  restoreEnv = setTestEnv({ DATABASE_URL: t.url, STATESCOPE_DATA_DIR: join(tmp, "data"), API_RATE_LIMIT_PER_MINUTE: "1000" });
  a = await collabFixture(t.db, "api-a");
  b = await collabFixture(t.db, "api-b");
  runner = await startTestWorker(t);
  api = await startApiServer(() => ({ db: t.db, pubsub: t.pubsub, env: env() }));
  // the project a training script would upload, and what a local import of it stores
  const fx = await makeLstmVisProject(join(tmp, "proj"), { n: 300 });
  const names = await readdir(fx.dir);
  archive = makeTar(await Promise.all(names.map(async (n) => ({ name: `proj/${n}`, data: await readFile(join(fx.dir, n)) }))));
  const local = await importDataset(t.db, { workspaceId: a.workspaceId, userId: a.users.owner, path: fx.dir, name: "local" });
  localHash = (await t.db.dataset.findUniqueOrThrow({ where: { id: local.datasetId }, select: { contentHash: true } })).contentHash!;
}, 180_000);

afterAll(async () => {
  await api?.close();
  await runner?.stop();
  await t?.drop();
  await a?.cleanup();
  await b?.cleanup();
  await rm(tmp, { recursive: true, force: true });
  restoreEnv?.();
});

async function token(userId: string, scope: "read" | "write", workspace?: string): Promise<string> {
  return (await createToken(t.db, userId, { name: `${scope} test`, scope, ...(workspace ? { workspace } : {}) })).token;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field below
type Json = any;

async function call(tok: string | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Json; text: string; headers: Headers }> {
  const init: RequestInit = { method, headers: { ...(tok ? { authorization: `Bearer ${tok}` } : {}), ...headers } };
  if (body !== undefined) {
    if (body instanceof Uint8Array || body instanceof FormData) init.body = body as BodyInit;
    else {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] = "application/json";
    }
  }
  const res = await fetch(`${api.url}/api/v1${path}`, init);
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text, headers: res.headers };
}

async function waitReady(tok: string, ws: string, datasetId: string): Promise<{ status: string; contentHash: string | null }> {
  for (;;) {
    const r = await call(tok, "GET", `/workspaces/${ws}/datasets/${datasetId}`);
    expect(r.status).toBe(200);
    if (r.json.status !== "IMPORTING") return r.json;
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe("tokens", () => {
  it("a read token lists datasets (with cursor pages), and records when and from where it was last used", async () => {
    const tok = await token(a.users.viewer, "read");
    const first = await call(tok, "GET", `/workspaces/${a.ws}/datasets?limit=2`);
    expect(first.status).toBe(200);
    expect(first.json.items).toHaveLength(2);
    expect(first.json.nextCursor).toEqual(expect.any(String));
    const second = await call(tok, "GET", `/workspaces/${a.ws}/datasets?limit=2&cursor=${first.json.nextCursor}`);
    expect(second.status).toBe(200);
    const all = [...first.json.items, ...second.json.items].map((d: { id: string }) => d.id);
    expect(new Set(all).size).toBe(all.length);
    expect(second.json.nextCursor).toBeNull();
    expect(all).toContain(a.datasetId);
    const row = await t.db.apiToken.findFirstOrThrow({ where: { userId: a.users.viewer } });
    expect(row.lastUsedAt).not.toBeNull();
    expect(row.lastUsedFrom).toBe("127.0.0.1");
    expect(row.hash).not.toContain(tok.slice(4, 20));
  });

  it("a read-scoped token cannot upload (403), even for an editor; a viewer's write token cannot either", async () => {
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(archive)]), "proj.tar.gz");
    const r = await call(await token(a.users.editor, "read"), "POST", `/workspaces/${a.ws}/datasets`, form);
    expect(r.status).toBe(403);
    expect(r.json.error).toEqual({ code: "FORBIDDEN", message: expect.stringContaining("read-only") });
    const v = await call(await token(a.users.viewer, "write"), "POST", `/workspaces/${a.ws}/uploads`, { fileName: "x.tar.gz", size: 10 });
    expect(v.status).toBe(403);
    expect(v.json.error.message).toContain("EDITOR");
    expect(await t.db.dataset.count({ where: { workspaceId: a.workspaceId, name: "proj" } })).toBe(0);
  });

  it("a revoked token is refused on its next request; an expired one too; neither appears in the answer", async () => {
    const created = await createToken(t.db, a.users.viewer, { name: "to revoke", scope: "read" });
    expect((await call(created.token, "GET", `/workspaces/${a.ws}/datasets`)).status).toBe(200);
    await revokeToken(t.db, a.users.viewer, created.tokenId);
    const r = await call(created.token, "GET", `/workspaces/${a.ws}/datasets`);
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe("UNAUTHENTICATED");
    expect(r.text).not.toContain(created.token);
    const old = await createToken(t.db, a.users.viewer, { name: "old", scope: "read", expiresInDays: 1 }, new Date(Date.now() - 2 * 86_400_000));
    expect((await call(old.token, "GET", `/workspaces/${a.ws}/datasets`)).status).toBe(401);
    expect((await call(null, "GET", `/workspaces/${a.ws}/datasets`)).status).toBe(401);
    expect((await call("ssc_nonsense", "GET", `/workspaces/${a.ws}/datasets`)).status).toBe(401);
  });

  it("a token for workspace A cannot see workspace B (404, as an unknown workspace), even when its user is a member of B", async () => {
    await t.db.membership.create({ data: { workspaceId: b.workspaceId, userId: a.users.viewer, role: "VIEWER" } });
    const onlyA = await token(a.users.viewer, "read", a.ws);
    expect((await call(onlyA, "GET", `/workspaces/${a.ws}/datasets`)).status).toBe(200);
    const r = await call(onlyA, "GET", `/workspaces/${b.ws}/datasets`);
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe("NOT_FOUND");
    const unknown = await call(onlyA, "GET", `/workspaces/no-such-ws/datasets`);
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.message).toBe(r.json.error.message.replace(b.ws, "no-such-ws"));
    // an all-workspaces token of a non-member: 404 as well, and B's dataset by id through A's path: 404
    const outsider = await token(a.users.outsider, "read");
    expect((await call(outsider, "GET", `/workspaces/${a.ws}/datasets`)).status).toBe(404);
    const owner = await token(a.users.owner, "read");
    expect((await call(owner, "GET", `/workspaces/${a.ws}/datasets/${b.datasetId}`)).status).toBe(404);
    await t.db.membership.deleteMany({ where: { workspaceId: b.workspaceId, userId: a.users.viewer } });
  });

  it("a token acts with its user's current role: demoted to viewer, a write token cannot write any more", async () => {
    const tok = await token(a.users.editor2, "write");
    expect((await call(tok, "POST", `/workspaces/${a.ws}/uploads`, { fileName: "x.tar.gz", size: 10 })).status).toBe(201);
    await t.db.membership.updateMany({ where: { workspaceId: a.workspaceId, userId: a.users.editor2 }, data: { role: "VIEWER" } });
    expect((await call(tok, "POST", `/workspaces/${a.ws}/uploads`, { fileName: "x.tar.gz", size: 10 })).status).toBe(403);
    await t.db.membership.updateMany({ where: { workspaceId: a.workspaceId, userId: a.users.editor2 }, data: { role: "EDITOR" } });
  });

  it("errors are {error:{code,message}} with the right status: bad input names the field, unknown operations and cursors too", async () => {
    const tok = await token(a.users.viewer, "read");
    const bad = await call(tok, "POST", `/workspaces/${a.ws}/datasets/${a.datasetId}/matches`, { source: "states::states1", cells: [], threshold: 0.3 });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("BAD_INPUT");
    expect(bad.json.error.message).toMatch(/^body cells/);
    expect((await call(tok, "GET", `/workspaces/${a.ws}/datasets?cursor=bm9wZQ`)).json.error.code).toBe("BAD_INPUT");
    expect((await call(tok, "GET", `/workspaces/${a.ws}/nothing`)).status).toBe(404);
    const notJson = await call(tok, "POST", `/workspaces/${a.ws}/datasets/${a.datasetId}/matches`, new TextEncoder().encode("{"), { "content-type": "application/json" });
    expect(notJson.json.error).toEqual({ code: "BAD_INPUT", message: "the body is not valid JSON" });
  });

  it("a read token runs a match and fetches it again by key", async () => {
    const tok = await token(a.users.viewer, "read");
    const r = await call(tok, "POST", `/workspaces/${a.ws}/datasets/${a.datasetId}/matches`, { source: "states::states1", cells: [0, 2], threshold: 0.3 });
    expect(r.status).toBe(200);
    expect(r.json.status).toBe("done");
    const again = await call(tok, "GET", `/workspaces/${a.ws}/matches/${r.json.key}`);
    expect(again.json.result).toEqual(r.json.result);
  });

  it("per-token rate limit: over it the answer is 429 with Retry-After, and another token is not affected", async () => {
    process.env.API_RATE_LIMIT_PER_MINUTE = "3";
    resetEnvCache();
    try {
      const tok = await token(a.users.viewer, "read");
      for (let i = 0; i < 3; i++) expect((await call(tok, "GET", `/workspaces/${a.ws}/datasets`)).status).toBe(200);
      const over = await call(tok, "GET", `/workspaces/${a.ws}/datasets`);
      expect(over.status).toBe(429);
      expect(over.json.error.code).toBe("TOO_MANY_REQUESTS");
      expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await call(await token(a.users.viewer, "read"), "GET", `/workspaces/${a.ws}/datasets`)).status).toBe(200);
    } finally {
      process.env.API_RATE_LIMIT_PER_MINUTE = "1000";
      resetEnvCache();
    }
  });
});

describe("OpenAPI", () => {
  it("the document validates (OpenAPI 3.1 schema) and lists every /api/v1 operation of the access table", async () => {
    const doc = await (await fetch(`${api.url}/api/openapi.json`)).json();
    const result = await new Validator().validate(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe("3.1.0");
    const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} /api/v1${p}`));
    expect(listed.sort()).toEqual(Object.keys(API_ACCESS).sort());
  });
});

describe("uploads", () => {
  it("a multipart upload produces the same dataset (content hash over manifest and chunks) as the local import of the same folder", async () => {
    const tok = await token(a.users.editor, "write");
    const form = new FormData();
    form.append("name", "uploaded");
    form.append("file", new Blob([new Uint8Array(archive)]), "proj.tar.gz");
    const r = await call(tok, "POST", `/workspaces/${a.ws}/datasets`, form);
    expect(r.status).toBe(202);
    const ds = await waitReady(tok, a.ws, r.json.datasetId);
    expect(ds.status).toBe("READY");
    expect(ds.contentHash).toBe(localHash);
    expect((await t.db.dataset.findUniqueOrThrow({ where: { id: r.json.datasetId } })).name).toBe("uploaded");
  });

  it("an interrupted resumable upload resumes from what arrived, without re-sending it, and gives the same dataset", async () => {
    const tok = await token(a.users.editor, "write");
    const created = await call(tok, "POST", `/workspaces/${a.ws}/uploads`, { fileName: "proj.tar.gz", size: archive.length, name: "resumed" });
    expect(created.status).toBe(201);
    const id = created.json.uploadId as string;
    // the connection breaks after part of the body was sent
    const cut = Math.floor(archive.length / 2);
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${api.url}/api/v1/workspaces/${a.ws}/uploads/${id}`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${tok}`, "upload-offset": "0", "content-type": "application/offset+octet-stream", "content-length": String(archive.length) },
      });
      req.on("error", () => resolve());
      req.on("close", () => resolve());
      req.write(archive.subarray(0, cut), () => setTimeout(() => req.destroy(), 300));
    });
    let status = (await call(tok, "GET", `/workspaces/${a.ws}/uploads/${id}`)).json;
    for (let i = 0; i < 50 && status.received < cut; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await call(tok, "GET", `/workspaces/${a.ws}/uploads/${id}`)).json;
    }
    expect(status.received).toBe(cut);
    expect(status.datasetId).toBeNull();
    // a wrong offset is refused and names the right one
    const wrong = await call(tok, "PATCH", `/workspaces/${a.ws}/uploads/${id}`, new Uint8Array(archive.subarray(0, 10)), { "upload-offset": "0" });
    expect(wrong.status).toBe(409);
    expect(wrong.json.error.message).toContain(`Upload-Offset: ${cut}`);
    // only the rest is sent
    const rest = archive.subarray(status.received);
    const done = await call(tok, "PATCH", `/workspaces/${a.ws}/uploads/${id}`, new Uint8Array(rest), { "upload-offset": String(status.received), "content-type": "application/offset+octet-stream" });
    expect(done.status).toBe(200);
    expect(rest.length).toBe(archive.length - cut);
    expect(done.json.received).toBe(archive.length);
    expect(done.headers.get("upload-offset")).toBe(String(archive.length));
    const ds = await waitReady(tok, a.ws, done.json.datasetId);
    expect(ds.contentHash).toBe(localHash);
  });

  it("uploads keep the web upload's limits: a declared size over UPLOAD_MAX_BYTES is refused, a chunk past the declared size too", async () => {
    const tok = await token(a.users.editor, "write");
    const big = await call(tok, "POST", `/workspaces/${a.ws}/uploads`, { fileName: "huge.tar.gz", size: env().UPLOAD_MAX_BYTES + 1 });
    expect(big.status).toBe(413);
    const notArchive = await call(tok, "POST", `/workspaces/${a.ws}/uploads`, { fileName: "states.h5", size: 10 });
    expect(notArchive.status).toBe(400);
    const small = await call(tok, "POST", `/workspaces/${a.ws}/uploads`, { fileName: "s.tar.gz", size: 10 });
    const over = await call(tok, "PATCH", `/workspaces/${a.ws}/uploads/${small.json.uploadId}`, new Uint8Array(20), { "upload-offset": "0" });
    expect(over.status).toBe(413);
    expect((await call(tok, "GET", `/workspaces/${a.ws}/uploads/${small.json.uploadId}`)).json.received).toBe(0);
  });
});
