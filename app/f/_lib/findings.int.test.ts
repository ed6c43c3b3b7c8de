import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetPageCache } from "./pages";
import { FINDING_ROUTES, pagePolicy, serveFinding } from "./serve";
import { callerFor, collabFixture, trpcError, type CollabFixture } from "../../../tests/fixtures/collab";
import { freshDatabase, type TestDatabase } from "../../../tests/setup/db";
import { evidenceOnAllTracks } from "@/server/services/analysis/evidence";
import { MatchEngine } from "@/server/services/matching/engine";
import { deleteDataset } from "@/server/services/datasets/datasets";
import { publishFinding, readFinding, resetFindingCaches, setFindingVisibility, withdrawFinding } from "@/server/services/findings/findings";
import { inProcessMatchRunner } from "@/server/services/findings/match-runners";
import type { PublishInput } from "@/server/services/findings/schemas";

let t: TestDatabase;
let fx: CollabFixture;
let runner: ReturnType<typeof inProcessMatchRunner>;
const NOW = new Date("2026-12-03T12:00:00Z");
const ORIGIN = "http://app.test";

beforeAll(async () => {
  t = await freshDatabase();
  fx = await collabFixture(t.db, "lab");
  runner = inProcessMatchRunner(t.db, new MatchEngine(16 * 2 ** 20));
});
afterAll(async () => {
  await t.drop();
  await fx?.cleanup();
});

const editor = () => ({ userId: fx.users.editor });
const editorAccess = () => ({ workspaceId: fx.workspaceId, role: "EDITOR" as const });

function publish(over: Partial<PublishInput> = {}, who = editor(), access = editorAccess()) {
  return publishFinding(
    t.db,
    who,
    access,
    {
      datasetId: fx.datasetId,
      title: "Cells 0 and 2 open a phrase",
      abstract: "They switch on **together** at the start of a phrase. <script>alert(1)</script>",
      view: { layers: [{ source: "states::states1", threshold: 0.3, cells: [0, 2] }], brush: [10, 14], pad: [1, 0], match: { layer: 0, mode: "precise", length: 0, k: 50 } },
      ...over,
    },
    runner,
    ORIGIN,
  );
}

async function get(path: string, viewer: string | null = null, headers: Record<string, string> = {}): Promise<Response> {
  return serveFinding(new Request(`${ORIGIN}${path}`, { headers }), { db: t.db, viewer: viewer ? { userId: viewer } : null, publicUrl: ORIGIN, now: NOW });
}

async function bytes(path: string, viewer: string | null = null): Promise<Buffer> {
  const r = await get(path, viewer);
  expect(r.status, path).toBe(200);
  return Buffer.from(await r.arrayBuffer());
}

