import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../tests/setup/cli";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { generateParens } from "../services/extract/corpora";
import { createUser } from "../services/users";

const MODEL = path.resolve(__dirname, "../services/extract/demo-models/parens");
let t: TestDatabase;
let tmp: string;
beforeAll(async () => {
  t = await freshDatabase();
  tmp = await mkdtemp(path.join(tmpdir(), "cli-extract-"));
  await copyFile(path.join(MODEL, "model.safetensors"), path.join(tmp, "parens.safetensors"));
  await copyFile(path.join(MODEL, "vocab.json"), path.join(tmp, "vocab.json"));
  await writeFile(path.join(tmp, "input.txt"), generateParens(800, 11));
  await writeFile(path.join(tmp, "bad.txt"), "(ab) zz");
  await createUser(t.db, { email: "only@cli-extract.test", password: "password1" });
});
afterAll(async () => {
  await t.drop();
  await rm(tmp, { recursive: true, force: true });
});

const cli = (args: string[], cwd?: string) => runCli(t.url, args, cwd);

describe("statescope extract", () => {
  it("extracts into a new workspace with files relative to the caller's cwd; same JSON as import", { timeout: 120_000 }, async () => {
    const r = await cli(["extract", "--weights", "parens.safetensors", "--vocab", "vocab.json", "--text", "input.txt", "--tokenizer", "char", "--arch", "lstm", "--workspace", "cli-models", "--json"], tmp);
    expect(r.stderr).toMatch(/extracting: model \d+%/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown> & { datasetId: string };
    expect(Object.keys(out).sort()).toEqual(["datasetId", "metaTracks", "name", "sources", "steps", "vocabularySize", "warnings", "workspaceCreated"]);
    expect(out).toMatchObject({
      name: "input",
      steps: 800,
      vocabularySize: 11,
      workspaceCreated: true,
      sources: [
        { name: "states1", steps: 800, cells: 32, transform: "tanh" },
        { name: "output1", steps: 800, cells: 32, transform: "none" },
      ],
      metaTracks: [{ name: "surprisal", kind: "scalar" }, { name: "top5", kind: "wordvec" }],
      warnings: [],
    });
    const states = await cli(["states", "--dataset", out.datasetId, "--source", "output1", "--from", "0", "--to", "2", "--json"]);
    expect(states.code).toBe(0);
    expect((JSON.parse(states.stdout) as { values: number[][] }).values[1]).toHaveLength(32);
  });

  it("exits 2 with a clear message for unknown tokens, and --unknown fixes it", { timeout: 120_000 }, async () => {
    const args = ["extract", "--weights", "parens.safetensors", "--vocab", "vocab.json", "--text", "bad.txt", "--tokenizer", "char", "--workspace", "cli-models", "--json"];
    const r = await cli(args, tmp);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stderr.trim().split("\n").at(-1)!)).toMatchObject({ error: { code: "BAD_INPUT", message: expect.stringMatching(/2 of 7 char tokens are not in the vocabulary \(first: "z"\)/) } });
    const ok = await cli([...args, "--unknown", " ", "--name", "fixed"], tmp);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ name: "fixed", steps: 7, workspaceCreated: false });
    const missing = await cli(["extract", "--weights", "nope.safetensors", "--vocab", "vocab.json", "--text", "bad.txt", "--tokenizer", "char", "--workspace", "cli-models", "--json"], tmp);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--weights .*nope\.safetensors: cannot read \(ENOENT\)/);
    expect(await t.db.dataset.count()).toBe(2);
  });
});
