/**
 * Snapshot formats: a format-1 snapshot stored before format 2 (evidence) renders exactly as it
 * did. The fixture holds a format-1 document's bytes and its states; the digests were taken with
 * the format-1 code (main 8b0e55a), so any change to what a v1 snapshot renders fails here.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { unpackStates, type FindingData } from "@statescope/core";
import { describe, expect, it } from "vitest";
import { embedPage, findingPage } from "./pages";
import { matchesCsv, matchesJson } from "@/server/services/findings/exports";
import { figureFile } from "@/server/services/findings/render";
import { ZFindingSnapshot } from "@/server/services/findings/schemas";

const sha = (b: string | Buffer) => createHash("sha256").update(b).digest("hex");

function storedV1(): { bytes: Buffer; data: FindingData } {
  const f = JSON.parse(readFileSync(join(__dirname, "fixtures", "finding-v1.json"), "utf8")) as { snapshot: string; states: string };
  const bytes = Buffer.from(f.snapshot, "utf8");
  const snapshot = ZFindingSnapshot.parse(JSON.parse(f.snapshot));
  return { bytes, data: { snapshot, states: unpackStates(snapshot, Buffer.from(f.states, "base64")) } };
}

describe("a stored format-1 snapshot", () => {
  it("still reads and renders byte-identically: page, embed, figures, matches.csv and matches.json", async () => {
    const { bytes, data } = storedV1();
    expect(data.snapshot.format).toBe(1);
    const publishedAt = new Date("2026-11-05T10:00:00Z");
    const read = {
      status: "ok" as const,
      id: "7k2m9x4q8t3z",
      version: 1,
      latestVersion: 1,
      visibility: "UNLISTED" as const,
      publishedAt,
      snapshotHash: sha(bytes),
      data,
      versions: [{ version: 1, title: data.snapshot.title, publishedAt }],
      member: null,
    };
    const ref = { id: read.id, version: 1, publishedAt, url: "https://s.example/f/7k2m9x4q8t3z/v1", snapshotHash: read.snapshotHash };
    const out = {
      page: sha(await findingPage(read, { publicUrl: "https://s.example", path: "/f/7k2m9x4q8t3z/v1", zoom: 10, accessed: new Date("2026-12-03T12:00:00Z") })),
      embed: sha(await embedPage(read, { publicUrl: "https://s.example", theme: "auto" })),
      figure: sha(await figureFile(read.snapshotHash, data, { view: "both", width: "two" }, "svg")),
      csv: sha(matchesCsv(data.snapshot)),
      json: sha(matchesJson(data.snapshot, ref)),
    };
    expect(out).toEqual({
      page: "d20b78947a37c50032298fe0dbdb224193b93b4ba7095a2a725aec801aeb4d28",
      embed: "86f5450f9c5df7a1756368b921d8531c0bfcfbe3a146234926701492d0fd03b3",
      figure: "fc4b39ca62cf3f05937e5ffe7c05c5a03a25d74a1c529a1851432977c4046b36",
      csv: "f96969043f9a3649c3b9bf5da98cd49bd0cc0ba704896c3e4ae2f9576b91f8ce",
      json: "c5cd4b0800c6302bdc216f427d6efbff1586510bef78f0d86ce240efffe22dbb",
    });
  });

  it("format 2 adds evidence: tables after the results in matches.csv, an evidence field in matches.json; readers refuse a newer format", () => {
    const { data } = storedV1();
    const s = structuredClone(data.snapshot);
    s.format = 2;
    s.match!.evidence = [
      { kind: "discrete", track: "depth tag", matchedSteps: 12, matchedDefined: 10, definedSteps: 80, labels: [{ label: "deep", matched: 8, total: 20, share: 0.8, base: 0.25, lift: 3.2 }, { label: "=flat", matched: 2, total: 60, share: 0.2, base: 0.75, lift: 0.2667 }] },
      { kind: "scalar", track: "depth", matchedSteps: 12, matchedDefined: 12, definedSteps: 80, mean: 2.5, baseMean: 1.25, histogram: { edges: [0, 1, 2, 3], matched: [0, 2, 10], overall: [30, 30, 20] } },
    ];
    const header = "evidence_track,kind,matched_steps,label,share,base,lift,mean,base_mean\r\n";
    expect(matchesCsv(s)).toBe(
      matchesCsv(data.snapshot) +
        `\r\n${header}depth tag,discrete,12,deep,0.8,0.25,3.2,,\r\ndepth tag,discrete,12,'=flat,0.2,0.75,0.2667,,\r\n` +
        `\r\n${header}depth,scalar,12,,,,,2.5,1.25\r\n`,
    );
    const ref = { id: "7k2m9x4q8t3z", version: 1, publishedAt: new Date(0), url: "https://s.example/f/7k2m9x4q8t3z/v1", snapshotHash: "ab".repeat(32) };
    expect((JSON.parse(matchesJson(s, ref)) as { evidence: unknown }).evidence).toEqual(s.match!.evidence);
    expect(JSON.parse(matchesJson(data.snapshot, ref))).not.toHaveProperty("evidence");
    expect(ZFindingSnapshot.parse(JSON.parse(JSON.stringify(s)))).toEqual(s);
    expect(() => ZFindingSnapshot.parse({ ...s, format: 3 })).toThrow(/reads snapshots up to format 2/);
  });
});
