/**
 * The match query is declared once (core's `MatchQuery`); the server's schema, the job payloads,
 * the records' freeze options and the explorer's query type are built from it or inferred. The
 * type assertions here fail `tsc` (npm test's static step) when one of them drifts; the runtime
 * ones fail when bounds or defaults do.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import { MATCH_DEFAULTS, MAX_K, type MatchQuery } from "@statescope/core";
import type { MatchInput as ExplorerMatchInput } from "@/app/_components/explorer/data-source";
import { MATCH_RUN_JOB, MATCH_SHARD_JOB } from "@/server/jobs/match";
import { ZFreezeOptions } from "@/server/services/records/schemas";
import { canonicalQuery, matchKey, ZMatchInput, ZMatchQuery } from "@/server/services/matching/schemas";

type ServerQuery = z.output<typeof ZMatchQuery>;
type ServerInput = z.output<typeof ZMatchInput>;

describe("one match query", () => {
  it("the server's schema has exactly core's fields, with core's types", () => {
    expectTypeOf<keyof ServerQuery>().toEqualTypeOf<keyof MatchQuery>();
    expectTypeOf<ServerQuery>().toExtend<Required<MatchQuery>>();
    expectTypeOf<z.input<typeof ZMatchQuery>>().toExtend<MatchQuery>();
  });

  it("the explorer sends the server's input, every field given", () => {
    expectTypeOf<ExplorerMatchInput>().toEqualTypeOf<Omit<ServerInput, "datasetId">>();
    expectTypeOf<keyof ExplorerMatchInput>().toEqualTypeOf<keyof MatchQuery | "source">();
  });

  it("job payloads carry the server's input", () => {
    expectTypeOf<z.output<typeof MATCH_RUN_JOB.payload>["query"]>().toEqualTypeOf<ServerInput>();
    expectTypeOf<z.output<typeof MATCH_SHARD_JOB.payload>["query"]>().toEqualTypeOf<ServerInput>();
  });

  it("omitted fields take core's defaults everywhere", () => {
    expect(ZMatchQuery.parse({ cells: [4] })).toEqual({ cells: [4], ...MATCH_DEFAULTS });
    const { k, before, after } = MATCH_DEFAULTS;
    expect(ZFreezeOptions.parse({})).toEqual({ k, before, after });
  });

  it("the job payload accepts every query the API accepts (K up to MAX_K) and bounds the padding", () => {
    const q = canonicalQuery(ZMatchInput.parse({ datasetId: "d", source: "s", cells: [2, 1], k: MAX_K, padLeft: 10_000 }));
    expect(MATCH_RUN_JOB.payload.parse({ key: matchKey(q), query: q, workspaceId: "w" }).query).toEqual(q);
    expect(() => ZMatchInput.parse({ datasetId: "d", source: "s", cells: [1], k: MAX_K + 1 })).toThrow(/K is at most 500/);
    expect(() => MATCH_RUN_JOB.payload.parse({ key: matchKey(q), query: { ...q, padRight: 10_001 }, workspaceId: "w" })).toThrow();
  });

  it("keeps the result key of a query stable (stored results and frozen hypotheses are found by it)", () => {
    const q = canonicalQuery(ZMatchInput.parse({ datasetId: "ds1", source: "states::states1", cells: [5, 2, 9], threshold: 0.7 }));
    expect(matchKey(q)).toBe("70f34024a3d4b6bc15e581aacc238b01e40c2e26da529a46f8a1f2af7fb1616e");
    // the same query built in another field order
    const reordered = Object.fromEntries(Object.entries(q).reverse()) as typeof q;
    expect(matchKey(reordered)).toBe(matchKey(q));
  });
});
