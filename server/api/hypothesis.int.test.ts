import type { Runner } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerFor, collabFixture, trpcError, type CollabFixture } from "../../tests/fixtures/collab";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { startTestWorker } from "../../tests/setup/worker";
import { resetEnvCache } from "../env";
import { MatchEngine } from "../services/matching/engine";

let t: TestDatabase;
let fx: CollabFixture;
let runner: Runner;
let as: ReturnType<typeof callerFor>;
const savedUrl = process.env.DATABASE_URL;

beforeAll(async () => {
  t = await freshDatabase();
  process.env.DATABASE_URL = t.url;
  process.env.MATCH_WAIT_MS = "20000";
  resetEnvCache();
  fx = await collabFixture(t.db);
  as = callerFor(t);
  runner = await startTestWorker(t, { engine: new MatchEngine(16 * 2 ** 20), pollInterval: 60_000 });
});
afterAll(async () => {
  await runner?.stop();
  await t.drop();
  await fx?.cleanup();
  if (savedUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = savedUrl;
  resetEnvCache();
});

const view = () => ({
  workspace: fx.ws,
  datasetId: fx.datasetId,
  name: "closing bracket",
  description: "cells 0 and 2 stay on inside a phrase",
  source: "states::states1",
  start: 10,
  end: 20,
  padLeft: 1,
  padRight: 0,
  threshold: 0.3,
  cells: [2, 0],
  addedCells: [2],
  excludedCells: [1],
  mode: "precise" as const,
  length: null,
  tags: ["syntax", "brackets", "syntax"],
});

describe("hypotheses", () => {
  it("saves a view exactly, lists it with tag and author filters, and is readable by viewers only in the workspace", async () => {
    const h = await as(fx.users.editor).hypothesis.create(view());
    expect(h).toMatchObject({ name: "closing bracket", source: "states::states1", start: 10, end: 20, padLeft: 1, padRight: 0, cells: [0, 2], addedCells: [2], excludedCells: [1], mode: "precise", length: null, tags: ["syntax", "brackets"], version: 1, frozen: null });
    expect(h.threshold).toBeCloseTo(0.3);
    expect(h.author).toEqual({ id: fx.users.editor, name: "Editor", handle: "editor" });
    await as(fx.users.editor2).hypothesis.create({ ...view(), name: "other", tags: ["numbers"], length: 3 });

    const all = await as(fx.users.viewer).hypothesis.list({ workspace: fx.ws, datasetId: fx.datasetId });
    expect(all.map((x) => x.name).sort()).toEqual(["closing bracket", "other"]);
    expect(all.every((x) => x.hasFrozenResult === false)).toBe(true);
    expect((await as(fx.users.viewer).hypothesis.list({ workspace: fx.ws, datasetId: fx.datasetId, tag: "brackets" })).map((x) => x.name)).toEqual(["closing bracket"]);
    expect((await as(fx.users.viewer).hypothesis.list({ workspace: fx.ws, datasetId: fx.datasetId, authorId: fx.users.editor2 })).map((x) => x.name)).toEqual(["other"]);
    expect(await as(fx.users.viewer).hypothesis.list({ workspace: fx.ws, datasetId: fx.otherDatasetId })).toEqual([]);
    expect((await as(fx.users.viewer).hypothesis.get({ workspace: fx.ws, id: h.id })).name).toBe("closing bracket");

    const viewerWrite = await trpcError(as(fx.users.viewer).hypothesis.create(view()));
    expect(viewerWrite.code).toBe("FORBIDDEN");
    expect(viewerWrite.message).toMatch(/needs the EDITOR role .* you are VIEWER/);
    const outsider = await trpcError(as(fx.users.outsider).hypothesis.get({ workspace: fx.ws, id: h.id }));
    expect(outsider.code).toBe("FORBIDDEN");
    expect(outsider.message).toBe(`you are not a member of workspace "${fx.ws}"`);
  });

  it("refuses invalid views with messages naming the problem, and saves nothing", async () => {
    const before = await t.db.hypothesis.count();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ source: "states::nope" }, /has no source "states::nope"/],
      [{ start: 20, end: 20 }, /start \(20\) must be less than end \(20\)/],
      [{ end: 401 }, /\[10, 401\) is out of range, the dataset has 400 steps/],
      [{ cells: [0, 4] }, /source states::states1 has 4 cells, the request selected cell 4/],
      [{ cells: [1, 1] }, /cell 1 is listed more than once/],
      [{ cells: [] }, /select at least one cell/],
      [{ excludedCells: [2] }, /cell 2 is both added and excluded/],
      [{ addedCells: [9] }, /has 4 cells, the request selected added cell 9/],
      [{ length: 1 }, /match length must be ≥ 2/],
      [{ name: "  " }, /name is empty/],
      [{ padLeft: -1 }, /padding must be ≥ 0/],
      [{ tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, /at most 20 tags/],
      [{ datasetId: "missing" }, /dataset missing does not exist/],
    ];
    for (const [patch, message] of cases) {
      const e = await trpcError(as(fx.users.editor).hypothesis.create({ ...view(), ...patch } as ReturnType<typeof view>));
      expect(e.message, JSON.stringify(patch)).toMatch(message);
      expect(["BAD_REQUEST", "NOT_FOUND"]).toContain(e.code);
    }
    expect(await t.db.hypothesis.count()).toBe(before);
  });

  it("keeps each edit as a version, and refuses an edit made on an old version naming the current one", async () => {
    const h = await as(fx.users.editor).hypothesis.create({ ...view(), name: "v1" });
    const v2 = await as(fx.users.editor2).hypothesis.update({ workspace: fx.ws, id: h.id, expectedVersion: 1, patch: { name: "v2", threshold: 0.5, tags: ["edited"] } });
    expect(v2).toMatchObject({ name: "v2", version: 2, tags: ["edited"], cells: [0, 2], author: { id: fx.users.editor } });
    const v3 = await as(fx.users.editor).hypothesis.update({ workspace: fx.ws, id: h.id, expectedVersion: 2, patch: { description: "third" } });
    expect(v3.version).toBe(3);

    const stale = await trpcError(as(fx.users.editor2).hypothesis.update({ workspace: fx.ws, id: h.id, expectedVersion: 2, patch: { name: "lost" } }));
    expect(stale.code).toBe("CONFLICT");
    expect(stale.message).toMatch(/it is at version 3, your edit was made on version 2; reload it/);

    const versions = await as(fx.users.viewer).hypothesis.versions({ workspace: fx.ws, id: h.id });
    expect(versions.map((v) => v.version)).toEqual([2, 1]);
    expect(versions[1]!.snapshot).toMatchObject({ name: "v1", version: 1, cells: [0, 2], tags: ["syntax", "brackets"], hadFrozenResult: false });
    expect(versions[1]!.snapshot.threshold).toBeCloseTo(0.3);
    expect(versions[1]!.replacedBy?.id).toBe(fx.users.editor2);
    expect(versions[0]!.snapshot).toMatchObject({ name: "v2", description: "cells 0 and 2 stay on inside a phrase" });

    // Concurrent edits of the same version: exactly one wins, the other is a CONFLICT; no version is lost or doubled.
    const outcomes = await Promise.allSettled([
      as(fx.users.editor).hypothesis.update({ workspace: fx.ws, id: h.id, expectedVersion: 3, patch: { name: "A" } }),
      as(fx.users.editor2).hypothesis.update({ workspace: fx.ws, id: h.id, expectedVersion: 3, patch: { name: "B" } }),
    ]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    const rejected = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason.code).toBe("CONFLICT");
    expect((await as(fx.users.viewer).hypothesis.get({ workspace: fx.ws, id: h.id })).version).toBe(4);
    expect(await t.db.hypothesisVersion.count({ where: { hypothesisId: h.id } })).toBe(3);

    const bad = await trpcError(as(fx.users.editor).hypothesis.update({ workspace: fx.ws, id: h.id, expectedVersion: 4, patch: { end: 999 } }));
    expect(bad.message).toMatch(/out of range/);
    expect(await t.db.hypothesisVersion.count({ where: { hypothesisId: h.id } })).toBe(3);
  });

  it("lets only the author or an OWNER delete", async () => {
    const mine = await as(fx.users.editor).hypothesis.create({ ...view(), name: "to delete" });
    const other = await trpcError(as(fx.users.editor2).hypothesis.delete({ workspace: fx.ws, id: mine.id }));
    expect(other.code).toBe("FORBIDDEN");
    expect(other.message).toMatch(/can be deleted by its author or a workspace OWNER only/);
    expect((await trpcError(as(fx.users.viewer).hypothesis.delete({ workspace: fx.ws, id: mine.id }))).code).toBe("FORBIDDEN");
    await as(fx.users.editor).hypothesis.delete({ workspace: fx.ws, id: mine.id });
    expect((await trpcError(as(fx.users.editor).hypothesis.get({ workspace: fx.ws, id: mine.id }))).code).toBe("NOT_FOUND");

    const theirs = await as(fx.users.editor2).hypothesis.create({ ...view(), name: "owner deletes" });
    await as(fx.users.owner).hypothesis.delete({ workspace: fx.ws, id: theirs.id });
    expect(await t.db.hypothesis.count({ where: { id: theirs.id } })).toBe(0);
  });

  it("freezes the match results of its query: runs the match through the worker, or takes the stored result", async () => {
    const h = await as(fx.users.editor).hypothesis.create({ ...view(), name: "frozen", freezeResults: true });
    expect(h.frozen).not.toBeNull();
    const q = { workspace: fx.ws, datasetId: fx.datasetId, source: "states::states1", cells: [0, 2], threshold: 0.3, padLeft: 1, padRight: 0, mode: "precise" as const, length: 0, k: 50 };
    const ran = await as(fx.users.viewer).match.run(q);
    expect(ran).toMatchObject({ status: "done", cached: true, key: h.frozen!.key });
    expect(ran.status === "done" && ran.result).toEqual(h.frozen!.result);
    expect(h.frozen!.result.results.length).toBeGreaterThan(0);

    // The same query again is answered from the store (no second result row).
    const rows = await t.db.matchResult.count();
    const h2 = await as(fx.users.editor).hypothesis.create({ ...view(), name: "frozen twice", freezeResults: true });
    expect(h2.frozen!.key).toBe(h.frozen!.key);
    expect(await t.db.matchResult.count()).toBe(rows);
    expect((await as(fx.users.viewer).hypothesis.list({ workspace: fx.ws, datasetId: fx.datasetId })).find((x) => x.id === h2.id)?.hasFrozenResult).toBe(true);

    // Changing the query drops the frozen copy (it would describe another query) unless re-frozen.
    const kept = await as(fx.users.editor).hypothesis.update({ workspace: fx.ws, id: h.id, expectedVersion: 1, patch: { description: "only words" } });
    expect(kept.frozen?.key).toBe(h.frozen!.key);
    const dropped = await as(fx.users.editor).hypothesis.update({ workspace: fx.ws, id: h.id, expectedVersion: 2, patch: { threshold: 0.6 } });
    expect(dropped.frozen).toBeNull();
    const refrozen = await as(fx.users.editor).hypothesis.update({ workspace: fx.ws, id: h.id, expectedVersion: 3, patch: {}, freezeResults: true });
    expect(refrozen.frozen).not.toBeNull();
    expect(refrozen.frozen!.key).not.toBe(h.frozen!.key);
    expect((await as(fx.users.viewer).hypothesis.versions({ workspace: fx.ws, id: h.id })).map((v) => v.snapshot.hadFrozenResult)).toEqual([false, true, true]);
  });
});
