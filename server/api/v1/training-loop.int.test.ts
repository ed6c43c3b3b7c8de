/**
 * The README's training-loop example (examples/upload_states.py: PyTorch + requests) replayed
 * byte for byte: its requests were recorded from a real run (tests/fixtures/api/
 * capture-training-loop.ts) and are sent here to the real API, only the token and the dataset id
 * swapped for this database's. PyTorch is not needed to run this test.
 */
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Runner } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiServer, type ApiServer } from "../../../tests/setup/api-server";
import { freshDatabase, type TestDatabase } from "../../../tests/setup/db";
import { startTestWorker } from "../../../tests/setup/worker";
import { setTestEnv } from "../../../tests/setup/test-env";
import { env } from "../../env";
import { createToken } from "../../services/tokens/tokens";
import { createUser } from "../../services/users";
import { createWorkspace } from "../../services/workspaces";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}
const recorded = JSON.parse(readFileSync(path.join(root, "tests/fixtures/api/training-loop.requests.json"), "utf8")) as Recorded[];

let t: TestDatabase;
let api: ApiServer;
let runner: Runner;
let tmp: string;
let token: string;
let restoreEnv: () => void;

beforeAll(async () => {
  t = await freshDatabase();
  tmp = await mkdtemp(path.join(tmpdir(), "training-loop-"));
  restoreEnv = setTestEnv({ DATABASE_URL: t.url, STATESCOPE_DATA_DIR: tmp });
  const user = (await createUser(t.db, { email: "trainer@lab.test", password: "password1" })).userId;
  await createWorkspace(t.db, user, { slug: "lab" });
  token = (await createToken(t.db, user, { name: "training server", scope: "write", workspace: "lab" })).token;
  runner = await startTestWorker(t);
  api = await startApiServer(() => ({ db: t.db, pubsub: t.pubsub, env: env() }));
}, 120_000);

afterAll(async () => {
  await api?.close();
  await runner?.stop();
  await t?.drop();
  await rm(tmp, { recursive: true, force: true });
  restoreEnv?.();
});

/** Sends a recorded request as it was (headers in their order, body bytes), with our token and host. */
function replay(r: Recorded, datasetId?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const url = new URL(api.url);
  const headers = { ...r.headers, host: url.host, authorization: `Bearer ${token}` };
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: r.method, path: datasetId ? r.path.replace(/\/recorded$/, `/${datasetId}`) : r.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown> }));
    });
    req.on("error", reject);
    req.end(Buffer.from(r.body, "base64"));
  });
}

describe("the README's training-loop example", () => {
  it("is in the README exactly as recorded", () => {
    const example = readFileSync(path.join(root, "examples/upload_states.py"), "utf8");
    expect(readFileSync(path.join(root, "README.md"), "utf8")).toContain(example);
  });

  it("its recorded requests upload the states and see the dataset READY with the model's 16 cells", { timeout: 120_000 }, async () => {
    const [post, ...gets] = recorded;
    expect(post!.method).toBe("POST");
    expect(post!.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    const up = await replay(post!);
    expect(up.status).toBe(202);
    const datasetId = up.json.datasetId as string;
    // the example polls with the GET it recorded until the import is no longer running
    let d: Record<string, unknown>;
    do {
      d = (await replay(gets[0]!, datasetId)).json;
      if (d.status === "IMPORTING") await new Promise((r) => setTimeout(r, 200));
    } while (d.status === "IMPORTING");
    expect(d).toMatchObject({ status: "READY", name: "epoch-1", steps: 8 * 45, error: null });
    expect(d.sources).toEqual([expect.objectContaining({ name: "states1", steps: 360, cells: 16 })]);
  });
});