describe("publishing", () => {
  it("computes a content hash at import (the same project hashes alike) and pins it in the snapshot", async () => {
    const rows = await t.db.dataset.findMany({ where: { id: { in: [fx.datasetId, fx.otherDatasetId] } }, select: { contentHash: true } });
    expect(rows[0]!.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]!.contentHash).toBe(rows[1]!.contentHash);
    const out = await publish();
    const read = await readFinding(t.db, null, out.findingId);
    expect(read.status).toBe("ok");
    if (read.status !== "ok") return;
    expect(read.data.snapshot.dataset.contentHash).toBe(rows[0]!.contentHash);
    expect(out).toEqual({ findingId: expect.stringMatching(/^[0-9a-z]{12}$/), version: 1, url: `${ORIGIN}/f/${out.findingId}/v1` });
    // the window: 3 steps before the left padding, the brush, then context
    expect(read.data.snapshot.window.from).toBe(6);
    expect(read.data.snapshot.layers[0]!.selected).toEqual([0, 2]);
    expect(read.data.states[0]!.length).toBe((read.data.snapshot.window.to - 6) * 4);
    expect(read.data.snapshot.match?.rows.length).toBeGreaterThan(0);
  });

  it("format 2: the match carries evidenceOnAllTracks of its results' ranges; matches.csv/.json and the page show it", async () => {
    const out = await publish();
    const read = await readFinding(t.db, null, out.findingId);
    if (read.status !== "ok") throw new Error(read.status);
    const s = read.data.snapshot;
    expect(s.format).toBe(2);
    const m = s.match!;
    const evidence = m.evidence!;
    expect(evidence.length).toBeGreaterThan(0);
    const ranges = m.rows.map((r) => ({ pos: r.pos, length: r.length }));
    expect(evidence).toEqual(await evidenceOnAllTracks(t.db, fx.workspaceId, fx.datasetId, "states::states1", ranges));
    expect(evidence.some((e) => e.matchedSteps > 0)).toBe(true);
    const csv = (await bytes(`/f/${out.findingId}/v1/matches.csv`)).toString();
    const tables = csv.split("\r\n\r\n");
    expect(tables).toHaveLength(1 + evidence.length);
    tables.slice(1).forEach((tb, i) => {
      expect(tb.startsWith("evidence_track,kind,matched_steps,label,share,base,lift,mean,base_mean\r\n"), evidence[i]!.track).toBe(true);
      expect(tb).toContain(`,${evidence[i]!.kind},${evidence[i]!.matchedSteps},`);
    });
    const json = JSON.parse((await bytes(`/f/${out.findingId}/v1/matches.json`)).toString()) as { evidence: unknown };
    expect(json.evidence).toEqual(evidence);
    const page = (await bytes(`/f/${out.findingId}/v1`)).toString();
    expect(page).toContain('data-testid="finding-evidence"');
    for (const e of evidence) expect(page).toContain(`data-track="${e.track}"`);
  });

  it("takes the selection rule's cells when none are given, and refuses a brush too long to pin", async () => {
    const out = await publish({ view: { layers: [{ source: "states::states1", threshold: 0.3 }], brush: [10, 12], pad: [0, 0] } });
    const read = await readFinding(t.db, null, out.findingId);
    if (read.status !== "ok") throw new Error(read.status);
    const s = read.data.snapshot;
    // the rule: on (tanh(v) ≥ 0.3) at every brushed step
    const on = (step: number, c: number) => Math.tanh(read.data.states[0]![(step - s.window.from) * 4 + c]!) >= Math.fround(0.3);
    expect(s.layers[0]!.selected).toEqual([0, 1, 2, 3].filter((c) => on(10, c) && on(11, c)));
    const e = await publish({ view: { layers: [{ source: "states::states1", cells: [0] }], brush: [0, 300], pad: [1, 0] } }).catch((x: unknown) => x);
    expect(String(e)).toMatch(/brush \[0, 300\).*a finding pins at most 256 steps/);
  });

  it("publishes from a hypothesis; editing it and publishing again makes v2 while v1's figures, CSV and JSON keep their bytes", async () => {
    const as = callerFor(t);
    const h = await as(fx.users.editor).hypothesis.create({
      workspace: fx.ws,
      datasetId: fx.datasetId,
      name: "phrase start",
      source: "states::states1",
      start: 20,
      end: 24,
      padLeft: 1,
      padRight: 0,
      threshold: 0.3,
      cells: [1],
      mode: "fast",
    });
    const v1 = await publish({ view: undefined, hypothesisId: h.id, title: "Cell 1 at phrase starts" });
    const files = ["figure.svg?view=both&width=one", "figure.svg?view=select&width=two", "figure.png?view=match&scale=2", "matches.csv", "matches.json"];
    const before = await Promise.all(files.map((f) => bytes(`/f/${v1.findingId}/v1/${f}`)));
    await as(fx.users.editor).hypothesis.update({ workspace: fx.ws, id: h.id, expectedVersion: 1, patch: { cells: [1, 3], threshold: 0.25 } });
    const v2 = await publish({ view: undefined, hypothesisId: h.id, findingId: v1.findingId, title: "Cells 1 and 3 at phrase starts" });
    expect(v2).toEqual({ findingId: v1.findingId, version: 2, url: `${ORIGIN}/f/${v1.findingId}/v2` });
    resetFindingCaches();
    resetPageCache();
    const after = await Promise.all(files.map((f) => bytes(`/f/${v1.findingId}/v1/${f}`)));
    after.forEach((b, i) => expect(b.equals(before[i]!), files[i]).toBe(true));
    // the latest URL serves v2; v1's page says it is not the latest
    const latest = await (await get(`/f/${v1.findingId}`)).text();
    expect(latest).toContain("Cells 1 and 3 at phrase starts");
    expect(latest).not.toContain("this is not the latest version");
    const old = await (await get(`/f/${v1.findingId}/v1`)).text();
    expect(old).toContain("Cell 1 at phrase starts");
    expect(old).toContain("this is not the latest version");
    expect(old).toMatch(/href="\/f\/[0-9a-z]{12}\/v2"/);
    const csv2 = (await bytes(`/f/${v1.findingId}/v2/matches.csv`)).toString();
    expect(csv2).toContain(",states::states1,1 3,0.25");
  });

  it("renders the page without JavaScript: title, authors, both views with their tokens, the sanitised text, card meta", async () => {
    const out = await publish({ authors: [{ userId: fx.users.editor }, { name: "Grace Hopper" }] });
    const r = await get(`/f/${out.findingId}`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(r.headers.get("content-security-policy")).toBe(pagePolicy(false));
    expect(pagePolicy(false)).toMatch(/script-src 'self';.*object-src 'none';.*frame-ancestors 'none'$/);
    const page = await r.text();
    expect(page).toContain("Editor, Grace Hopper");
    expect(page).toContain("<strong>together</strong>");
    expect(page).not.toContain("<script>alert(1)</script>");
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page).toMatch(/<svg[^>]*class="finding-figure"/);
    expect(page).toContain('class="select-view"');
    expect(page).toContain('class="match-view"');
    for (const w of ["the", "cat", "sat"]) expect(page).toContain(`>${w}</text>`);
    expect(page).toContain(`<meta property="og:image" content="${ORIGIN}/f/${out.findingId}/v1/preview.png">`);
    expect(page).toContain('<meta name="twitter:card" content="summary_large_image">');
    expect(page).toContain("@font-face{font-family:\"DejaVu Sans\"");
    const png = await bytes(`/f/${out.findingId}/v1/preview.png`);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(1200);
    expect(png.readUInt32BE(20)).toBe(630);
  });

  it("serves figures as the same bytes on every request (cache cleared in between), with embedded fonts and PNG at 2× and 4×", async () => {
    const out = await publish();
    const a = await bytes(`/f/${out.findingId}/figure.svg?view=both&width=two`);
    resetFindingCaches();
    resetPageCache();
    const b = await bytes(`/f/${out.findingId}/figure.svg?view=both&width=two`);
    expect(a.equals(b)).toBe(true);
    const svg = a.toString();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" version="1.1" width="7in"/);
    expect(svg).toContain("src:url(data:font/ttf;base64,");
    const p2 = await bytes(`/f/${out.findingId}/figure.png?view=both&width=two&scale=2`);
    resetFindingCaches();
    resetPageCache();
    const p2b = await bytes(`/f/${out.findingId}/figure.png?view=both&width=two&scale=2`);
    expect(p2.equals(p2b)).toBe(true);
    const p4 = await bytes(`/f/${out.findingId}/figure.png?view=both&width=two&scale=4`);
    expect(p2.readUInt32BE(16)).toBe(Math.round(7 * 96 * 2));
    expect(p4.readUInt32BE(16)).toBe(Math.round(7 * 96 * 4));
    const etag = (await get(`/f/${out.findingId}/figure.svg?view=both&width=two`)).headers.get("etag")!;
    expect((await get(`/f/${out.findingId}/figure.svg?view=both&width=two`, null, { "if-none-match": etag })).status).toBe(304);
    const bad = await get(`/f/${out.findingId}/figure.svg?view=sideways`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/view must be select or match or both, got "sideways"/);
  });
});

