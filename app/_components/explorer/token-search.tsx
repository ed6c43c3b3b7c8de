"use client";
import { useState } from "react";
import { windowStartFor } from "@statescope/core";
import { errorMessage } from "@/app/_lib/trpc";
import type { DatasetInfo, ExplorerData, SearchHit } from "./data-source";
import type { Update } from "./slots";

const LIMIT = 100;

export interface TokenSearch {
  query: string;
  setQuery: (q: string) => void;
  regex: boolean;
  setRegex: (r: boolean) => void;
  /** The last run's query and hits (null before one, or after closing them). */
  hits: { query: string; hits: SearchHit[] } | null;
  error: string | null;
  run: () => Promise<void>;
  close: () => void;
}

/** Phrase (or, on character-level data, regex) search over the tokens. */
export function useTokenSearch(data: ExplorerData, info: DatasetInfo): TokenSearch {
  const [query, setQuery] = useState("");
  const [hits, setHits] = useState<TokenSearch["hits"]>(null);
  const [error, setError] = useState<string | null>(null);
  const [regex, setRegex] = useState(false);
  const run = async () => {
    setError(null);
    try {
      setHits({ query, hits: await data.search(query, regex && info.regexSearch, LIMIT) });
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return { query, setQuery, regex, setRegex, hits, error, run, close: () => setHits(null) };
}

/** The search field (part of the navigation toolbar). */
export function SearchForm({ search, info }: { search: TokenSearch; info: DatasetInfo }) {
  return (
    <form
      className="group search"
      onSubmit={(e) => {
        e.preventDefault();
        if (search.query.trim()) void search.run();
      }}
    >
      <input aria-label="Search tokens" placeholder={info.regexSearch && search.regex ? "regex, e.g. \\(\\w+\\)" : "find a phrase"} value={search.query} onChange={(e) => search.setQuery(e.target.value)} />
      {info.regexSearch && (
        <label className="inline">
          <input type="checkbox" checked={search.regex} onChange={(e) => search.setRegex(e.target.checked)} /> regex
        </label>
      )}
      <button type="submit" className="secondary small">Find</button>
    </form>
  );
}

/** The error and the clickable hits of the last search (a click brushes the hit). */
export function SearchHits({ search, update }: { search: TokenSearch; update: Update }) {
  const r = search.hits;
  return (
    <>
      {search.error && <div className="error" role="alert">{search.error}</div>}
      {r && (
        <div className="search-hits" data-testid="search-hits">
          <span className="muted">{r.hits.length === 0 ? `“${r.query}” does not occur` : `${r.hits.length}${r.hits.length >= LIMIT ? "+" : ""} × “${r.query}”:`}</span>
          {r.hits.map((h) => (
            <button
              key={h.pos}
              type="button"
              className="hit"
              onClick={() => update((s) => ({ ...s, pos: windowStartFor(h.pos), brush: [h.pos, h.pos + h.length], layers: s.layers.map((l) => ({ ...l, pinned: null })) }))}
            >
              {h.pos}
            </button>
          ))}
          <button type="button" className="ghost small" onClick={search.close} aria-label="Close search results">×</button>
        </div>
      )}
    </>
  );
}

/** The search hits and the jumped-to step inside the visible steps [pos, pos + n), as local [from, to). */
export function visibleMarks(hits: readonly SearchHit[], target: number | null, pos: number, n: number): [number, number][] {
  return [...hits, ...(target !== null ? [{ pos: target, length: 1 }] : [])]
    .filter((h) => h.pos + h.length > pos && h.pos < pos + n)
    .map((h) => [h.pos - pos, h.pos - pos + h.length] as [number, number]);
}
