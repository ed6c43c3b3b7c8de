import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "@statescope/core";
import { DEFAULT_YML, makeLstmVisProject } from "../../../tests/fixtures/formats/projects";
import { freshDatabase, type TestDatabase } from "../../../tests/setup/db";
import { createCaller } from "../../api/root";
import { createUser } from "../users";
import { createWorkspace } from "../workspaces";
import { searchTokens } from "./datasets";
import { importDataset } from "./import";
import { RegexScanPool, SEARCH_TIME_LIMIT_MS } from "./regex-scan";

let t: TestDatabase;
let tmp: string;
let workspaceId: string;
let userId: string;
let datasetId: string;
beforeAll(async () => {
  t = await freshDatabase();
  tmp = await mkdtemp(join(tmpdir(), "search-iso-"));
  userId = (await createUser(t.db, { email: "iso@search.test", password: "password1" })).userId;
  workspaceId = (await createWorkspace(t.db, userId, { slug: "iso" })).workspaceId;
  const fx = await makeLstmVisProject(join(tmp, "p"), { n: 400, yml: DEFAULT_YML.replace("regex_search: false", "regex_search: true") });
  datasetId = (await importDataset(t.db, { workspaceId, userId, path: fx.dir })).datasetId;
});
afterAll(async () => {
  await t.drop();
  await rm(tmp, { recursive: true, force: true });
});

/** 2^(n/2)… ways to split ~1,200 characters, none ending in "#": runs until the time limit stops it. */
const HOSTILE = "([\\s\\S]|[\\s\\S][\\s\\S])+#";
const search = (query: string, pool?: RegexScanPool) =>
  searchTokens(t.db, workspaceId, { datasetId, query, mode: "regex", ignoreCase: false, from: 0, limit: 3 }, pool);

describe("token search off the request thread", () => {
  it("keeps the server answering while five hostile searches run", async () => {
    const caller = createCaller({ db: t.db, pubsub: t.pubsub, actor: { userId }, publicUrl: "http://app.test" });
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const t0 = performance.now();
    let settled = false;
    const searches = Promise.allSettled(Array.from({ length: 5 }, () => search(HOSTILE))).finally(() => (settled = true));
    // a cheap request, over and over, while they run
    const cheap: number[] = [];
    while (!settled) {
      const s = performance.now();
      await caller.workspace.get({ workspace: "iso" });
      cheap.push(performance.now() - s);
      await new Promise((r) => setTimeout(r, 20));
    }
    delay.disable();
    const results = await searches;
    for (const r of results) {
      expect(r.status).toBe("rejected");
      expect(String((r as PromiseRejectedResult).reason)).toMatch(/took longer than 2 s over [\d,]+ characters and was stopped/);
    }
    // each search ran its full time limit in a worker ...
    expect(performance.now() - t0).toBeGreaterThanOrEqual(SEARCH_TIME_LIMIT_MS);
    // ... while this thread never stalled for anything like it (on the request thread one search
    // blocks it for the whole 2 s; `npm run bench:edge` measures the latency itself)
    expect(cheap.length).toBeGreaterThan(10);
    expect(delay.max / 1e6).toBeLessThan(SEARCH_TIME_LIMIT_MS / 2);
    expect(Math.max(...cheap)).toBeLessThan(SEARCH_TIME_LIMIT_MS / 2);
    // and an ordinary search still works afterwards (the stopped workers were replaced)
    expect((await search("sat")).total).toBeGreaterThan(0);
  });

  it("refuses searches past the queue limit with TOO_MANY_REQUESTS, and answers the rest", async () => {
    const pool = new RegexScanPool({ size: 1, queueLimit: 2, timeLimitMs: 300 });
    try {
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => search(HOSTILE, pool)));
      const codes = results.map((r) => (r.status === "rejected" && r.reason instanceof AppError ? r.reason.code : "ok"));
      // one runs, two wait, and the searches that find the queue full are refused at once
      expect(codes.filter((c) => c === "TOO_MANY_REQUESTS").length).toBeGreaterThanOrEqual(1);
      expect(codes.filter((c) => c === "BAD_INPUT").length).toBeGreaterThanOrEqual(3);
      expect(((await search("c.t", pool)).matches[0])).toEqual({ from: 1, to: 2 });
    } finally {
      await pool.close();
    }
  });
});
