import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeLstmVisProject, type LstmVisFixture } from "../../tests/fixtures/formats/projects";
import { runCli } from "../../tests/setup/cli";
import { freshDatabase, type TestDatabase } from "../../tests/setup/db";
import { createUser } from "../services/users";

let t: TestDatabase;
let tmp: string;
let fx: LstmVisFixture;
beforeAll(async () => {
  t = await freshDatabase();
  tmp = await mkdtemp(path.join(tmpdir(), "cli-ds-"));
  fx = await makeLstmVisProject(path.join(tmp, "proj"), { n: 30, rows: 28, unknownAt: [3] });
  await createUser(t.db, { email: "only@cli.test", password: "password1" });
});
afterAll(async () => {
  await t.drop();
  await rm(tmp, { recursive: true, force: true });
});

const cli = (args: string[], cwd?: string) => runCli(t.url, args, cwd);

describe("statescope import / states", () => {
  let datasetId = "";
  it("imports a folder given relative to the caller's cwd, creating the workspace", { timeout: 120_000 }, async () => {
    const r = await cli(["import", "proj", "--workspace", "cli-data", "--json"], tmp);
    expect(r.stderr).toMatch(/importing: sources \d+%/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown> & { datasetId: string; warnings: string[] };
    datasetId = out.datasetId;
    expect(out).toMatchObject({
      name: "tiny_books",
      steps: 28,
      vocabularySize: 7,
      workspaceCreated: true,
      sources: [
        { name: "states::states1", steps: 28, cells: 4, transform: "tanh" },
        { name: "states::output1", steps: 28, cells: 4, transform: "none" },
        { name: "other::states2", steps: 28, cells: 3, transform: "tanh" },
      ],
      metaTracks: [{ name: "pos", kind: "discrete", labels: ["DET", "NOUN", "VERB"] }, { name: "wordlen", kind: "scalar" }, { name: "topk", kind: "wordvec" }],
    });
    expect(out.warnings.join("\n")).toMatch(/truncated to 28 steps/);
    expect(out.warnings.join("\n")).toMatch(/not in the dictionary|unk|missing/i);

    const again = await cli(["import", path.join(tmp, "proj"), "--workspace", "cli-data", "--name", "second", "--json"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ name: "second", workspaceCreated: false });
    expect((JSON.parse(again.stdout) as { datasetId: string }).datasetId).not.toBe(datasetId);
  });

  it("prints stored values, selected cells and tanh", { timeout: 120_000 }, async () => {
    const r = await cli(["states", "--dataset", datasetId, "--source", "states::states1", "--from", "25", "--to", "28", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { source: string; from: number; to: number; cells: number[]; values: number[][] };
    expect(out).toEqual({
      source: "states::states1",
      from: 25,
      to: 28,
      cells: [0, 1, 2, 3],
      values: [25, 26, 27].map((t) => Array.from(fx.states1.subarray(t * 4, t * 4 + 4))),
    });
    const f64 = await cli(["states", "--dataset", datasetId, "--source", "other::states2", "--from", "0", "--to", "2", "--cells", "2,0", "--transform", "tanh", "--json"]);
    expect(f64.code).toBe(0);
    expect((JSON.parse(f64.stdout) as { values: number[][] }).values).toEqual(
      [0, 1].map((t) => [2, 0].map((c) => Math.fround(Math.tanh(Math.fround(fx.states2[t * 3 + c]!))))),
    );
  });

  it("exits 2 with a message for bad input", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["states", "--dataset", "nope", "--source", "x", "--from", "0", "--to", "1", "--json"], /dataset nope does not exist/],
      [["states", "--dataset", datasetId, "--source", "states1", "--from", "0", "--to", "1", "--json"], /has no source .{0,2}states1.{0,2} \(sources: states::states1, states::output1, other::states2\)/],
      [["states", "--dataset", datasetId, "--source", "states::states1", "--from", "5", "--to", "5", "--json"], /from \(5\) must be less than to \(5\)/],
      [["states", "--dataset", datasetId, "--source", "states::states1", "--from", "0", "--to", "29", "--json"], /has 28 steps: \[0, 29\) is out of range/],
      [["states", "--dataset", datasetId, "--source", "states::states1", "--from", "0", "--to", "2", "--cells", "1,9", "--json"], /has 4 cells, the request selected cell 9/],
      [["states", "--dataset", datasetId, "--source", "states::states1", "--from", "0", "--to", "2", "--cells", "a", "--json"], /--cells must be a comma-separated list/],
      [["import", path.join(tmp, "missing"), "--workspace", "cli-data", "--json"], /no such file or folder/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
    }
  }, 240_000);
});
