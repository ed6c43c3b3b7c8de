/**
 * The authorization matrix: every procedure of the router, checked against the one access table
 * (server/api/access.ts), called with each role below its minimum (FORBIDDEN; UNAUTHORIZED signed
 * out) and, as the owner of another workspace, with this workspace's ids (NOT_FOUND / FORBIDDEN).
 * Two workspaces, each with an owner, editors, a viewer and its own records.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TRPCError } from "@trpc/server";
import type { Runner } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerFor, collabFixture, type CollabFixture } from "../../tests/fixtures/collab";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { startTestWorker } from "../../tests/setup/worker";
import { resetEnvCache } from "../env";
import type { Role } from "../services/schemas";
import { createToken } from "../services/tokens/tokens";
import { createUser } from "../services/users";
import { API_ACCESS, PROCEDURE_ACCESS, ROUTE_ACCESS, VIEWER_MUTATIONS, type Access, type ProcedurePath } from "./access";
import { handleApi } from "./v1/dispatch";
import { OPERATIONS } from "./v1/operations";
import { appRouter, createCaller } from "./root";

let t: TestDatabase;
let a: CollabFixture;
let b: CollabFixture;
let runner: Runner;
/** Records of workspace A that the inputs name. */
let ids: { hypothesis: string; category: string; annotation: string; thread: string; comment: string; invite: string; matchKey: string; analysisKey: string; finding: string; session: string; participant: string };
const saved = { url: process.env.DATABASE_URL, wait: process.env.MATCH_WAIT_MS, secret: process.env.AUTH_SECRET };

beforeAll(async () => {
  t = await freshDatabase();
  process.env.DATABASE_URL = t.url;
  process.env.MATCH_WAIT_MS = "20000";
  process.env.AUTH_SECRET = "matrix-secret-matrix-secret-matrix";
  resetEnvCache();
  a = await collabFixture(t.db, "matrix-a");
  b = await collabFixture(t.db, "matrix-b");
  runner = await startTestWorker(t);
  const owner = callerFor(t)(a.users.owner);
  const w = { workspace: a.ws, datasetId: a.datasetId };
  const h = await owner.hypothesis.create({ ...w, name: "h", source: SOURCE, start: 1, end: 4, padLeft: 0, padRight: 0, cells: [0], threshold: 0.3 });
  const cat = await owner.annotation.createCategory({ ...w, name: "noun" });
  const ann = await owner.annotation.create({ ...w, categoryId: cat.id, start: 1, end: 3 });
  const th = await owner.comment.createThread({ ...w, anchor: { kind: "range", source: SOURCE, start: 0, end: 4 }, body: "first", idempotencyKey: "matrix-thread" });
  const inv = await owner.invite.create({ workspace: a.ws, role: "VIEWER" });
  const invites = await owner.invite.list({ workspace: a.ws });
  const ran = await owner.match.run({ ...w, source: SOURCE, cells: [0, 2], threshold: 0.3 });
  if (ran.status !== "done") throw new Error(`the fixture's match did not finish: ${JSON.stringify(ran)}`);
  const search = await owner.analysis.cells({ ...w, source: SOURCE, track: "pos", label: "NOUN" });
  const published = await owner.finding.publish({ ...w, hypothesisId: h.id, title: "matrix finding" });
  const cls = await owner.classroom.start(w);
  const instructor = await t.db.classParticipant.findFirstOrThrow({ where: { sessionId: cls.sessionId }, select: { id: true } });
  expect(inv.token.length).toBeGreaterThan(10);
  ids = {
    hypothesis: h.id,
    category: cat.id,
    annotation: ann.id,
    thread: th.id,
    comment: th.comments[0]!.id,
    invite: invites[0]!.id,
    matchKey: ran.key,
    analysisKey: search.key,
    finding: published.findingId,
    session: cls.sessionId,
    participant: instructor.id,
  };
}, 180_000);

