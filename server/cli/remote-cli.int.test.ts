/**
 * `statescope … --server URL --token T --workspace SLUG` against the HTTP API on a real socket:
 * the same JSON and exit codes as the local run of the same command on the same database, an
 * import that survives a broken connection by sending only what the server did not get, and
 * `states` paged through the API's window limit.
 */
import type { IncomingMessage } from "node:http";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Runner } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeLstmVisProject } from "../../tests/fixtures/formats/projects";
import { startApiServer, type ApiServer } from "../../tests/setup/api-server";
import { runCli } from "../../tests/setup/cli";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { startTestWorker } from "../../tests/setup/worker";
import { setTestEnv } from "../../tests/setup/test-env";
import { env } from "../env";
import { createToken } from "../services/tokens/tokens";
import { createUser } from "../services/users";
import { createWorkspace } from "../services/workspaces";

let t: TestDatabase;
let api: ApiServer;
let runner: Runner;
let tmp: string;
let writeToken: string;
let readToken: string;
/** Set by a test: cut the next PATCH's connection after this many body bytes arrived. */
let cutNextPatchAfter: number | null = null;
const patches: Array<{ offset: number; bytes: number; cut: boolean }> = [];
let restoreEnv: () => void;

function watch(req: IncomingMessage): void {
  if (req.method !== "PATCH") return;
  const rec = { offset: Number(req.headers["upload-offset"]), bytes: 0, cut: false };
  patches.push(rec);
  const cutAt = cutNextPatchAfter;
  cutNextPatchAfter = null;
  req.on("data", (d: Buffer) => {
    rec.bytes += d.length;
    if (cutAt !== null && !rec.cut && rec.bytes >= cutAt) {
      rec.cut = true;
      // no more bytes arrive; the handler writes those that did, then the connection breaks
      req.pause();
      setTimeout(() => req.socket.destroy(), 300);
    }
  });
}

beforeAll(async () => {
  t = await freshDatabase();
  tmp = await mkdtemp(path.join(tmpdir(), "remote-cli-"));
  restoreEnv = setTestEnv({ DATABASE_URL: t.url, STATESCOPE_DATA_DIR: path.join(tmp, "data") });
  const user = (await createUser(t.db, { email: "lab@remote.test", password: "password1" })).userId;
  await createWorkspace(t.db, user, { slug: "lab" });
  writeToken = (await createToken(t.db, user, { name: "cli", scope: "write", workspace: "lab" })).token;
  readToken = (await createToken(t.db, user, { name: "cli read", scope: "read" })).token;
  runner = await startTestWorker(t);
  api = await startApiServer(() => ({ db: t.db, pubsub: t.pubsub, env: env() }), { onRequest: watch });
  // longer than the API's window of 2,000 steps, so `states` pages
  await makeLstmVisProject(path.join(tmp, "proj"), { n: 2600, unknownAt: [3] });
}, 180_000);

afterAll(async () => {
  await api?.close();
  await runner?.stop();
  await t?.drop();
  await rm(tmp, { recursive: true, force: true });
  restoreEnv?.();
});

const local = (args: string[]) => runCli(t.url, [...args, "--json"], tmp);
const remote = (args: string[], token = writeToken) => runCli(t.url, [...args, "--server", api.url, "--token", token, "--workspace", "lab", "--json"], tmp);
const json = (r: { stdout: string }) => JSON.parse(r.stdout) as Record<string, unknown>;

