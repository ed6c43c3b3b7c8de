import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveFinding } from "./serve";
import { makeLstmVisProject } from "../../../tests/fixtures/formats/projects";
import { runCli } from "../../../tests/setup/cli";
import { freshDatabase, type TestDatabase } from "../../../tests/setup/db";
import { createUser } from "@/server/services/users";
import { createWorkspace } from "@/server/services/workspaces";

let t: TestDatabase;
let tmp: string;
let datasetId = "";
let foreignDataset = "";
const PUBLIC = "https://findings.example.org";

const savedPublicUrl = process.env.PUBLIC_URL;
beforeAll(async () => {
  process.env.PUBLIC_URL = PUBLIC;
  t = await freshDatabase();
  tmp = await mkdtemp(path.join(tmpdir(), "cli-findings-"));
  await makeLstmVisProject(path.join(tmp, "proj"), { n: 120 });
  const ada = await createUser(t.db, { email: "ada@cli.test", password: "password1", name: "Ada Lovelace" });
  await createWorkspace(t.db, ada.userId, { slug: "paper" });
  const other = await createUser(t.db, { email: "other@cli.test", password: "password1" });
  await createWorkspace(t.db, other.userId, { slug: "elsewhere" });
  const imp = await runCli(t.url, ["import", "proj", "--workspace", "paper", "--citation", "Tiny books corpus (2026)", "--json"], tmp);
  expect(imp.code, imp.stderr).toBe(0);
  datasetId = (JSON.parse(imp.stdout) as { datasetId: string }).datasetId;
  const imp2 = await runCli(t.url, ["import", "proj", "--workspace", "elsewhere", "--owner", "other@cli.test", "--json"], tmp);
  foreignDataset = (JSON.parse(imp2.stdout) as { datasetId: string }).datasetId;
}, 240_000);
afterAll(async () => {
  if (savedPublicUrl === undefined) delete process.env.PUBLIC_URL;
  else process.env.PUBLIC_URL = savedPublicUrl;
  await t.drop();
  await rm(tmp, { recursive: true, force: true });
});

// the CLI builds URLs from PUBLIC_URL (else http://localhost:PORT)
const cli = (args: string[]) => runCli(t.url, args, tmp);

describe("statescope finding publish / export", () => {
  let findingId = "";
  it("publishes a brush (cells from the selection rule), prints {findingId, version, url}, and a new version with --finding", { timeout: 180_000 }, async () => {
    await writeFile(path.join(tmp, "notes.md"), "Cells that **open** a phrase.\n");
    const r = await cli(["finding", "publish", "--dataset", datasetId, "--source", "states::states1", "--brush", "41-44", "--pad", "1,0", "--title", "Phrase openers", "--text-file", "notes.md", "--workspace", "paper", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { findingId: string; version: number; url: string };
    findingId = out.findingId;
    expect(out).toEqual({ findingId: expect.stringMatching(/^[0-9a-z]{12}$/), version: 1, url: `${PUBLIC}/f/${out.findingId}/v1` });
    const f = await t.db.finding.findUniqueOrThrow({ where: { id: findingId }, include: { versions: true } });
    expect(f.visibility).toBe("UNLISTED");
    const snap = JSON.parse(Buffer.from(f.versions[0]!.snapshot).toString()) as { abstract: string; authors: { name: string }[]; dataset: { citation: string } };
    expect(snap.abstract).toBe("Cells that **open** a phrase.\n");
    expect(snap.authors).toEqual([{ name: "Ada Lovelace", member: true }]);
    expect(snap.dataset.citation).toBe("Tiny books corpus (2026)");
    // the selection rule's cells at 0.3 over [41, 44) with 1 step of padding: only cell 3
    expect((snap as unknown as { layers: { selected: number[] }[] }).layers[0]!.selected).toEqual([3]);

    const v2 = await cli(["finding", "publish", "--finding", findingId, "--dataset", datasetId, "--source", "states::states1", "--brush", "40-43", "--cells", "0,2", "--threshold", "0.2", "--mode", "precise", "--title", "Phrase openers (cells 0, 2)", "--visibility", "public", "--workspace", "paper", "--owner", "ada@cli.test", "--json"]);
    expect(v2.code, v2.stderr).toBe(0);
    expect(JSON.parse(v2.stdout)).toEqual({ findingId, version: 2, url: `${PUBLIC}/f/${findingId}/v2` });
  });

  // each case starts the real command (a Node process with tsx): seconds apiece on a busy machine
  it("refuses a dataset outside the workspace and bad flags, naming what was wrong", { timeout: 300_000 }, async () => {
    const foreign = await cli(["finding", "publish", "--dataset", foreignDataset, "--source", "states::states1", "--brush", "4-6", "--title", "x", "--workspace", "paper", "--json"]);
    expect(foreign.code).toBe(2);
    expect(JSON.parse(foreign.stderr).error.message).toMatch(/does not exist/);
    const brush = await cli(["finding", "publish", "--dataset", datasetId, "--source", "states::states1", "--brush", "6:4", "--title", "x", "--workspace", "paper", "--json"]);
    expect(brush.code).toBe(2);
    expect(JSON.parse(brush.stderr).error.message).toMatch(/--brush must be A-B/);
    const empty = await cli(["finding", "publish", "--dataset", datasetId, "--source", "states::states1", "--brush", "6-4", "--title", "x", "--workspace", "paper", "--json"]);
    expect(empty.code).toBe(2);
    expect(JSON.parse(empty.stderr).error.message).toMatch(/brush start \(6\) must be less than its end \(4\)/);
  });

  it("exports exactly what the URL serves, and prints {path, bytes, contentType} (never the file)", { timeout: 600_000 }, async () => {
    const cases: [string[], string][] = [
      [["--format", "svg", "--view", "both", "--width", "one"], "figure.svg?view=both&width=one"],
      [["--format", "png", "--view", "select", "--scale", "4"], "figure.png?view=select&scale=4"],
      [["--format", "csv"], "matches.csv"],
      [["--format", "json"], "matches.json"],
      [["--format", "bibtex"], "cite.bib"],
    ];
    for (const [flags, file] of cases) {
      const out = path.join(tmp, `out-${file.replace(/[^a-z0-9.]/gi, "_")}`);
      const r = await cli(["export", "--finding", `${findingId}@v1`, ...flags, "--out", out, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      const printed = JSON.parse(r.stdout) as { path: string; bytes: number; contentType: string };
      const written = await readFile(out);
      expect(printed.path).toBe(out);
      expect(printed.bytes).toBe(written.length);
      expect(r.stdout.length).toBeLessThan(400);
      const res = await serveFinding(new Request(`${PUBLIC}/f/${findingId}/v1/${file}`), { db: t.db, viewer: null, publicUrl: PUBLIC, now: new Date() });
      expect(res.status).toBe(200);
      expect(printed.contentType).toBe(res.headers.get("content-type"));
      expect(Buffer.from(await res.arrayBuffer()).equals(written), file).toBe(true);
    }
    const latest = await cli(["export", "--finding", findingId, "--format", "csv", "--out", "latest.csv", "--json"]);
    expect((await readFile(path.join(tmp, "latest.csv"), "utf8"))).toContain(",states::states1,0 2,0.2");
    expect(latest.code).toBe(0);
    const missing = await cli(["export", "--finding", `${findingId}@v9`, "--format", "svg", "--out", "x.svg", "--json"]);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stderr).error.message).toMatch(/has no version 9/);
  });
});