afterAll(async () => {
  await runner?.stop();
  await t?.drop();
  await a?.cleanup();
  await b?.cleanup();
  for (const [k, v] of [["DATABASE_URL", saved.url], ["MATCH_WAIT_MS", saved.wait], ["AUTH_SECRET", saved.secret]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetEnvCache();
});

const SOURCE = "states::states1";

/**
 * A valid input for each procedure, naming workspace A's records (the workspace slug is added by
 * the caller). `null`: the procedure takes no record id, so there is nothing to cross with.
 */
const INPUTS: Record<ProcedurePath, (() => Record<string, unknown>) | null> = {
  health: null,
  "auth.signUp": null,
  "invite.preview": null,
  "workspace.list": null,
  "workspace.create": null,
  "invite.accept": null,
  "token.list": null,
  "token.create": null,
  "token.revoke": null,
  "workspace.get": null,
  "workspace.members": null,
  "workspace.rename": null,
  "workspace.changeRole": () => ({ userId: a.users.viewer, role: "EDITOR" }),
  "workspace.removeMember": () => ({ userId: a.users.viewer }),
  "invite.create": null,
  "invite.list": null,
  "invite.revoke": () => ({ inviteId: ids.invite }),
  "sync.token": () => ({ datasetId: a.datasetId }),
  "dataset.list": null,
  "dataset.get": () => ({ datasetId: a.datasetId }),
  "dataset.tokens": () => ({ datasetId: a.datasetId, from: 0, to: 10 }),
  "dataset.search": () => ({ datasetId: a.datasetId, query: "the" }),
  "dataset.states": () => ({ datasetId: a.datasetId, source: SOURCE, from: 0, to: 10 }),
  "dataset.meta": () => ({ datasetId: a.datasetId, track: "pos", from: 0, to: 5 }),
  "dataset.windows": () => ({ datasetId: a.datasetId, source: SOURCE, cells: [0, 1], ranges: [[0, 4]], tracks: ["pos"] }),
  "dataset.importProgress": () => ({ datasetId: a.datasetId }),
  "dataset.cancelImport": () => ({ datasetId: a.datasetId }),
  "dataset.delete": () => ({ datasetId: a.otherDatasetId }),
  "match.run": () => ({ datasetId: a.datasetId, source: SOURCE, cells: [0, 2], threshold: 0.3 }),
  "match.result": () => ({ key: ids.matchKey }),
  "hypothesis.list": () => ({ datasetId: a.datasetId }),
  "hypothesis.get": () => ({ id: ids.hypothesis }),
  "hypothesis.versions": () => ({ id: ids.hypothesis }),
  "hypothesis.create": () => ({ datasetId: a.datasetId, name: "x", source: SOURCE, start: 1, end: 4, padLeft: 0, padRight: 0, cells: [0], threshold: 0.3 }),
  "hypothesis.update": () => ({ id: ids.hypothesis, expectedVersion: 1, patch: { name: "renamed" } }),
  "hypothesis.delete": () => ({ id: ids.hypothesis }),
  "annotation.categories": () => ({ datasetId: a.datasetId }),
  "annotation.list": () => ({ datasetId: a.datasetId }),
  "annotation.exportCsv": () => ({ datasetId: a.datasetId }),
  "annotation.createCategory": () => ({ datasetId: a.datasetId, name: "verb" }),
  "annotation.create": () => ({ datasetId: a.datasetId, categoryId: ids.category, start: 2, end: 5 }),
  "annotation.delete": () => ({ id: ids.annotation }),
  "annotation.importCsv": () => ({ datasetId: a.datasetId, csv: "category,start,end,note\nnoun,1,2,x\n" }),
  "comment.threads": () => ({ datasetId: a.datasetId }),
  "comment.thread": () => ({ id: ids.thread }),
  "comment.inbox": null,
  "comment.markRead": null,
  "comment.createThread": () => ({ datasetId: a.datasetId, anchor: { kind: "range", source: SOURCE, start: 0, end: 4 }, body: "x", idempotencyKey: "matrix-cross-1" }),
  "comment.reply": () => ({ threadId: ids.thread, body: "x", idempotencyKey: "matrix-cross-2" }),
  "comment.edit": () => ({ commentId: ids.comment, body: "x", idempotencyKey: "matrix-cross-3" }),
  "comment.delete": () => ({ commentId: ids.comment, idempotencyKey: "matrix-cross-4" }),
  "comment.setResolved": () => ({ threadId: ids.thread, resolved: true, idempotencyKey: "matrix-cross-5" }),
  "analysis.cells": () => ({ datasetId: a.datasetId, source: SOURCE, track: "pos", label: "NOUN" }),
  "analysis.guide": () => ({ datasetId: a.datasetId, source: SOURCE, cells: [0], brush: [1, 4] }),
  "analysis.compare": () => ({ datasetId: a.datasetId, sourceA: SOURCE, sourceB: SOURCE, top: 5 }),
  "analysis.partners": () => ({ datasetId: a.datasetId, source: SOURCE, cell: 0, other: SOURCE }),
  "analysis.status": () => ({ key: ids.analysisKey }),
  "analysis.evidence": () => ({ datasetId: a.datasetId, source: SOURCE, track: "pos", ranges: [{ pos: 1, length: 3 }] }),
  "finding.publish": () => ({ datasetId: a.datasetId, hypothesisId: ids.hypothesis, title: "cross" }),
  "finding.list": () => ({ datasetId: a.datasetId }),
  "finding.setVisibility": () => ({ id: ids.finding, visibility: "PUBLIC" }),
  "finding.withdraw": () => ({ id: ids.finding }),
  "finding.datasetMeta": () => ({ datasetId: a.datasetId, citation: "x" }),
  "events.onDataset": () => ({ datasetId: a.datasetId }),
  "events.onInbox": null,
  // classroom procedures: their session roles are proven in classroom-authz.int.test.ts
  "classroom.start": () => ({ datasetId: a.datasetId }),
  "classroom.join": null,
  "classroom.state": () => ({ sessionId: ids.session }),
  "classroom.ticket": () => ({ sessionId: ids.session }),
  "classroom.lock": () => ({ sessionId: ids.session, locked: true }),
  "classroom.remove": () => ({ sessionId: ids.session, participantId: ids.participant }),
  "classroom.present": () => ({ sessionId: ids.session, participantId: null }),
  "classroom.promote": () => ({ sessionId: ids.session, participantId: ids.participant }),
  "classroom.demote": () => ({ sessionId: ids.session, participantId: ids.participant }),
  "classroom.pose": () => ({ sessionId: ids.session, kind: "POLL", prompt: "x?", options: ["a", "b"] }),
  "classroom.tasks": () => ({ sessionId: ids.session }),
  "classroom.answer": () => ({ sessionId: ids.session, taskId: "x", choice: 0 }),
  "classroom.reveal": () => ({ sessionId: ids.session, taskId: "x" }),
  "classroom.step": () => ({ sessionId: ids.session, view: { source: SOURCE, position: 0, window: 10, brush: null, padding: [0, 0], threshold: 0.3, cells: [] } }),
  "classroom.archive": null,
  "classroom.archiveFrame": null,
  "classroom.end": () => ({ sessionId: ids.session }),
};

const RANK: Record<Role, number> = { VIEWER: 1, EDITOR: 2, OWNER: 3 };
type Caller = ReturnType<typeof createCaller>;

/** Calls `path` on a caller with `input`; a subscription is opened and its first step awaited. */
async function call(c: Caller, path: string, input: unknown): Promise<unknown> {
  const fn = path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], c) as (i: unknown) => Promise<unknown>;
  const out = await fn(input);
  if (out && typeof out === "object" && Symbol.asyncIterator in out) {
    const it = (out as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    // a subscription that was allowed yields or waits; one that was refused throws on its first step
    const first = await Promise.race([it.next(), new Promise((r) => setTimeout(() => r("open"), 500))]);
    await it.return?.();
    return first;
  }
  return out;
}

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([p, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("no answer within 10 s")), 10_000)))]).finally(() => clearTimeout(timer));
    return "ok";
  } catch (e) {
    return e instanceof TRPCError ? e.code : `threw ${e instanceof Error ? e.message : String(e)}`;
  }
}

