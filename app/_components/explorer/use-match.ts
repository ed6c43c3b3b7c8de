"use client";
import { useQuery } from "@tanstack/react-query";
import type { ExplorerData, MatchInput } from "./data-source";

/**
 * The match query of the Match view: one place that talks to the matcher, so its transport can
 * change in one spot. `input` is the query of the last explicit run (null: not run yet); results
 * are cached per input, so returning to an earlier query is instant.
 */
export function useMatch(data: ExplorerData, input: MatchInput | null) {
  return useQuery({
    queryKey: ["explorer", data.key, "match", input],
    queryFn: () => data.match(input!),
    enabled: input !== null,
    staleTime: Infinity,
    retry: false,
  });
}