describe("who sees what", () => {
  it("private: its authors only, 404 (not 403) for everyone else; workspace: members; public: listed on /p/<slug>", async () => {
    const out = await publish({ visibility: "PRIVATE" });
    const path = `/f/${out.findingId}`;
    expect((await get(path, fx.users.editor)).status).toBe(200);
    for (const who of [null, fx.users.outsider, fx.users.viewer, fx.users.owner]) expect((await get(path, who)).status).toBe(404);
    await setFindingVisibility(t.db, editor(), editorAccess(), out.findingId, "WORKSPACE", ORIGIN);
    expect((await get(path, fx.users.viewer)).status).toBe(200);
    expect((await get(path, null)).status).toBe(404);
    expect((await get(path, fx.users.outsider)).status).toBe(404);
    expect((await get(`/p/${fx.ws}`)).status).toBe(404); // nothing public yet: the slug is not confirmed either
    await setFindingVisibility(t.db, editor(), editorAccess(), out.findingId, "PUBLIC", ORIGIN);
    const list = await (await get(`/p/${fx.ws}`)).text();
    expect(list).toContain(`href="/f/${out.findingId}"`);
    const unlisted = await publish({ title: "Not on the list" });
    expect(list).not.toContain(unlisted.findingId);
    expect((await get(`/f/${unlisted.findingId}`)).status).toBe(200);
    // a member sees "Open in workspace" with the exact view; a stranger does not
    const member = await (await get(`/f/${unlisted.findingId}`, fx.users.viewer)).text();
    expect(member).toMatch(new RegExp(`href="/w/${fx.ws}/datasets/${fx.datasetId}/explore\\?[^"]*"`));
    expect(await (await get(`/f/${unlisted.findingId}`)).text()).not.toContain("Open in workspace");
  });

  it("withdraw: every URL answers 410 with the tombstone; managing is for its authors and OWNERs", async () => {
    const out = await publish();
    const viewerErr = await withdrawFinding(t.db, { userId: fx.users.viewer }, { workspaceId: fx.workspaceId, role: "VIEWER" }, out.findingId, ORIGIN).catch((e: unknown) => e);
    expect(String(viewerErr)).toMatch(/managed by its authors and the workspace's OWNERs/);
    const as = callerFor(t);
    const w = await as(fx.users.owner).finding.withdraw({ workspace: fx.ws, id: out.findingId });
    expect(w.withdrawnAt).toBeInstanceOf(Date);
    for (const p of ["", "/v1", "/embed", "/figure.svg", "/v1/matches.csv"]) {
      const r = await get(`/f/${out.findingId}${p}`);
      expect(r.status, p).toBe(410);
      const date = w.withdrawnAt!;
      const day = `${date.getUTCDate()} ${date.toLocaleString("en-GB", { month: "long", timeZone: "UTC" })} ${date.getUTCFullYear()}`;
      expect(await r.text()).toContain(`withdrawn by the authors on ${day}`);
    }
    expect((await trpcError(as(fx.users.editor).finding.publish({ workspace: fx.ws, datasetId: fx.datasetId, findingId: out.findingId, title: "again", view: { layers: [{ source: "states::states1", cells: [0] }], brush: [3, 5] } }))).message).toMatch(/was withdrawn/);
  });

  it("viewers cannot publish; a dataset of another workspace is not found", async () => {
    const as = callerFor(t);
    const e = await trpcError(as(fx.users.viewer).finding.publish({ workspace: fx.ws, datasetId: fx.datasetId, title: "x", view: { layers: [{ source: "states::states1", cells: [0] }], brush: [3, 5] } }));
    expect(e.code).toBe("FORBIDDEN");
    const other = await collabFixture(t.db, "elsewhere");
    try {
      const e2 = await publish({ datasetId: other.datasetId }).catch((x: unknown) => x);
      expect(String(e2)).toMatch(/does not exist/);
    } finally {
      await other.cleanup();
    }
  });
});

describe("embedding", () => {
  it("oEmbed answers a rich iframe for unlisted and public findings only, sized to the figure; the embed alone may be framed", async () => {
    const out = await publish({ title: "Embeddable" });
    const q = (u: string, extra = "") => get(`/oembed?url=${encodeURIComponent(u)}&format=json${extra}`);
    const r = await q(`${ORIGIN}/f/${out.findingId}/v1`);
    expect(r.status).toBe(200);
    const o = (await r.json()) as Record<string, unknown>;
    expect(o).toMatchObject({ version: "1.0", type: "rich", provider_name: "Statescope", title: "Embeddable", author_name: "Editor", width: 860, thumbnail_url: `${ORIGIN}/f/${out.findingId}/v1/preview.png` });
    expect(o.html).toMatch(new RegExp(`^<iframe src="${ORIGIN}/f/${out.findingId}/v1/embed" title="Embeddable" width="860" height="\\d+"`));
    const small = (await (await q(`${ORIGIN}/f/${out.findingId}`, "&maxwidth=430")).json()) as { width: number; height: number };
    expect(small.width).toBe(430);
    expect(small.height).toBe(Math.floor(((o.height as number) * 430) / 860));
    expect((await q("https://elsewhere.example/f/abc")).status).toBe(404);
    expect((await get(`/oembed?url=${encodeURIComponent(`${ORIGIN}/f/${out.findingId}`)}&format=xml`)).status).toBe(501);
    const priv = await publish({ visibility: "WORKSPACE" });
    expect((await q(`${ORIGIN}/f/${priv.findingId}`)).status).toBe(404);
    const embed = await get(`/f/${out.findingId}/embed?theme=dark`);
    expect(embed.headers.get("content-security-policy")).toBe(pagePolicy(true));
    expect(pagePolicy(true)).toMatch(/script-src 'self';.*frame-ancestors \*$/);
    expect(embed.headers.get("x-frame-options")).toBeNull();
    expect(await embed.text()).toContain('fill="#0f1419"');
    expect((await get(`/f/${out.findingId}`)).headers.get("x-frame-options")).toBe("DENY");
  });
});

describe("after the dataset is deleted", () => {
  it("deleting warns and names the findings; afterwards the page, figures and CSV are byte-identical", async () => {
    const out = await publish({ datasetId: fx.otherDatasetId, title: "Pinned before deletion" });
    const paths = ["", "/v1", "/v1/figure.svg?view=both&width=one", "/v1/figure.png?view=select&scale=2", "/v1/figure.svg?view=match&width=two&theme=dark", "/v1/matches.csv", "/v1/matches.json", "/v1/cite.bib", "/v1/embed", "/v1/preview.png"].map((p) => `/f/${out.findingId}${p}`);
    const before = await Promise.all(paths.map((p) => bytes(p)));
    const warn = await deleteDataset(t.db, fx.workspaceId, "OWNER", fx.otherDatasetId).catch((e: unknown) => e);
    expect(String(warn)).toContain(`"Pinned before deletion" (/f/${out.findingId})`);
    expect(await t.db.dataset.count({ where: { id: fx.otherDatasetId } })).toBe(1);
    await deleteDataset(t.db, fx.workspaceId, "OWNER", fx.otherDatasetId, { confirmFindings: true });
    expect(await t.db.dataset.count({ where: { id: fx.otherDatasetId } })).toBe(0);
    resetFindingCaches();
    resetPageCache();
    const after = await Promise.all(paths.map((p) => bytes(p)));
    after.forEach((b, i) => expect(b.equals(before[i]!), paths[i]).toBe(true));
    // a new version needs the dataset
    const again = await publish({ datasetId: fx.otherDatasetId, findingId: out.findingId }).catch((e: unknown) => e);
    expect(String(again)).toMatch(/dataset of finding .* was deleted|does not exist/);
  });
});

/** Every file under app/ that answers requests without a session check of its own. */
function anonymousRouteFiles(): string[] {
  const root = join(process.cwd(), "app");
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n === "route.ts" && /^(f|p|oembed)\//.test(relative(root, p))) out.push(relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

describe("anonymous routes expose nothing beyond the snapshot", () => {
  it("enumerates every route; an unlisted finding's routes carry none of the workspace's other data; a private one is 404 everywhere", async () => {
    expect(anonymousRouteFiles()).toEqual(["f/[...path]/route.ts", "oembed/route.ts", "p/[slug]/route.ts"]);
    const as = callerFor(t);
    await as(fx.users.editor).hypothesis.create({ workspace: fx.ws, datasetId: fx.datasetId, name: "SECRET-HYPOTHESIS", description: "SECRET-NOTE", source: "states::states1", start: 30, end: 33, padLeft: 1, padRight: 0, threshold: 0.3, cells: [2] });
    await t.db.dataset.update({ where: { id: fx.datasetId }, data: { citation: "Data: Lab (2026)." } });
    await t.db.workspace.update({ where: { id: fx.workspaceId }, data: { name: "SECRET-WORKSPACE-NAME" } });
    const open = await publish({ title: "Open finding" });
    const hidden = await publish({ title: "SECRET-PRIVATE-TITLE", visibility: "PRIVATE" });
    const listed = await publish({ title: "Listed", visibility: "PUBLIC" });
    const users = await t.db.user.findMany({ select: { id: true, email: true } });
    const secrets = [
      "SECRET-HYPOTHESIS",
      "SECRET-NOTE",
      "SECRET-WORKSPACE-NAME",
      "SECRET-PRIVATE-TITLE",
      hidden.findingId,
      fx.workspaceId,
      fx.datasetId,
      `/w/${fx.ws}`,
      ...users.flatMap((u) => [u.id, u.email]),
    ];
    const concrete = (pattern: string, id: string): string[] => {
      if (pattern === "/p/<slug>") return [`/p/${fx.ws}`];
      if (pattern === "/oembed") return [`/oembed?url=${encodeURIComponent(`${ORIGIN}/f/${id}`)}&format=json`];
      if (pattern === "/f/assets/viewer.js") return ["/f/assets/viewer.js"];
      return [pattern.replace("<id>", id).replace("<n>", "1")];
    };
    const covered = new Set<string>();
    for (const pattern of FINDING_ROUTES) {
      for (const path of concrete(pattern, open.findingId)) {
        covered.add(pattern);
        const r = await get(path);
        expect(r.status, path).toBe(200);
        const body = Buffer.from(await r.arrayBuffer()).toString("latin1");
        // a workspace's public page is titled with its name (it chose to publish); nothing else leaks
        const hide = pattern === "/p/<slug>" ? secrets.filter((s) => s !== "SECRET-WORKSPACE-NAME") : secrets;
        for (const s of hide) expect(body.includes(s), `${path} contains ${s}`).toBe(false);
        for (const [k, v] of r.headers) for (const s of secrets) expect(v.includes(s), `${path} header ${k}`).toBe(false);
      }
      for (const path of concrete(pattern, hidden.findingId)) {
        if (pattern === "/f/assets/viewer.js" || pattern === "/p/<slug>") continue;
        const r = await get(path);
        expect(r.status, `private ${path}`).toBe(404);
        expect(await r.text()).not.toContain("SECRET-PRIVATE-TITLE");
      }
    }
    expect([...covered].sort()).toEqual([...FINDING_ROUTES].sort());
    // the public list shows public findings only
    const list = await (await get(`/p/${fx.ws}`)).text();
    expect(list).toContain(listed.findingId);
    expect(list).not.toContain(open.findingId);
    // the finding's own data is there: its citation of the dataset, for instance
    expect(await (await get(`/f/${open.findingId}`)).text()).toContain("Data: Lab (2026).");
  });
});
