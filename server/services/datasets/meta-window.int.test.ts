import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeLstmVisProject, WORDS } from "../../../tests/fixtures/formats/projects";
import { freshDatabase, type TestDatabase } from "../../../tests/setup/db";
import { createCaller } from "../../api/root";
import { createUser } from "../users";
import { createWorkspace } from "../workspaces";
import { importDataset } from "./import";

let t: TestDatabase;
let tmp: string;
let userId: string;
let datasetId: string;
beforeAll(async () => {
  t = await freshDatabase();
  tmp = await mkdtemp(join(tmpdir(), "meta-int-"));
  userId = (await createUser(t.db, { email: "owner@meta.test", password: "password1" })).userId;
  const { workspaceId } = await createWorkspace(t.db, userId, { slug: "lab" });
  const fx = await makeLstmVisProject(join(tmp, "p"), { n: 60 });
  datasetId = (await importDataset(t.db, { workspaceId, userId, path: fx.dir })).datasetId;
});
afterAll(async () => {
  await t.drop();
  await rm(tmp, { recursive: true, force: true });
});

const caller = () => createCaller({ db: t.db, pubsub: t.pubsub, actor: { userId }, publicUrl: "http://app.test" });
const int32 = (b64: string) => new Int32Array(Uint8Array.from(Buffer.from(b64, "base64")).buffer);

describe("dataset.meta", () => {
  it("names the words of a wordvec track without a dictionary (its ids are token ids)", async () => {
    const r = await caller().dataset.meta({ workspace: "lab", datasetId, track: "topk", from: 10, to: 20 });
    expect(r.kind).toBe("wordvec");
    expect(r.width).toBe(2);
    const ids = int32(r.data);
    expect(ids).toHaveLength(20);
    // the fixture's top-k ids: (i mod 7) + 1 for value i = 2·step + rank
    expect(Array.from(ids)).toEqual(Array.from({ length: 20 }, (_, k) => ((20 + k) % WORDS.length) + 1));
    const words = new Map(r.words!.map((w) => [w.id, w.word]));
    // every id of the window is named with its vocabulary word, and only those ids are sent
    expect([...words.keys()].sort()).toEqual([...new Set(ids)].sort());
    for (const id of ids) expect(words.get(id)).toBe(WORDS[id - 1]);
  });

  it("sends no words for discrete tracks (their labels come with the dataset)", async () => {
    const r = await caller().dataset.meta({ workspace: "lab", datasetId, track: "pos", from: 0, to: 5 });
    expect(r.kind).toBe("discrete");
    expect(r.words).toBeNull();
  });

  it("rejects an unknown track and a range past the end, naming them", async () => {
    await expect(caller().dataset.meta({ workspace: "lab", datasetId, track: "nope", from: 0, to: 5 })).rejects.toThrow(/no meta track "nope"/);
    await expect(caller().dataset.meta({ workspace: "lab", datasetId, track: "pos", from: 60, to: 70 })).rejects.toThrow(/has 60 steps/);
  });
});