const as = (userId: string | null) => createCaller({ db: t.db, pubsub: t.pubsub, actor: userId ? { userId } : null, publicUrl: "http://app.test" });

describe("authorization matrix", () => {
  it("every procedure is in the access table, built with exactly its access", () => {
    const procs = appRouter._def.procedures as unknown as Record<string, { _def: { meta?: { auth?: string; role?: Role } } }>;
    const built = Object.fromEntries(Object.entries(procs).map(([p, d]) => [p, d._def.meta?.auth === "workspace" ? d._def.meta.role : d._def.meta?.auth]));
    expect(built).toEqual(PROCEDURE_ACCESS);
  });

  it("every workspace mutation needs EDITOR or more, except the viewer mutations listed with their reason", () => {
    const procs = appRouter._def.procedures as unknown as Record<string, { _def: { type: string; meta?: { role?: Role } } }>;
    const viewerWrites = Object.entries(procs)
      .filter(([, d]) => d._def.type === "mutation" && d._def.meta?.role === "VIEWER")
      .map(([p]) => p)
      .sort();
    expect(viewerWrites).toEqual(Object.keys(VIEWER_MUTATIONS).sort());
  });

  it("each procedure refuses every role below its minimum (FORBIDDEN), a member of another workspace (FORBIDDEN) and a signed-out caller (UNAUTHORIZED)", async () => {
    const wrong: string[] = [];
    const paths = Object.keys(PROCEDURE_ACCESS) as ProcedurePath[];
    for (const path of paths) {
      const access: Access = PROCEDURE_ACCESS[path];
      if (access === "public") continue;
      const input = { workspace: a.ws, ...(INPUTS[path]?.() ?? {}) };
      const tries: Array<[string, string | null, string]> = [["signed out", null, "UNAUTHORIZED"]];
      if (access !== "user") {
        tries.push(["owner of another workspace", b.users.owner, "FORBIDDEN"]);
        const members: Array<[Role, string]> = [
          ["VIEWER", a.users.viewer],
          ["EDITOR", a.users.editor],
        ];
        // a classroom procedure: the workspace's members are not participants of its session
        for (const [role, user] of members) if (access === "session" || RANK[role] < RANK[access]) tries.push([role, user, "FORBIDDEN"]);
      }
      for (const [who, user, want] of tries) {
        const got = await outcome(call(as(user), path, input));
        if (got !== want) wrong.push(`${path} as ${who}: ${got}, want ${want}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("no procedure reaches another workspace's records: its owner, in its own workspace, with our ids gets NOT_FOUND or FORBIDDEN", async () => {
    const wrong: string[] = [];
    // destructive ones last, so a leak in one cannot hide another
    const paths = (Object.keys(INPUTS) as ProcedurePath[]).filter((p) => INPUTS[p]).sort((x, y) => Number(/delete|remove|revoke|end$/.test(x)) - Number(/delete|remove|revoke|end$/.test(y)));
    for (const path of paths) {
      const got = await outcome(call(as(b.users.owner), path, { workspace: b.ws, ...INPUTS[path]!() }));
      if (got !== "NOT_FOUND" && got !== "FORBIDDEN") wrong.push(`${path}: ${got}`);
    }
    expect(wrong).toEqual([]);
    // and nothing of A changed
    expect(await t.db.hypothesis.count({ where: { id: ids.hypothesis } })).toBe(1);
    expect(await t.db.membership.count({ where: { workspaceId: a.workspaceId } })).toBe(4);
    expect(await t.db.dataset.count({ where: { workspaceId: a.workspaceId } })).toBe(2);
  });

  it("the minimum role is enough: each workspace procedure called at exactly its role gets past authorization", { timeout: 180_000 }, async () => {
    const wrong: string[] = [];
    const at: Record<Role, string> = { VIEWER: a.users.viewer, EDITOR: a.users.editor2, OWNER: a.users.owner };
    // not the destructive ones, and not those with a rule on the record (another member's comment: see access.ts)
    const recordRule = new Set(["comment.edit", "comment.setResolved", "finding.setVisibility", "finding.withdraw"]);
    const paths = (Object.keys(PROCEDURE_ACCESS) as ProcedurePath[]).filter((p) => !/delete|remove|revoke|cancel|end$/.test(p) && !recordRule.has(p));
    for (const path of paths) {
      const access: Access = PROCEDURE_ACCESS[path];
      // classroom procedures' session roles: classroom-authz.int.test.ts
      if (access === "public" || access === "user" || access === "session") continue;
      const got = await outcome(call(as(at[access]), path, { workspace: a.ws, ...(INPUTS[path]?.() ?? {}) }));
      if (got === "FORBIDDEN" || got === "UNAUTHORIZED") wrong.push(`${path} as ${access}: ${got}`);
    }
    expect(wrong).toEqual([]);
  });

  it("every workspace route handler is in the table and is built with exactly its role", () => {
    const root = fileURLToPath(new URL("../../app/api/w", import.meta.url));
    const found: Record<string, string> = {};
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name === "route.ts") {
          const src = readFileSync(p, "utf8");
          const url = `/api/w/${path.relative(root, path.dirname(p)).split(path.sep).join("/")}`;
          for (const m of src.matchAll(/export (?:async function|const) (GET|POST|PUT|PATCH|DELETE)\b/g)) {
            // the handler's role: workspaceRoute("ROLE", …) or requireRole(…, "ROLE")
            const role = /workspaceRoute(?:<[^>]*>)?\(\s*"(VIEWER|EDITOR|OWNER)"/.exec(src)?.[1] ?? /requireRole\([^;]*?"(VIEWER|EDITOR|OWNER)"\s*\)/.exec(src)?.[1] ?? "none";
            found[`${m[1]} ${url}`] = role;
          }
        }
      }
    };
    walk(root);
    expect(found).toEqual(ROUTE_ACCESS);
  });

  it("every /api/v1 operation is in the table; each refuses a token below its role or scope (403), a non-member's token (404), none (401), and passes at exactly its minimum", { timeout: 120_000 }, async () => {
    expect(OPERATIONS.map((o) => o.route).sort()).toEqual(Object.keys(API_ACCESS).sort());
    const deps = { db: t.db, pubsub: t.pubsub, env: (await import("../env")).env() };
    const tok = async (user: string, scope: "read" | "write", workspace?: string) => (await createToken(t.db, user, { name: "matrix", scope, ...(workspace ? { workspace } : {}) })).token;
    const values: Record<string, string> = { slug: a.ws, datasetId: a.datasetId, key: ids.matchKey, uploadId: "nope", findingId: ids.finding, file: "cite.bib" };
    const status = async (route: string, token: string | null) => {
      const [method, template] = route.split(" ") as [string, string];
      const url = `http://app.test${template.replace(/\{(\w+)\}/g, (_, n: string) => values[n]!)}`;
      const res = await handleApi(new Request(url, { method, headers: token ? { authorization: `Bearer ${token}` } : {} }), deps);
      return res.status;
    };
    // a viewer of its own: the procedures above promote a.users.viewer (workspace.changeRole)
    const viewer = (await createUser(t.db, { email: "api-viewer@matrix-a.test", password: "password1" })).userId;
    await t.db.membership.create({ data: { workspaceId: a.workspaceId, userId: viewer, role: "VIEWER" } });
    const at: Record<Role, string> = { VIEWER: viewer, EDITOR: a.users.editor2, OWNER: a.users.owner };
    const wrong: string[] = [];
    for (const [route, need] of Object.entries(API_ACCESS)) {
      const tries: Array<[string, string | null, (s: number) => boolean, string]> = [
        ["no token", null, (s) => s === 401, "401"],
        ["owner of another workspace", await tok(b.users.owner, "write"), (s) => s === 404, "404"],
        ["owner of another workspace, token for it", await tok(b.users.owner, "write", b.ws), (s) => s === 404, "404"],
        [`${need.role} at exactly its minimum`, await tok(at[need.role], need.scope), (s) => s !== 401 && s !== 403, "not 401/403"],
      ];
      if (need.scope === "write") tries.push([`${need.role} with a read token`, await tok(at[need.role], "read"), (s) => s === 403, "403"]);
      for (const [role, user] of [["VIEWER", viewer], ["EDITOR", a.users.editor]] as const) {
        if (RANK[role] < RANK[need.role]) tries.push([role, await tok(user, "write"), (s) => s === 403, "403"]);
      }
      for (const [who, token, ok, want] of tries) {
        const got = await status(route, token);
        if (!ok(got)) wrong.push(`${route} as ${who}: ${got}, want ${want}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