describe("statescope --server", () => {
  let localId = "";
  let remoteId = "";

  it("import: a folder is uploaded (resuming after a broken connection without re-sending what arrived) and gives the local import's result and content", { timeout: 240_000 }, async () => {
    const l = await local(["import", "proj", "--workspace", "lab"]);
    expect(l.code).toBe(0);
    localId = json(l).datasetId as string;

    cutNextPatchAfter = 40_000;
    const r = await remote(["import", "proj"]);
    expect(r.stderr).toMatch(/uploading: \d+%/);
    expect(r.stderr).toMatch(/upload interrupted/);
    expect(r.stderr).toMatch(/resuming at/);
    expect(r.code).toBe(0);
    remoteId = json(r).datasetId as string;
    // the same summary; the sources' extents as the server stores them (16 significant digits)
    const summary = (o: Record<string, unknown>) => {
      const { datasetId: _id, sources, ...rest } = o;
      return { ...rest, sources: (sources as Array<{ min: number; max: number }>).map((s) => ({ ...s, min: s.min.toPrecision(15), max: s.max.toPrecision(15) })) };
    };
    expect(summary(json(r))).toEqual(summary(json(l)));
    const hashes = await t.db.dataset.findMany({ where: { id: { in: [localId, remoteId] } }, select: { contentHash: true } });
    expect(hashes[0]!.contentHash).toBe(hashes[1]!.contentHash);
    // the second PATCH started where the server's bytes ended and carried only the rest
    const [first, second] = patches.slice(-2);
    expect(first!.cut).toBe(true);
    expect(second!.offset).toBeGreaterThan(0);
    expect(second!.offset).toBeLessThanOrEqual(first!.bytes);
    const upload = await t.db.apiUpload.findFirstOrThrow({ where: { datasetId: remoteId } });
    expect(second!.offset + second!.bytes).toBe(Number(upload.totalBytes));
  });

  it("match: the same JSON as the local run (timings aside), with the evidence of --track", { timeout: 120_000 }, async () => {
    const args = ["match", "--dataset", remoteId, "--source", "states::states1", "--cells", "0,2", "--threshold", "0.2", "--track", "pos"];
    const l = await local(args);
    const r = await remote(args, readToken);
    expect(l.code).toBe(0);
    expect(r.code).toBe(0);
    const { timingsMs: lt, ...lrest } = json(l);
    const { timingsMs: rt, ...rrest } = json(r);
    expect((lrest.results as unknown[]).length).toBeGreaterThan(0);
    expect(rrest).toEqual(lrest);
    expect(lrest.evidence).toBeDefined();
    expect(rt).toHaveLength(1);
    expect(lt).toHaveLength(1);
  });

  it("states: pages through the API's window limit and prints what the local run prints", { timeout: 120_000 }, async () => {
    const args = ["states", "--dataset", remoteId, "--source", "states::states1", "--from", "10", "--to", "2600", "--cells", "1,3", "--transform", "tanh"];
    const l = await local(args);
    const r = await remote(args, readToken);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(l.stdout);
    expect((json(r).values as unknown[]).length).toBe(2590);
  });

  it("analyze cells: the same ranking as the local run", { timeout: 180_000 }, async () => {
    const args = ["analyze", "cells", "--dataset", remoteId, "--source", "states::states1", "--track", "pos", "--label", "NOUN", "--top", "3"];
    const r = await remote(args, readToken);
    const l = await local(args);
    expect(r.code).toBe(0);
    expect(json(r)).toEqual(json(l));
  });

  it("finding publish and export: a write token publishes; the exported CSV has the bytes the local export writes", { timeout: 180_000 }, async () => {
    const pub = await remote(["finding", "publish", "--dataset", remoteId, "--source", "states::states1", "--brush", "4-9", "--cells", "0,2", "--title", "remote finding"]);
    expect(pub.code).toBe(0);
    const id = json(pub).findingId as string;
    const r = await remote(["export", "--finding", id, "--format", "csv", "--out", "remote.csv"], readToken);
    const l = await local(["export", "--finding", id, "--format", "csv", "--out", "local.csv"]);
    expect(r.code).toBe(0);
    expect(json(r).bytes).toBe(json(l).bytes);
    expect(await readFile(path.join(tmp, "remote.csv"))).toEqual(await readFile(path.join(tmp, "local.csv")));
  });

  it("the same exit codes and error shapes: a read token cannot import (2, FORBIDDEN); administration stays local; a missing token is named", { timeout: 120_000 }, async () => {
    const r = await remote(["import", "proj"], readToken);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr.trim().split("\n").at(-1)!)).toEqual({ error: { code: "FORBIDDEN", message: expect.stringContaining("read-only") } });
    expect(r.stderr).not.toContain(readToken);
    const admin = await remote(["user", "create", "--email", "x@y.test", "--password", "password1"]);
    expect(admin.code).toBe(2);
    expect(admin.stderr).toContain("local administration");
    const noToken = await runCli(t.url, ["match", "--dataset", remoteId, "--source", "s", "--cells", "0", "--server", api.url, "--workspace", "lab", "--json"]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("STATESCOPE_TOKEN");
    const missing = await remote(["match", "--dataset", "nope", "--source", "states::states1", "--cells", "0"], readToken);
    const missingLocal = await local(["match", "--dataset", "nope", "--source", "states::states1", "--cells", "0"]);
    expect(missing.code).toBe(missingLocal.code);
  });
});
