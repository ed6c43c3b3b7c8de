import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "../../../tests/setup/db";
import { pgPool } from "../../db/client";
import { writeMetaChunk } from "../../storage/dataset-store";
import { createUser } from "../users";
import { createWorkspace } from "../workspaces";
import { getDataset } from "./datasets";
import { createTrack } from "./writer";

const MIGRATION = readFileSync(path.resolve(__dirname, "../../../prisma/migrations/20261228000000_scalar_track_extent/migration.sql"), "utf8");

let t: TestDatabase;
let workspaceId: string;
let datasetId: string;
beforeAll(async () => {
  t = await freshDatabase();
  const userId = (await createUser(t.db, { email: "x@extent.test", password: "password1" })).userId;
  workspaceId = (await createWorkspace(t.db, userId, { slug: "extent" })).workspaceId;
  datasetId = (await t.db.dataset.create({ data: { workspaceId, name: "old", status: "READY", steps: 6 }, select: { id: true } })).id;
});
afterAll(async () => {
  await t.drop();
});

describe("migration 20261228000000_scalar_track_extent", () => {
  it("fills the extent of scalar tracks stored before it from their float32 chunks, skipping NaN and ±Inf", async () => {
    const q = pgPool(t.db);
    // as a dataset imported before the migration: chunks written, no extent
    const scalar = await createTrack(t.db, datasetId, { ordinal: 0, name: "depth", kind: "scalar", width: 1, hasWeights: false });
    await writeMetaChunk(q, scalar.id, 0, 4, new Float32Array([0, 3.25, NaN, -1.5e-40]), null);
    await writeMetaChunk(q, scalar.id, 1, 2, new Float32Array([Infinity, -2.5]), null);
    const big = await createTrack(t.db, datasetId, { ordinal: 1, name: "surprisal", kind: "scalar", width: 1, hasWeights: false });
    await writeMetaChunk(q, big.id, 0, 4, new Float32Array([12.125, 1e30, -Infinity, -1.5e-40]), null);
    const discrete = await createTrack(t.db, datasetId, { ordinal: 2, name: "pos", kind: "discrete", width: 1, hasWeights: false });
    await writeMetaChunk(q, discrete.id, 0, 2, new Int32Array([7, 1]), null);
    // run it again from scratch (the template database has it applied)
    await q.query('alter table "MetaTrack" drop column "min", drop column "max"');
    await q.query(MIGRATION);

    const rows = await t.db.metaTrack.findMany({ where: { datasetId }, orderBy: { ordinal: "asc" }, select: { name: true, min: true, max: true } });
    expect(rows).toEqual([
      { name: "depth", min: -2.5, max: 3.25 },
      { name: "surprisal", min: Math.fround(-1.5e-40), max: Math.fround(1e30) },
      { name: "pos", min: null, max: null },
    ]);
    // and the explorer's colour scale is that extent
    const d = await getDataset(t.db, workspaceId, datasetId);
    expect(d.metaTracks.map((m) => [m.name, m.range])).toEqual([
      ["depth", [-2.5, 3.25]],
      ["surprisal", [Math.fround(-1.5e-40), Math.fround(1e30)]],
      ["pos", null],
    ]);
  });
});
